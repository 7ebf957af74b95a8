import Foundation
import Kafka
import Logging

/// Reads the whole dead-letter topic once, from the beginning, without committing anything: a
/// consumer in a fresh, throw-away group (so no Processor's or earlier tool run's position
/// matters). The end is reached when no record arrived for ``idleTimeout`` once the topic's
/// partitions were assigned (Tansu's high watermark is not exact, so it is only used for progress).
public struct DeadLetterReader: Sendable {
    public var brokers: String
    public var topic: String
    public var sessionTimeout = Duration.seconds(6)
    /// How long without a record ends the read (after the first assignment).
    public var idleTimeout = Duration.seconds(3)
    public var logger: Logger

    /// TLS and SASL.
    public var security: KafkaSecurity

    public init(brokers: String, security: KafkaSecurity = KafkaSecurity(), topic: String, logger: Logger) {
        self.brokers = brokers
        self.security = security
        self.topic = topic
        self.logger = logger
    }

    /// Records in the topic now, summed over partitions from the watermarks (an estimate).
    public func estimatedCount() async -> Int {
        let admin = KafkaAdmin(bootstrapServers: brokers, security: security, logger: logger)
        guard let partitions = try? await admin.partitionCount(topic: topic) else { return 0 }
        var total: Int64 = 0
        for partition in 0..<partitions {
            if let (low, high) = try? await admin.watermarks(topic: topic, partition: partition) { total += max(high - low, 0) }
        }
        return Int(total)
    }

    /// Calls `body` with every record of the topic, in partition order; returns how many it read.
    @discardableResult
    public func read(_ body: (KafkaMessage) async throws -> Void) async throws -> Int {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: brokers, groupID: "replayd-dlq-reader-\(UUID().uuidString.lowercased())", topics: [topic])
        configuration.clientID = "replayd-dlq-reader"
        configuration.security = security
        configuration.sessionTimeout = sessionTimeout
        configuration.enableAutoCommit = false
        configuration.autoOffsetReset = "earliest"
        let assigned = AssignmentFlag()
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger) { event in
            if case .assigned(let partitions) = event, !partitions.isEmpty { assigned.set() }
        }
        var count = 0
        do {
            // Joining takes up to half the session timeout on Tansu; allow a margin before giving up.
            let joinDeadline = ContinuousClock.now + sessionTimeout * 2 + .seconds(5)
            var lastRecord = ContinuousClock.now
            while true {
                if let message = try await consumer.poll(timeout: .milliseconds(200)) {
                    count += 1
                    lastRecord = .now
                    try await body(message)
                    continue
                }
                let now = ContinuousClock.now
                if assigned.isSet {
                    if now - lastRecord >= idleTimeout { break }
                } else {
                    lastRecord = now
                    if now >= joinDeadline { break }
                }
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        return count
    }
}

import Synchronization

/// Set once from the consumer's rebalance handler, read by the reading task.
final class AssignmentFlag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}
