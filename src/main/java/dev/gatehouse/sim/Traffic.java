package dev.gatehouse.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * The simulated traffic: each call changes the {@link World} the way one Discord event does and returns that
 * event. The mix follows what a bot with the message-content and presence intents sees: mostly messages,
 * presences and typing, some member churn, a trickle of channel, role and guild changes.
 */
class Traffic {

    /** One dispatch to route: its type, its guild (0 for none) and its {@code d} bytes. */
    record Event(String type, long guildId, byte[] d) {
    }

    private static final int RECENT_MESSAGES = 5000;
    private final World world;
    private final ThreadVoiceTraffic threadsAndVoice;

    Traffic(World world) {
        this.world = world;
        this.threadsAndVoice = new ThreadVoiceTraffic(world);
    }

    /** Changes the world by one event and returns it; null when there is no more traffic (a used-up replay). */
    Event next() {
        int roll = world.random.nextInt(100);
        World.Guild g = world.randomGuild();
        if (world.random.nextInt(25) == 0) {
            return threadsAndVoice.next(g);
        }
        if (roll < 36) {
            return messageCreate(g);
        } else if (roll < 48) {
            return messageUpdate(g);
        } else if (roll < 52) {
            return messageDelete(g);
        } else if (roll < 53) {
            return messageDeleteBulk(g);
        } else if (roll < 68) {
            return presenceUpdate(g);
        } else if (roll < 78) {
            return typingStart(g);
        } else if (roll < 84) {
            return memberAdd(g);
        } else if (roll < 88) {
            return memberUpdate(g);
        } else if (roll < 91) {
            return memberRemove(g);
        } else if (roll < 93) {
            return channelUpdate(g);
        } else if (roll < 94) {
            return channelCreate(g);
        } else if (roll < 95) {
            return channelDelete(g);
        } else if (roll < 97) {
            return roleUpdate(g);
        } else if (roll < 98) {
            return roleCreate(g);
        } else if (roll < 99) {
            return roleDelete(g);
        }
        return guildUpdate(g);
    }

    /** Walks to a random member instead of copying the member map: the copy was the world thread's top cost. */
    private World.Member randomMember(World.Guild g) {
        int k = world.random.nextInt(g.members.size());
        for (World.Member m : g.members.values()) {
            if (k-- == 0) {
                return m;
            }
        }
        throw new IllegalStateException("guild " + g.id + " changed while a member was picked");
    }

    private long randomTextChannel(World.Guild g) {
        List<Long> texts = g.textChannels();
        return texts.get(world.random.nextInt(texts.size()));
    }

    private Event messageCreate(World.Guild g) {
        long id = world.id();
        long channel = randomTextChannel(g);
        World.Member author = randomMember(g);
        String content = "message " + Long.toString(id % 1_000_000, 36) + " in " + g.name;
        World.Message m = new World.Message(id, channel, g.id, author.user.id, content);
        if (world.recentMessages.size() >= RECENT_MESSAGES) {
            world.recentMessages.remove(world.random.nextInt(world.recentMessages.size()));
        }
        world.recentMessages.add(m);
        return new Event("MESSAGE_CREATE", g.id, message(m, author, null, false, true));
    }

    private Event messageUpdate(World.Guild fallback) {
        if (world.recentMessages.isEmpty()) {
            return messageCreate(fallback);
        }
        int i = world.random.nextInt(world.recentMessages.size());
        World.Message old = world.recentMessages.get(i);
        World.Guild g = world.guilds.get(old.guildId());
        World.Member author = g == null ? null : g.members.get(old.authorId());
        if (author == null || g.unavailable) {
            return messageCreate(fallback);
        }
        boolean unfurl = world.random.nextInt(2) == 0;
        World.Message m = unfurl ? old : new World.Message(old.id(), old.channelId(), old.guildId(), old.authorId(),
                old.content() + " (edited)");
        world.recentMessages.set(i, m);
        String edited = unfurl ? null : World.timestamp(world.id());
        return new Event("MESSAGE_UPDATE", g.id, message(m, author, edited, unfurl, false));
    }

