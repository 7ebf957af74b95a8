import Foundation
import Testing
import TestSupport
@testable import Uploader

extension UploaderTests {
    /// Append throughput vs `gzip -6` on the same bytes. Opt-in (`UPLOADER_BENCH=1`); prints numbers.
    @Suite struct SpoolThroughputBenchmark {
        @Test(.enabled(if: ProcessInfo.processInfo.environment["UPLOADER_BENCH"] != nil))
        func appendThroughput() async throws {
            let directory = try Fixture.temporaryDirectory("bench")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let spool = try Spool(configuration: SpoolConfiguration(directory: directory), logger: Fixture.logger)
            let campaign = UUID()
            let sessions = 64
            let target = 256 << 20
            let reference = directory + "/reference.jsonl"
            _ = FileManager.default.createFile(atPath: reference, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: reference))
            var written = 0
            var seq = 0
            var records: [SpoolRecord] = []
            while written < target {
                seq += 1
                for session in 0..<sessions {
                    let blob = Fixture.blob(session: session, seq: seq)
                    records.append(Fixture.record(campaign: campaign, session: "b\(session)", seq: seq, blob: blob))
                    let line = Fixture.line(seq: seq, events: blob.events) + [0x0A]
                    written += line.count
                    if session == 0 { handle.write(Data(line)) }
                }
            }
            try handle.close()
            let started = ContinuousClock.now
            var last: SpoolTicket?
            for (index, record) in records.enumerated() {
                last = try spool.write(record).1
                if index % 256 == 255 { try await spool.waitDurable(last!) }  // a durable group every 256 batches
            }
            try await spool.waitDurable(last!)
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let referenceSize = FileSystem.fileSize(reference) ?? 0
            let gzip = try shell("/usr/bin/time -f %e gzip -6 -c '\(reference)' > /dev/null")
            let gzipSeconds = Double(gzip.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last ?? "0") ?? 0
            print(String(format: "bench: spool %.1f MB/s (%d MiB in %.2f s, %d batches, compressed %d MiB); gzip -6 on one session's %.1f MiB: %.1f MB/s",
                         Double(written) / seconds / 1e6, written >> 20, seconds, records.count, Int(spool.statistics.bytesOnDisk >> 20),
                         Double(referenceSize) / 1_048_576, Double(referenceSize) / max(gzipSeconds, 0.001) / 1e6))
        }
    }
}
