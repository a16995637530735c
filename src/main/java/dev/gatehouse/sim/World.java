package dev.gatehouse.sim;

import dev.gatehouse.discord.Snowflake;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The simulated Discord world: guilds with channels, roles, members and presences, built from a seed with
 * heavy-tailed guild sizes. Owned by the simulator's world thread: only that thread reads or changes it, so
 * what a session is sent and what the world holds never disagree.
 */
public final class World {
    static final long BASE_MILLIS = 1_600_000_000_000L;
    static final int LARGE_THRESHOLD = 250;
    static final String[] STATUSES = {"online", "idle", "dnd", "offline"};

    /** A user (shared by every guild it is a member of). */
    static final class User {
        final long id;
        String username;
        String globalName;
        String avatar;
        final boolean bot;

        User(long id, String username, String globalName, boolean bot) {
            this.id = id;
            this.username = username;
            this.globalName = globalName;
            this.bot = bot;
        }
    }

    static final class Member {
        final User user;
        String nick;
        final List<Long> roles = new ArrayList<>();
        final String joinedAt;
        String status;

        Member(User user, String joinedAt, String status) {
            this.user = user;
            this.joinedAt = joinedAt;
            this.status = status;
        }
    }

    static final class Channel {
        final long id;
        final long guildId;
        long parentId;
        final int type;
        String name;
        int position;
        String topic;
        /** Threads only: who started it and how many messages it has. */
        long ownerId;
        int messageCount;
        /** Threads only: when the bot joined it, or null when the bot is not a member. */
        String botJoinedAt;

        Channel(long id, long guildId, long parentId, int type, String name, int position) {
            this.id = id;
            this.guildId = guildId;
            this.parentId = parentId;
            this.type = type;
            this.name = name;
            this.position = position;
        }
    }

    static final class Role {
        final long id;
        String name;
        int color;
        int position;
        String permissions;
        boolean hoist;

        Role(long id, String name, int color, int position, String permissions) {
            this.id = id;
            this.name = name;
            this.color = color;
            this.position = position;
            this.permissions = permissions;
        }
    }

    /** Someone in a voice channel of a guild. */
    static final class VoiceState {
        final long userId;
        long channelId;
        final String sessionId;
        boolean selfMute;
        boolean selfDeaf;

        VoiceState(long userId, long channelId, String sessionId) {
            this.userId = userId;
            this.channelId = channelId;
            this.sessionId = sessionId;
        }
    }

    /** A custom emoji of a guild. */
    record Emoji(long id, String name, boolean animated) {
    }

    /** A sticker of a guild (format 1 PNG, 2 APNG, 3 Lottie, 4 GIF). */
    record Sticker(long id, String name, int formatType) {
    }

    /** A live stage in a stage channel of the guild. */
    record StageInstance(long id, long channelId, String topic) {
    }

    /** A scheduled event of a guild (status 1 scheduled). */
    record ScheduledEvent(long id, long channelId, long creatorId, String name, String startTime, int status) {
    }

    static final class Guild {
        final long id;
        String name;
        long ownerId;
        final String joinedAt;
        final Map<Long, Channel> channels = new LinkedHashMap<>();
        final Map<Long, Role> roles = new LinkedHashMap<>();
        final Map<Long, Member> members = new LinkedHashMap<>();
        /** Active threads (channels of type 11), kept apart from channels as GUILD_CREATE sends them. */
        final Map<Long, Channel> threads = new LinkedHashMap<>();
        /** Voice states by user id. */
        final Map<Long, VoiceState> voiceStates = new LinkedHashMap<>();
        final Map<Long, Emoji> emojis = new LinkedHashMap<>();
        final Map<Long, Sticker> stickers = new LinkedHashMap<>();
        final Map<Long, StageInstance> stageInstances = new LinkedHashMap<>();
        final Map<Long, ScheduledEvent> scheduledEvents = new LinkedHashMap<>();
        boolean unavailable;

        Guild(long id, String name, String joinedAt) {
            this.id = id;
            this.name = name;
            this.joinedAt = joinedAt;
        }

        boolean large() {
            return large(LARGE_THRESHOLD);
        }

        /** Large for a session that identified with this {@code large_threshold}. */
        boolean large(int threshold) {
            return members.size() > threshold;
        }

        List<Long> voiceChannels() {
            return channelsOfType(2);
        }

        List<Long> textChannels() {
            return channelsOfType(0);
        }

        private List<Long> channelsOfType(int type) {
            List<Long> out = new ArrayList<>();
            for (Channel c : channels.values()) {
                if (c.type == type) {
                    out.add(c.id);
                }
            }
            return out;
        }
    }

    /** A message still in the world (for edits and deletes). */
    record Message(long id, long channelId, long guildId, long authorId, String content) {
    }

