package dev.gatehouse.config;

/** A configuration problem: names the key, what was expected and, unless secret, what was given. */
public final class ConfigException extends RuntimeException {
    private final String key;

    public ConfigException(String key, String problem) {
        super("config: " + key + ": " + problem);
        this.key = key;
    }

    /** The key that was wrong. */
    public String key() {
        return key;
    }
}
