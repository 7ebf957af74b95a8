import CRdKafka
import Logging
import ServiceLifecycle

/// One long-lived librdkafka handle for a service's topic checks and readiness probes (instead of a
/// new client per call). Calls may run concurrently: each blocks a thread of its own, never the
/// cooperative pool or an event loop, and librdkafka's handle is thread-safe. Run it in the
/// `ServiceGroup`: on graceful shutdown the handle is destroyed (off the pool) once the calls in
/// flight returned; later calls throw ``KafkaError/Kind/closed``.
public final class KafkaAdminClient: Service, Sendable {
    public let bootstrapServers: String
    /// Upper bound for each broker request.
    public let timeout: Duration
    private let client: RdKafkaClient
    private let context: ClientContext
    /// The handle's properties, for the describe requests that run on a handle of their own.
    private let properties: [(String, String)]

    public init(bootstrapServers: String, security: KafkaSecurity = KafkaSecurity(), timeout: Duration = .seconds(10),
                logger: Logger) throws {
        self.bootstrapServers = bootstrapServers
        self.timeout = timeout
        context = ClientContext(logger: logger)
        properties = [("bootstrap.servers", bootstrapServers)] + security.properties + AdminOperation.properties
        // On failure makeClient has released what it retained: nothing to undo here.
        let rk = try RdKafkaConfiguration.makeClient(type: RD_KAFKA_PRODUCER, properties: properties, context: context)
        client = RdKafkaClient(rk)
    }

    /// Creates `name` with topic-level `config`; succeeds if it already exists (whatever its settings).
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int16 = 1, config: [(String, String)] = []) async throws {
        let timeout = timeout.rdkafkaMilliseconds
        try await call("create-topic") { rk in
            try AdminOperation.createTopic(rk, name, partitions: partitions, replicationFactor: replicationFactor,
                                           config: config, timeout: timeout)
        }
    }

    /// How many partitions `topic` has; throws `unknownTopicOrPartition` if it does not exist.
    public func partitionCount(topic: String) async throws -> Int32 {
        let timeout = timeout.rdkafkaMilliseconds
        return try await call("metadata") { rk in try AdminOperation.partitionCount(rk, topic: topic, timeout: timeout) }
    }

    /// The partition's low and high watermarks, asked of the broker.
    public func watermarks(topic: String, partition: Int32) async throws -> (low: Int64, high: Int64) {
        let timeout = timeout.rdkafkaMilliseconds
        let offsets = try await call("watermarks") { rk in
            try AdminOperation.watermarks(rk, topic: topic, partition: partition, timeout: timeout)
        }
        return (offsets[0], offsets[1])
    }

    /// The consumer group's state and member count, asked of its coordinator. Runs on a short-lived
    /// handle of its own, not this client's: librdkafka aborts the process when a group request that
    /// timed out on a handle is still waiting for the coordinator as a broker comes back (see
    /// ``AdminOperation/group(properties:logger:_:timeout:)``).
    public func group(_ group: String) async throws -> KafkaGroupState {
        let timeout = timeout.rdkafkaMilliseconds
        let properties = properties, logger = context.logger
        // The shared handle is only held to refuse calls after shutdown, as every other call does.
        return try await call("describe-group") { _ in
            try AdminOperation.group(properties: properties, logger: logger, group, timeout: timeout)
        }
    }

    /// Waits for graceful shutdown, then destroys the handle.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Destroys the handle once the calls in flight returned (on a thread of its own). Idempotent.
    public func shutdown() async {
        let client = client, context = context
        _ = try? await WorkerThread.runDetached(name: "kafka-admin-close") {
            if client.destroyIfLive() { RdKafkaConfiguration.releaseContext(context) }
        }
    }

    private func call<T: Sendable>(_ name: String, _ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        let client = client
        return try await WorkerThread.runDetached(name: "kafka-admin-" + name) { try client.withHandle(body) }
    }
}
