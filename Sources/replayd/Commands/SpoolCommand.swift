import ReplaydKit
import ArgumentParser
import Database
import Foundation
import Logging
import PostgresNIO
import Uploader

/// `replayd spool quarantine list|retry`: the segments S3 refused for good (and damaged originals
/// kept by recovery), kept in `<REPLAYD_SPOOL_DIR>/quarantine`.
struct SpoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool", abstract: "Inspect the local spool.", subcommands: [Quarantine.self])

    struct Quarantine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List and re-drive segments kept in the spool's quarantine directory.",
            subcommands: [List.self, Retry.self])
    }

    struct Options: ParsableArguments {
        @Option(help: "The spool directory (default: REPLAYD_SPOOL_DIR).")
        var spoolDir: String?

        func directory(_ config: ReplaydConfiguration) -> String { spoolDir ?? config.spool.directory }
    }

    static func line(_ entry: SpoolQuarantine.Entry) -> String {
        "\(entry.kind.rawValue)  \(entry.quarantinedAt)  \(entry.session ?? "-")  \(entry.bytes) bytes  \(entry.path)\n    \(entry.reason)"
    }

    static func json(_ entry: SpoolQuarantine.Entry, result: [String: Any] = [:]) throws -> String {
        var object: [String: Any] = [
            "path": entry.path, "bytes": entry.bytes, "kind": entry.kind.rawValue, "reason": entry.reason,
            "quarantined_at": entry.quarantinedAt, "session": entry.session ?? NSNull(),
            "campaign": entry.campaignID?.uuidString.lowercased() ?? NSNull(),
        ]
        object.merge(result) { _, new in new }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List quarantined files with their kind and reason.")
        @OptionGroup var options: Options
        @Flag(help: "One JSON object per line.") var json = false

        func run() async throws {
            let config = try ReplaydConfiguration.load()
            let entries = try SpoolQuarantine.list(spoolDirectory: options.directory(config))
            for entry in entries { print(json ? try SpoolCommand.json(entry) : SpoolCommand.line(entry)) }
            if entries.isEmpty && !json { print("the quarantine is empty") }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload quarantined segments again (after fixing what S3 refused); uploaded ones leave the quarantine.",
            discussion: """
                Safe beside a running Processor that owns the spool: it only touches the quarantine \
                directory, and the Processor releases a segment's commit hold once its file is gone. \
                Exits non-zero when any segment failed again.
                """)
        @OptionGroup var options: Options
        @Option(help: "Only segments of this session.") var session: String?
        @Flag(help: "Show what would be retried, upload nothing.") var dryRun = false
        @Flag(help: "One JSON object per line.") var json = false

        func run() async throws {
            let config = try ReplaydConfiguration.load()
            Observability.bootstrapLogging(logLevel: .warning)
            let logger = Logger(label: "replayd.spool")
            let entries = try SpoolQuarantine.list(spoolDirectory: options.directory(config))
                .filter { session == nil || $0.session == session }
            if entries.isEmpty {
                if !json { print("nothing to retry") }
                return
            }
            if dryRun {
                for entry in entries {
                    print(json ? try SpoolCommand.json(entry, result: ["result": "dry_run"]) : "would retry: " + SpoolCommand.line(entry))
                }
                return
            }
            let s3 = try config.makeS3Client(logger: logger)
            let failures = try await PostgresClient.withClient(config.postgres, logger: logger) { postgres in
                let redriver = QuarantineRedriver(s3: s3, postgres: postgres, keyPrefix: config.uploader.keyPrefix, logger: logger)
                var failures = 0
                for (index, entry) in entries.enumerated() {
                    let result = await redriver.redrive(entry)
                    let (label, detail): (String, String)
                    switch result {
                    case .uploaded(let key): (label, detail) = ("uploaded", key)
                    case .kept(let why): (label, detail) = ("kept", why)
                    case .failed(let why): (label, detail) = ("failed", why); failures += 1
                    }
                    if json {
                        print(try SpoolCommand.json(entry, result: ["result": label, "detail": detail]))
                    } else {
                        print("[\(index + 1)/\(entries.count)] \(label): \(entry.path)\n    \(detail)")
                    }
                }
                return failures
            }
            if failures > 0 { throw ExitCode(1) }
        }
    }
}