    /**
     * A message object; a created one carries a {@code nonce} as a client's send would, here the wall clock in
     * microseconds when the simulator made it, so a consumer in another process can time its delivery.
     */
    private byte[] message(World.Message m, World.Member author, String editedAt, boolean embed, boolean created) {
        return SimJson.object(j -> {
            j.writeStringField("id", Long.toString(m.id()));
            j.writeNumberField("type", 0);
            j.writeStringField("channel_id", Long.toString(m.channelId()));
            j.writeStringField("guild_id", Long.toString(m.guildId()));
            j.writeNumberField("channel_type", 0);
            j.writeFieldName("author");
            SimJson.user(j, author.user);
            j.writeObjectFieldStart("member");
            j.writeArrayFieldStart("roles");
            for (long r : author.roles) {
                j.writeString(Long.toString(r));
            }
            j.writeEndArray();
            j.writeStringField("nick", author.nick);
            j.writeStringField("joined_at", author.joinedAt);
            j.writeNullField("premium_since");
            j.writeBooleanField("deaf", false);
            j.writeBooleanField("mute", false);
            j.writeNumberField("flags", 0);
            j.writeBooleanField("pending", false);
            j.writeNullField("communication_disabled_until");
            j.writeNullField("avatar");
            j.writeNullField("banner");
            j.writeEndObject();
            j.writeStringField("content", m.content());
            if (created) {
                java.time.Instant now = java.time.Instant.now();
                j.writeStringField("nonce", Long.toString(now.getEpochSecond() * 1_000_000L + now.getNano() / 1000));
            }
            j.writeStringField("timestamp", World.timestamp(m.id()));
            j.writeStringField("edited_timestamp", editedAt);
            j.writeBooleanField("tts", false);
            j.writeBooleanField("mention_everyone", false);
            j.writeArrayFieldStart("mentions");
            j.writeEndArray();
            j.writeArrayFieldStart("mention_roles");
            j.writeEndArray();
            j.writeArrayFieldStart("attachments");
            j.writeEndArray();
            j.writeArrayFieldStart("embeds");
            if (embed) {
                j.writeStartObject();
                j.writeStringField("type", "link");
                j.writeStringField("url", "https://example.invalid/" + m.id());
                j.writeStringField("title", "A link preview");
                j.writeEndObject();
            }
            j.writeEndArray();
            j.writeBooleanField("pinned", false);
            j.writeNumberField("flags", 0);
            j.writeArrayFieldStart("components");
            j.writeEndArray();
        });
    }

    private Event messageDelete(World.Guild fallback) {
        if (world.recentMessages.isEmpty()) {
            return messageCreate(fallback);
        }
        int i = world.random.nextInt(world.recentMessages.size());
        World.Guild g = world.guilds.get(world.recentMessages.get(i).guildId());
        if (g == null || g.unavailable) {
            return messageCreate(fallback);
        }
        World.Message m = world.recentMessages.remove(i);
        return new Event("MESSAGE_DELETE", m.guildId(), SimJson.object(j -> {
            j.writeStringField("id", Long.toString(m.id()));
            j.writeStringField("channel_id", Long.toString(m.channelId()));
            j.writeStringField("guild_id", Long.toString(m.guildId()));
        }));
    }

    private Event messageDeleteBulk(World.Guild g) {
        List<World.Message> gone = new ArrayList<>();
        long channel = 0;
        for (int i = world.recentMessages.size() - 1; i >= 0 && gone.size() < 5; i--) {
            World.Message m = world.recentMessages.get(i);
            if (m.guildId() == g.id && (channel == 0 || m.channelId() == channel)) {
                channel = m.channelId();
                gone.add(world.recentMessages.remove(i));
            }
        }
        if (gone.isEmpty()) {
            return messageCreate(g);
        }
        long ch = channel;
        return new Event("MESSAGE_DELETE_BULK", g.id, SimJson.object(j -> {
            j.writeArrayFieldStart("ids");
            for (World.Message m : gone) {
                j.writeString(Long.toString(m.id()));
            }
            j.writeEndArray();
            j.writeStringField("channel_id", Long.toString(ch));
            j.writeStringField("guild_id", Long.toString(g.id));
        }));
    }

    private Event presenceUpdate(World.Guild g) {
        World.Member m = randomMember(g);
        m.status = World.STATUSES[world.random.nextInt(World.STATUSES.length)];
        return new Event("PRESENCE_UPDATE", g.id, SimJson.object(j -> SimJson.presence(j, g.id, m, true)));
    }

    private Event typingStart(World.Guild g) {
        World.Member m = randomMember(g);
        long channel = randomTextChannel(g);
        return new Event("TYPING_START", g.id, SimJson.object(j -> {
            j.writeStringField("user_id", Long.toString(m.user.id));
            j.writeNumberField("timestamp", System.currentTimeMillis() / 1000);
            j.writeObjectFieldStart("member");
            SimJson.memberFields(j, m);
            j.writeEndObject();
            j.writeStringField("channel_id", Long.toString(channel));
            j.writeStringField("guild_id", Long.toString(g.id));
        }));
    }

    private Event memberEvent(String type, World.Guild g, World.Member m) {
        return new Event(type, g.id, SimJson.object(j -> {
            j.writeStringField("guild_id", Long.toString(g.id));
            SimJson.memberFields(j, m);
        }));
    }

