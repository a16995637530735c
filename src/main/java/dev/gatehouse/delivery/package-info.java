/**
 * Delivery to the bot: the ring consumer that wraps each dispatch for the bot, the bounded buffer that holds
 * events while the bot is slow or down (with its overflow policy), and the lanes that POST them over
 * keep-alive HTTP in per-shard order (an http bot over {@code BotConnection}s on the lane's own thread, an https one
 * through the JDK's HttpClient) (a batch not full waiting {@code delivery.lingerMs} for company when the bot takes arrays) and retry until the bot takes them, and the hold on the spill directory (one
 * process's, one bot's on one database). May call {@code pipeline}.
 */
package dev.gatehouse.delivery;