    final SplittableRandom random;
    final User self;
    final Map<Long, Guild> guilds = new LinkedHashMap<>();
    final List<Guild> guildList = new ArrayList<>();
    final List<Message> recentMessages = new ArrayList<>();
    private final int maxMembers;
    private final int averageMembers;
    /**
     * Draws emojis, stickers, stages, scheduled events and thread memberships apart from {@link #random}, so a world
     * of a given seed keeps the guilds, members and traffic it had before they existed.
     */
    private final SplittableRandom extras;
    private long nextId;
    private int nextExtra;

    World(long seed, int guildCount, int maxMembers) {
        this(seed, guildCount, maxMembers, 0);
    }

    /**
     * @param averageMembers members per guild on average (heavy-tailed, capped at {@code maxMembers}); 0 keeps the
     *                       original distribution (about 20 per guild whatever {@code maxMembers} says)
     */
    World(long seed, int guildCount, int maxMembers, int averageMembers) {
        this.random = new SplittableRandom(seed);
        this.extras = new SplittableRandom(seed ^ 0x5eed_e770_15L);
        this.maxMembers = maxMembers;
        this.averageMembers = averageMembers;
        this.nextId = Snowflake.at(BASE_MILLIS, 0);
        this.self = new User(id(), "gatehouse-sim-bot", null, true);
        for (int i = 0; i < guildCount; i++) {
            addGuild();
        }
    }

    /** A fresh snowflake: time moves on by a random step so guilds spread over shards. */
    long id() {
        nextId += (1L + random.nextInt(997)) << 22;
        return nextId;
    }

    static String timestamp(long snowflake) {
        return java.time.Instant.ofEpochMilli(Snowflake.unixMillis(snowflake)).toString().replace("Z", "+00:00");
    }

    /**
     * A snowflake of the extras: the time of the last main id with a non-zero increment, which main ids never
     * have, so the two never collide.
     */
    private long extraId() {
        nextExtra = nextExtra % 0x3FFFFF + 1;
        return (nextId & ~0x3FFFFFL) | nextExtra;
    }

    /**
     * Heavy-tailed member count: most guilds are small, a few are large. With an average set, a log-normal
     * (sigma 1) around it, so 2500 guilds of average 100 carry about 250,000 members, the largest a few thousand.
     */
    private int memberCount() {
        if (averageMembers > 0) {
            double n = averageMembers * Math.exp(random.nextGaussian() - 0.5);
            return (int) Math.max(2, Math.min(maxMembers, Math.round(n)));
        }
        double u = random.nextDouble();
        int n = (int) (4 / Math.pow(1 - u, 0.9));
        return Math.max(2, Math.min(maxMembers, n));
    }

    Guild addGuild() {
        long gid = id();
        Guild g = new Guild(gid, "guild " + Long.toString(gid % 100_000, 36), timestamp(gid));
        Role everyone = new Role(gid, "@everyone", 0, 0, "2248473465835073");
        g.roles.put(gid, everyone);
        int roles = 1 + random.nextInt(6);
        for (int i = 1; i <= roles; i++) {
            long rid = id();
            g.roles.put(rid, new Role(rid, "role " + i, random.nextInt(0xFFFFFF), i, Long.toString(random.nextLong(1L << 40))));
        }
        long category = id();
        g.channels.put(category, new Channel(category, gid, 0, 4, "Text Channels", 0));
        int texts = 1 + random.nextInt(6);
        for (int i = 0; i < texts; i++) {
            long cid = id();
            Channel c = new Channel(cid, gid, category, 0, i == 0 ? "general" : "channel-" + i, i);
            c.topic = random.nextInt(3) == 0 ? "topic of " + c.name : null;
            g.channels.put(cid, c);
        }
        long voice = id();
        g.channels.put(voice, new Channel(voice, gid, category, 2, "General", texts));
        int members = memberCount();
        addMember(g, self);
        for (int i = 1; i < members; i++) {
            long uid = id();
            addMember(g, new User(uid, "user_" + Long.toString(uid, 36), random.nextInt(2) == 0 ? "User " + i : null, false));
        }
        Member owner = g.members.values().stream().skip(Math.min(1, g.members.size() - 1)).findFirst().orElseThrow();
        g.ownerId = owner.user.id;
        List<Member> people = new ArrayList<>(g.members.values());
        int threads = random.nextInt(3);
        for (int i = 0; i < threads; i++) {
            addThread(g, people.get(random.nextInt(people.size())).user.id);
        }
        int inVoice = Math.min(people.size() - 1, random.nextInt(4));
        for (int i = 1; i <= inVoice; i++) {
            long uid = people.get(i).user.id;
            if (uid != self.id) {
                g.voiceStates.put(uid, new VoiceState(uid, voice, Long.toHexString(random.nextLong())));
            }
        }
        addExtras(g);
        guilds.put(gid, g);
        guildList.add(g);
        return g;
    }

