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
        for secret in ["hunter2-secret", "redis-secret-pw", "aws-secret-value-123", "link-secret-0123456789abcdef"] {
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
        let result = try Self.run(["REPLAYD_PRESIGN_SECONDS": "soon", "REPLAYD_SPOOL_MAX_OPEN": "0", "AWS_ACCESS_KEY_ID": "AK"])
        #expect(result.status != 0)
        for variable in ["REPLAYD_PRESIGN_SECONDS", "REPLAYD_SPOOL_MAX_OPEN", "AWS_SECRET_ACCESS_KEY"] {
            #expect(result.output.contains(variable), "\(variable) not reported: \(result.output)")
        }
    }
}
