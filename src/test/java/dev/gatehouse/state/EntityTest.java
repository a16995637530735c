package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The byte-range reader: escaped strings read as the parser reads them, and {@code data} the object minus its children. */
class EntityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Entity.Shape SHAPE = Entity.Shape.of("roles", Entity.Shape.FLAT);

    private static Entity read(String d) throws Exception {
        byte[] frame = ("{\"op\":0,\"s\":1,\"t\":\"GUILD_CREATE\",\"d\":" + d + "}").getBytes(StandardCharsets.UTF_8);
        return Entity.readData(frame, frame.length, SHAPE);
    }

    @Test
    void escapesAndSurrogatePairsReadAsTheParserReadsThem() throws Exception {
        String d = "{ \"id\" : \"41771983423143936\" ,\n\t\"name\":\"a \\\"quoted\\\" \\\\ name\","
                + " \"u\":\"caf\\u00e9 \\ud83d\\ude00\", \"raw\":\"😀 é\", \"n\": 12 , \"none\" : null }";
        Entity e = read(d);
        JsonNode truth = JSON.readTree(d);
        assertEquals("41771983423143936", e.id("id"));
        assertEquals(truth.get("name").asText(), e.text("name"));
        assertEquals("a \"quoted\" \\ name", e.text("name"));
        assertEquals("café 😀", e.text("u"));
        assertEquals("😀 é", e.text("raw"));
        assertEquals("12", e.text("n"));
        assertNull(e.text("none"));
        assertEquals(truth, JSON.readTree(e.json()), "the slice is the object");
    }

    /** The child stored apart first, last, only or as an empty array: the rest is valid JSON, the object minus it. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{\"roles\":[{\"id\":\"1\",\"name\":\"a\\\"b\"},{\"id\":\"2\"}], \"id\":\"9\", \"name\":\"g\\u00fc\"}",
        "{\"id\":\"9\", \"name\":\"x\" ,\n \"roles\" : [ {\"id\":\"1\"} ] }",
        "{ \"roles\":[{\"id\":\"1\"}] }",
        "{\"id\":\"9\",\"roles\":[],\"icon\":null}",
        "{\"id\":\"9\",\"features\":[\"A\",\"B\"],\"roles\":[{\"id\":\"1\",\"tags\":{\"bot_id\":\"3\"}}],\"x\":{\"y\":[1,2]}}",
    })
    void dataIsTheObjectMinusTheChildInAnyPosition(String d) throws Exception {
        Entity e = read(d);
        ObjectNode expected = (ObjectNode) JSON.readTree(d);
        JsonNode roles = expected.remove("roles");
        JsonNode data = JSON.readTree(e.json());
        assertEquals(expected, data, e.json());
        List<Entity> children = e.array("roles");
        assertEquals(roles.size(), children.size());
        for (int i = 0; i < children.size(); i++) {
            assertEquals(roles.get(i), JSON.readTree(children.get(i).json()));
            assertEquals(roles.get(i).get("id").asText(), children.get(i).id("id"));
        }
        assertTrue(e.has("id") || !expected.has("id"));
    }

    /** Objects with more fields than the reader's first room (16) and its first growth (32): every field still found, the data whole. */
    @ParameterizedTest
    @ValueSource(ints = {15, 16, 17, 33, 70})
    void objectsOfManyFieldsGrowTheirRoom(int fields) throws Exception {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < fields; i++) {
            b.append(i == 0 ? "" : ",").append("\"f").append(i).append("\":\"").append(1000 + i).append('"');
            if (i == fields / 2) {
                b.append(",\"roles\":[{\"id\":\"7\"}]");
            }
        }
        String d = b.append('}').toString();
        Entity e = read(d);
        for (int i = 0; i < fields; i++) {
            assertEquals(Integer.toString(1000 + i), e.id("f" + i), "field f" + i + " of " + fields);
        }
        ObjectNode expected = (ObjectNode) JSON.readTree(d);
        expected.remove("roles");
        assertEquals(expected, JSON.readTree(e.json()));
        assertEquals("7", e.array("roles").get(0).id("id"));
    }
}
