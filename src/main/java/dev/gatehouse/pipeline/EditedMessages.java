package dev.gatehouse.pipeline;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.gatehouse.discord.DataFields;
import java.io.IOException;

/**
 * Tells a content edit from an embed unfurl: remembers a 64-bit hash of the content of the most recent
 * messages (MESSAGE_CREATE and delivered MESSAGE_UPDATEs) and says whether an update changes it.
 *
 * <p>Why a bounded map in memory and not a read of the state: unfurls follow the message within seconds, so
 * the recent messages are the ones that matter; a database read per update would put a round trip on the
 * delivery path, and with {@code delivery.afterState=false} the state may not hold the message yet. The map
 * keeps the {@link #DEFAULT_CAPACITY} most recently touched messages (about 28 bytes each, ~3.4 MB when full,
 * grown by use), the least recently touched evicted first ({@link RecentHashes}). An update of a message it does
 * not know, with content, is delivered: when in doubt, the bot gets it.
 */
final class EditedMessages {
    static final int DEFAULT_CAPACITY = 100_000;

    /** What {@link RecentHashes#put} answers for a message it did not keep. */
    private static final long UNKNOWN = 0L;

    private final RecentHashes contentHash;

    EditedMessages(int capacity) {
        this.contentHash = new RecentHashes(capacity);
    }

    /** False only for a MESSAGE_UPDATE that leaves a known message's content as it was, or carries none. */
    boolean changesContent(Dispatch d) {
        boolean create = "MESSAGE_CREATE".equals(d.type());
        if (!create && !"MESSAGE_UPDATE".equals(d.type())) {
            return true;
        }
        Message m = new Message();
        try {
            DataFields.read(d.payload(), 0, d.length(), m);
        } catch (IOException | NumberFormatException e) {
            return true; // not ours to judge: deliver
        }
        long id = m.id;
        if (id == 0) {
            return true;
        }
        if (create) {
            if (m.hasContent) {
                contentHash.put(id, m.hash, UNKNOWN);
            }
            return true;
        }
        if (!m.hasContent) {
            return false; // a partial update without content: embeds only
        }
        // a content hashing to UNKNOWN itself (one in 2^64) reads as unknown: delivered, the safe side
        long before = contentHash.put(id, m.hash, UNKNOWN);
        return before == UNKNOWN || before != m.hash;
    }

    /** A message's {@code id} and the hash of its {@code content}, the other members of {@code d} skipped. */
    private static final class Message implements DataFields.Member {
        long id;
        boolean hasContent;
        long hash;

        @Override
        public void read(String name, JsonToken value, JsonParser p) throws IOException {
            if ("id".equals(name) && value == JsonToken.VALUE_STRING) {
                id = Long.parseLong(p.getText());
            } else if ("content".equals(name) && value == JsonToken.VALUE_STRING) {
                hasContent = true;
                hash = hash(p.getText());
            } else {
                p.skipChildren();
            }
        }
    }

    /** FNV-1a over the UTF-16 content: 64 bits make a false "unchanged" practically impossible. */
    private static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }
}
