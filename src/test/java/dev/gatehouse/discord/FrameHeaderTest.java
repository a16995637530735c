package dev.gatehouse.discord;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The one-pass frame reader on real captured frames, and on malformed ones. */
class FrameHeaderTest {
    private final FrameHeader h = new FrameHeader();

    private void read(byte[] frame) throws IOException {
        h.read(frame, 0, frame.length);
    }

    @Test
    void helloGivesTheHeartbeatInterval() throws IOException {
        read(Fixtures.frames("gateway_hello.json").get(0));
        assertEquals(Opcode.HELLO, h.op);
        assertEquals(41250, h.heartbeatInterval);
        assertEquals(-1, h.seq);
        assertNull(h.type);
    }

    @Test
    void readyGivesSessionResumeUrlAndGuilds() throws IOException {
        byte[] f = Fixtures.frames("gateway_ready.json").get(0);
        read(f);
        assertEquals("READY", h.type);
        assertEquals(1, h.seq);
        assertEquals("session_id_3", h.sessionId);
        assertEquals("wss://gateway.discord.gg/?v=10&encoding=json", h.resumeGatewayUrl);
        assertEquals(0, h.guildId);
        assertArrayEquals(new long[] {900000000000000034L, 900000000000000008L}, ReadyGuilds.read(f, 0, f.length));
    }

    @Test
    void dispatchesAreRoutedByTheirGuild() throws IOException {
        read(Fixtures.frames("gateway_guild_create.json").get(0));
        assertEquals("GUILD_CREATE", h.type);
        assertTrue(h.guildId > 0, "GUILD_CREATE routes by d.id");
        for (String file : new String[] {"gateway_message_create.json", "gateway_message_update.json",
                "gateway_message_delete.json", "gateway_guild_member_update.json", "gateway_thread_create.json",
                "gateway_voice_state_update.json", "gateway_message_reaction_add.json", "gateway_interaction_create.json"}) {
            for (byte[] f : Fixtures.frames(file)) {
                read(f);
                assertEquals(Opcode.DISPATCH, h.op, file);
                assertTrue(h.seq > 0, file);
                assertTrue(h.type != null && !h.type.isEmpty(), file + " has a type");
                assertTrue(h.guildId > 0, file + " has a guild: " + new String(f, StandardCharsets.UTF_8).substring(0, 80));
            }
        }
    }

    @Test
    void typeNamesAreCanonicalInstances() throws IOException {
        byte[] f = Fixtures.frames("gateway_message_create.json").get(0);
        read(f);
        String first = h.type;
        read(f);
        assertTrue(first == h.type, "the same String instance for every MESSAGE_CREATE");
    }

    @Test
    void invalidSessionFlagIsRead() throws IOException {
        read("{\"op\":9,\"d\":true,\"s\":null,\"t\":null}".getBytes(StandardCharsets.UTF_8));
        assertEquals(Opcode.INVALID_SESSION, h.op);
        assertTrue(h.flag);
    }

    @Test
    void aGuildDeleteSaysWhetherItIsAnOutage() throws IOException {
        read("{\"t\":\"GUILD_DELETE\",\"s\":5,\"op\":0,\"d\":{\"id\":\"41771983423143937\",\"unavailable\":true}}"
                .getBytes(StandardCharsets.UTF_8));
        assertEquals(41771983423143937L, h.guildId);
        assertTrue(h.flag, "an outage");
        read("{\"t\":\"GUILD_DELETE\",\"s\":6,\"op\":0,\"d\":{\"id\":\"41771983423143937\"}}".getBytes(StandardCharsets.UTF_8));
        assertFalse(h.flag, "the bot left");
    }

    @Test
    void malformedFramesAreRejectedWithAReason() {
        for (String bad : new String[] {"", "[]", "{\"op\":0,\"d\":{", "{\"s\":1}", "{\"op\":0,\"d\":{\"a\":tru}}"}) {
            IOException e = assertThrows(IOException.class, () -> read(bad.getBytes(StandardCharsets.UTF_8)), bad);
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
        }
    }
}
