import Core
import Foundation
import Testing

/// The summary pass: what validation takes from events, and how a session's batches add up.
@Suite("Session activity")
struct SessionActivityTests {
    static let t0 = 1_764_000_000_000.0

    static func body(_ events: [String]) -> [UInt8] {
        Array(#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[\#(events.joined(separator: ","))]}"#.utf8)
    }

    static func click(_ t: Double, x: Int = 100, y: Int = 100) -> String {
        #"{"type":3,"data":{"source":2,"type":2,"id":7,"x":\#(x),"y":\#(y)},"timestamp":\#(Int(t0 + t))}"#
    }
    static func mutation(_ t: Double) -> String {
        #"{"type":3,"data":{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[{"parentId":1,"nextId":null,"node":{"type":3,"textContent":"x","id":9}}]},"timestamp":\#(Int(t0 + t))}"#
    }
    static func move(_ t: Double) -> String {
        #"{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":0}]},"timestamp":\#(Int(t0 + t))}"#
    }
    static func input(_ t: Double) -> String {
        #"{"type":3,"data":{"source":5,"text":"a","isChecked":false,"id":4},"timestamp":\#(Int(t0 + t))}"#
    }

    static func activity(_ events: [String]) throws -> (BatchActivity, Double) {
        let batch = try BatchValidator.validate(body(events), now: Date(timeIntervalSince1970: t0 / 1000), observeActivity: true)
        return (try #require(batch.activity), batch.lastTimestamp)
    }

    @Test("validation takes clicks, inputs, scrolls, pages, viewport, console levels and snapshot order from the events")
    func extraction() throws {
        let events = [
            #"{"type":4,"data":{"href":"https://shop.example.com/","width":1280,"height":800},"timestamp":\#(Int(Self.t0))}"#,
            #"{"type":2,"data":{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}},"timestamp":\#(Int(Self.t0 + 1))}"#,
            Self.click(10, x: 5, y: 6), Self.input(20), Self.mutation(30), Self.move(40),
            #"{"type":3,"data":{"source":3,"id":1,"x":0,"y":300},"timestamp":\#(Int(Self.t0 + 50))}"#,
            #"{"type":3,"data":{"source":4,"width":390,"height":844},"timestamp":\#(Int(Self.t0 + 60))}"#,
            #"{"type":6,"data":{"plugin":"rrweb/console@1","payload":{"level":"error","trace":[],"payload":["\"boom\""]}},"timestamp":\#(Int(Self.t0 + 70))}"#,
            #"{"type":6,"data":{"payload":{"trace":[],"level":"warn","payload":[]},"plugin":"rrweb/console@1"},"timestamp":\#(Int(Self.t0 + 71))}"#,
            #"{"type":6,"data":{"plugin":"rrweb/network@1","payload":{"level":"error"}},"timestamp":\#(Int(Self.t0 + 72))}"#,
            #"{"type":3,"data":{"source":42},"timestamp":\#(Int(Self.t0 + 80))}"#,
            #"{"type":4,"data":{"href":"https://shop.example.com/cart","width":1280,"height":800},"timestamp":\#(Int(Self.t0 + 90))}"#,
        ]
        let (activity, _) = try Self.activity(events)
        #expect(activity.clicks == [BatchActivity.Click(at: Self.t0 + 10, x: 5, y: 6)])
        #expect(activity.inputs == 1 && activity.scrolls == 1)
        #expect(activity.mutations == [Self.t0 + 30])
        #expect(activity.activity == [Self.t0 + 10, Self.t0 + 20, Self.t0 + 40, Self.t0 + 50])
        #expect(activity.pages == ["https://shop.example.com/", "https://shop.example.com/cart"])
        #expect(activity.viewport?.width == 1280 && activity.viewport?.height == 800)
        #expect(activity.consoleErrors == 1 && activity.consoleWarnings == 1, "the network plugin's level is not a console message")
        #expect(activity.firstFullSnapshot == Self.t0 + 1 && activity.firstIncremental == Self.t0 + 10)
        #expect(activity.unknownSources == 1)
        // Without asking, nothing is taken.
        #expect(try BatchValidator.validate(Self.body(events), now: Date(timeIntervalSince1970: Self.t0 / 1000)).activity == nil)
    }

    @Test("rage bursts count once; clicks far apart or slow are not rage")
    func rageClicks() throws {
        var session = SessionActivity()
        let (burst, last) = try Self.activity([Self.click(0), Self.click(200, x: 110), Self.click(400, x: 95), Self.click(600),
                                               Self.click(3000), Self.click(3100, x: 400), Self.click(3200, x: 800),
                                               Self.click(6000), Self.click(7500), Self.click(9000)])
        session.add(burst, lastTimestamp: last)
        let summary = session.takeSummary()
        #expect(summary.clicks == 10)
        #expect(summary.rageClicks == 1)
    }

    @Test("a click is dead without a mutation within a second, across batch boundaries too")
    func deadClicks() throws {
        var session = SessionActivity()
        let (first, firstLast) = try Self.activity([Self.click(0), Self.mutation(300), Self.click(1000), Self.move(1900)])
        session.add(first, lastTimestamp: firstLast)
        // The click at 1000 waits into the next batch: the mutation at 2500 is too late for it.
        let (second, secondLast) = try Self.activity([Self.mutation(2500), Self.click(4000), Self.mutation(4900), Self.move(9000)])
        session.add(second, lastTimestamp: secondLast)
        let summary = session.takeSummary()
        #expect(summary.clicks == 3)
        #expect(summary.deadClicks == 1)
    }

    @Test("a mutation in the click's own millisecond answers it")
    func sameMillisecondMutation() throws {
        var session = SessionActivity()
        let (batch, last) = try Self.activity([Self.click(100), Self.mutation(100), Self.click(3000), Self.mutation(3000), Self.move(6000)])
        session.add(batch, lastTimestamp: last)
        #expect(session.takeSummary().deadClicks == 0)
    }

    @Test("active time sums input gaps up to 5 s and carries the last input across batches; parts merge")
    func activeTime() throws {
        var session = SessionActivity()
        let (first, firstLast) = try Self.activity([Self.move(0), Self.move(1000), Self.input(2000), Self.move(60_000)])
        session.add(first, lastTimestamp: firstLast)
        let part1 = session.takeSummary()
        #expect(part1.activeMillis == 2000)
        let (second, secondLast) = try Self.activity([Self.move(63_000), Self.move(64_000)])
        session.add(second, lastTimestamp: secondLast)
        let part2 = session.takeSummary()
        #expect(part2.activeMillis == 4000, "3 s from the previous batch's last input, then 1 s")
        var total = part1
        total.merge(part2)
        #expect(total.activeMillis == 6000 && total.keypresses == 1)
    }
}
