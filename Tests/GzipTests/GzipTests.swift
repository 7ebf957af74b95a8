import Foundation
import Gzip
import Testing
import TestSupport

/// Root suite. `.serialized` (inherited by the nested suites in the other files) keeps the memory test
/// honest: peak RSS is process-wide, so nothing else may allocate while it measures.
@Suite(.serialized)
struct GzipTests {}

/// Shared helpers for the Gzip tests.
enum Support {
    /// The rrweb recordings, concatenated in a fixed order.
    static func fixtureFiles() throws -> [[UInt8]] {
        let dir = TestStack.fixturesDirectory
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
        try #require(!names.isEmpty, "no rrweb fixtures in \(dir.path)")
        return try names.map { [UInt8](try Data(contentsOf: dir.appendingPathComponent($0))) }
    }

    /// Deterministic pseudo-random bytes (SplitMix64), so failures reproduce.
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var result = [UInt8](repeating: 0, count: count)
        result.withUnsafeMutableBytes { raw in
            var i = 0
            while i < count {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                for b in 0..<8 where i + b < count { raw[i + b] = UInt8(truncatingIfNeeded: z >> (8 * UInt64(b))) }
                i += 8
            }
        }
        return result
    }

    /// A fresh temporary directory, removed by the caller via `cleanup`.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("gzip-tests"))
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func cleanup(_ url: URL) { try? FileManager.default.removeItem(at: url) }

    /// Reads a whole gzip file with our reader.
    static func readAll(_ path: String, allowTruncatedTail: Bool = false, bufferSize: Int = 65_536) throws -> [UInt8] {
        var out: [UInt8] = []
        try GzipFileReader(path: path, bufferSize: bufferSize, allowTruncatedTail: allowTruncatedTail).read { out.append(contentsOf: $0) }
        return out
    }

    static func write(_ bytes: [UInt8], to url: URL) throws {
        try Data(bytes).write(to: url)
    }

    static func fileBytes(_ url: URL) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url))
    }

    /// Runs a shell command and requires exit status 0, returning its output.
    @discardableResult
    static func run(_ command: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try shell(command)
        #expect(result.status == 0, "`\(command)` failed: \(result.output)", sourceLocation: sourceLocation)
        return result.output
    }

    /// Expects two byte sequences to be equal, reporting sizes and the first difference rather than
    /// printing megabytes of bytes.
    static func expectSame(
        _ actual: some Collection<UInt8>, _ expected: some Collection<UInt8>, _ note: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        if actual.elementsEqual(expected) { return }
        let firstDifference = zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        Issue.record(
            "bytes differ \(note): got \(actual.count), expected \(expected.count), first difference at \(firstDifference.map(String.init) ?? "end")",
            sourceLocation: sourceLocation)
    }

    /// Error kind of a thrown error, for `#expect` comparisons.
    static func kind(_ body: () throws -> Void) -> GzipError.Kind? {
        do {
            try body()
            return nil
        } catch let error as GzipError {
            return error.kind
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }
}
