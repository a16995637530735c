package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the simulator tests send through a {@link GatewayProbe} and how they read the answers. */
final class ProbeFrames {
    private ProbeFrames() {
    }

    /** An identify payload for one shard with the given intents (a decimal string, so tests can send bad ones). */
    static String identify(String token, int shard, int shards, String intents) {
        return "{\"op\":2,\"d\":{\"token\":\"" + token + "\",\"intents\":" + intents + ",\"properties\":{\"os\":\"linux\","
                + "\"browser\":\"probe\",\"device\":\"probe\"},\"shard\":[" + shard + "," + shards + "]}}";
    }

    /** The first whole number of the field in a frame, or -1. */
    static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** The first string value of the field in a frame, or null. */
    static String text(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    /** Opens a connection and checks that Hello came first. */
    static GatewayProbe connect(Simulator sim) throws Exception {
        GatewayProbe p = GatewayProbe.open(sim, "v=10&encoding=json");
        assertEquals(10, number(p.next(), "op"), "Hello comes first");
        return p;
    }
}
