import Foundation
import Testing
@testable import Tracker

@Suite struct UTCDayTests {
    @Test func knownDates() {
        #expect(UTCDay(iso: "1970-01-01")?.number == 0)
        #expect(UTCDay(iso: "2000-03-01")?.number == 11_017)
        #expect(UTCDay(iso: "2024-02-29")?.compact == "20240229")
        #expect(UTCDay(number: 19_782).iso == "2024-02-29")
        #expect(UTCDay(iso: "2025-02-30") == nil)
        #expect(UTCDay(iso: "2025-1-01") == nil)
        #expect(UTCDay(Date(timeIntervalSince1970: 86_399.999)).number == 0)
        #expect(UTCDay(Date(timeIntervalSince1970: -1)).number == -1)
    }

    @Test func roundTripsEveryDayOfFourCenturies() {
        for number in stride(from: -50_000, through: 100_000, by: 1) {
            let day = UTCDay(number: number)
            guard UTCDay(iso: day.iso) == day else {
                Issue.record("\(number) → \(day.iso) does not parse back")
                return
            }
        }
    }

    @Test func sightingsMergeToEarliestFirstLatestLast() {
        var a = Sighting(at: 2_000, version: "1.0")
        a.merge(Sighting(at: 1_000, version: "0.9"))
        a.merge(Sighting(at: 3_000, version: nil))
        #expect(a == Sighting(first: 1_000, last: 3_000, version: "1.0"))
        a.merge(Sighting(at: 4_000, version: "2.0"))
        #expect(a == Sighting(first: 1_000, last: 4_000, version: "2.0"))
    }

    @Test func pingValidation() throws {
        let ok = try InstallPing.validate(Data(#"{"key":"pk_abcdefgh","url":"https://Shop.Example.com:443/a?b","version":"1.2.0"}"#.utf8))
        #expect(ok.host == "shop.example.com")
        #expect(ok.origin == "https://shop.example.com")
        let port = try InstallPing.validate(Data(#"{"key":"pk_abcdefgh","url":"http://localhost:8080/"}"#.utf8))
        #expect(port.origin == "http://localhost:8080")
        #expect(port.version == nil)
        #expect(throws: TrackerError.self) { try InstallPing.validate(Data(#"{"key":"pk_abcdefgh","url":"file:///etc"}"#.utf8)) }
        #expect(throws: TrackerError.self) { try InstallPing.validate(Data(#"{"key":"nope","url":"https://a.com"}"#.utf8)) }
        #expect(throws: TrackerError.self) { try InstallPing.validate(Data(#"[1]"#.utf8)) }
    }
}
