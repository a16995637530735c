package dev.gatehouse.pipeline;

import dev.gatehouse.spi.Controller;
import dev.gatehouse.spi.DeliveryTarget;
import dev.gatehouse.spi.DispatchAction;
import dev.gatehouse.spi.DispatchEvent;
import dev.gatehouse.spi.Identify;
import dev.gatehouse.spi.ShardState;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The controllers ({@link Controller}) loaded from the jars of {@code controllers.dir}, and the one place
 * their hooks are called: each call is guarded, an exception is counted and logged at most once per 10 s per
 * hook, and the default is used instead. Status changes reach controllers on a thread of their own, so a
 * slow controller never holds a shard.
 */
public final class Controllers implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Controllers.class.getName());
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;

    /** A controller jar or class that cannot be loaded: its name and why. */
    public static final class LoadException extends Exception {
        public LoadException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final List<Controller> controllers;
    private final LongAdder failures = new LongAdder();
    private final AtomicLong lastLogged = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
    private final ExecutorService observers;

    private Controllers(List<Controller> controllers) {
        this.controllers = List.copyOf(controllers);
        this.observers = controllers.isEmpty() ? null : Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("gatehouse-controllers").daemon(true).factory());
    }

    /** No controllers. */
    public static Controllers none() {
        return new Controllers(List.of());
    }

    /** The given controllers, in this order (tests, embedding). */
    public static Controllers of(List<Controller> list) {
        return new Controllers(list);
    }

    /**
     * Loads every {@link Controller} the jars in {@code dir} declare (META-INF/services). A jar that cannot be
     * read, a class that cannot be instantiated: {@link LoadException} naming it.
     */
    public static Controllers load(Path dir) throws LoadException {
        if (!Files.isDirectory(dir)) {
            throw new LoadException("controllers.dir " + dir + " is not a directory", null);
        }
        URL[] jars;
        try (var files = Files.list(dir)) {
            List<Path> list = files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
            jars = new URL[list.size()];
            for (int i = 0; i < jars.length; i++) {
                jars[i] = list.get(i).toUri().toURL();
            }
        } catch (MalformedURLException e) {
            throw new LoadException("controllers.dir " + dir + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new LoadException("controllers.dir " + dir + " cannot be read: " + e.getMessage(), e);
        }
        ClassLoader loader = new URLClassLoader("gatehouse-controllers", jars, Controllers.class.getClassLoader());
        List<Controller> found = new ArrayList<>();
        var providers = ServiceLoader.load(Controller.class, loader).stream().iterator();
        while (true) {
            ServiceLoader.Provider<Controller> p;
            try {
                if (!providers.hasNext()) {
                    break;
                }
                p = providers.next();
            } catch (ServiceConfigurationError e) {
                throw new LoadException("a controller in " + dir + " failed to load: " + e.getMessage(), e);
            }
            if (p.type().getClassLoader() != loader) {
                continue; // on Gatehouse's own class path, not one of the directory's jars
            }
            try {
                found.add(p.get());
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                throw new LoadException("controller " + p.type().getName() + " failed to load: " + rootMessage(e), e);
            }
        }
        LOG.log(System.Logger.Level.INFO, "controllers: " + (found.isEmpty() ? "none" : String.join(", ",
                found.stream().map(Controllers::nameOf).toList())) + " loaded from " + Arrays.toString(jars));
        return new Controllers(found);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.toString();
    }

    private static String nameOf(Controller c) {
        try {
            return c.name();
        } catch (RuntimeException e) {
            return c.getClass().getName();
        }
    }

    /** True when no controller is loaded: the hooks cost nothing then. */
    public boolean isEmpty() {
        return controllers.isEmpty();
    }

    /** Hook calls that threw. */
    public long failures() {
        return failures.sum();
    }

    /** What the controllers want done with a dispatch; {@link DispatchAction#deliver()} when none is loaded. */
    public DispatchAction onDispatch(Dispatch d) {
        if (controllers.isEmpty()) {
            return DispatchAction.deliver();
        }
        byte[] frame = Arrays.copyOf(d.payload(), d.length());
        DispatchAction result = DispatchAction.deliver();
        for (Controller c : controllers) {
            DispatchEvent event = new DispatchEvent(d.shardId(), d.session() == null ? "" : d.session().id(), d.seq(), d.type(),
                    d.guildId(), d.kind().wire(), result.frame() != null ? result.frame().clone() : frame.clone());
            DispatchAction a = guarded(c, "onDispatch", () -> c.onDispatch(event), DispatchAction.deliver());
            if (a == null) {
                continue;
            }
            if (a.verdict() == DispatchAction.Verdict.DROP) {
                return a;
            }
            result = new DispatchAction(DispatchAction.Verdict.DELIVER, a.frame() != null ? a.frame() : result.frame(),
                    a.destination().isEmpty() ? result.destination() : a.destination());
        }
        return result;
    }

    /** The identify after every controller's change; the default on a controller's failure or invalid answer. */
    public Identify onIdentify(Identify identify) {
        Identify current = identify;
        for (Controller c : controllers) {
            Identify in = current;
            Identify out = guarded(c, "onIdentify", () -> c.onIdentify(in), in);
            current = out == null ? in : out;
        }
        return current;
    }

    /** Tells every controller about a shard's state change, on the controllers' thread. */
    public void onShardStatus(ShardState state) {
        if (controllers.isEmpty()) {
            return;
        }
        observers.execute(() -> {
            for (Controller c : controllers) {
                guarded(c, "onShardStatus", () -> {
                    c.onShardStatus(state);
                    return null;
                }, null);
            }
        });
    }

    /** The first controller's delivery target, if one replaces HTTP. */
    public Optional<DeliveryTarget> deliveryTarget() {
        for (Controller c : controllers) {
            Optional<DeliveryTarget> t = guarded(c, "deliveryTarget", c::deliveryTarget, Optional.empty());
            if (t != null && t.isPresent()) {
                LOG.log(System.Logger.Level.INFO, "controllers: delivery goes to " + nameOf(c) + "'s target instead of HTTP");
                return t;
            }
        }
        return Optional.empty();
    }

    /** Counts and reports (rate-limited) a failure of a controller's own delivery target. */
    public void targetFailed(Throwable e) {
        failed("the delivery target", "deliver", e);
    }

    private <T> T guarded(Controller c, String hook, Supplier<T> call, T fallback) {
        try {
            return call.get();
        } catch (RuntimeException | LinkageError e) {
            failed(nameOf(c), hook, e);
            return fallback;
        }
    }

    private void failed(String who, String hook, Throwable e) {
        failures.increment();
        long now = System.nanoTime();
        long last = lastLogged.get();
        if (now - last >= LOG_EVERY_NANOS && lastLogged.compareAndSet(last, now)) {
            LOG.log(System.Logger.Level.WARNING, "controllers: " + who + "." + hook + " failed (" + e + "); the default applies;"
                    + " " + failures.sum() + " controller failures so far (logged at most every 10 s)");
        }
    }

    @Override
    public void close() {
        if (observers != null) {
            observers.shutdown();
        }
    }
}
