package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.config.Config;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The API's keys, and the mend that keeps a mistyped secret argument out of the error line. */
class ApiConfigTest {
    static final String TOKEN = "MTIzNDU2Nzg5.secret-token-value";

    static Config load(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--config=" + Harness.emptyConfig()));
        all.addAll(List.of(args));
        return ConfigLoader.load(all, Map.of());
    }

    @Test
    void theApiDefaultsToLoopbackPort8787AndZeroTurnsItOff() throws Exception {
        Config c = load();
        assertEquals(8787, c.apiPort());
        assertEquals("127.0.0.1", c.apiBind());
        assertFalse(c.apiSecret().isSet());
        assertEquals(0, load("--api.port=0").apiPort());
    }

    @Test
    void beyondLoopbackTheSecretIsRequired() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> load("--api.bind=0.0.0.0"));
        assertEquals("api.secret", e.key());
        assertTrue(e.getMessage().contains("beyond loopback"), e.getMessage());
        Config ok = load("--api.bind=0.0.0.0", "--api.secret=" + TOKEN);
        assertTrue(ok.apiSecret().isSet());
        assertFalse(ok.toString().contains(TOKEN));
        load("--api.bind=::1"); // loopback in IPv6 needs none
        load("--api.bind=0.0.0.0", "--api.port=0"); // an API that is off needs none
        assertEquals("api.bind", assertThrows(ConfigException.class, () -> load("--api.bind=no such host.invalid")).key());
        assertEquals("api.port", assertThrows(ConfigException.class, () -> load("--api.port=70000")).key());
    }

    @Test
    void aMistypedArgumentWithoutDashesNeverEchoesItsValue() throws Exception {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(List.of("--db.user=x", "discord.token=" + TOKEN), Map.of()));
        assertFalse(e.getMessage().contains(TOKEN), e.getMessage());
        assertTrue(e.getMessage().contains("discord.token"), e.getMessage());
        // as the first argument it is taken for a command name: the command line must not echo it either
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "discord.token=" + TOKEN)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(Main.EXIT_CONFIG, p.exitValue(), out);
        assertFalse(out.contains(TOKEN), out);
        assertTrue(out.contains("discord.token"), out);
    }
}
