import ArgumentParser
import Core
import Database
import Foundation
import ReplaydKit
import Logging
import PostgresNIO
import S3
import Synchronization
import Uploader
#if canImport(Glibc)
import Glibc
#endif

/// `replayd-bench spool`: spool-append throughput on real rrweb batches, durable groups included.
/// Writes the same uncompressed lines to `--reference` so a runner can time `gzip -6` on exactly the
/// bytes the spool compressed (see loadtest/run-uploader).
///
/// Also measures its own memory: the resident set size after set-up (fixtures loaded, spool opened,
/// and with `--upload` Postgres and S3 connected) is the baseline; a sampler thread reads `VmRSS`
/// every `--rss-interval-ms` until the end, and the kernel's `VmHWM` is reset at the baseline and read
/// at the end (it catches peaks between samples). Printed as `rss: growth …`.
///
/// With `--upload`, closed segments are uploaded while spooling goes on (the real ``SegmentUploader``:
/// S3 client, multipart, Postgres index), the rest after the spool's shutdown; the measurement ends
/// when every segment is in S3. The objects, index rows and the run's campaign are deleted afterwards
/// (not measured) unless `--keep`.
struct BenchSpoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool", abstract: "Measure spool append throughput (benchmark).")

    @Option(help: "Directory with rrweb fixture recordings (*.json arrays).") var fixtures: String
    @Option(help: "Spool directory (created; must be empty).") var spool: String
    @Option(help: "Uncompressed MiB to append.") var mib: Int = 256
    @Option(help: "Concurrent sessions the batches are spread over.") var sessions: Int = 1000
    @Option(help: "Batches per durable group commit.") var group: Int = 256
    @Option(help: "Events per batch.") var batch: Int = 20
    @Option(help: "Write the uncompressed lines here too (for the gzip reference).") var reference: String?
    @Flag(help: "Upload the segments to S3 and index them in Postgres while spooling (REPLAYD_S3_*, AWS_*, REPLAYD_POSTGRES_URL).")
    var upload = false
    @Flag(help: "With --upload: keep the uploaded objects, index rows and campaign.") var keep = false
    @Option(help: "RSS sampling interval, milliseconds.") var rssIntervalMs: Int = 20

    func run() async throws {
        Observability.bootstrapLogging(logLevel: .warning)
        let slices = try FixtureSlices.load(fixtures, eventsPerBatch: batch, movedToNow: false)
        let target = mib << 20
        if let reference {  // the same lines, untimed, for the gzip reference
            _ = FileManager.default.createFile(atPath: reference, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: reference))
            var bytes = 0, n = 0
            while bytes < target {
                let events = slices[n % slices.count]
                handle.write(Data(SegmentLine.encode(seq: n / sessions, events: events)))
                bytes += events.count + 24
                n += 1
            }
            try handle.close()
        }
        let workload = Workload(slices: slices, target: target, sessions: sessions, group: group, batch: batch)
        let store = try Spool(configuration: SpoolConfiguration(directory: spool), logger: Logger(label: "bench"))
        if upload {
            try await runWithUpload(store, workload)
        } else {
            let sampler = RSSSampler(interval: .milliseconds(rssIntervalMs))
            let result = try await workload.append(to: store, campaign: UUID())
            let onDisk = store.statistics.bytesOnDisk
            try await store.shutdown()
            let rss = sampler.stop()
            result.print(onDisk: onDisk)
            rss.print()
        }
    }

    /// Spools and uploads at the same time; the measurement ends when every segment is in S3.
    private func runWithUpload(_ store: Spool, _ workload: Workload) async throws {
        let config = try ReplaydConfiguration.load()
        let logger = Logger(label: "bench")
        let s3 = try config.makeS3Client(logger: logger)
        try await s3.createBucket()  // set-up: the bucket exists and the client's connection is warm
        let keep = self.keep, interval = Duration.milliseconds(rssIntervalMs)
        try await PostgresClient.withClient(config.postgres, logger: logger) { postgres in
            let campaigns = CampaignStore(client: postgres, logger: logger)
            let campaign = try await campaigns.create(.init(name: "bench-spool-\(UUID().uuidString.prefix(8))", allowedOrigins: []))
            var uploaderConfiguration = config.uploader
            uploaderConfiguration.keyPrefix = "bench-spool/\(campaign.id.uuidString.lowercased())/"
            let uploader = SegmentUploader(spool: store, s3: s3, postgres: postgres, configuration: uploaderConfiguration, logger: logger)

            let sampler = RSSSampler(interval: interval)
            let spooling = SpoolingState()
            let clock = ContinuousClock()
            let started = clock.now
            let uploads = Task { try await Self.uploadUntilDone(uploader, spooling: spooling) }
            do {
                let result = try await workload.append(to: store, campaign: campaign.id)
                let onDisk = store.statistics.bytesOnDisk
                try await store.shutdown()  // closes the open segments for the uploader
                spooling.finish()
                try await uploads.value
                let total = Workload.seconds(clock.now - started)
                let rss = sampler.stop()
                var objects = 0
                var bytes: Int64 = 0
                for try await object in s3.listObjects(prefix: uploaderConfiguration.keyPrefix) {
                    objects += 1
                    bytes += object.size
                }
                result.print(onDisk: onDisk)
                print(String(format: "upload: %d segments, %.1f MiB to s3://%@/%@; spooling and uploading done in %.2f s",
                             objects, Double(bytes) / 1_048_576, s3.configuration.bucket, uploaderConfiguration.keyPrefix, total))
                rss.print()
            } catch {
                spooling.abandon()
                uploads.cancel()
                _ = await uploads.result
                throw error
            }
            guard !keep else { return }
            // Not measured: leave no benchmark data behind.
            for try await object in s3.listObjects(prefix: uploaderConfiguration.keyPrefix) {
                try await s3.deleteObject(key: object.key)
            }
            try await postgres.query("DELETE FROM segments WHERE campaign_id = \(campaign.id)")
            try await postgres.query("DELETE FROM sessions WHERE campaign_id = \(campaign.id)")
            try await postgres.query("DELETE FROM campaigns WHERE id = \(campaign.id)")
        }
    }

    /// Uploads closed segments every 100 ms until spooling is over and nothing is left.
    private static func uploadUntilDone(_ uploader: SegmentUploader, spooling: SpoolingState) async throws {
        while !spooling.isAbandoned {
            let finished = spooling.isFinished
            try await uploader.uploadPending()
            let left = uploader.spool.statistics
            if finished && left.closedSegments == 0 && left.openSegments == 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// The batches one run appends: fixture slices round-robin over `sessions`, a durable group commit
/// every `group` batches (synced while the next group is appended, as the Processor does), until
/// `target` uncompressed bytes; the run ends when everything is durable.
private struct Workload: Sendable {
    let slices: [[UInt8]]
    let target: Int
    let sessions: Int
    let group: Int
    let batch: Int

    struct Result {
        var written: Int
        var count: Int
        var seconds: Double
        var sessions: Int
        var group: Int

        func print(onDisk: Int64) {
            Swift.print(String(format: "spool: %.1f MB/s  (%d batches, %.0f MiB in %.2f s, %d sessions, durable every %d batches, %.1f MiB on disk)",
                               Double(written) / seconds / 1e6, count, Double(written) / 1_048_576, seconds, sessions, group,
                               Double(onDisk) / 1_048_576))
        }
    }

    func append(to store: Spool, campaign: UUID) async throws -> Result {
        var written = 0, count = 0
        var durability = PipelinedDurability(spool: store, groupSize: group)
        let clock = ContinuousClock()
        let started = clock.now
        while written < target {
            let events = slices[count % slices.count]
            let session = "bench-\(count % sessions)", seq = count / sessions
            let record = SpoolRecord(campaignID: campaign, session: session, seq: seq, eventCount: batch,
                                     firstTimestamp: 0, lastTimestamp: 0, pageURL: nil, events: events)
            try await durability.wrote(try store.write(record).1)
            written += events.count + 24
            count += 1
        }
        try await durability.finish()
        return Result(written: written, count: count, seconds: Self.seconds(clock.now - started), sessions: sessions, group: group)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Whether the spool is still being written, shut down (`finish`), or given up after an error
/// (read by the upload loop).
private final class SpoolingState: Sendable {
    private let state = Atomic<Int>(0)
    func finish() { state.store(1, ordering: .releasing) }
    func abandon() { state.store(2, ordering: .releasing) }
    var isFinished: Bool { state.load(ordering: .acquiring) == 1 }
    var isAbandoned: Bool { state.load(ordering: .acquiring) == 2 }
}

/// Samples this process's resident set size (`VmRSS`) on a thread of its own from creation until
/// ``stop()``; the creation's RSS is the baseline. Also resets the kernel's high-water mark (`VmHWM`)
/// at the baseline, so peaks shorter than the interval are caught too.
private final class RSSSampler: Sendable {
    struct Report {
        var baseline: Int
        var sampledPeak: Int
        var highWaterMark: Int
        var samples: Int
        var interval: Duration
        var peak: Int { max(sampledPeak, highWaterMark) }

        func print() {
            let mib = { (bytes: Int) in Double(bytes) / 1_048_576 }
            Swift.print(String(format: "rss: growth %.1f MiB (baseline %.1f MiB after set-up, peak %.1f MiB; %d samples every %d ms, VmHWM %.1f MiB)",
                               mib(peak - baseline), mib(baseline), mib(peak), samples,
                               Int(interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000),
                               mib(highWaterMark)))
        }
    }

    let baseline: Int
    let interval: Duration
    private let peak = Atomic<Int>(0)
    private let samples = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)

    init(interval: Duration) {
        self.interval = interval
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        baseline = Self.status("VmRSS:")
        peak.store(baseline, ordering: .relaxed)
        let thread = Thread { [self] in
            let pause = interval.components
            let microseconds = UInt32(max(1, pause.seconds * 1_000_000 + pause.attoseconds / 1_000_000_000_000))
            while !stopping.load(ordering: .acquiring) {
                let rss = Self.status("VmRSS:")
                peak.raise(to: rss)
                samples.add(1, ordering: .relaxed)
                usleep(microseconds)
            }
            stopped.signal()
        }
        thread.name = "replayd-rss-sampler"
        thread.start()
    }

    /// Stops sampling (after one last sample) and reports.
    func stop() -> Report {
        stopping.store(true, ordering: .releasing)
        stopped.wait()
        peak.raise(to: Self.status("VmRSS:"))
        return Report(baseline: baseline, sampledPeak: peak.load(ordering: .relaxed), highWaterMark: Self.status("VmHWM:"),
                      samples: samples.load(ordering: .relaxed), interval: interval)
    }

    /// A `kB` field of `/proc/self/status`, in bytes; read into a stack buffer so sampling does not
    /// allocate.
    static func status(_ field: StaticString) -> Int {
        let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 8192) { buffer -> Int in
            var count = 0
            while count < buffer.count {
                let n = read(fd, buffer.baseAddress! + count, buffer.count - count)
                if n <= 0 { break }
                count += n
            }
            let name = UnsafeRawBufferPointer(start: field.utf8Start, count: field.utf8CodeUnitCount)
            var index = 0
            while index + name.count <= count {
                if (index == 0 || buffer[index - 1] == 0x0A) && memcmp(buffer.baseAddress! + index, name.baseAddress!, name.count) == 0 {
                    var kilobytes = 0
                    var position = index + name.count
                    while position < count, buffer[position] == 0x20 || buffer[position] == 0x09 { position += 1 }
                    while position < count, buffer[position] >= 0x30 && buffer[position] <= 0x39 {
                        kilobytes = kilobytes * 10 + Int(buffer[position] - 0x30)
                        position += 1
                    }
                    return kilobytes * 1024
                }
                index += 1
            }
            return 0
        }
    }
}

extension Atomic where Value == Int {
    /// Raises the value to `candidate` if it is larger.
    fileprivate func raise(to candidate: Int) {
        var current = load(ordering: .relaxed)
        while candidate > current {
            let (exchanged, original) = compareExchange(expected: current, desired: candidate, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}
