import Foundation
import Kafka
import Testing
import TestSupport

extension KafkaIntegrationTests {
    @Suite("Consumer groups")
    struct ConsumerGroupTests {
        static let trace: [UInt8] = [0, 1, 2, 255]

        static func message(_ index: Int, topic: String) -> KafkaOutgoingMessage {
            KafkaOutgoingMessage(
                topic: topic,
                key: KafkaTest.bytes("key-\(index)"),
                value: KafkaTest.bytes("value-\(index)"),
                headers: [KafkaHeader(key: "idx", value: KafkaTest.bytes("\(index)")), KafkaHeader(key: "trace", value: trace)]
            )
        }

        static func produce(_ range: Range<Int>, topic: String, with producer: KafkaProducer) async throws -> [KafkaDeliveryReport] {
            try await withThrowingTaskGroup(of: KafkaDeliveryReport.self) { group in
                for index in range {
                    group.addTask { try await producer.send(message(index, topic: topic)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }

        /// The next offset per partition after `reports` (what a group that consumed them all commits).
        static func endOffsets(_ reports: [KafkaDeliveryReport]) -> [Int32: Int64] {
            reports.reduce(into: [:]) { ends, report in ends[report.partition] = max(ends[report.partition] ?? 0, report.offset + 1) }
        }

        /// Checks that `messages` are exactly `expected`, each once, with key and headers intact.
        static func expectExactlyOnce(_ messages: [KafkaMessage], expected: Range<Int>) {
            var seen: [Int: Int] = [:]
            for message in messages {
                guard let index = KafkaTest.text(message.header("idx")).flatMap({ Int($0) }) else {
                    Issue.record("message at \(message.topicPartition)@\(message.offset) has no idx header")
                    continue
                }
                seen[index, default: 0] += 1
                #expect(KafkaTest.text(message.key) == "key-\(index)")
                #expect(KafkaTest.text(message.value) == "value-\(index)")
                #expect(message.headers == [KafkaHeader(key: "idx", value: KafkaTest.bytes("\(index)")),
                                            KafkaHeader(key: "trace", value: trace)])
            }
            let duplicates = seen.filter { $0.value > 1 }
            #expect(duplicates.isEmpty, "delivered more than once: \(duplicates.keys.sorted().prefix(20))")
            #expect(Set(seen.keys) == Set(expected), "missing: \(Set(expected).subtracting(seen.keys).sorted().prefix(20))")
            #expect(messages.count == expected.count)
        }

        @Test("10,000 messages reach a two-member group exactly once; a new member resumes after the commit")
        func exactlyOnceAcrossTwoConsumersThenResume() async throws {
            let partitions: Int32 = 4
            try await KafkaTest.withTopic("kafka-group", partitions: partitions) { topic in
                let group = TestStack.uniqueName("kafka-group")
                let admin = KafkaTest.admin
                let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: KafkaTest.brokers),
                                                 logger: KafkaTest.logger)
                let consumerA = try KafkaConsumer(configuration: KafkaTest.consumerConfiguration(group: group, topic: topic), logger: KafkaTest.logger)
                let consumerB = try KafkaConsumer(configuration: KafkaTest.consumerConfiguration(group: group, topic: topic), logger: KafkaTest.logger)
                let loopA = PollLoop(consumerA)
                let loopB = PollLoop(consumerB)

                // Both members hold partitions before anything is produced, so both must receive some.
                let balanced = try await KafkaTest.eventually(timeout: .seconds(30)) {
                    let a = try consumerA.assignment(), b = try consumerB.assignment()
                    return !a.isEmpty && !b.isEmpty && Set(a).union(b).count == Int(partitions)
                }
                try #require(balanced, "the two consumers never shared the \(partitions) partitions")

                let reports = try await Self.produce(0..<10_000, topic: topic, with: producer)
                #expect(Set(reports.map { "\($0.partition)@\($0.offset)" }).count == 10_000)

                let allArrived = await KafkaTest.eventually(timeout: .seconds(60)) {
                    loopA.received.count + loopB.received.count >= 10_000
                }
                try await Task.sleep(for: .seconds(1))  // a duplicate would show up now
                try await loopA.stop()
                try await loopB.stop()
                #expect(allArrived)
                #expect(loopA.received.count > 0 && loopB.received.count > 0)
                Self.expectExactlyOnce(loopA.received.all + loopB.received.all, expected: 0..<10_000)

                try await consumerA.commit()
                try await consumerB.commit()
                // Tansu 0.6 reports the high watermark as "base offset of the last batch + 1", so the
                // end offsets come from the delivery reports; the watermark can only be at or below them.
                let ends = Self.endOffsets(reports)
                var committed: [Int32: Int64] = [:]
                for partition in 0..<partitions {
                    let offset = try await admin.committedOffset(group: group, topic: topic, partition: partition)
                    let marks = try await admin.watermarks(topic: topic, partition: partition)
                    #expect(offset == ends[partition], "partition \(partition): committed \(String(describing: offset)), produced up to \(String(describing: ends[partition]))")
                    #expect(marks.low == 0 && marks.high > 0 && marks.high <= offset ?? 0)
                    committed[partition] = offset ?? 0
                }
                #expect(committed.values.reduce(0, +) == 10_000)

                // B leaves; C joins the same group and must start after the committed offsets.
                await consumerB.close()
                let moreReports = try await Self.produce(10_000..<11_000, topic: topic, with: producer)
                let loopA2 = PollLoop(consumerA)
                let consumerC = try KafkaConsumer(configuration: KafkaTest.consumerConfiguration(group: group, topic: topic), logger: KafkaTest.logger)
                let loopC = PollLoop(consumerC)
                let restArrived = await KafkaTest.eventually(timeout: .seconds(45)) {
                    loopA2.received.count + loopC.received.count >= 1_000
                }
                // Keep polling until C got partitions so the resume really went through a new member.
                let cAssigned = try await KafkaTest.eventually(timeout: .seconds(45)) { try !consumerC.assignment().isEmpty }
                try await Task.sleep(for: .seconds(1))
                try await loopA2.stop()
                try await loopC.stop()
                #expect(restArrived)

                let second = loopA2.received.all + loopC.received.all
                for message in second {
                    #expect(message.offset >= committed[message.partition] ?? 0,
                            "re-delivered \(message.topicPartition)@\(message.offset), committed \(committed[message.partition] ?? 0)")
                }
                Self.expectExactlyOnce(second, expected: 10_000..<11_000)
                #expect(cAssigned, "the new member C never got partitions")

                await consumerA.close()
                await consumerC.close()
                await consumerC.close()  // idempotent
                let finalEnds = Self.endOffsets(reports + moreReports)
                var total: Int64 = 0
                for partition in 0..<partitions {
                    let offset = try await admin.committedOffset(group: group, topic: topic, partition: partition)
                    #expect(offset == finalEnds[partition], "after close, partition \(partition): committed \(String(describing: offset)), produced up to \(String(describing: finalEnds[partition]))")
                    total += offset ?? 0
                }
                #expect(total == 11_000)
                #expect(try await admin.partitionCount(topic: topic) == partitions)
                await producer.shutdown()
            }
        }
    }
}
