import Foundation

/// Where the local stack (`scripts/stack up`) runs, read from the same `REPLAYD_*` variables that
/// `scripts/stack env` prints, with that script's fixed ports as defaults.
public enum TestStack {
    static let env = ProcessInfo.processInfo.environment

    public static let redisHost = "127.0.0.1"
    public static var redisPort: Int {
        if let url = env["REPLAYD_REDIS_URL"], let port = URLComponents(string: url)?.port { return port }
        return 16379
    }
    public static var postgresURL: String { env["REPLAYD_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:15432/replayd" }
    public static var postgresPort: Int { URLComponents(string: postgresURL)?.port ?? 15432 }
    public static var kafkaBrokers: String { env["REPLAYD_KAFKA_BROKERS"] ?? "127.0.0.1:19092" }
    public static var s3Endpoint: String { env["REPLAYD_S3_ENDPOINT"] ?? "http://127.0.0.1:18333" }
    public static var s3Bucket: String { env["REPLAYD_S3_BUCKET"] ?? "replayd-sessions" }
    public static var accessKey: String { env["AWS_ACCESS_KEY_ID"] ?? "replayd-dev" }
    public static var secretKey: String { env["AWS_SECRET_ACCESS_KEY"] ?? "replayd-dev-secret" }
    /// SeaweedFS filer: a plain HTTP file API (no auth) used by transport-level tests.
    public static var filerURL: String { env["REPLAYD_STACK_FILER_URL"] ?? "http://127.0.0.1:18888" }

    /// The repository root (found from this source file's location).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    /// `../shared/fixtures/rrweb` beside the repository (or `REPLAYD_FIXTURES`).
    public static var fixturesDirectory: URL {
        if let dir = env["REPLAYD_FIXTURES"] { return URL(fileURLWithPath: dir) }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/rrweb")
    }

    /// A name unique to this test run, for topics, keys, groups and buckets.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UInt32.random(in: 0...UInt32.max))-\(Int(Date().timeIntervalSince1970 * 1000) % 1_000_000)"
    }
}

extension TestStack {
    /// The pid of the running Kafka-protocol broker listening on the stack's port, found by its
    /// command line (so it works whichever checkout started the stack); nil when none runs.
    public static func brokerPID() -> Int32? {
        let port = kafkaBrokers.split(separator: ":").last.map(String.init) ?? "19092"
        let found = try? shell("pgrep -f '^[^ ]*tansu broker --listener-url tcp://127.0.0.1:\(port)' | head -n 1")
        return found.flatMap { Int32($0.output.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
