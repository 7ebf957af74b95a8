import Core
import Foundation
import TestSupport
import Testing

@Suite struct RawJSONTests {
    private func value(_ key: String, _ json: String) -> String? {
        let bytes = Array(json.utf8)
        return RawJSON.value(ofKey: key, in: bytes).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func findsEachKindOfValue() {
        let json = #"{"key":"pk_1","seq": 12 ,"ok":true,"none":null,"f":-1.5e3,"events":[{"type":2,"data":{}}],"page":{"url":"x"}}"#
        #expect(value("key", json) == #""pk_1""#)
        #expect(value("seq", json) == "12")
        #expect(value("ok", json) == "true")
        #expect(value("none", json) == "null")
        #expect(value("f", json) == "-1.5e3")
        #expect(value("events", json) == #"[{"type":2,"data":{}}]"#)
        #expect(value("page", json) == #"{"url":"x"}"#)
        #expect(value("missing", json) == nil)
    }

    @Test func skipsStringsWithEscapesAndBrackets() {
        let json = #"{"a":"he said \"}]\" and \\","events":[{"t":"[\"{\\"},"]",{"n":[[],[{}]]}],"z":1}"#
        #expect(value("a", json) == #""he said \"}]\" and \\""#)
        #expect(value("events", json) == #"[{"t":"[\"{\\"},"]",{"n":[[],[{}]]}]"#)
        #expect(value("z", json) == "1")
    }

    @Test func onlyTopLevelKeysMatch() {
        let json = #"{"page":{"events":[1]},"data":"\"events\":[2]","events":[3]}"#
        #expect(value("events", json) == "[3]")
        #expect(value("events", #"{"page":{"events":[1]}}"#) == nil)
    }

    @Test func whitespaceAndUnicode() {
        let json = "\n { \"ü\" : \"ä\" ,\r\n\t\"events\"\t:\n [ \"😀\" , 1 ] \n}\n"
        #expect(value("events", json) == #"[ "😀" , 1 ]"#)
        #expect(value("ü", json) == #""ä""#)
    }

    @Test func escapedKeysAreUnescaped() {
        #expect(value("events", #"{"ev\u0065nts":[1]}"#) == "[1]")
        #expect(value("a\"b", #"{"a\"b":2}"#) == "2")
        #expect(value("😀", #"{"\ud83d\ude00":3}"#) == "3")
    }

    @Test func firstDuplicateWinsLikeJSONDecoder() throws {
        let json = #"{"seq":1,"seq":2}"#
        #expect(value("seq", json) == "1")
        struct Seq: Decodable { let seq: Int }
        #expect(try JSONDecoder().decode(Seq.self, from: Data(json.utf8)).seq == 1)
    }

    @Test func malformedInputGivesNil() {
        #expect(value("a", "") == nil)
        #expect(value("a", "[1,2]") == nil)
        #expect(value("a", "{}") == nil)
        #expect(value("a", #"{"a":[1,2"#) == nil)
        #expect(value("a", #"{"a":"unterminated}"#) == nil)
        #expect(value("a", #"{"a" 1}"#) == nil)
        #expect(value("b", #"{"a":1 "b":2}"#) == nil)
        #expect(value("a", #"{"a":}"#) == nil)
    }

    @Test func deepNestingDoesNotRecurse() {
        let depth = 200_000
        let json = #"{"events":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        #expect(RawJSON.valueRange(ofKey: "events", in: Array(json.utf8))?.count == 2 * depth)
    }

    @Test func agreesWithJSONSerializationOnFixtures() throws {
        let directory = TestStack.fixturesDirectory
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }
        #expect(!files.isEmpty)
        for file in files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            let events = try JSONSerialization.jsonObject(with: data)
            let body = Array(#"{"key":"pk_abcdefgh","session":"s","seq":0,"events":"#.utf8) + Array(data) + Array("}".utf8)
            let range = try #require(RawJSON.valueRange(ofKey: "events", in: body))
            let extracted = try JSONSerialization.jsonObject(with: Data(body[range]))
            #expect((extracted as? NSArray) == (events as? NSArray), "\(file)")
        }
    }
}
