/**
 * The Discord gateway simulator: a seeded synthetic world, its traffic, and a loopback server speaking
 * Discord's gateway (WebSocket, zlib-stream or zstd-stream) and the REST calls clients make first. It records every
 * dispatch it sent per session so tests can prove nothing was lost. It can replay a recorded capture instead of the
 * synthetic world, and injects faults (protocol and transport) from its Java API or its HTTP fault API.
 * Also the sample bot endpoint of the demo.
 * Calls nothing of ours but {@code discord}, so it can stand alone.
 */
package dev.gatehouse.sim;
