package dev.gatehouse.sim;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.gatehouse.discord.JsonObject;
import java.io.IOException;

/**
 * Writes the world's objects in the shapes Discord sends (the captured payloads of
 * {@code shared/fixtures/discord-v10} are the reference: extra fields and nulls included).
 */
final class SimJson {
    static final JsonFactory JSON = JsonObject.JSON;

    private SimJson() {
    }

    /** The JSON bytes of one object written by {@code body} (which writes the fields only). */
    static byte[] object(JsonObject.Fields fields) {
        return JsonObject.bytes(fields);
    }

    static void snowflake(JsonGenerator g, String name, long id) throws IOException {
        if (id == 0) {
            g.writeNullField(name);
        } else {
            g.writeStringField(name, Long.toString(id));
        }
    }

    static void user(JsonGenerator g, World.User u) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", Long.toString(u.id));
        g.writeStringField("username", u.username);
        g.writeStringField("global_name", u.globalName);
        g.writeStringField("avatar", u.avatar);
        g.writeStringField("discriminator", "0");
        g.writeNumberField("public_flags", 0);
        if (u.bot) {
            g.writeBooleanField("bot", true);
        }
        g.writeNullField("avatar_decoration_data");
        g.writeNullField("collectibles");
        g.writeNullField("display_name_styles");
        g.writeNullField("primary_guild");
        g.writeNullField("clan");
        g.writeEndObject();
    }

    /** Member fields (without the opening brace), so events can add guild_id. */
    static void memberFields(JsonGenerator g, World.Member m) throws IOException {
        g.writeFieldName("user");
        user(g, m.user);
        g.writeArrayFieldStart("roles");
        for (long r : m.roles) {
            g.writeString(Long.toString(r));
        }
        g.writeEndArray();
        g.writeStringField("nick", m.nick);
        g.writeNullField("avatar");
        g.writeNullField("banner");
        g.writeStringField("joined_at", m.joinedAt);
        g.writeNullField("premium_since");
        g.writeBooleanField("deaf", false);
        g.writeBooleanField("mute", false);
        g.writeNumberField("flags", 0);
        g.writeBooleanField("pending", false);
        g.writeNullField("communication_disabled_until");
    }

    static void role(JsonGenerator g, World.Role r) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", Long.toString(r.id));
        g.writeStringField("name", r.name);
        g.writeNumberField("color", r.color);
        g.writeObjectFieldStart("colors");
        g.writeNumberField("primary_color", r.color);
        g.writeNullField("secondary_color");
        g.writeNullField("tertiary_color");
        g.writeEndObject();
        g.writeBooleanField("hoist", r.hoist);
        g.writeNullField("icon");
        g.writeNullField("unicode_emoji");
        g.writeNumberField("position", r.position);
        g.writeStringField("permissions", r.permissions);
        g.writeBooleanField("managed", false);
        g.writeBooleanField("mentionable", false);
        g.writeNumberField("flags", 0);
        g.writeObjectFieldStart("tags");
        g.writeEndObject();
        g.writeEndObject();
    }

    /** Channel fields (without braces); {@code withGuild} adds guild_id as channel events carry it. */
    static void channelFields(JsonGenerator g, World.Channel c, boolean withGuild) throws IOException {
        g.writeStringField("id", Long.toString(c.id));
        g.writeNumberField("type", c.type);
        if (withGuild) {
            g.writeStringField("guild_id", Long.toString(c.guildId));
        }
        g.writeStringField("name", c.name);
        g.writeNumberField("position", c.position);
        if (c.parentId != 0) {
            g.writeStringField("parent_id", Long.toString(c.parentId));
        }
        g.writeNumberField("flags", 0);
        g.writeArrayFieldStart("permission_overwrites");
        g.writeEndArray();
        if (c.type == 0) {
            g.writeStringField("topic", c.topic);
            g.writeBooleanField("nsfw", false);
            g.writeNumberField("rate_limit_per_user", 0);
            g.writeNullField("last_message_id");
        } else if (c.type == 2 || c.type == 13) { // voice and stage channels carry the voice fields
            g.writeNumberField("bitrate", 64000);
            g.writeNumberField("user_limit", 0);
            g.writeNullField("rtc_region");
        }
        g.writeNumberField("version", 1_770_595_006_719L);
    }

    /** Thread fields (without braces), guild_id included, as GUILD_CREATE's threads and THREAD_* events carry them. */
    static void threadFields(JsonGenerator g, World.Channel t) throws IOException {
        g.writeStringField("id", Long.toString(t.id));
        g.writeNumberField("type", t.type);
        g.writeStringField("guild_id", Long.toString(t.guildId));
        g.writeStringField("parent_id", Long.toString(t.parentId));
        g.writeStringField("owner_id", Long.toString(t.ownerId));
        g.writeStringField("name", t.name);
        g.writeNullField("last_message_id");
        g.writeNumberField("message_count", t.messageCount);
        g.writeNumberField("total_message_sent", t.messageCount);
        g.writeNumberField("member_count", 1);
        g.writeNumberField("rate_limit_per_user", 0);
        g.writeNumberField("flags", 0);
        g.writeObjectFieldStart("thread_metadata");
        String created = World.timestamp(t.id);
        g.writeBooleanField("locked", false);
        g.writeBooleanField("invitable", true);
        g.writeBooleanField("archived", false);
        g.writeStringField("create_timestamp", created);
        g.writeStringField("archive_timestamp", created);
        g.writeNumberField("auto_archive_duration", 4320);
        g.writeEndObject();
    }

    /**
     * Voice state fields (without braces). GUILD_CREATE's voice_states carry neither guild_id nor member;
     * VOICE_STATE_UPDATE carries both ({@code member} non-null).
     */
    static void voiceStateFields(JsonGenerator g, World.VoiceState v, long guildId, World.Member member) throws IOException {
        if (member != null) {
            g.writeObjectFieldStart("member");
            memberFields(g, member);
            g.writeEndObject();
            g.writeStringField("guild_id", Long.toString(guildId));
        }
        g.writeStringField("user_id", Long.toString(v.userId));
        snowflake(g, "channel_id", v.channelId);
        g.writeStringField("session_id", v.sessionId);
        g.writeBooleanField("deaf", false);
        g.writeBooleanField("mute", false);
        g.writeBooleanField("self_deaf", v.selfDeaf);
        g.writeBooleanField("self_mute", v.selfMute);
        g.writeBooleanField("self_video", false);
        g.writeBooleanField("suppress", false);
        g.writeBooleanField("discoverable", true);
        g.writeNullField("request_to_speak_timestamp");
    }

    static void presence(JsonGenerator g, long guildId, World.Member m, boolean withGuild) throws IOException {
        g.writeObjectFieldStart("user");
        g.writeStringField("id", Long.toString(m.user.id));
        g.writeEndObject();
        if (withGuild) {
            g.writeStringField("guild_id", Long.toString(guildId));
        }
        g.writeStringField("status", m.status);
        g.writeArrayFieldStart("activities");
        g.writeEndArray();
        g.writeObjectFieldStart("client_status");
        if (!"offline".equals(m.status)) {
            g.writeStringField("desktop", m.status);
        }
        g.writeEndObject();
    }

    /** The guild object Discord sends in GUILD_UPDATE and at the head of GUILD_CREATE: settings, roles, emojis, stickers. */
    static void guildFields(JsonGenerator g, World.Guild guild) throws IOException {
        g.writeStringField("id", Long.toString(guild.id));
        g.writeStringField("name", guild.name);
        g.writeNullField("icon");
        g.writeNullField("splash");
        g.writeNullField("discovery_splash");
        g.writeNullField("banner");
        g.writeNullField("description");
        g.writeStringField("owner_id", Long.toString(guild.ownerId));
        g.writeStringField("region", "deprecated");
        g.writeNullField("afk_channel_id");
        g.writeNumberField("afk_timeout", 300);
        g.writeNumberField("verification_level", 0);
        g.writeNumberField("default_message_notifications", 0);
        g.writeNumberField("explicit_content_filter", 0);
        g.writeArrayFieldStart("features");
        g.writeEndArray();
        g.writeNumberField("mfa_level", 0);
        g.writeNullField("application_id");
        g.writeNullField("system_channel_id");
        g.writeNumberField("system_channel_flags", 0);
        g.writeNullField("rules_channel_id");
        g.writeNumberField("max_members", 500000);
        g.writeNullField("vanity_url_code");
        g.writeNumberField("premium_tier", 0);
        g.writeNumberField("premium_subscription_count", 0);
        g.writeStringField("preferred_locale", "en-US");
        g.writeNullField("public_updates_channel_id");
        g.writeNumberField("nsfw_level", 0);
        g.writeBooleanField("premium_progress_bar_enabled", false);
        g.writeNullField("safety_alerts_channel_id");
        g.writeArrayFieldStart("roles");
        for (World.Role r : guild.roles.values()) {
            role(g, r);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("emojis");
        for (World.Emoji e : guild.emojis.values()) {
            emoji(g, e);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("stickers");
        for (World.Sticker x : guild.stickers.values()) {
            sticker(g, x, guild.id);
        }
        g.writeEndArray();
    }

    /** A custom emoji as GUILD_CREATE, GUILD_UPDATE and GUILD_EMOJIS_UPDATE carry it. */
    static void emoji(JsonGenerator g, World.Emoji e) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", Long.toString(e.id()));
        g.writeStringField("name", e.name());
        g.writeArrayFieldStart("roles");
        g.writeEndArray();
        g.writeBooleanField("require_colons", true);
        g.writeBooleanField("managed", false);
        g.writeBooleanField("animated", e.animated());
        g.writeBooleanField("available", true);
        g.writeEndObject();
    }

    /** A guild sticker as GUILD_CREATE and GUILD_STICKERS_UPDATE carry it. */
    static void sticker(JsonGenerator g, World.Sticker x, long guildId) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", Long.toString(x.id()));
        g.writeStringField("name", x.name());
        g.writeStringField("tags", "grinning");
        g.writeNumberField("type", 2);
        g.writeNumberField("format_type", x.formatType());
        g.writeNullField("description");
        g.writeStringField("asset", "");
        g.writeBooleanField("available", true);
        g.writeStringField("guild_id", Long.toString(guildId));
        g.writeEndObject();
    }

    /** A stage instance as GUILD_CREATE and STAGE_INSTANCE_* carry it. */
    static void stageInstance(JsonGenerator g, World.StageInstance x, long guildId) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", Long.toString(x.id()));
        g.writeStringField("guild_id", Long.toString(guildId));
        g.writeStringField("channel_id", Long.toString(x.channelId()));
        g.writeStringField("topic", x.topic());
        g.writeNumberField("privacy_level", 2);
        g.writeBooleanField("discoverable_disabled", false);
        g.writeNullField("guild_scheduled_event_id");
        g.writeEndObject();
    }

    /** A scheduled event as GUILD_CREATE and GUILD_SCHEDULED_EVENT_* carry it. */
    static void scheduledEvent(JsonGenerator g, World.ScheduledEvent x, long guildId) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", Long.toString(x.id()));
        g.writeStringField("guild_id", Long.toString(guildId));
        g.writeStringField("channel_id", Long.toString(x.channelId()));
        g.writeStringField("creator_id", Long.toString(x.creatorId()));
        g.writeStringField("name", x.name());
        g.writeNullField("description");
        g.writeStringField("scheduled_start_time", x.startTime());
        g.writeNullField("scheduled_end_time");
        g.writeNumberField("privacy_level", 2);
        g.writeNumberField("status", x.status());
        g.writeNumberField("entity_type", 2);
        g.writeNullField("entity_id");
        g.writeNullField("entity_metadata");
        g.writeNumberField("user_count", 0);
        g.writeNullField("image");
        g.writeEndObject();
    }

    /** A whole GUILD_CREATE {@code d} for a session with the largest large_threshold (250). */
    static byte[] guildCreate(World.Guild guild) {
        return guildCreate(guild, World.LARGE_THRESHOLD);
    }

    /**
     * A whole GUILD_CREATE {@code d} for a session that identified with this large_threshold. A large guild carries,
     * as Discord documents, only the members who are online, have a role or a nickname, or are in voice (and the
     * bot itself); presences only for members who are not offline.
     */
    static byte[] guildCreate(World.Guild guild, int largeThreshold) {
        return object(g -> {
            guildFields(g, guild);
            g.writeStringField("joined_at", guild.joinedAt);
            g.writeBooleanField("large", guild.large(largeThreshold));
            g.writeBooleanField("unavailable", false);
            g.writeNumberField("member_count", guild.members.size());
            g.writeBooleanField("lazy", true);
            g.writeArrayFieldStart("channels");
            for (World.Channel c : guild.channels.values()) {
                g.writeStartObject();
                channelFields(g, c, false);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("threads");
            for (World.Channel t : guild.threads.values()) {
                g.writeStartObject();
                threadFields(g, t);
                if (t.botJoinedAt != null) {
                    g.writeObjectFieldStart("member");
                    g.writeStringField("id", Long.toString(t.id));
                    // the bot is every guild's first member (World.addGuild)
                    g.writeStringField("user_id", Long.toString(guild.members.keySet().iterator().next()));
                    g.writeStringField("join_timestamp", t.botJoinedAt);
                    g.writeNumberField("flags", 1);
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("voice_states");
            for (World.VoiceState v : guild.voiceStates.values()) {
                g.writeStartObject();
                voiceStateFields(g, v, guild.id, null);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("members");
            boolean large = guild.large(largeThreshold);
            for (World.Member m : guild.members.values()) {
                if (!large || !"offline".equals(m.status) || !m.roles.isEmpty() || m.nick != null || m.user.bot
                        || guild.voiceStates.containsKey(m.user.id)) {
                    g.writeStartObject();
                    memberFields(g, m);
                    g.writeEndObject();
                }
            }
            g.writeEndArray();
            g.writeArrayFieldStart("presences");
            for (World.Member m : guild.members.values()) {
                if (!"offline".equals(m.status)) {
                    g.writeStartObject();
                    presence(g, guild.id, m, false);
                    g.writeEndObject();
                }
            }
            g.writeEndArray();
            g.writeArrayFieldStart("stage_instances");
            for (World.StageInstance x : guild.stageInstances.values()) {
                stageInstance(g, x, guild.id);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("guild_scheduled_events");
            for (World.ScheduledEvent x : guild.scheduledEvents.values()) {
                scheduledEvent(g, x, guild.id);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("soundboard_sounds");
            g.writeEndArray();
        });
    }
}
