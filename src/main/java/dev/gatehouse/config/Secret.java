package dev.gatehouse.config;

/**
 * A configuration value that must never be printed: tokens, shared secrets, passwords.
 * {@link #toString()} hides it, so a secret that slips into a log line or an error shows nothing.
 */
public record Secret(String value) {

    /** The empty secret, for keys that are not set. */
    public static final Secret NONE = new Secret("");

    /** The real value, for the one place that sends it (a header, a login). */
    public String reveal() {
        return value;
    }

    /** True when a value was configured. */
    public boolean isSet() {
        return !value.isEmpty();
    }

    @Override
    public String toString() {
        return isSet() ? "[secret]" : "[unset]";
    }
}
