import Foundation

/// One rrweb recording of the fixtures directory (a JSON array of events), split into its events'
/// bytes as recorded.
public struct Fixture: Sendable {
    public var name: String
    public var events: [[UInt8]]

    /// The `*.json` recordings in `directory`, by name.
    public static func load(directory: String) throws -> [Fixture] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(name)))
            return Fixture(name: String(name.dropLast(5)), events: try elements(of: bytes, in: name))
        }
    }

    /// `[e1,e2,…]` as `[e1, e2, …]` (byte-exact): commas and the closing bracket at depth 1 end an
    /// element; brackets inside strings do not count.
    static func elements(of array: [UInt8], in name: String) throws -> [[UInt8]] {
        var elements: [[UInt8]] = []
        var depth = 0, start = 0, inString = false, escaped = false
        for (index, byte) in array.enumerated() {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth == 1 { start = index + 1 }
            case UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ","):
                if depth == 1, index > start { elements.append(Array(array[start..<index])) }
                if depth == 1 { start = index + 1 }
                if byte != UInt8(ascii: ",") { depth -= 1 }
            default: break
            }
        }
        guard array.first == UInt8(ascii: "["), depth == 0, !elements.isEmpty else { throw FixtureError(message: "\(name) is not a JSON array of events") }
        return elements
    }

    /// The events `range` as a JSON array.
    public func array(_ range: Range<Int>) -> [UInt8] {
        Array("[".utf8) + events[range].joined(separator: Array(",".utf8)) + Array("]".utf8)
    }

    /// The recording without events longer than `maxBytes` (full DOM snapshots): smaller seeds, so
    /// that the fuzzer spends its time on structure rather than on decompressing one large event.
    public func withoutEvents(longerThan maxBytes: Int) -> Fixture {
        Fixture(name: name, events: events.filter { $0.count <= maxBytes })
    }

    /// Consecutive runs of at most `size` events, at most `limit` of them.
    public func batches(of size: Int, limit: Int) -> [Range<Int>] {
        stride(from: 0, to: events.count, by: size).prefix(limit).map { $0..<min($0 + size, events.count) }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
