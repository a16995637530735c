/**
 * Controllers: the small, stable public interfaces a user implements in a jar of their own to change what
 * Gatehouse does without forking it. A jar in {@code controllers.dir} lists its {@link dev.gatehouse.spi.Controller}
 * implementations in {@code META-INF/services/dev.gatehouse.spi.Controller}; Gatehouse loads them with
 * {@link java.util.ServiceLoader} at start (a controller that fails to load stops the start, naming it).
 *
 * <p>A controller can filter, transform or route each dispatch before delivery ({@link dev.gatehouse.spi.Controller#onDispatch}),
 * change the identify payload ({@link dev.gatehouse.spi.Controller#onIdentify}), observe shard status changes
 * ({@link dev.gatehouse.spi.Controller#onShardStatus}) and replace the delivery target
 * ({@link dev.gatehouse.spi.Controller#deliveryTarget}, e.g. publish to a broker instead of HTTP).
 * An exception thrown by a hook is counted and logged (at most once per 10 s per hook) and the default is
 * used; it never stops a shard. Only this package and {@code java.*} types appear here: nothing internal.
 * May call nothing of Gatehouse.
 */
package dev.gatehouse.spi;
