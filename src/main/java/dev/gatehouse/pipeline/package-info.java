/**
 * The pipeline between the clusters and the consumers: the preallocated ring slot ({@link Dispatch}) and
 * the LMAX Disruptor wiring ({@link EventRing}) that feeds the state writer and the delivery forwarder.
 * May call {@code discord}.
 */
package dev.gatehouse.pipeline;
