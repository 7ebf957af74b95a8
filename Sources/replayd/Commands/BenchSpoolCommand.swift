import ArgumentParser
import Foundation
import Logging
import Uploader

/// `replayd bench-spool`: spool-append throughput on real rrweb batches, durable groups included.
/// Writes the same uncompressed lines to `--reference` so a runner can time `gzip -6` on exactly the
/// bytes the spool compressed (see loadtest/run-uploader).
struct BenchSpoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-spool", abstract: "Measure spool append throughput (benchmark).", shouldDisplay: false)

    @Option(help: "Directory with rrweb fixture recordings (*.json arrays).") var fixtures: String
    @Option(help: "Spool directory (created; must be empty).") var spool: String
    @Option(help: "Uncompressed MiB to append.") var mib: Int = 256
    @Option(help: "Concurrent sessions the batches are spread over.") var sessions: Int = 1000
    @Option(help: "Batches per durable group commit.") var group: Int = 256
    @Option(help: "Events per batch.") var batch: Int = 20
    @Option(help: "Write the uncompressed lines here too (for the gzip reference).") var reference: String?

    func run() async throws {
        Observability.bootstrapLogging(logLevel: .warning)
        var slices: [[UInt8]] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: fixtures).sorted() where name.hasSuffix(".json") {
            let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/" + name))
            guard let events = try JSONSerialization.jsonObject(with: data) as? [Any] else { continue }
            for start in stride(from: 0, to: events.count, by: batch) {
                let slice = Array(events[start..<min(start + batch, events.count)])
                slices.append(Array(try JSONSerialization.data(withJSONObject: slice)))
            }
        }
        guard !slices.isEmpty else { throw ValidationError("no fixtures in \(fixtures)") }
        let store = try Spool(configuration: SpoolConfiguration(directory: spool), logger: Logger(label: "bench"))
        let campaign = UUID()
        let target = mib << 20
        if let reference {  // the same lines, untimed, for the gzip reference
            _ = FileManager.default.createFile(atPath: reference, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: reference))
            var bytes = 0, n = 0
            while bytes < target {
                let events = slices[n % slices.count]
                handle.write(Data("{\"seq\":\(n / sessions),\"events\":".utf8) + Data(events) + Data("}\n".utf8))
                bytes += events.count + 24
                n += 1
            }
            try handle.close()
        }
        var written = 0, count = 0
        var ticket: SpoolTicket?
        let clock = ContinuousClock()
        let started = clock.now
        while written < target {
            let events = slices[count % slices.count]
            let session = "bench-\(count % sessions)", seq = count / sessions
            let record = SpoolRecord(campaignID: campaign, session: session, seq: seq, eventCount: batch,
                                     firstTimestamp: 0, lastTimestamp: 0, pageURL: nil, events: events)
            ticket = try store.write(record).1
            written += events.count + 24
            count += 1
            if count % group == 0, let ticket { try await store.waitDurable(ticket) }
        }
        if let ticket { try await store.waitDurable(ticket) }
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let onDisk = store.statistics.bytesOnDisk
        try await store.shutdown()
        print(String(format: "spool: %.1f MB/s  (%d batches, %.0f MiB in %.2f s, %d sessions, durable every %d batches, %.1f MiB on disk)",
                     Double(written) / seconds / 1e6, count, Double(written) / 1_048_576, seconds, sessions, group,
                     Double(onDisk) / 1_048_576))
    }
}
