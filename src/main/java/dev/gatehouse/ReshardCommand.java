package dev.gatehouse;

import dev.gatehouse.config.Config;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigLoader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code gatehouse reshard [--shards=N] [--key=value ...]}: asks a running Gatehouse for a zero-downtime reshard
 * through its HTTP API ({@code POST /reshard} at {@code api.bind}:{@code api.port}, loopback for a wildcard bind, with {@code api.secret}), read from the
 * same configuration (file, environment, arguments) the process runs with. Prints the answer: where the reshard
 * stands, or why it was refused. Exit 0 when it started (202), 1 when refused or unreachable, 2 for bad arguments.
 */
final class ReshardCommand {
    private ReshardCommand() {
    }

    static int run(List<String> args, Map<String, String> env, PrintStream out) throws Exception {
        String shards = null;
        List<String> rest = new ArrayList<>();
        for (String a : args) {
            if (a.startsWith("--shards=")) {
                shards = a.substring("--shards=".length()).strip();
            } else {
                rest.add(a);
            }
        }
        if (shards == null) {
            shards = "";
        } else if (!shards.matches("[1-9][0-9]{0,8}")) {
            throw new ConfigException("shards", "expected a whole number of shards above 0, got '" + shards + "'");
        }
        Config config = ConfigLoader.load(rest, env);
        if (config.apiPort() == 0) {
            throw new ConfigException("api.port", "is 0 (the HTTP API is off): gatehouse reshard talks to the running process"
                    + " through it");
        }
        URI uri = URI.create("http://" + host(config.apiBind()) + ":" + config.apiPort() + "/reshard");
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(shards.isEmpty() ? "{}" : "{\"shards\":" + shards + "}"));
        if (config.apiSecret().isSet()) {
            request.header("Authorization", config.apiSecret().reveal());
        }
        HttpResponse<String> answer;
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            out.println("gatehouse: no Gatehouse answers at " + uri + " (" + e.getMessage() + ")");
            return 1;
        }
        out.println("gatehouse: POST " + uri + ": HTTP " + answer.statusCode() + " " + answer.body());
        return answer.statusCode() == 202 ? 0 : 1;
    }

    /** Where to reach an API bound to {@code bind}: loopback for a wildcard bind, an IPv6 literal in brackets. */
    static String host(String bind) {
        String b = bind.strip();
        if (b.startsWith("[") && b.endsWith("]")) {
            b = b.substring(1, b.length() - 1);
        }
        if (b.equals("0.0.0.0")) {
            return "127.0.0.1";
        }
        if (b.contains(":")) {
            return b.matches("[0:]+") ? "[::1]" : "[" + b + "]";
        }
        return b;
    }
}
