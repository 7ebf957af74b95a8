import Curl
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Ranged file uploads, many times over, each verified byte for byte, in the conditions of a full
/// suite run: SIGPIPE ignored process-wide (as SwiftNIO leaves it after its first socket, and as the
/// service runs), several transfers at once on a shared client, odd offsets and lengths across curl's
/// buffer size, and progress callbacks.
@Suite(.serialized)
struct RangedUploadStressTests {
    static let uploads = 40
    static let fileSize: Int64 = 24 << 20

    @Test func everyRangedUploadStoresExactlyItsRange() async throws {
        // What the full suite has and a filtered run of this suite lacks.
        signal(SIGPIPE, SIG_IGN)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = directory.file("source.bin")
        try CurlTestSupport.randomFile(at: source, bytes: Int(Self.fileSize))
        let client = CurlClient(configuration: { var c = CurlClientConfiguration(); c.workers = 2; return c }())
        defer { client.shutdown() }

        let ranges = Self.ranges()
        let failures = try await withThrowingTaskGroup(of: String?.self) { group in
            var next = 0
            var failures: [String] = []
            func add() {
                let (index, range) = (next, ranges[next])
                next += 1
                group.addTask { try await Self.roundTrip(index, range, source: source, directory: directory, client: client) }
            }
            for _ in 0..<3 { add() }
            while let failure = try await group.next() {
                if let failure { failures.append(failure) }
                if next < ranges.count { add() }
            }
            return failures
        }
        #expect(failures.isEmpty, "\(failures.count) of \(ranges.count) ranged uploads stored other bytes:\n\(failures.joined(separator: "\n"))")
    }

    /// Offsets and lengths that cross curl's 256 KiB upload buffer, page and 64 KiB boundaries, plus
    /// random ones; never past the end of the file.
    static func ranges() -> [(offset: Int64, length: Int64)] {
        var ranges: [(Int64, Int64)] = [
            (0, fileSize), (1, fileSize - 1), (0, 1), (fileSize - 1, 1), (0, 0),
            (255 << 10, 256 << 10), ((256 << 10) + 1, (256 << 10) - 1), (4095, 65_537), (7 << 20, 10 << 20),
        ]
        var generator = SystemRandomNumberGenerator()
        while ranges.count < uploads {
            let offset = Int64.random(in: 0..<(fileSize / 2), using: &generator)
            let length = Int64.random(in: 1...(fileSize - offset), using: &generator)
            ranges.append((offset, length))
        }
        return ranges
    }

    /// Uploads one range, downloads it, and returns what differs (nil when nothing does).
    static func roundTrip(
        _ index: Int, _ range: (offset: Int64, length: Int64), source: String, directory: TemporaryDirectory, client: CurlClient
    ) async throws -> String? {
        let url = CurlTestSupport.objectURL("stress-\(index)")
        let target = directory.file("download-\(index).bin")
        defer { try? FileManager.default.removeItem(atPath: target) }
        let label = "#\(index) [\(range.offset), +\(range.length))"
        var progress: (@Sendable (Int64, Int64) -> Void)?
        if index.isMultiple(of: 2) { progress = { @Sendable (_: Int64, _: Int64) in } }
        let put = try await client.execute(
            CurlRequest(method: "PUT", url: url, body: .file(path: source, offset: range.offset, length: range.length)),
            progress: progress
        )
        guard put.status == 201 else { return "\(label): PUT answered \(put.status)" }
        let get = try await client.execute(CurlRequest(method: "GET", url: url), sink: .file(path: target))
        _ = try? await client.execute(CurlRequest(method: "DELETE", url: url))
        guard get.status == 200 else { return "\(label): GET answered \(get.status)" }
        let expected = try CurlTestSupport.sha256(of: source, offset: range.offset, length: range.length)
        // A second, independent tool for the same range, run the way the old check ran it.
        let independent = try CurlTestSupport.sha256sum(of: source, offset: range.offset, length: range.length)
        guard independent == expected else { return "\(label): sha256sum says \(independent), swift-crypto \(expected)" }
        let size = try CurlTestSupport.fileSize(target)
        guard size == range.length else { return "\(label): the server holds \(size) bytes" }
        let stored = try CurlTestSupport.sha256(of: target)
        guard stored == expected else { return "\(label): the server holds other bytes (\(stored), expected \(expected))" }
        return nil
    }
}
