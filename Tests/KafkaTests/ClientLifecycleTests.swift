import Foundation
import Kafka
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
