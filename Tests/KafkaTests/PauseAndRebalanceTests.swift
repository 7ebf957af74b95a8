import Foundation
import Kafka
import Synchronization
import Testing
import TestSupport

extension KafkaIntegrationTests {
    @Suite("Pause, resume and rebalance events")
    struct PauseAndRebalanceTests {
        /// What the rebalance handler saw, with the assignment at that moment.
        final class Observations: Sendable {
            let consumer = Mutex<KafkaConsumer?>(nil)
            let events = Mutex<[(event: KafkaRebalanceEvent, assignmentDuringHandler: [KafkaTopicPartition])]>([])

            func record(_ event: KafkaRebalanceEvent) {
                let assignment = (try? consumer.withLock { $0 }?.assignment()) ?? []
                events.withLock { $0.append((event, assignment)) }
            }
        }

        static func drain(_ consumer: KafkaConsumer, for duration: Duration, until done: ([KafkaMessage]) -> Bool = { _ in false })
            async throws -> [KafkaMessage]
        {
            var messages: [KafkaMessage] = []
            let deadline = ContinuousClock.now + duration
            while ContinuousClock.now < deadline, !done(messages) {
                if let message = try await consumer.poll(timeout: .milliseconds(200)) {
                    try consumer.storeOffset(message)
                    messages.append(message)
                }
            }
            return messages
        }

        @Test("pause stops a partition's delivery, resume restarts it; the handler sees assigned and revoked")
        func pauseResumeAndRebalance() async throws {
            try await KafkaTest.withTopic("kafka-pause", partitions: 2) { topic in
                let p0 = KafkaTopicPartition(topic: topic, partition: 0)
                let p1 = KafkaTopicPartition(topic: topic, partition: 1)
                let observations = Observations()
                let consumer = try KafkaConsumer(
                    configuration: KafkaTest.consumerConfiguration(group: TestStack.uniqueName("kafka-pause"), topic: topic),
                    logger: KafkaTest.logger,
                    rebalanceHandler: { observations.record($0) })
                observations.consumer.withLock { $0 = consumer }

                _ = try await Self.drain(consumer, for: .seconds(30)) { _ in (try? consumer.assignment().count) == 2 }
                try #require(Set(try consumer.assignment()) == [p0, p1])
                let assigned = try #require(observations.events.withLock { $0.first })
                guard case .assigned(let partitions) = assigned.event else {
                    Issue.record("first rebalance event was \(assigned.event)")
                    return
                }
                #expect(Set(partitions) == [p0, p1])
                #expect(assigned.assignmentDuringHandler.isEmpty, "handler ran after the partitions were assigned")

                try consumer.pause([p0])
                let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: KafkaTest.brokers),
                                                 logger: KafkaTest.logger)
                for index in 0..<10 {
                    let partition = Int32(index % 2)
                    _ = try await producer.send(KafkaOutgoingMessage(
                        topic: topic, key: nil, value: KafkaTest.bytes("m\(index)"), partition: partition))
                }
                await producer.shutdown()

                let whilePaused = try await Self.drain(consumer, for: .seconds(15)) { $0.count >= 5 }
                let extra = try await Self.drain(consumer, for: .seconds(2))
                #expect(whilePaused.count == 5)
                #expect((whilePaused + extra).allSatisfy { $0.partition == 1 }, "a paused partition delivered")
                #expect(extra.isEmpty)

                try consumer.resume([p0])
                let afterResume = try await Self.drain(consumer, for: .seconds(15)) { $0.count >= 5 }
                #expect(afterResume.count == 5)
                #expect(afterResume.allSatisfy { $0.partition == 0 })
                #expect(afterResume.map { $0.offset } == [0, 1, 2, 3, 4])

                await consumer.close()
                let last = try #require(observations.events.withLock { $0.last })
                guard case .revoked(let revoked) = last.event else {
                    Issue.record("close did not revoke: last event \(last.event)")
                    return
                }
                #expect(Set(revoked) == [p0, p1])
                #expect(Set(last.assignmentDuringHandler) == [p0, p1], "handler ran after the partitions were released")
                let closedPoll = try await consumer.poll(timeout: .milliseconds(10))
                #expect(closedPoll == nil)
                await #expect(throws: KafkaError.self) { try await consumer.commit() }
            }
        }
    }
}
