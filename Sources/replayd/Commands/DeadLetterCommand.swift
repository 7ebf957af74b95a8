import ReplaydKit
import ArgumentParser
import Core
import Foundation
import Kafka
import Logging
import Processor

/// `replayd dlq`: the dead-letter topic's tools — `inspect` and `replay`.
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq", abstract: "Inspect and replay dead-lettered batches.",
        subcommands: [Inspect.self, Replay.self])

    /// Filters shared by both subcommands.
    struct FilterOptions: ParsableArguments {
        @Option(help: "Only this reason: undecodable, invalid_batch, missing_campaign, unknown_campaign, retries_exhausted.")
        var reason: String?

        @Option(help: "Only this session id.")
        var session: String?

        @Option(help: "Only this campaign id.")
        var campaign: String?

        @Option(help: "Only dead letters from this time on: ISO 8601 (2025-01-31T12:00:00Z) or an age like 90m, 6h, 2d.")
        var since: String?

        func filter(now: Date = Date()) throws -> DeadLetterFilter {
            if let reason, DeadLetterReason(rawValue: reason) == nil {
                throw ValidationError("--reason \(reason) is not one of \(DeadLetterReason.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return DeadLetterFilter(reason: reason, session: session, campaign: campaign, since: try since.map { try Self.parseTime($0, now: now) })
        }

        static func parseTime(_ text: String, now: Date) throws -> Date {
            if let date = ISO8601DateFormatter().date(from: text) { return date }
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
            if let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0 {
                return now.addingTimeInterval(-amount * unit)
            }
            throw ValidationError("--since \(text) is neither an ISO 8601 time nor an age like 90m, 6h, 2d")
        }
    }

    static func reader(_ config: ReplaydConfiguration, logger: Logger) -> DeadLetterReader {
        var reader = DeadLetterReader(brokers: config.kafka.brokers, security: config.kafka.security,
                                      topic: config.kafka.deadLetterTopic, logger: logger)
        reader.sessionTimeout = config.kafka.sessionTimeout
        return reader
    }

    static func time(_ date: Date?) -> String {
        date.map { ISO8601DateFormatter().string(from: $0) } ?? "-"
    }

    /// `replayd dlq inspect`.
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count dead letters by reason and campaign, show the oldest and newest and a sample.")

        @OptionGroup var filter: FilterOptions

        @Option(help: "How many dead letters to show.")
        var sample = 5

        func run() async throws {
            let config = try ReplaydConfiguration.load()
            Observability.bootstrap(logLevel: config.logLevel)
            let logger = Logger(label: "replayd.dlq")
            let reader = DeadLetterCommand.reader(config, logger: logger)
            FileHandle.standardError.write(Data("reading \(config.kafka.deadLetterTopic) …\n".utf8))
            let report = try await DeadLetterInspector(reader: reader, sampleSize: sample).inspect(try filter.filter())
            var lines = ["\(report.total) dead letters match (of \(report.scanned) in \(config.kafka.deadLetterTopic))"]
            if report.foreign > 0 { lines.append("\(report.foreign) records without dlq-* headers (not from a Processor)") }
            lines.append("oldest  \(DeadLetterCommand.time(report.oldest))")
            lines.append("newest  \(DeadLetterCommand.time(report.newest))")
            lines.append("by reason:")
            for (reason, count) in report.byReason.sorted(by: { $0.value > $1.value }) { lines.append("  \(reason)  \(count)") }
            lines.append("by campaign:")
            for (campaign, count) in report.byCampaign.sorted(by: { $0.value > $1.value }) { lines.append("  \(campaign)  \(count)") }
            if !report.sample.isEmpty { lines.append("sample:") }
            for record in report.sample {
                lines.append("  \(record.sourceTopic)[\(record.sourcePartition)]@\(record.sourceOffset) session \(record.session ?? "-") "
                    + "reason \(record.reason.rawValue) attempts \(record.attempts) at \(DeadLetterCommand.time(record.lastFailure)) "
                    + "by \(record.instance): \(record.errorClass): \(record.message)")
            }
            print(lines.joined(separator: "\n"))
        }
    }

    /// `replayd dlq replay`.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Produce chosen dead letters back to the batches topic (idempotent; the dead-letter topic is left as it is).")

        @OptionGroup var filter: FilterOptions

        @Flag(help: "Only count what would be replayed.")
        var dryRun = false

        func run() async throws {
            let config = try ReplaydConfiguration.load()
            Observability.bootstrap(logLevel: config.logLevel)
            let logger = Logger(label: "replayd.dlq")
            var producer = KafkaProducerConfiguration(bootstrapServers: config.kafka.brokers)
            producer.security = config.kafka.security
            producer.messageTimeout = config.kafka.messageTimeout
            let replayer = DeadLetterReplayer(
                reader: DeadLetterCommand.reader(config, logger: logger), targetTopic: config.kafka.batchesTopic, producerConfiguration: producer)
            let bar = ProgressBar()
            let result = try await replayer.replay(try filter.filter(), dryRun: dryRun, logger: logger) { bar.show($0) }
            bar.finish()
            if dryRun {
                print("dry run: \(result.matched) of \(result.scanned) dead letters would be replayed to \(config.kafka.batchesTopic); nothing was produced")
            } else {
                print("replayed \(result.replayed) of \(result.matched) matching dead letters (\(result.scanned) read) to \(config.kafka.batchesTopic)"
                    + (result.failed > 0 ? "; \(result.failed) failed — run the same replay again" : ""))
                if result.failed > 0 {
                    throw ReplaydError(code: "replay_incomplete", message: "\(result.failed) dead letters could not be produced; replaying again is safe")
                }
            }
        }
    }
}

extension ProgressBar {
    func show(_ progress: DeadLetterReplayer.Progress) {
        let total = max(progress.estimatedTotal, progress.scanned, 1)
        let verb = progress.dryRun ? "would replay" : "replayed"
        draw(fraction: Double(progress.scanned) / Double(total),
             text: "\(progress.scanned)/\(total) read, \(progress.matched) match, \(verb) \(progress.dryRun ? progress.matched : progress.replayed)")
    }
}

import Synchronization
