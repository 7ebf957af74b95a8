import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Testing
import TestSupport

extension KafkaIntegrationTests {
    @Suite("Client lifecycle and errors")
    struct ClientLifecycleTests {
        @Test("an unknown librdkafka property is a configuration error")
        func badConfiguration() throws {
            var configuration = KafkaProducerConfiguration(bootstrapServers: KafkaTest.brokers)
            configuration.extra["no.such.property"] = "1"
            let error = try #require(throws: KafkaError.self) {
                _ = try KafkaProducer(configuration: configuration, logger: KafkaTest.logger)
            }
            #expect(error.kind == .configuration)
            #expect(error.code == "kafka_configuration")
            #expect(error.message.contains("no.such.property"))
        }

        @Test("shutdown is idempotent and later sends fail with closed")
        func shutdownThenSend() async throws {
            let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: KafkaTest.brokers),
                                             logger: KafkaTest.logger)
            async let first: Void = producer.shutdown()
            async let second: Void = producer.shutdown()
            _ = await (first, second)
            await producer.shutdown()
            let error = await #expect(throws: KafkaError.self) {
                _ = try await producer.send(KafkaOutgoingMessage(topic: "unused", key: nil, value: [1]))
            }
            #expect(error?.kind == .closed)
        }

        @Test("a record over message.max.bytes fails with messageTooLarge")
        func tooLarge() async throws {
            var configuration = KafkaProducerConfiguration(bootstrapServers: KafkaTest.brokers)
            configuration.messageMaxBytes = 10_000
            let producer = try KafkaProducer(configuration: configuration, logger: KafkaTest.logger)
            let error = await #expect(throws: KafkaError.self) {
                _ = try await producer.send(KafkaOutgoingMessage(topic: "unused-too-large", key: nil, value: [UInt8](repeating: 7, count: 20_000)))
            }
            #expect(error?.kind == .messageTooLarge)
            await producer.shutdown()
        }

        @Test("one long-lived admin handle serves concurrent calls, runs as a service and refuses calls once shut down")
        func longLivedAdmin() async throws {
            let admin = try KafkaAdminClient(bootstrapServers: KafkaTest.brokers, logger: KafkaTest.logger)
            try await KafkaTest.withTopic("kafka-admin-client", partitions: 2) { topic in
                try await admin.createTopic(topic, partitions: 2)  // already exists: fine
                let counts = try await withThrowingTaskGroup(of: Int32.self) { group in
                    for _ in 0..<20 { group.addTask { try await admin.partitionCount(topic: topic) } }
                    return try await group.reduce(into: [Int32]()) { $0.append($1) }
                }
                #expect(counts == Array(repeating: 2, count: 20))
                let marks = try await admin.watermarks(topic: topic, partition: 1)
                #expect(marks.low == 0 && marks.high == 0)
                let missing = await #expect(throws: KafkaError.self) { _ = try await admin.partitionCount(topic: TestStack.uniqueName("absent")) }
                #expect(missing?.kind == .unknownTopicOrPartition)
            }
            // Under a ServiceGroup: graceful shutdown closes the handle.
            let group = ServiceGroup(configuration: .init(services: [.init(service: admin)], logger: KafkaTest.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await Task.sleep(for: .milliseconds(100))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            let closed = await #expect(throws: KafkaError.self) { _ = try await admin.partitionCount(topic: "any") }
            #expect(closed?.kind == .closed)
            await admin.shutdown()  // idempotent
        }

        @Test("topics are created with a replication factor and topic-level config")
        func topicConfig() async throws {
            let admin = try KafkaAdminClient(bootstrapServers: KafkaTest.brokers, logger: KafkaTest.logger)
            let topic = TestStack.uniqueName("kafka-topic-config")
            try await admin.createTopic(topic, partitions: 3, replicationFactor: 1,
                                        config: [("min.insync.replicas", "1"), ("retention.ms", "86400000")])
            #expect(try await admin.partitionCount(topic: topic) == 3)
            // (The development broker accepts any replication factor and topic config without checking
            // them; a Kafka cluster refuses more replicas than brokers, which the service logs at start.)
            try? await KafkaAdmin(bootstrapServers: KafkaTest.brokers, logger: KafkaTest.logger).deleteTopic(topic)
            await admin.shutdown()
        }

        @Test("the consumer's cached high watermark follows what its fetches saw, without a broker request")
        func cachedHighWatermark() async throws {
            try await KafkaTest.withTopic("kafka-watermark", partitions: 1) { topic in
                let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: KafkaTest.brokers), logger: KafkaTest.logger)
                for index in 0..<25 { _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: nil, value: KafkaTest.bytes("w\(index)"))) }
                await producer.shutdown()
                let consumer = try KafkaConsumer(
                    configuration: KafkaTest.consumerConfiguration(group: TestStack.uniqueName("kafka-watermark"), topic: topic),
                    logger: KafkaTest.logger)
                let partition = KafkaTopicPartition(topic: topic, partition: 0)
                #expect(consumer.cachedHighWatermark(partition) == nil, "nothing fetched yet")
                var read = 0
                let deadline = ContinuousClock.now + .seconds(30)
                while read < 25, ContinuousClock.now < deadline {
                    read += try await consumer.poll(maxMessages: 64, timeout: .milliseconds(500)).count
                }
                #expect(read == 25)
                #expect(consumer.cachedHighWatermark(partition) == 25)
                await consumer.close()
                #expect(consumer.cachedHighWatermark(partition) == nil, "closed")
            }
        }

        @Test("admin: partition count, watermarks, committed offset of an unknown group")
        func admin() async throws {
            let admin = KafkaTest.admin
            try await KafkaTest.withTopic("kafka-admin", partitions: 3) { topic in
                try await admin.createTopic(topic, partitions: 3)  // already exists: fine
                #expect(try await admin.partitionCount(topic: topic) == 3)
                let marks = try await admin.watermarks(topic: topic, partition: 2)
                #expect(marks.low == 0 && marks.high == 0)
                #expect(try await admin.committedOffset(group: TestStack.uniqueName("nobody"), topic: topic, partition: 0) == nil)
            }
        }
    }
}
