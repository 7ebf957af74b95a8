import Logging
import ServiceLifecycle
import Synchronization

/// A ``KafkaProducer`` that replaces itself when it becomes unusable for good (error kind
/// `.fatal`: a fatal idempotence error, or fenced by the broker after an outage).
///
/// The send that saw the fatal error still fails (its caller answers 503 and the client retries);
/// later sends go to a fresh producer. The old one is shut down in the background, which flushes
/// or fails whatever it still holds, so no caller waits forever.
public final class ResilientKafkaProducer: Sendable {
    private struct Current {
        var generation: Int
        var producer: KafkaProducer
    }

    private let configuration: KafkaProducerConfiguration
    private let logger: Logger
    private let current: Mutex<Current>

    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        current = Mutex(Current(generation: 0, producer: try KafkaProducer(configuration: configuration, logger: logger)))
    }

    /// Produces `message`; see ``KafkaProducer/send(_:)``.
    public func send(_ message: KafkaOutgoingMessage) async throws -> KafkaDeliveryReport {
        let (generation, producer) = current.withLock { ($0.generation, $0.producer) }
        do {
            return try await producer.send(message)
        } catch let error as KafkaError where error.kind == .fatal {
            replace(generation: generation, after: error)
            throw error
        }
    }

    public func flush(timeout: Duration) async throws {
        try await current.withLock { $0.producer }.flush(timeout: timeout)
    }

    public func shutdown() async {
        await current.withLock { $0.producer }.shutdown()
    }

    /// How many times the producer was replaced.
    public var replacements: Int { current.withLock { $0.generation } }

    private func replace(generation: Int, after error: KafkaError) {
        let fresh: KafkaProducer
        do {
            fresh = try KafkaProducer(configuration: configuration, logger: logger)
        } catch {
            logger.error("cannot create a replacement Kafka producer", metadata: ["error": "\(error)"])
            return
        }
        let old: KafkaProducer? = current.withLock { state in
            guard state.generation == generation else { return nil }
            let old = state.producer
            state = Current(generation: generation + 1, producer: fresh)
            return old
        }
        guard let old else {
            Task { await fresh.shutdown() }  // another send already replaced it
            return
        }
        logger.warning("replaced the Kafka producer after a fatal error", metadata: ["error": "\(error)"])
        Task { await old.shutdown() }
    }
}

extension ResilientKafkaProducer: Service {
    /// Waits for graceful shutdown (or cancellation), then flushes and shuts down.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }
}
