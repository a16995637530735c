package dev.gatehouse.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Resolves every key from, in rising precedence: the defaults of {@link Key#ALL}, the properties file
 * ({@code --config=PATH}, default {@code config.properties} when it exists), environment variables
 * ({@code GATEHOUSE_*}) and {@code --key=value} arguments. Unknown keys are errors, never ignored.
 */
public final class ConfigLoader {

    /** The argument naming the properties file. */
    public static final String CONFIG_ARGUMENT = "config";

    private ConfigLoader() {
    }

    /** Loads and validates; throws {@link ConfigException} naming the first wrong key. */
    public static Config load(List<String> args, Map<String, String> env) {
        Map<String, String> fromArgs = parseArguments(args);
        String file = fromArgs.remove(CONFIG_ARGUMENT);
        Map<String, String> values = new LinkedHashMap<>();
        for (Key k : Key.ALL) {
            values.put(k.name(), k.defaultValue());
        }
        Path path = Path.of(file == null ? "config.properties" : file);
        if (file != null || Files.exists(path)) {
            for (Map.Entry<String, String> e : readFile(path).entrySet()) {
                values.put(known(e.getKey(), "in " + path), e.getValue());
            }
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (!e.getKey().startsWith("GATEHOUSE_")) {
                continue;
            }
            Key key = null;
            for (Key k : Key.ALL) {
                if (k.envName().equals(e.getKey())) {
                    key = k;
                }
            }
            if (key == null) {
                throw new ConfigException(e.getKey(), "unknown environment variable (see config.properties for the keys)");
            }
            values.put(key.name(), e.getValue());
        }
        for (Map.Entry<String, String> e : fromArgs.entrySet()) {
            values.put(known(e.getKey(), "argument --" + e.getKey()), e.getValue());
        }
        return Config.from(values);
    }

    private static String known(String name, String where) {
        if (Key.named(name) == null) {
            String hint = "reshard.checkIntervalMs".equals(name)
                    ? " (replaced by reshard.checkIntervalMinutes: did you mean reshard.checkIntervalMinutes?)" : "";
            throw new ConfigException(name, "unknown key (" + where + ")" + hint + "; see config.properties for the keys");
        }
        return name;
    }

    /** {@code --key=value} pairs; a bare {@code --key} means {@code true}. */
    static Map<String, String> parseArguments(List<String> args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--") || a.length() < 3) {
                // named by position, never by its text: a stray argument may be a token (--discord.token MTIz...)
                int eq = a.indexOf('=');
                String key = eq > 0 && Key.named(a.substring(0, eq)) != null ? a.substring(0, eq) : null;
                throw new ConfigException("argument " + (i + 1), "is not --key=value (its text is not shown: it may be"
                        + " a secret, e.g. a value separated from its --key by a space instead of '=')"
                        + (key == null ? "" : "; it starts with the key " + key + ": write --" + key + "=..."));
            }
            int eq = a.indexOf('=');
            String name = eq < 0 ? a.substring(2) : a.substring(2, eq);
            out.put(name, eq < 0 ? "true" : a.substring(eq + 1));
        }
        return out;
    }

    /**
     * How an argument is named in an error: what precedes its {@code =}, never its value, since a mistyped
     * {@code discord.token=...} (without the dashes) would otherwise print the token.
     */
    public static String argumentName(String argument) {
        int eq = argument.indexOf('=');
        return eq < 0 ? argument : argument.substring(0, eq) + "=(value hidden)";
    }

    private static Map<String, String> readFile(Path path) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            throw new ConfigException(CONFIG_ARGUMENT, "file not found: " + path);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(CONFIG_ARGUMENT, "cannot read " + path + ": " + e.getMessage());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : p.stringPropertyNames()) {
            out.put(name, p.getProperty(name));
        }
        return out;
    }
}
