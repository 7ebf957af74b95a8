import Core
import Foundation
import Kafka
import Testing
import TestSupport

extension KafkaIntegrationTests {
    /// Freezes the shared broker with SIGSTOP for a few seconds; always resumes it (SIGCONT).
    @Suite("Broker outage", .serialized)
    struct BrokerOutageTests {
        static func brokerPID() throws -> Int32 {
            guard let pid = TestStack.brokerPID() else { throw ReplaydError(code: "no_broker", message: "no broker process found: run scripts/stack up") }
            return pid
        }

        @Test("producing to a stopped broker fails within messageTimeout instead of hanging")
        func produceToStoppedBrokerTimesOut() async throws {
            let pid = try Self.brokerPID()
            try await KafkaTest.withTopic("kafka-outage", partitions: 1) { topic in
                var configuration = KafkaProducerConfiguration(bootstrapServers: KafkaTest.brokers)
                configuration.messageTimeout = .seconds(3)
                let producer = try KafkaProducer(configuration: configuration, logger: KafkaTest.logger)
                let message = KafkaOutgoingMessage(topic: topic, key: nil, value: KafkaTest.bytes("hello"))
                _ = try await producer.send(message)

                let started = ContinuousClock.now
                try StackFaults.freeze([pid])
                defer { StackFaults.thaw([pid]) }
                // If send hung, this still thaws the broker so nothing else stays frozen.
                let safety = Task {
                    try await Task.sleep(for: .seconds(10))
                    StackFaults.thaw([pid])
                }
                let outcome: Result<KafkaDeliveryReport, any Error>
                do {
                    outcome = .success(try await producer.send(message))
                } catch {
                    outcome = .failure(error)
                }
                let elapsed = started.duration(to: .now)
                StackFaults.thaw([pid])
                safety.cancel()

                switch outcome {
                case .success(let report):
                    Issue.record("send to a stopped broker succeeded: \(report)")
                case .failure(let error):
                    let kafkaError = try #require(error as? KafkaError)
                    #expect([.messageTimedOut, .brokerUnavailable].contains(kafkaError.kind), "\(kafkaError)")
                    #expect(kafkaError.code.hasPrefix("kafka_"))
                }
                #expect(elapsed < .seconds(7), "took \(elapsed) with a 3 s message timeout")

                await producer.shutdown()

                // The broker is usable again. (A fresh producer, because after an in-flight timeout
                // librdkafka bumps the idempotent producer's epoch and Tansu 0.6 answers that with
                // PRODUCER_FENCED for every later record of the old producer; real Kafka accepts it.)
                let fresh = try KafkaProducer(configuration: configuration, logger: KafkaTest.logger)
                let report = try await fresh.send(message)
                #expect(report.offset >= 1)
                await fresh.shutdown()
            }
        }
    }
}