    /** Emojis, stickers, sometimes a stage and a scheduled event, and the bot's membership of some threads. */
    private void addExtras(Guild g) {
        int emojis = extras.nextInt(4);
        for (int i = 0; i < emojis; i++) {
            long id = extraId();
            g.emojis.put(id, new Emoji(id, "emoji_" + i, extras.nextInt(4) == 0));
        }
        int stickers = extras.nextInt(3);
        for (int i = 0; i < stickers; i++) {
            long id = extraId();
            g.stickers.put(id, new Sticker(id, "sticker_" + i, 1 + extras.nextInt(4)));
        }
        if (extras.nextInt(10) == 0) {
            long stage = extraId();
            g.channels.put(stage, new Channel(stage, g.id, 0, 13, "Stage", g.channels.size()));
            long id = extraId();
            g.stageInstances.put(id, new StageInstance(id, stage, "talk " + Long.toString(id % 1000, 36)));
        }
        if (extras.nextInt(5) == 0) {
            long id = extraId();
            List<Long> voice = g.voiceChannels();
            g.scheduledEvents.put(id, new ScheduledEvent(id, voice.get(0), g.ownerId, "event " + Long.toString(id % 1000, 36),
                    timestamp(id + (86_400_000L << 22)), 1));
        }
        for (Channel t : g.threads.values()) {
            if (extras.nextBoolean()) {
                t.botJoinedAt = timestamp(t.id);
            }
        }
    }

    /**
     * A new member joins the guild without any dispatch being sent, as happens while no client is connected; the
     * next GUILD_CREATE of the guild lists it. Returns the member's key "guildId:userId".
     */
    public String joinSilently(long guildId) {
        Guild g = guildOrThrow(guildId);
        long uid = id();
        Member m = new Member(new User(uid, "user_" + Long.toString(uid, 36), null, false),
                java.time.Instant.now().toString().replace("Z", "+00:00"), "online"); // joins now, in real time
        g.members.put(uid, m);
        return guildId + ":" + uid;
    }

    /**
     * A member (not the bot, not the owner) leaves the guild without any dispatch being sent. Returns the member's
     * key "guildId:userId".
     */
    public String leaveSilently(long guildId) {
        Guild g = guildOrThrow(guildId);
        for (Member m : g.members.values()) {
            if (m.user.id != self.id && m.user.id != g.ownerId && !g.voiceStates.containsKey(m.user.id)) {
                g.members.remove(m.user.id);
                return guildId + ":" + m.user.id;
            }
        }
        throw new IllegalStateException("guild " + guildId + " has no member who could leave");
    }

    private Guild guildOrThrow(long guildId) {
        Guild g = guilds.get(guildId);
        if (g == null) {
            throw new IllegalArgumentException("the world has no guild " + guildId);
        }
        return g;
    }

    /** Starts a thread under a random text channel of the guild. */
    Channel addThread(Guild g, long ownerId) {
        List<Long> texts = g.textChannels();
        long tid = id();
        Channel t = new Channel(tid, g.id, texts.get(random.nextInt(texts.size())), 11, "thread " + Long.toString(tid % 10_000, 36), 0);
        t.ownerId = ownerId;
        g.threads.put(tid, t);
        return t;
    }

    Member addMember(Guild g, User u) {
        Member m = new Member(u, timestamp(id()), STATUSES[random.nextInt(STATUSES.length)]);
        List<Long> roleIds = new ArrayList<>(g.roles.keySet());
        if (roleIds.size() > 1 && random.nextInt(2) == 0) {
            m.roles.add(roleIds.get(1 + random.nextInt(roleIds.size() - 1)));
        }
        g.members.put(u.id, m);
        return m;
    }

    /** A random guild that is not in an outage (any guild when all are out). */
    Guild randomGuild() {
        Guild g = guildList.get(random.nextInt(guildList.size()));
        for (int i = 0; i < 16 && g.unavailable; i++) {
            g = guildList.get(random.nextInt(guildList.size()));
        }
        return g;
    }

    /** The bot leaves a guild: it and everything in it are gone from the world. */
    void removeGuild(Guild g) {
        guilds.remove(g.id);
        guildList.remove(g);
        recentMessages.removeIf(m -> m.guildId() == g.id);
    }

    /** Ids of every guild the bot is in. */
    public java.util.Set<Long> guildIds() {
        return new java.util.TreeSet<>(guilds.keySet());
    }

    /** Ids of the voice channels of one guild, none for a guild the bot is not in. */
    public java.util.List<Long> voiceChannelIds(long guildId) {
        Guild g = guilds.get(guildId);
        return g == null ? java.util.List.of() : java.util.List.copyOf(g.voiceChannels());
    }