    private Event memberAdd(World.Guild g) {
        long uid = world.id();
        World.Member m = world.addMember(g, new World.User(uid, "user_" + Long.toString(uid, 36), null, false));
        m.status = "offline"; // no PRESENCE_UPDATE follows the join: the member is offline until one says otherwise
        return memberEvent("GUILD_MEMBER_ADD", g, m);
    }

    private Event memberUpdate(World.Guild g) {
        World.Member m = randomMember(g);
        m.nick = world.random.nextInt(3) == 0 ? null : "nick " + world.random.nextInt(1000);
        return memberEvent("GUILD_MEMBER_UPDATE", g, m);
    }

    private Event memberRemove(World.Guild g) {
        World.Member m = randomMember(g);
        if (m.user.bot || m.user.id == g.ownerId || g.members.size() <= 2 || g.voiceStates.containsKey(m.user.id)) {
            return memberAdd(g);
        }
        g.members.remove(m.user.id);
        return new Event("GUILD_MEMBER_REMOVE", g.id, SimJson.object(j -> {
            j.writeStringField("guild_id", Long.toString(g.id));
            j.writeFieldName("user");
            SimJson.user(j, m.user);
        }));
    }

    private Event channelEvent(String type, World.Channel c) {
        return new Event(type, c.guildId, SimJson.object(j -> SimJson.channelFields(j, c, true)));
    }

    private Event channelUpdate(World.Guild g) {
        World.Channel c = g.channels.get(randomTextChannel(g));
        c.topic = "topic " + world.random.nextInt(10_000);
        c.name = c.name.startsWith("general") ? c.name : "channel-" + world.random.nextInt(1000);
        return channelEvent("CHANNEL_UPDATE", c);
    }

    private Event channelCreate(World.Guild g) {
        long id = world.id();
        World.Channel c = new World.Channel(id, g.id, 0, 0, "new-channel-" + world.random.nextInt(1000), g.channels.size());
        g.channels.put(id, c);
        return channelEvent("CHANNEL_CREATE", c);
    }

    private Event channelDelete(World.Guild g) {
        List<Long> texts = g.textChannels();
        if (texts.size() < 2) {
            return channelCreate(g);
        }
        long doomed = texts.get(texts.size() - 1);
        for (World.Channel t : g.threads.values()) {
            if (t.parentId == doomed) {
                return threadsAndVoice.threadDelete(g, t); // a channel's threads go before it does
            }
        }
        World.Channel c = g.channels.remove(doomed);
        world.recentMessages.removeIf(m -> m.channelId() == c.id);
        return channelEvent("CHANNEL_DELETE", c);
    }

    private Event roleEvent(String type, World.Guild g, World.Role r) {
        return new Event(type, g.id, SimJson.object(j -> {
            j.writeStringField("guild_id", Long.toString(g.id));
            j.writeFieldName("role");
            SimJson.role(j, r);
        }));
    }

    private Event roleUpdate(World.Guild g) {
        List<World.Role> roles = new ArrayList<>(g.roles.values());
        World.Role r = roles.get(world.random.nextInt(roles.size()));
        r.color = world.random.nextInt(0xFFFFFF);
        r.hoist = !r.hoist;
        return roleEvent("GUILD_ROLE_UPDATE", g, r);
    }

    private Event roleCreate(World.Guild g) {
        long id = world.id();
        World.Role r = new World.Role(id, "role " + world.random.nextInt(1000), 0, g.roles.size(), "0");
        g.roles.put(id, r);
        return roleEvent("GUILD_ROLE_CREATE", g, r);
    }

    private Event roleDelete(World.Guild g) {
        if (g.roles.size() < 3) {
            return roleCreate(g);
        }
        long last = 0;
        for (long id : g.roles.keySet()) {
            last = id;
        }
        long id = last;
        g.roles.remove(id);
        for (World.Member m : g.members.values()) {
            m.roles.remove(id);
        }
        return new Event("GUILD_ROLE_DELETE", g.id, SimJson.object(j -> {
            j.writeStringField("guild_id", Long.toString(g.id));
            j.writeStringField("role_id", Long.toString(id));
        }));
    }

    private Event guildUpdate(World.Guild g) {
        g.name = "guild " + Long.toString(g.id % 100_000, 36) + " v" + world.random.nextInt(100);
        return new Event("GUILD_UPDATE", g.id, SimJson.object(j -> SimJson.guildFields(j, g)));
    }

    /** The GUILD_CREATE {@code d} a session that identified with this large_threshold is sent for a guild of the world. */
    byte[] guildCreate(World.Guild g, int largeThreshold) {
        return SimJson.guildCreate(g, largeThreshold);
    }
}
