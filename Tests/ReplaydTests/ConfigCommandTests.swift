import Foundation
import Testing
import TestSupport

/// `replayd config`, run as the real binary: every setting the loader reads is printed once under its
/// variable, with what was loaded, and no secret is ever echoed.
@Suite(.serialized)
struct ConfigCommandTests {
    /// Every `REPLAYD_*`/`AWS_*` variable named in the service's sources (what can configure it).
    static func variablesInSources() throws -> Set<String> {
        let found = try shell("grep -rhoE '\"(REPLAYD|AWS)_[A-Z0-9_]+\"' Sources | tr -d '\"' | sort -u")
        try #require(found.status == 0, "grep failed: \(found.output)")
        // AWS_REGION is the fallback of REPLAYD_S3_REGION, listed under it.
        return Set(found.output.split(separator: "\n").map(String.init)).subtracting(["AWS_REGION"])
    }

    static func run(_ environment: [String: String]) throws -> (status: Int32, output: String) {
        // Only what the test sets: a clean environment, as a service manager would give.
        let exports = environment.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        return try shell("env -i PATH=\"$PATH\" \(exports) '\(ReplaydProcess.binary)' config")
    }

    @Test func printsEverySettingOnceWithWhatWasLoaded() throws {
        let result = try Self.run([
            "REPLAYD_MAX_EVENTS_PER_BATCH": "20000", "REPLAYD_TIMESTAMP_SKEW": "30d",
            "REPLAYD_POSTGRES_URL": "postgres://replayd:hunter2-secret@db.internal:5433/replay",
            "REPLAYD_REDIS_URL": "redis://:redis-secret-pw@cache.internal:6380/2",
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "aws-secret-value-123",
            "REPLAYD_LINK_SECRET": "link-secret-0123456789abcdef", "REPLAYD_PRESIGN_SECONDS": "0",
            "REPLAYD_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "REPLAYD_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "REPLAYD_KAFKA_SASL_USERNAME": "ingest", "REPLAYD_KAFKA_SASL_PASSWORD": "kafka-secret-pw-42",
            "REPLAYD_KAFKA_SSL_KEY_PASSWORD": "key-secret-pw-43",
            "REPLAYD_KAFKA_REPLICATION_FACTOR": "3", "REPLAYD_KAFKA_MIN_INSYNC_REPLICAS": "2", "REPLAYD_KAFKA_RETENTION": "7d",
        ])
        #expect(result.status == 0, "\(result.output)")
        let lines = result.output.split(separator: "\n").map(String.init)
        let printed = lines.compactMap { $0.split(separator: " ").first.map(String.init) }
        for variable in try Self.variablesInSources() {
            #expect(printed.filter { $0 == variable }.count == 1, "\(variable) is printed \(printed.filter { $0 == variable }.count) times")
        }
        #expect(Set(printed).count == printed.count, "a setting is printed twice: \(printed)")
        func value(_ variable: String) -> String? {
            lines.first { $0.hasPrefix(variable + " ") }.map { String($0.dropFirst(variable.count)).trimmingCharacters(in: .whitespaces) }
        }
        #expect(value("REPLAYD_MAX_EVENTS_PER_BATCH") == "20000")
        #expect(value("REPLAYD_TIMESTAMP_SKEW") == "2592000.0 seconds")
        #expect(value("REPLAYD_POSTGRES_URL")?.contains("db.internal:5433/replay") == true)
        #expect(value("REPLAYD_PRESIGN_SECONDS")?.hasPrefix("0") == true)
        #expect(value("REPLAYD_KAFKA_SECURITY_PROTOCOL") == "sasl_ssl")
        #expect(value("REPLAYD_KAFKA_SASL_USERNAME") == "ingest")
        #expect(value("REPLAYD_KAFKA_SASL_PASSWORD") == "***")
        #expect(value("REPLAYD_KAFKA_REPLICATION_FACTOR") == "3")
        #expect(value("REPLAYD_KAFKA_MIN_INSYNC_REPLICAS") == "2")
        for secret in ["hunter2-secret", "redis-secret-pw", "aws-secret-value-123", "link-secret-0123456789abcdef",
                       "kafka-secret-pw-42", "key-secret-pw-43"] {
            #expect(!result.output.contains(secret), "replayd config printed the secret \(secret)")
        }
    }

    @Test func aMalformedURLIsRefusedWithoutEchoingItsPassword() throws {
        for url in ["postgres//replayd:hunter2-secret@db.internal/replay", "mysql://replayd:hunter2-secret@db/replay",
                    "postgres://replayd:hunter2/secret@/replay"] {
            let result = try Self.run(["REPLAYD_POSTGRES_URL": url])
            #expect(result.status != 0, "\(url) was accepted")
            #expect(result.output.contains("REPLAYD_POSTGRES_URL"), "\(result.output)")
            #expect(!result.output.contains("hunter2"), "the password of \(url) was echoed: \(result.output)")
        }
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let result = try Self.run(["REPLAYD_PRESIGN_SECONDS": "soon", "REPLAYD_SPOOL_MAX_OPEN": "0", "AWS_ACCESS_KEY_ID": "AK",
                                   "REPLAYD_KAFKA_SECURITY_PROTOCOL": "tls", "REPLAYD_KAFKA_REPLICATION_FACTOR": "1",
                                   "REPLAYD_KAFKA_MIN_INSYNC_REPLICAS": "2"])
        #expect(result.status != 0)
        for variable in ["REPLAYD_PRESIGN_SECONDS", "REPLAYD_SPOOL_MAX_OPEN", "AWS_SECRET_ACCESS_KEY", "REPLAYD_KAFKA_SECURITY_PROTOCOL",
                         "REPLAYD_KAFKA_MIN_INSYNC_REPLICAS"] {
            #expect(result.output.contains(variable), "\(variable) not reported: \(result.output)")
        }
    }

    /// The TLS settings reach librdkafka: a CA bundle that does not exist stops the service at start
    /// with librdkafka's own complaint about it (a plaintext broker would otherwise have been used),
    /// as a clean exit with status 1 and the structured error (it once crashed with SIGSEGV here: the
    /// admin client released its callback context twice when librdkafka refused the settings).
    @Test func kafkaTLSSettingsReachEveryClient() throws {
        let port = try TestStack.freePort()
        let environment = ["REPLAYD_KAFKA_TOPIC": TestStack.uniqueName("tls"), "REPLAYD_KAFKA_SECURITY_PROTOCOL": "ssl",
                           "REPLAYD_KAFKA_SSL_CA_LOCATION": "/nonexistent/replayd-ca.pem", "REPLAYD_LOG_LEVEL": "error"]
        let exports = environment.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        let result = try shell("REPLAYD_HTTP_PORT=\(port) REPLAYD_ADMIN_HTTP_PORT=\(try TestStack.freePort()) env \(exports) timeout 30 '\(ReplaydProcess.binary)' collector 2>&1")
        #expect(result.status == 1, "exit status \(result.status): \(result.output.suffix(2000))")
        #expect(result.output.contains("Error: kafka_configuration"), "\(result.output.suffix(2000))")
        #expect(result.output.contains("ssl.ca.location") || result.output.contains("replayd-ca.pem"), "\(result.output.suffix(2000))")
    }
}
