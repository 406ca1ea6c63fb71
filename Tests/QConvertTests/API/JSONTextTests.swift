import QConvert
import Testing

/// `JSONText.duplicateKey(in:)`: the same key twice in one object is found; the same key in
/// different objects, in arrays, or as a string value is not.
@Suite struct JSONTextTests {
    @Test(arguments: [
        (#"{"a": 1, "a": 2}"#, "a"),
        (#"{"a": {"b": 1}, "c": [{"d": 1, "d": 2}]}"#, "d"),
        (#"{"a": {"b": 1, "c": 2}, "a": 3}"#, "a"),
        (#"{"k\"q": 1, "x": "k\"q", "k\"q": 2}"#, #"k\"q"#),
    ])
    func duplicateIsFound(text: String, key: String) {
        #expect(JSONText.duplicateKey(in: Array(text.utf8)) == key)
    }

    @Test(arguments: [
        #"{"a": {"a": {"a": 1}}, "b": "a"}"#,
        #"[{"a": 1}, {"a": 2}]"#,
        #"{"a": ["a", "a"], "b": {"c": 1}, "c": 2}"#,
        #"{"a": "{\"a\": 1, \"a\": 2}"}"#,
        "",
    ])
    func noDuplicateIsFound(text: String) {
        #expect(JSONText.duplicateKey(in: Array(text.utf8)) == nil)
    }
}
