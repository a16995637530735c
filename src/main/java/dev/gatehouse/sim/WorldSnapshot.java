package dev.gatehouse.sim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulated world's whole state at one moment, taken on the world thread: every entity of every kind, so a
 * test can prove that what a consumer stored equals what the world holds.
 *
 * @param guilds      every guild the bot is in, unavailable ones included
 * @param channels    every channel (threads are in {@code threads})
 * @param threads     every active thread
 * @param roles       every role
 * @param members     every membership
 * @param presences   the status of every member who is not offline
 * @param voiceStates everyone in a voice channel
 * @param emojis      every custom emoji
 * @param stickers    every guild sticker
 * @param stageInstances every live stage
 * @param scheduledEvents every scheduled event
 * @param threadMembers the bot's membership of threads (what a bot without GUILD_MEMBERS learns)
 */
public record WorldSnapshot(List<Guild> guilds, List<Channel> channels, List<Channel> threads, List<Role> roles,
                            List<Member> members, List<Presence> presences, List<VoiceState> voiceStates,
                            List<Emoji> emojis, List<Sticker> stickers, List<StageInstance> stageInstances,
                            List<ScheduledEvent> scheduledEvents, List<ThreadMember> threadMembers) {

    /** A guild: {@code large} at a large_threshold of 250, {@code unavailable} while in an outage. */
    public record Guild(long id, String name, long ownerId, int memberCount, boolean large, boolean unavailable) {
    }

    /** A channel or thread; {@code parentId} 0 when it has none. */
    public record Channel(long id, long guildId, long parentId, int type, String name) {
    }

    /** A role of a guild. */
    public record Role(long id, long guildId, String name, int position, String permissions, int color) {
    }

    /** A user's membership of a guild. */
    public record Member(long guildId, long userId, String nick, List<Long> roles) {
    }

    /** A member's status (online, idle or dnd). */
    public record Presence(long guildId, long userId, String status) {
    }

    /** A user in a voice channel of a guild. */
    public record VoiceState(long guildId, long userId, long channelId, String sessionId) {
    }

    /** A custom emoji of a guild. */
    public record Emoji(long id, long guildId, String name) {
    }

    /** A sticker of a guild. */
    public record Sticker(long id, long guildId, String name) {
    }

    /** A live stage. */
    public record StageInstance(long id, long guildId, long channelId, String topic) {
    }

    /** A scheduled event of a guild. */
    public record ScheduledEvent(long id, long guildId, String name) {
    }

    /** A user's membership of a thread. */
    public record ThreadMember(long threadId, long userId, long guildId) {
    }

    /** How many entities of each kind, by name (guilds, unavailable_guilds, channels, threads, ...). */
    public Map<String, Integer> counts() {
        Map<String, Integer> out = new LinkedHashMap<>();
        out.put("guilds", guilds.size());
        out.put("unavailable_guilds", (int) guilds.stream().filter(Guild::unavailable).count());
        out.put("channels", channels.size());
        out.put("threads", threads.size());
        out.put("roles", roles.size());
        out.put("members", members.size());
        out.put("presences", presences.size());
        out.put("voice_states", voiceStates.size());
        out.put("emojis", emojis.size());
        out.put("stickers", stickers.size());
        out.put("stage_instances", stageInstances.size());
        out.put("scheduled_events", scheduledEvents.size());
        out.put("thread_members", threadMembers.size());
        return out;
    }
}
