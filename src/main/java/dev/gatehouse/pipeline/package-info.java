/**
 * The pipeline between the clusters and the consumers: the preallocated ring slot ({@link Dispatch}) and
 * the LMAX Disruptor wiring ({@link EventRing}) that feeds the state writer and the delivery forwarder (the consumers
 * after the writer woken by its commits: {@link StateProgress}), and the
 * lock a consumer's durable queue takes on its directory ({@link DirectoryLock}).
 * May call {@code discord}.
 */
package dev.gatehouse.pipeline;
