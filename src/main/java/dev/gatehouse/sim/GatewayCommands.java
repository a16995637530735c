package dev.gatehouse.sim;

import dev.gatehouse.discord.CloseCode;
import dev.gatehouse.discord.Intent;
import dev.gatehouse.discord.Opcode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The commands a connected client sends besides heartbeats: op 3 presence update, op 4 voice state update and
 * op 8 request guild members, validated and answered as Discord does. World thread only.
 */
final class GatewayCommands {
    private static final System.Logger LOG = System.getLogger(GatewayCommands.class.getName());
    static final int CHUNK_SIZE = 1000;
    private static final int MAX_MATCHES = 100;
    private static final Set<String> STATUSES = Set.of("online", "dnd", "idle", "invisible", "offline");

    /** Where the answers of one command go. */
    interface Replies {
        /** A dispatch to the session that sent the command only. */
        void toSession(String type, long guildId, byte[] d);

        /** A dispatch to every session whose shard routes the guild (an event of the guild itself). */
        void toGuild(String type, long guildId, byte[] d);

        /** Closes the connection with a gateway close code. */
        void close(int code, String reason);
    }

    private final World world;
    private final long memberRequestIntervalMs;
    private final String voiceEndpoint;
    /** When each guild's members were last requested in full (System.nanoTime), for Discord's per-guild limit. */
    private final Map<Long, Long> lastFullRequest = new HashMap<>();

    GatewayCommands(World world, long memberRequestIntervalMs, String voiceEndpoint) {
        this.world = world;
        this.memberRequestIntervalMs = memberRequestIntervalMs;
        this.voiceEndpoint = voiceEndpoint;
    }

    /** Runs one command of an identified session. */
    void run(int op, CommandData d, GatewaySession session, long intents, Replies replies) {
        try {
            switch (op) {
                case Opcode.PRESENCE_UPDATE -> presence(d);
                case Opcode.VOICE_STATE_UPDATE -> voiceState(d, session, replies);
                case Opcode.REQUEST_GUILD_MEMBERS -> requestMembers(d, session, intents, replies);
                default -> throw new CommandData.BadCommand("opcode " + op + " is no command");
            }
        } catch (CommandData.BadCommand e) {
            LOG.log(System.Logger.Level.INFO, "simulator: shard " + session.shardId + " sent op " + op + " with a bad payload: "
                    + e.getMessage());
            replies.close(CloseCode.UNKNOWN_OPCODE.code(), "Invalid payload: " + e.getMessage());
        }
    }

    /** Op 3: the bot's own status, which every guild then shows (invisible shows as offline). */
    private void presence(CommandData d) throws CommandData.BadCommand {
        String status = d.string("status");
        if (!STATUSES.contains(status)) {
            throw new CommandData.BadCommand("status must be one of " + STATUSES + ", got '" + status + "'");
        }
        for (Object a : d.array("activities")) {
            if (!(a instanceof Map<?, ?> m) || !(m.get("name") instanceof String) || !(m.get("type") instanceof Long)) {
                throw new CommandData.BadCommand("each activity needs a string name and an integer type");
            }
        }
        if (!d.isNull("since")) {
            d.number("since");
        }
        d.bool("afk", false);
        String shown = "invisible".equals(status) ? "offline" : status;
        for (World.Guild g : world.guildList) {
            World.Member self = g.members.get(world.self.id);
            if (self != null) {
                self.status = shown;
            }
        }
    }

    /**
     * Op 4: joining, moving or leaving a voice channel. The guild sees VOICE_STATE_UPDATE; when joining, the
     * session that asked also gets VOICE_SERVER_UPDATE with the voice server to connect to.
     */
    private void voiceState(CommandData d, GatewaySession session, Replies replies) throws CommandData.BadCommand {
        long guildId = d.snowflake("guild_id");
        long channelId = d.isNull("channel_id") ? 0 : d.snowflake("channel_id");
        boolean mute = d.bool("self_mute");
        boolean deaf = d.bool("self_deaf");
        World.Guild g = world.guilds.get(guildId);
        if (g == null || g.unavailable || !session.routes(guildId)) {
            LOG.log(System.Logger.Level.INFO, "simulator: voice state update for guild " + guildId + ", not on shard "
                    + session.shardId + "; ignored");
            return;
        }
        if (channelId != 0 && !g.voiceChannels().contains(channelId)) {
            throw new CommandData.BadCommand("channel_id " + channelId + " is no voice channel of guild " + guildId);
        }
        World.VoiceState v = g.voiceStates.get(world.self.id);
        if (channelId == 0) {
            if (v == null) {
                return;
            }
            g.voiceStates.remove(world.self.id);
            v.channelId = 0;
        } else {
            if (v == null) {
                v = new World.VoiceState(world.self.id, channelId, session.id);
                g.voiceStates.put(world.self.id, v);
            }
            v.channelId = channelId;
        }
        v.selfMute = mute;
        v.selfDeaf = deaf;
        World.VoiceState state = v;
        replies.toGuild("VOICE_STATE_UPDATE", guildId, SimJson.object(j ->
                SimJson.voiceStateFields(j, state, guildId, g.members.get(world.self.id))));
        if (channelId != 0) {
            replies.toSession("VOICE_SERVER_UPDATE", guildId, SimJson.object(j -> {
                j.writeStringField("token", Long.toHexString(world.random.nextLong()));
                j.writeStringField("guild_id", Long.toString(guildId));
                j.writeStringField("endpoint", voiceEndpoint);
            }));
        }
    }

