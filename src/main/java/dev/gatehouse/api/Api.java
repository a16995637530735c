package dev.gatehouse.api;

import dev.gatehouse.delivery.Forwarder;
import dev.gatehouse.pipeline.EventRing;
import dev.gatehouse.control.ReshardStatus;
import dev.gatehouse.shard.ShardManager;
import dev.gatehouse.state.StateCache;
import dev.gatehouse.state.StateReads;
import dev.gatehouse.state.StateWriter;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * The HTTP API of one Gatehouse process, wired by hand: the route table (commands, state reads, operators), the
 * Netty server, the sampler behind the probes and the status page, the metrics. Started after the shards,
 * closed before them.
 */
public final class Api implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Api.class.getName());
    /** The default of {@code api.maxConnections}. */
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;
    /** The default of {@code api.maxMembersPerRequest}. */
    public static final int DEFAULT_MAX_MEMBERS_PER_REQUEST = 100_000;

    /**
     * Where and how the API listens.
     *
     * @param secret            the Authorization value every route but the probes needs; empty for none (loopback only)
     * @param requestDeadlineMs a request must arrive whole within this ({@code api.requestDeadlineMs})
     */
    public record Settings(String bind, int port, String secret, int maxConnections, int maxMembersPerRequest,
                           long requestDeadlineMs) {
        /** With the default caps of open connections and members per request, and the default request deadline. */
        public Settings(String bind, int port, String secret) {
            this(bind, port, secret, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MEMBERS_PER_REQUEST, ApiServer.REQUEST_DEADLINE_MS);
        }

        @Override
        public String toString() {
            return "Settings[bind=" + bind + ", port=" + port + ", secret=" + (secret.isEmpty() ? "unset" : "set")
                    + ", maxConnections=" + maxConnections + ", maxMembersPerRequest=" + maxMembersPerRequest
                    + ", requestDeadlineMs=" + requestDeadlineMs + "]";
        }
    }

    /**
     * The parts of the gateway the API reads and commands. {@code shards}: the running shard set, looked up per
     * request (a reshard replaces it); {@code resharding}: {@code POST /reshard} and the progress in {@code /shards}.
     */
    public record Parts(java.util.function.Supplier<ShardManager> shards, long intents, StateWriter state, StateReads reads,
                        StateCache cache, ExecutorService readExecutor, Forwarder delivery, EventRing ring, DispatchTap tap,
                        DataSource db, Resharding resharding) {
    }

    /** Resharding as the API drives it. */
    public interface Resharding {
        /** Where resharding stands. */
        ReshardStatus status();

        /**
         * Starts a reshard to {@code shards} (empty: what Discord and the guild count need); returns at once.
         *
         * @throws IllegalArgumentException for a count the reshard refuses outright (below 1, the running one, ...)
         */
        ReshardStatus request(java.util.OptionalInt shards);

        /** At a reshard's switch, the replaced shards' unsent commands (per old shard id, oldest first) go to {@code to}. */
        default void handUnsentCommandsTo(java.util.function.Consumer<java.util.Map<Integer, java.util.List<String>>> to) {
        }
    }

    private final ApiServer server;
    private final ScheduledExecutorService timer;
    private final Settings settings;

    private Api(ApiServer server, ScheduledExecutorService timer, Settings settings) {
        this.server = server;
        this.timer = timer;
        this.settings = settings;
    }

    /** Binds the server and starts answering. */
    public static Api start(Settings settings, Parts p) throws InterruptedException {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("gatehouse-api-timer").daemon(true).factory());
        try {
            ApiStats stats = new ApiStats();
            Health health = new Health(p.shards(), p.delivery(), p.ring(), p.tap(), p.reads(), p.readExecutor(), timer);
            Metrics metrics = new Metrics(new Metrics.Sources(p.shards(), p.state(), p.delivery(), p.ring(), p.tap(), p.cache(),
                    p.db(), stats));
            p.tap().members.limit(settings.maxMembersPerRequest());
            Commands commands = new Commands(p.shards(), p.intents(), p.tap().members, timer);
            p.tap().onSessionReady(commands::sessionReady);
            p.resharding().handUnsentCommandsTo(commands::handBack);
            Routes routes = new Routes();
            new OperatorRoutes(p.shards(), p.delivery(), p.state(), health, metrics, p.tap(), p.resharding()).addTo(routes);
            new StateRoutes(p.cache(), p.reads(), p.readExecutor()).addTo(routes);
            routes.add("POST", "/guilds/{guild_id}/voice-state", commands::voiceState)
                    .add("POST", "/guilds/{guild_id}/members/request", commands::requestMembers)
                    .add("POST", "/presence", r -> commands.presence(r, true))
                    .add("POST", "/shards/{shard_id}/presence", r -> commands.presence(r, false));
            ApiServer server = new ApiServer(settings.bind(), settings.port(), new ApiHandler(routes, settings.secret(), stats),
                    new ApiServer.Limits(settings.requestDeadlineMs(), ApiServer.IDLE_MS, settings.maxConnections()));
            Api api = new Api(server, timer, settings);
            LOG.log(System.Logger.Level.INFO, "api: listening on " + api.url() + (settings.secret().isEmpty()
                    ? " (loopback, no secret)" : " (Authorization required)"));
            return api;
        } catch (RuntimeException | InterruptedException e) {
            timer.shutdownNow();
            throw e;
        }
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8787}. */
    public String url() {
        String host = settings.bind().contains(":") ? "[" + settings.bind() + "]" : settings.bind();
        return "http://" + host + ":" + server.port();
    }

    /** The port listened on. */
    public int port() {
        return server.port();
    }

    /** Stops listening; answers in flight may be cut. */
    @Override
    public void close() {
        server.close();
        timer.shutdownNow();
        try {
            timer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
