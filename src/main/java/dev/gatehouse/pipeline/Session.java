package dev.gatehouse.pipeline;

/**
 * A shard's gateway session as the pipeline carries it: what a restarted Gatehouse needs to resume it. One
 * instance per READY (or per session loaded at start), shared by every slot of that session.
 *
 * @param id          Discord's {@code session_id}
 * @param resumeUrl   READY's {@code resume_gateway_url}
 * @param totalShards the shard count the session was identified with (a resume needs the same)
 * @param gatewayUrl  the gateway it was identified at ({@code /gateway/bot}'s url): a session of another
 *                    gateway (another Discord, a new simulator) is not resumed
 */
public record Session(String id, String resumeUrl, int totalShards, String gatewayUrl) {
}
