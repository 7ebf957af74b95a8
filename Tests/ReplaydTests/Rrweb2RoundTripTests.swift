import Foundation
import Testing
import TestSupport

/// rrweb 2 event shapes through a real `replayd all`: a type beyond rrweb 1's 0–6 (Asset, 7),
/// incremental sources rrweb 1 lacks (Selection 14, AdoptedStyleSheet 15, CustomElement 16) and the
/// console and network plugin events are accepted, counted, stored and played back byte for byte.
@Suite(.serialized)
struct Rrweb2RoundTripTests {
    static func events(now: Int) -> [String] {
        [
            #"{"type":4,"data":{"href":"https://shop.example.com/","width":1280,"height":800},"timestamp":\#(now)}"#,
            #"{"type":2,"data":{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}},"timestamp":\#(now + 1)}"#,
            #"{"type":3,"data":{"source":14,"ranges":[{"start":5,"startOffset":0,"end":5,"endOffset":3}]},"timestamp":\#(now + 2)}"#,
            #"{"type":3,"data":{"source":15,"id":1,"styleIds":[1],"styles":[{"styleId":1,"rules":[{"rule":"p { color: red; }"}]}]},"timestamp":\#(now + 3)}"#,
            #"{"type":3,"data":{"source":16,"define":{"name":"my-widget"}},"timestamp":\#(now + 4)}"#,
            #"{"type":7,"data":{"url":"https://shop.example.com/logo.png","payload":{"rr_type":"Blob","type":"image/png","data":[{"rr_type":"ArrayBuffer","base64":"iVBORw0KGgo="}]}},"timestamp":\#(now + 5)}"#,
            #"{"type":6,"data":{"plugin":"rrweb/console@1","payload":{"level":"error","trace":["at pay (https://shop.example.com/app.js:1:2)"],"payload":["\"card declined\""]}},"timestamp":\#(now + 6)}"#,
            #"{"type":6,"data":{"plugin":"rrweb/network@1","payload":{"requests":[{"url":"https://shop.example.com/api/pay","method":"POST","status":402,"startTime":1,"endTime":2}]}},"timestamp":\#(now + 7)}"#,
            #"{"type":3,"data":{"source":99,"future":true},"timestamp":\#(now + 8)}"#,
        ]
    }

    @Test func rrweb2ShapesRoundTripByteIdentical() async throws {
        let run = try ReplaydAllRun.start("rrweb2")
        defer { run.stop() }
        let (campaign, key, token, port, replayd) = (run.campaign, run.key, run.token, run.port, run.replayd)

        let events = Self.events(now: Int(Date().timeIntervalSince1970 * 1000))
        let body = #"{"key":"\#(key)","session":"rrweb2-1","seq":0,"events":[\#(events.joined(separator: ","))]}"#
        #expect(try HTTP.postBatch("http://127.0.0.1:\(port)/v1/batch", body: Data(body.utf8)) == 202)
        let metrics = try shell("curl -s http://127.0.0.1:\(replayd.adminPort)/metrics").output
        #expect(metrics.contains("replayd_collector_newer_type_events_total 1"), "\(metrics.split(separator: "\n").filter { $0.contains("newer") })")

        let url = "http://127.0.0.1:\(port)/v1/sessions/rrweb2-1/events?campaign=\(campaign)"
        var text = ""
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            text = try shell("curl -s -H 'Authorization: Bearer \(token)' '\(url)'").output
            if text.contains("my-widget") { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        for event in events {
            #expect(text.contains(event), "not played back byte for byte: \(event)\nplayed: \(text.prefix(3000))")
        }
        #expect(text == "[" + events.joined(separator: ",") + "]", "\(text.prefix(3000))")
    }
}
