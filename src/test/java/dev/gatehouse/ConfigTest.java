package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.config.Config;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigLoader;
import dev.gatehouse.config.Key;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Configuration: defaults, precedence, validation with messages naming the key, exit code 2, secrets. */
class ConfigTest {
    private static final String TOKEN = "MTIzNDU2Nzg5.secret-token-value";

    @TempDir
    Path dir;

    private Config load(String file, Map<String, String> env, String... args) throws IOException {
        Path p = dir.resolve("c.properties");
        Files.writeString(p, file);
        List<String> a = new ArrayList<>(List.of("--config=" + p));
        a.addAll(List.of(args));
        return ConfigLoader.load(a, env);
    }

    @Test
    void defaultsRunTheDemo() throws IOException {
        Config c = load("", Map.of());
        assertTrue(c.demo());
        assertEquals(16, c.shardsPerCluster());
        assertEquals(Config.ThreadKind.PLATFORM, c.clusterThreads());
        assertEquals(Config.Overflow.BLOCK, c.deliveryOverflow());
        assertFalse(c.externalDatabase());
        assertEquals(300_000, c.resharding().checkIntervalMs(), "reshard.checkIntervalMinutes=5");
        assertEquals(new Config.Retries(1_000, 30_000, 500, 10_000), c.retries(), "the retry waits of before they were keys");
        assertEquals(new Config.Lingers(1, 1, 4), c.lingers(), "state.lingerMs, delivery.lingerMs, state.busyLingerMs");
    }

    /** A state.lingerMs longer than the busy linger's default starts (it did before the key): no busy linger then. */
    @Test
    void aBusyLingerAtOrBelowTheLingerIsTheLinger() throws IOException {
        assertEquals(new Config.Lingers(5, 1, 5), load("", Map.of(), "--state.lingerMs=5").lingers());
        assertEquals(new Config.Lingers(5, 1, 5), load("", Map.of(), "--state.lingerMs=5", "--state.busyLingerMs=2").lingers());
        assertEquals(new Config.Lingers(5, 1, 9), load("", Map.of(), "--state.lingerMs=5", "--state.busyLingerMs=9").lingers());
    }

    @Test
    void reshardCheckIntervalMinutesTakesDecimalsForShortTestIntervals() throws IOException {
        assertEquals(600, load("", Map.of(), "--reshard.checkIntervalMinutes=0.01").resharding().checkIntervalMs());
        assertEquals(90_000, load("reshard.checkIntervalMinutes=1.5\n", Map.of()).resharding().checkIntervalMs());
    }

    @Test
    void argumentsBeatEnvironmentBeatsFile() throws IOException {
        Config c = load("shardsPerCluster=2\nmaxClusters=3\nring.size=1024\n",
                Map.of("GATEHOUSE_SHARDS_PER_CLUSTER", "5", "GATEHOUSE_MAX_CLUSTERS", "7", "PATH", "/bin"),
                "--shardsPerCluster=9");
        assertEquals(9, c.shardsPerCluster());
        assertEquals(7, c.maxClusters());
        assertEquals(1024, c.ringSize());
    }

