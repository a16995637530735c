package dev.gatehouse.api;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import dev.gatehouse.delivery.Forwarder;
import dev.gatehouse.pipeline.EventRing;
import dev.gatehouse.shard.ShardManager;
import dev.gatehouse.shard.ShardStatus;
import dev.gatehouse.state.StateCache;
import dev.gatehouse.state.StateWriter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import javax.sql.DataSource;

/**
 * {@code /metrics}: every figure Gatehouse keeps, read at scrape time through the Prometheus client's callback
 * metrics (nothing is counted twice), in the Prometheus text format, plus the JVM's. No label or value holds a
 * secret: labels are shard ids, states, dispatch types, routes and statuses.
 */
final class Metrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    /** The parts whose figures are exposed. */
    record Sources(java.util.function.Supplier<ShardManager> shards, StateWriter state, Forwarder delivery, EventRing ring, DispatchTap tap,
                   StateCache cache, DataSource db, ApiStats api) {
    }

    Metrics(Sources s) {
        JvmMetrics.builder().register(registry);
        shardGauge("gatehouse_shard_up", "1 when the shard is READY", s, st -> st.ready() ? 1 : 0);
        shardGauge("gatehouse_shard_heartbeat_latency_seconds", "Last heartbeat round trip (-1 before the first ack)", s,
                st -> st.latencyMs() < 0 ? -1 : st.latencyMs() / 1000.0);
        shardGauge("gatehouse_shard_last_close_code", "Last close code the gateway sent (-1 for none)", s, ShardStatus::lastCloseCode);
        shardGauge("gatehouse_shard_seq", "Last gateway sequence number of the shard's session", s, ShardStatus::seq);
        shardGauge("gatehouse_shard_guilds", "Guilds of the shard", s, ShardStatus::guilds);
        shardGauge("gatehouse_shard_guilds_loaded", "Guilds of the shard whose GUILD_CREATE arrived", s, ShardStatus::guildsLoaded);
        shardGauge("gatehouse_shard_commands_queued", "Commands waiting for READY or Discord's send limit", s, ShardStatus::commandsQueued);
        shardCounter("gatehouse_shard_identifies", "Identifies sent", s, ShardStatus::identifies);
        shardCounter("gatehouse_shard_resumes", "Resumes sent", s, ShardStatus::resumes);
        shardCounter("gatehouse_shard_dispatches", "Dispatches received", s, ShardStatus::dispatches);
        GaugeWithCallback.builder().name("gatehouse_shard_state").help("1 for the state each shard is in")
                .labelNames("shard", "state").callback(cb -> {
                    for (ShardStatus st : s.shards().get().statuses()) {
                        cb.call(1, Integer.toString(st.id()), st.state());
                    }
                }).register(registry);
        CounterWithCallback.builder().name("gatehouse_events_received").help("Dispatches seen by the ring, by type")
                .labelNames("type").callback(cb -> {
                    for (var e : s.tap().byType().entrySet()) {
                        cb.call(e.getValue().sum(), e.getKey());
                    }
                }).register(registry);
        counter("gatehouse_delivery_delivered", "Events the bot acknowledged", () -> s.delivery().delivered());
        counter("gatehouse_delivery_dropped", "Events dropped by delivery.overflow", () -> s.delivery().dropped());
        counter("gatehouse_delivery_refused", "Events the bot refused (400/413/422), set aside", () -> s.delivery().refused());
        counter("gatehouse_delivery_retries", "Delivery attempts retried", () -> s.delivery().retries());
        counter("gatehouse_delivery_replays_skipped", "Replayed dispatches delivery had already delivered", () -> s.delivery().replaysSkipped());
        gauge("gatehouse_delivery_queued", "Events waiting for the bot", () -> s.delivery().queued());
        gauge("gatehouse_delivery_latency_p99_seconds", "99th percentile from receipt to the bot's acknowledgement",
                () -> s.delivery().latency().quantileMicros(0.99) / 1e6);
        gauge("gatehouse_ring_backlog", "Ring slots not yet consumed by every consumer", () -> s.ring().backlog());
        gauge("gatehouse_ring_retained_bytes", "Payload bytes the ring's slots hold (their kept buffers and large frames not yet dropped)",
                () -> s.ring().retainedBytes());
        gauge("gatehouse_state_lag_dispatches", "Ring slots the state writer has not stored yet", () -> s.ring().stateBacklog());
        counter("gatehouse_state_rows_written", "Rows upserted or swept", () -> s.state().rowsWritten());
        counter("gatehouse_state_events_stored", "Dispatches whose change is in the database", () -> s.state().eventsStored());
        counter("gatehouse_state_events_rejected", "Dispatches the state could not store", () -> s.state().eventsRejected());
        counter("gatehouse_state_flushes", "State transactions committed", () -> s.state().flushes());
        counter("gatehouse_state_round_trips", "Round trips to PostgreSQL of the committed state transactions (statements and commits)",
                () -> s.state().roundTrips());
        counter("gatehouse_state_flushes_on_consumer", "State transactions the ring's consumer thread wrote itself (no hand-off)",
                () -> s.state().flushesWrittenHere());
        counter("gatehouse_state_lingers", "Times the state writer waited for company (fewer than state.batchMaxEvents, at most half the ring, were waiting): state.lingerMs, or state.busyLingerMs (counted here too)",
                () -> s.ring().stateLingers());
        counter("gatehouse_state_busy_lingers", "Of gatehouse_state_lingers, the busy ones: up to state.busyLingerMs (8 or more events came during each of the writer's last two transactions)",
                () -> s.ring().stateBusyLingers());
        counter("gatehouse_delivery_posts", "POSTs (or controller deliveries) made to the bot", () -> s.delivery().posts());
        counter("gatehouse_delivery_events_posted", "Events in those POSTs (over gatehouse_delivery_posts: events per POST)",
                () -> s.delivery().eventsPosted());
        counter("gatehouse_delivery_lingers", "Times a lane waited delivery.lingerMs for company before a POST of a batch not full",
                () -> s.delivery().lingers());
        counter("gatehouse_state_replays_skipped", "Replayed dispatches the state had already stored", () -> s.state().replaysSkipped());
        gauge("gatehouse_api_cache_entries", "Entries in the API's read cache", () -> s.cache().size());
        CounterWithCallback.builder().name("gatehouse_api_requests").help("API requests answered, by route and status")
                .labelNames("route", "status").callback(cb -> {
                    for (Map.Entry<ApiStats.Key, java.util.concurrent.atomic.LongAdder> e : s.api().answered().entrySet()) {
                        cb.call(e.getValue().sum(), e.getKey().route(), Integer.toString(e.getKey().status()));
                    }
                }).register(registry);
        if (s.db() instanceof HikariDataSource h) {
            pool("gatehouse_db_pool_active", "Database connections in use", h, HikariPoolMXBean::getActiveConnections);
            pool("gatehouse_db_pool_idle", "Database connections idle", h, HikariPoolMXBean::getIdleConnections);
            pool("gatehouse_db_pool_total", "Database connections open", h, HikariPoolMXBean::getTotalConnections);
            pool("gatehouse_db_pool_waiting", "Threads waiting for a database connection", h, HikariPoolMXBean::getThreadsAwaitingConnection);
        }
    }

    /** The current figures in the Prometheus text format (version 0.0.4). */
    byte[] scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        writer.write(out, registry.scrape());
        return out.toByteArray();
    }

    String contentType() {
        return writer.getContentType();
    }

    private void shardGauge(String name, String help, Sources s, ToDoubleFunction<ShardStatus> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("shard").callback(cb -> {
            for (ShardStatus st : s.shards().get().statuses()) {
                cb.call(value.applyAsDouble(st), Integer.toString(st.id()));
            }
        }).register(registry);
    }

    private void shardCounter(String name, String help, Sources s, ToDoubleFunction<ShardStatus> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames("shard").callback(cb -> {
            for (ShardStatus st : s.shards().get().statuses()) {
                cb.call(value.applyAsDouble(st), Integer.toString(st.id()));
            }
        }).register(registry);
    }

    private void gauge(String name, String help, java.util.function.DoubleSupplier value) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsDouble())).register(registry);
    }

    private void counter(String name, String help, java.util.function.DoubleSupplier value) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsDouble())).register(registry);
    }

    private void pool(String name, String help, HikariDataSource h, ToDoubleFunction<HikariPoolMXBean> value) {
        gauge(name, help, () -> {
            HikariPoolMXBean bean = h.getHikariPoolMXBean();
            return bean == null ? 0 : value.applyAsDouble(bean);
        });
    }
}
