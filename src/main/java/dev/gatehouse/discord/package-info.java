/**
 * Discord's protocol vocabulary: opcodes, close codes, intents, snowflakes, the streaming reader of a
 * gateway frame's routing keys, the writers of the frames a client sends, and the REST call to
 * {@code /gateway/bot}. May call {@code config}.
 */
package dev.gatehouse.discord;
