import Logging
import Redis
import Testing
import TestSupport

/// Every test that talks to the real Redis hangs under this suite, which runs them one at a time:
/// the restart test takes the server down, and the timing tests want a quiet machine.
@Suite(.serialized) struct RedisIntegrationTests {}

/// Helpers shared by the integration tests.
enum RedisFixture {
    static var logger: Logger {
        var logger = Logger(label: "replayd.redis.tests")
        logger.logLevel = .error
        return logger
    }

    /// The local stack's Redis, adjusted by `edit`.
    static func configuration(_ edit: (inout RedisConfiguration) -> Void = { _ in }) -> RedisConfiguration {
        var configuration = RedisConfiguration(host: TestStack.redisHost, port: TestStack.redisPort)
        edit(&configuration)
        return configuration
    }

    static func client(_ edit: (inout RedisConfiguration) -> Void = { _ in }) -> RedisClient {
        RedisClient(configuration: configuration(edit), logger: logger)
    }

    /// A key no other test (or concurrently running module) uses.
    static func key(_ name: String) -> String {
        TestStack.uniqueName("replayd-redis-test-\(name)")
    }
}

/// Runs `body` and returns how long it took along with its outcome.
func timed<T: Sendable>(_ body: () async throws -> T) async -> (elapsed: Duration, result: Result<T, any Error>) {
    let clock = ContinuousClock()
    let start = clock.now
    let result: Result<T, any Error>
    do { result = .success(try await body()) } catch { result = .failure(error) }
    return (clock.now - start, result)
}

extension Result {
    /// The error as a ``RedisError``, or `nil` on success or another error type.
    var redisError: RedisError? {
        if case .failure(let error) = self { return error as? RedisError }
        return nil
    }
}