    @Test
    void everyKeyHasAnEnvironmentName() {
        assertEquals("GATEHOUSE_EVENT_HANDLER_URL", Key.named("eventHandler.url").envName());
        assertEquals("GATEHOUSE_CLUSTERS_THREADS", Key.named("clusters.threads").envName());
        assertEquals("GATEHOUSE_DISCORD_TOKEN", Key.named("discord.token").envName());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--shardsPerCluster=abc|shardsPerCluster|whole number",
        "--shardsPerCluster=0|shardsPerCluster|from 1",
        "--ring.size=1000|ring.size|power of two",
        "--clusters.threads=green|clusters.threads|platform or virtual",
        "--delivery.overflow=maybe|delivery.overflow|block or drop-oldest or drop-newest",
        "--delivery.afterState=perhaps|delivery.afterState|true or false",
        "--rest.url=ftp://x|rest.url|http",
        "--db.url=postgres://x|db.url|jdbc:postgresql",
        "--noSuchKey=1|noSuchKey|unknown key",
        "--firstShardId=5|lastShardId|>= firstShardId",
        "--reshard.checkIntervalMinutes=soon|reshard.checkIntervalMinutes|expected minutes from",
        "--reshard.checkIntervalMinutes=0|reshard.checkIntervalMinutes|got 0",
        "--reshard.checkIntervalMinutes=-1|reshard.checkIntervalMinutes|expected minutes from",
        "--reshard.checkIntervalMinutes=NaN|reshard.checkIntervalMinutes|expected minutes from",
        "--reshard.checkIntervalMinutes=5d|reshard.checkIntervalMinutes|plain decimal",
        "--reshard.checkIntervalMinutes=5f|reshard.checkIntervalMinutes|plain decimal",
        "--reshard.checkIntervalMinutes=0x1p3|reshard.checkIntervalMinutes|plain decimal",
        "--reshard.checkIntervalMinutes=1e1|reshard.checkIntervalMinutes|plain decimal",
        "--reshard.checkIntervalMinutes=.5|reshard.checkIntervalMinutes|from 10 ms to 1440 minutes",
        "--reshard.checkIntervalMs=60000|reshard.checkIntervalMs|did you mean reshard.checkIntervalMinutes?",
        "--gateway.reconnectBackoffMs=50|gateway.reconnectBackoffMs|from 100 to 600000, got 50",
        "--gateway.reconnectBackoffMs=1s|gateway.reconnectBackoffMs|whole number",
        "--gateway.maxReconnectBackoffMs=500|gateway.maxReconnectBackoffMs|>= gateway.reconnectBackoffMs (1000), got 500",
        "--state.retryBackoffMs=-5|state.retryBackoffMs|from 1 to 600000, got -5",
        "--state.maxRetryBackoffMs=100|state.maxRetryBackoffMs|>= state.retryBackoffMs (500), got 100",
        "--state.busyLingerMs=-1|state.busyLingerMs|from 0 to 1000, got -1",
        "--totalShards=0|lastShardId|need a fixed totalShards, but totalShards is 0",
    })
    void badValuesNameTheKeyAndWhatIsExpected(String arg, String key, String expected) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> load("totalShards=3\nfirstShardId=0\nlastShardId=2\n", Map.of(), arg));
        assertEquals(key, e.key());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void aSplitRangeNeedsAFixedTotalShardsButAWholeRangeDoesNot() throws IOException {
        ConfigException e = assertThrows(ConfigException.class, () -> load("firstShardId=0\nlastShardId=2\n", Map.of()));
        assertEquals("lastShardId", e.key());
        assertTrue(e.getMessage().contains("set totalShards to the count the processes split"), e.getMessage());
        assertEquals("firstShardId", assertThrows(ConfigException.class, () -> load("firstShardId=2\n", Map.of())).key());
        Config whole = load("", Map.of());
        assertEquals(0, whole.totalShards());
        assertEquals(-1, whole.lastShardId());
        assertEquals(2, load("totalShards=3\nfirstShardId=0\nlastShardId=2\n", Map.of()).lastShardId());
    }

    @Test
    void unknownKeysInTheFileAndEnvironmentAreErrors() {
        assertEquals("shardsPerClustr", assertThrows(ConfigException.class, () -> load("shardsPerClustr=3\n", Map.of())).key());
        assertEquals("GATEHOUSE_SHARDS", assertThrows(ConfigException.class,
                () -> load("", Map.of("GATEHOUSE_SHARDS", "3"))).key());
    }

    @Test
    void aTokenNeedsABotEndpointAndASecretAndIsNeverPrinted() throws IOException {
        ConfigException noUrl = assertThrows(ConfigException.class, () -> load("", Map.of(), "--discord.token=" + TOKEN));
        assertEquals("eventHandler.url", noUrl.key());
        ConfigException noSecret = assertThrows(ConfigException.class,
                () -> load("", Map.of(), "--discord.token=" + TOKEN, "--eventHandler.url=http://127.0.0.1:9/e"));
        assertEquals("eventHandler.secret", noSecret.key());
        Config c = load("", Map.of("GATEHOUSE_DISCORD_TOKEN", TOKEN, "GATEHOUSE_DB_PASSWORD", "pw-hunter2"),
                "--eventHandler.url=http://127.0.0.1:9/e", "--eventHandler.secret=shh-secret");
        assertEquals(TOKEN, c.discordToken().reveal());
        String printed = c.toString();
        assertFalse(printed.contains(TOKEN) || printed.contains("pw-hunter2") || printed.contains("shh-secret"), printed);
        assertFalse(noUrl.getMessage().contains(TOKEN) || noSecret.getMessage().contains(TOKEN));
    }

    /** A bot secret an HTTP header cannot carry (a line break, beyond Latin-1) exits 2 at start, never shown. */
    @Test
    void aBotSecretAHeaderCannotCarryIsRefusedWithoutShowingIt() {
        for (String bad : new String[] {"shh\nInjected: 1", "sh\u20ach", "tab\tbed", "del\u007f"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> load("", Map.of("GATEHOUSE_EVENT_HANDLER_SECRET", bad),
                    "--discord.token=" + TOKEN, "--eventHandler.url=http://127.0.0.1:9/e"));
            assertEquals("eventHandler.secret", e.key());
            assertFalse(e.getMessage().contains(bad), e.getMessage());
        }
    }

    @Test
    void configPropertiesDocumentsEveryKeyWithItsDefault() throws IOException {
        String text = Files.readString(Path.of("config.properties"), StandardCharsets.UTF_8);
        Properties p = new Properties();
        p.load(new java.io.StringReader(text.replaceAll("(?m)^#([a-zA-Z][\\w.]*=)", "$1")));
        for (Key k : Key.ALL) {
            assertTrue(p.containsKey(k.name()), "config.properties lacks " + k.name());
            assertEquals(k.defaultValue(), p.getProperty(k.name()), "default of " + k.name() + " in config.properties");
            assertTrue(text.contains("# " + k.meaning()), "meaning of " + k.name() + " in config.properties");
        }
        assertEquals(Key.ALL.size(), p.size(), "config.properties documents keys Gatehouse does not know");
    }

    /** The real command line, in its own JVM: one line on stderr naming the key, exit code 2, nothing started. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--shardsPerCluster=lots|shardsPerCluster",
        "--intents=GUILDS,NOT_AN_INTENT|intents",
        "--discord.token=" + TOKEN + "|eventHandler.url",
        "--unknownThing=1|unknownThing",
        "--reshard.checkIntervalMinutes=5m|reshard.checkIntervalMinutes",
        "--state.maxRetryBackoffMs=1|state.maxRetryBackoffMs",
        "--firstShardId=1|firstShardId",
    })
    void badConfigurationExitsWithCode2AndOneLine(String arg, String key) throws Exception {
        Path empty = dir.resolve("empty.properties");
        Files.writeString(empty, "");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.gatehouse.Main", "--config=" + empty, arg)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), err);
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING: ")).toList();
        assertEquals(1, lines.size(), err);
        assertTrue(lines.get(0).startsWith("gatehouse: config: " + key + ": "), err);
        assertFalse(err.contains(TOKEN), "the token leaked: " + err);
    }

    @Test
    void aStrayArgumentIsNamedByPositionNeverEchoed() {
        // --discord.token TOKEN (a space, not '='): the token is a stray third argument
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(List.of("--shardsPerCluster=2", "--discord.token", TOKEN), Map.of()));
        assertTrue(e.getMessage().contains("argument 3"), e.getMessage());
        assertTrue(e.getMessage().contains("--key=value"), e.getMessage());
        assertFalse(e.getMessage().contains("MTIz"), e.getMessage());
        ConfigException eq = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(List.of("discord.token=" + TOKEN), Map.of()));
        assertFalse(eq.getMessage().contains("MTIz"), eq.getMessage());
        assertFalse(eq.getMessage().contains("discord.token=M"), eq.getMessage());
    }
}