    /**
     * Op 8: members by username prefix ({@code query}, at most 100) or by id ({@code user_ids}, at most 100), or
     * all of them ({@code query ""} with {@code limit 0}, which needs GUILD_MEMBERS and is limited per guild),
     * answered with GUILD_MEMBERS_CHUNK dispatches of at most 1000 members.
     */
    private void requestMembers(CommandData d, GatewaySession session, long intents, Replies replies)
            throws CommandData.BadCommand {
        List<Long> guildIds = d.snowflakes("guild_id");
        if (guildIds.size() != 1) {
            throw new CommandData.BadCommand("guild_id must be one guild");
        }
        long guildId = guildIds.get(0);
        boolean byIds = !d.isNull("user_ids");
        if (!byIds && d.isNull("query")) {
            throw new CommandData.BadCommand("one of query or user_ids is required");
        }
        String query = byIds ? null : d.string("query");
        long limit = byIds ? MAX_MATCHES : d.number("limit");
        if (limit < 0) {
            throw new CommandData.BadCommand("limit must not be negative");
        }
        boolean presences = d.bool("presences", false) && (intents & Intent.GUILD_PRESENCES.bit()) != 0;
        String nonce = d.isNull("nonce") ? null : d.string("nonce");
        if (nonce != null && nonce.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 32) {
            nonce = null; // Discord ignores a nonce over 32 bytes
        }
        boolean all = !byIds && query.isEmpty();
        if (all && (intents & Intent.GUILD_MEMBERS.bit()) == 0) {
            replies.close(CloseCode.INVALID_INTENTS.code(), "Invalid intent(s).");
            return;
        }
        World.Guild g = world.guilds.get(guildId);
        if (g == null || g.unavailable || !session.routes(guildId)) {
            LOG.log(System.Logger.Level.INFO, "simulator: member request for guild " + guildId + ", not on shard "
                    + session.shardId + "; ignored");
            return;
        }
        if (all && limit == 0 && rateLimited(guildId, nonce, replies)) {
            return;
        }
        List<World.Member> found = new ArrayList<>();
        List<Long> notFound = new ArrayList<>();
        if (byIds) {
            for (long id : new LinkedHashSet<>(d.snowflakes("user_ids"))) {
                World.Member m = g.members.get(id);
                if (m == null) {
                    notFound.add(id);
                } else if (found.size() < MAX_MATCHES) {
                    found.add(m);
                }
            }
        } else {
            long max = all ? (limit == 0 ? Long.MAX_VALUE : limit) : Math.min(limit == 0 ? MAX_MATCHES : limit, MAX_MATCHES);
            String prefix = query.toLowerCase(Locale.ROOT);
            for (World.Member m : g.members.values()) {
                if (found.size() >= max) {
                    break;
                }
                if (m.user.username.toLowerCase(Locale.ROOT).startsWith(prefix)) {
                    found.add(m);
                }
            }
        }
        int count = Math.max(1, (found.size() + CHUNK_SIZE - 1) / CHUNK_SIZE);
        for (int i = 0; i < count; i++) {
            List<World.Member> chunk = found.subList(i * CHUNK_SIZE, Math.min(found.size(), (i + 1) * CHUNK_SIZE));
            replies.toSession("GUILD_MEMBERS_CHUNK", guildId,
                    MemberChunk.bytes(g, chunk, i, count, byIds ? notFound : null, presences, nonce));
        }
    }

    /** Discord's limit on full member requests: one per guild per interval, else a RATE_LIMITED dispatch. */
    private boolean rateLimited(long guildId, String nonce, Replies replies) {
        long now = System.nanoTime();
        Long last = lastFullRequest.get(guildId);
        long intervalNanos = memberRequestIntervalMs * 1_000_000L;
        if (last != null && now - last < intervalNanos) {
            double retryAfter = (intervalNanos - (now - last)) / 1e9;
            replies.toSession("RATE_LIMITED", 0, SimJson.object(j -> {
                j.writeNumberField("opcode", Opcode.REQUEST_GUILD_MEMBERS);
                j.writeNumberField("retry_after", Math.round(retryAfter * 1000) / 1000.0);
                j.writeObjectFieldStart("meta");
                j.writeStringField("guild_id", Long.toString(guildId));
                if (nonce != null) {
                    j.writeStringField("nonce", nonce);
                }
                j.writeEndObject();
            }));
            return true;
        }
        lastFullRequest.put(guildId, now);
        return false;
    }
}
