package dev.gatehouse.shard;

import dev.gatehouse.pipeline.Session;

/**
 * Where a shard picks up a session a previous Gatehouse process left: the session and the sequence number
 * to resume from (Discord replays every dispatch after it).
 */
public record ResumePoint(Session session, long seq) {
}
