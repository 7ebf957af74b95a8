import ReplaydKit
import ArgumentParser
import Foundation
import Logging
import S3

/// `replayd s3 cp|ls|presign`: operator commands on replayd's own S3 client (SigV4, multipart), with
/// the configured endpoint and credentials.
struct S3Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3", abstract: "Copy, list and presign objects with replayd's S3 client.",
        subcommands: [Copy.self, List.self, Presign.self])

    /// `s3://bucket/key` split into bucket and key.
    struct Location {
        let bucket: String
        let key: String

        init?(_ text: String) {
            guard text.hasPrefix("s3://") else { return nil }
            let rest = text.dropFirst(5)
            guard let slash = rest.firstIndex(of: "/") else {
                bucket = String(rest)
                key = ""
                return
            }
            bucket = String(rest[..<slash])
            key = String(rest[rest.index(after: slash)...])
        }
    }

    static func client(bucket: String) throws -> S3Client {
        var config = try ReplaydConfiguration.load()
        config.s3.bucket = bucket
        Observability.bootstrapLogging(logLevel: .warning)
        return try config.makeS3Client(logger: Logger(label: "replayd.s3"))
    }

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cp", abstract: "Upload (FILE s3://BUCKET/KEY) or download (s3://BUCKET/KEY FILE), with progress.")
        @Argument var source: String
        @Argument var destination: String

        func run() async throws {
            if let target = Location(destination), Location(source) == nil {
                let size = (try FileManager.default.attributesOfItem(atPath: source)[.size] as? NSNumber)?.int64Value ?? 0
                let bar = ProgressBar()
                let result = try await S3Command.client(bucket: target.bucket)
                    .upload(file: source, key: target.key) { sent, _ in bar.draw(fraction: size > 0 ? Double(sent) / Double(size) : 1, text: "uploaded \(sent / 1_048_576)/\(size / 1_048_576) MiB") }
                bar.finish()
                print("uploaded \(source) to s3://\(target.bucket)/\(target.key) (\(result.size) bytes, \(result.multipart ? "multipart, \(result.parts) parts" : "one PUT"))")
            } else if let origin = Location(source), Location(destination) == nil {
                let client = try S3Command.client(bucket: origin.bucket)
                guard let head = try await client.headObject(key: origin.key) else {
                    throw ValidationError("s3://\(origin.bucket)/\(origin.key) does not exist")
                }
                let bar = ProgressBar()
                let total = head.size
                let watcher = Task {
                    while !Task.isCancelled {
                        let now = (try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? NSNumber)?.int64Value ?? 0
                        bar.draw(fraction: total > 0 ? Double(now) / Double(total) : 1, text: "downloaded \(now / 1_048_576)/\(total / 1_048_576) MiB")
                        try? await Task.sleep(for: .milliseconds(200))
                    }
                }
                defer { watcher.cancel() }
                try await client.getObject(key: origin.key, toFile: destination)
                bar.finish()
                print("downloaded s3://\(origin.bucket)/\(origin.key) to \(destination) (\(head.size) bytes)")
            } else {
                throw ValidationError("give one local path and one s3://BUCKET/KEY")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List objects under s3://BUCKET/PREFIX.")
        @Argument var location: String

        func run() async throws {
            guard let where_ = Location(location) else { throw ValidationError("expected s3://BUCKET/PREFIX") }
            var count = 0
            var bytes: Int64 = 0
            for try await object in try S3Command.client(bucket: where_.bucket).listObjects(prefix: where_.key) {
                print("\(object.lastModified)  \(String(object.size).leftPadded(12))  \(object.key)")
                count += 1
                bytes += object.size
            }
            print("\(count) objects, \(bytes) bytes")
        }
    }

    struct Presign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "presign", abstract: "Print a presigned GET URL.")
        @Argument var location: String
        @Option(help: "Seconds the URL stays valid.") var expires: Int = 900

        func run() async throws {
            guard let where_ = Location(location), !where_.key.isEmpty else { throw ValidationError("expected s3://BUCKET/KEY") }
            guard (1...604_800).contains(expires) else { throw ValidationError("--expires must be 1…604800 seconds (7 days)") }
            print(try S3Command.client(bucket: where_.bucket).presignedGetURL(key: where_.key, expires: .seconds(expires)))
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