    /** Ids of every guild in an outage now (the bot is still in them). */
    public java.util.Set<Long> unavailableGuildIds() {
        java.util.Set<Long> out = new java.util.TreeSet<>();
        for (Guild g : guildList) {
            if (g.unavailable) {
                out.add(g.id);
            }
        }
        return out;
    }

    /** Ids of every channel and every active thread of every guild (a thread is a channel, as Discord stores it). */
    public java.util.Set<Long> channelIds() {
        java.util.Set<Long> out = new java.util.TreeSet<>();
        for (Guild g : guildList) {
            out.addAll(g.channels.keySet());
            out.addAll(g.threads.keySet());
        }
        return out;
    }

    /** Ids of every role of every guild. */
    public java.util.Set<Long> roleIds() {
        java.util.Set<Long> out = new java.util.TreeSet<>();
        for (Guild g : guildList) {
            out.addAll(g.roles.keySet());
        }
        return out;
    }

    /** Every membership as "guildId:userId". */
    public java.util.Set<String> memberKeys() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (Guild g : guildList) {
            for (long u : g.members.keySet()) {
                out.add(g.id + ":" + u);
            }
        }
        return out;
    }

    /** Every entity of the world now, copied (call on the world thread, as {@code Simulator.truth()} does). */
    public WorldSnapshot snapshot() {
        List<WorldSnapshot.Guild> gs = new ArrayList<>();
        List<WorldSnapshot.Channel> channels = new ArrayList<>();
        List<WorldSnapshot.Channel> threads = new ArrayList<>();
        List<WorldSnapshot.Role> roles = new ArrayList<>();
        List<WorldSnapshot.Member> members = new ArrayList<>();
        List<WorldSnapshot.Presence> presences = new ArrayList<>();
        List<WorldSnapshot.VoiceState> voice = new ArrayList<>();
        List<WorldSnapshot.Emoji> emojis = new ArrayList<>();
        List<WorldSnapshot.Sticker> stickers = new ArrayList<>();
        List<WorldSnapshot.StageInstance> stages = new ArrayList<>();
        List<WorldSnapshot.ScheduledEvent> events = new ArrayList<>();
        List<WorldSnapshot.ThreadMember> threadMembers = new ArrayList<>();
        for (Guild g : guildList) {
            for (Emoji e : g.emojis.values()) {
                emojis.add(new WorldSnapshot.Emoji(e.id(), g.id, e.name()));
            }
            for (Sticker x : g.stickers.values()) {
                stickers.add(new WorldSnapshot.Sticker(x.id(), g.id, x.name()));
            }
            for (StageInstance x : g.stageInstances.values()) {
                stages.add(new WorldSnapshot.StageInstance(x.id(), g.id, x.channelId(), x.topic()));
            }
            for (ScheduledEvent x : g.scheduledEvents.values()) {
                events.add(new WorldSnapshot.ScheduledEvent(x.id(), g.id, x.name()));
            }
            for (Channel t : g.threads.values()) {
                if (t.botJoinedAt != null) {
                    threadMembers.add(new WorldSnapshot.ThreadMember(t.id, self.id, g.id));
                }
            }
            gs.add(new WorldSnapshot.Guild(g.id, g.name, g.ownerId, g.members.size(), g.large(), g.unavailable));
            for (Channel c : g.channels.values()) {
                channels.add(new WorldSnapshot.Channel(c.id, g.id, c.parentId, c.type, c.name));
            }
            for (Channel t : g.threads.values()) {
                threads.add(new WorldSnapshot.Channel(t.id, g.id, t.parentId, t.type, t.name));
            }
            for (Role r : g.roles.values()) {
                roles.add(new WorldSnapshot.Role(r.id, g.id, r.name, r.position, r.permissions, r.color));
            }
            for (Member m : g.members.values()) {
                members.add(new WorldSnapshot.Member(g.id, m.user.id, m.nick, List.copyOf(m.roles)));
                if (!"offline".equals(m.status)) {
                    presences.add(new WorldSnapshot.Presence(g.id, m.user.id, m.status));
                }
            }
            for (VoiceState v : g.voiceStates.values()) {
                voice.add(new WorldSnapshot.VoiceState(g.id, v.userId, v.channelId, v.sessionId));
            }
        }
        return new WorldSnapshot(gs, channels, threads, roles, members, presences, voice, emojis, stickers, stages, events,
                threadMembers);
    }

    /** Counts of what the world holds now, for tests: guilds, channels, roles, members. */
    public long[] counts() {
        long channels = 0, roles = 0, members = 0;
        for (Guild g : guildList) {
            channels += g.channels.size();
            roles += g.roles.size();
            members += g.members.size();
        }
        return new long[] {guildList.size(), channels, roles, members};
    }
}
