/**
 * Configuration: the key table with defaults, loading from {@code config.properties}, environment
 * variables ({@code GATEHOUSE_*}) and {@code --key=value} arguments, and validation. Calls nothing of ours.
 */
package dev.gatehouse.config;
