package dev.gatehouse.sim;

import java.util.List;

/** The {@code d} of one GUILD_MEMBERS_CHUNK dispatch, in the shape Discord sends. */
final class MemberChunk {
    private MemberChunk() {
    }

    /**
     * One chunk of a member request's answer.
     *
     * @param notFound  requested ids that are no member (null when the request was no id list)
     * @param presences whether to add the presences of the chunk's members who are not offline
     * @param nonce     the request's nonce, or null
     */
    static byte[] bytes(World.Guild g, List<World.Member> members, int index, int count, List<Long> notFound,
                        boolean presences, String nonce) {
        return SimJson.object(j -> {
            j.writeStringField("guild_id", Long.toString(g.id));
            j.writeArrayFieldStart("members");
            for (World.Member m : members) {
                j.writeStartObject();
                SimJson.memberFields(j, m);
                j.writeEndObject();
            }
            j.writeEndArray();
            j.writeNumberField("chunk_index", index);
            j.writeNumberField("chunk_count", count);
            if (notFound != null) {
                j.writeArrayFieldStart("not_found");
                for (long id : notFound) {
                    j.writeString(Long.toString(id));
                }
                j.writeEndArray();
            }
            if (presences) {
                j.writeArrayFieldStart("presences");
                for (World.Member m : members) {
                    if (!"offline".equals(m.status)) {
                        j.writeStartObject();
                        SimJson.presence(j, g.id, m, false);
                        j.writeEndObject();
                    }
                }
                j.writeEndArray();
            }
            if (nonce != null) {
                j.writeStringField("nonce", nonce);
            }
        });
    }
}
