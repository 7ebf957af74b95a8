@testable import Core
import Testing

@Suite struct EnvironmentReaderTests {
    @Test func defaultsWhenUnset() throws {
        var reader = EnvironmentReader([:])
        let port = reader.int("A", default: 7)
        let size = reader.bytes("B", default: 16 << 20)
        let wait = reader.duration("C", default: .seconds(3))
        let flag = reader.bool("D", default: true)
        #expect(port == 7)
        #expect(size == 16 << 20)
        #expect(wait == .seconds(3))
        #expect(flag)
        try reader.validate()
    }

    @Test func parsesUnits() throws {
        var reader = EnvironmentReader(["B": "16MiB", "K": "512k", "C": "500ms", "M": "5m", "D": "7d", "F": "false"])
        let mib = reader.bytes("B", default: 0)
        let kib = reader.bytes("K", default: 0)
        let ms = reader.duration("C", default: .zero)
        let minutes = reader.duration("M", default: .zero)
        let days = reader.duration("D", default: .zero)
        let flag = reader.bool("F", default: true)
        #expect(mib == 16 << 20)
        #expect(kib == 512 << 10)
        #expect(ms == .milliseconds(500))
        #expect(minutes == .seconds(300))
        #expect(days == .seconds(7 * 86400))
        #expect(flag == false)
        try reader.validate()
    }

    @Test func reportsEveryProblemWithItsVariable() {
        var reader = EnvironmentReader(["REPLAYD_HTTP_PORT": "eighty", "REPLAYD_MAX_BODY": "-3", "REPLAYD_FLAG": "maybe"])
        _ = reader.int("REPLAYD_HTTP_PORT", default: 8080, range: 1...65535)
        _ = reader.bytes("REPLAYD_MAX_BODY", default: 1)
        _ = reader.bool("REPLAYD_FLAG", default: false)
        #expect(reader.problems.count == 3)
        do {
            try reader.validate()
            Issue.record("expected validation to fail")
        } catch {
            let text = "\(error)"
            #expect(text.contains("REPLAYD_HTTP_PORT=eighty"))
            #expect(text.contains("REPLAYD_MAX_BODY=-3"))
            #expect(text.contains("REPLAYD_FLAG=maybe"))
        }
    }
}
