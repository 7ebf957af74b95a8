import CRdKafka
import Foundation
import Logging
import Synchronization

/// An idempotent Kafka producer.
///
/// `send` hands the record to librdkafka (which copies it) and suspends until the delivery report
/// arrives; no thread waits per message. Delivery reports are served by one dedicated poll thread
/// per producer. Call ``shutdown()`` (or run the producer as a `Service`) before dropping it: that
/// flushes outstanding records and frees the librdkafka handle.
///
/// Cancelling a task blocked in `send` does not withdraw the record: once accepted it is delivered
/// or fails on librdkafka's terms.
///
/// Against Tansu 0.6 (the dev/test broker), once an in-flight record timed out the idempotent
/// producer is fenced for good (every later record fails with `PRODUCER_FENCED`, kind `.fatal`):
/// recreate the producer (``ResilientKafkaProducer`` does). Apache Kafka accepts librdkafka's epoch bump and needs no such step.
public final class KafkaProducer: Sendable {
    private enum Phase {
        case running
        case shuttingDown([CheckedContinuation<Void, Never>])
        case finished
    }

    private let configuration: KafkaProducerConfiguration
    private let logger: Logger
    private let context: ClientContext
    private let client: RdKafkaClient
    private let pollThread: WorkerThread
    private let phase = Mutex(Phase.running)

    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let context = ClientContext(logger: logger)
        self.context = context
        let rk = try RdKafkaConfiguration.makeClient(
            type: RD_KAFKA_PRODUCER, properties: configuration.properties, context: context
        ) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, rdkafkaDeliveryReportCallback)
        }
        let client = RdKafkaClient(rk)
        self.client = client
        pollThread = WorkerThread(name: "kafka-producer-poll") {
            _ = try? client.withHandle { rd_kafka_poll($0, 100) }
        }
    }

    /// Produces `message` and returns where the broker stored it. Throws ``KafkaError``:
    /// `queueFull` immediately when the local queue is full, `messageTimedOut` when the broker did
    /// not acknowledge within `messageTimeout`, `closed` after ``shutdown()``.
    public func send(_ message: KafkaOutgoingMessage) async throws -> KafkaDeliveryReport {
        guard case .running = phase.withLock({ $0 }) else { throw KafkaError.closed() }
        return try await withCheckedThrowingContinuation { continuation in
            let callback = DeliveryCallback(topic: message.topic, continuation: continuation)
            let opaque = Unmanaged.passRetained(callback).toOpaque()
            let error: rd_kafka_resp_err_t
            do {
                error = try client.withHandle { rk in enqueue(message, on: rk, opaque: opaque) }
            } catch {
                Unmanaged<DeliveryCallback>.fromOpaque(opaque).release()
                continuation.resume(throwing: error)
                return
            }
            if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                Unmanaged<DeliveryCallback>.fromOpaque(opaque).release()
                continuation.resume(throwing: KafkaError(error, context: "produce to \(message.topic)"))
            }
        }
    }

    private func enqueue(_ message: KafkaOutgoingMessage, on rk: OpaquePointer, opaque: UnsafeMutableRawPointer) -> rd_kafka_resp_err_t {
        var headers: OpaquePointer?
        if !message.headers.isEmpty {
            headers = rd_kafka_headers_new(message.headers.count)
            for header in message.headers {
                header.value.withUnsafeBytes { value in
                    _ = rd_kafka_header_add(headers, header.key, -1, value.baseAddress, value.count)
                }
            }
        }
        let partition = message.partition ?? RD_KAFKA_PARTITION_UA
        return message.value.withUnsafeBytes { value in
            if let key = message.key {
                // An empty key is still a key (not NULL), so point at a valid byte with length 0.
                let keyBytes = key.isEmpty ? [0] : key
                return keyBytes.withUnsafeBytes { keyPointer in
                    crdkafka_produce(rk, message.topic, partition, keyPointer.baseAddress, key.count,
                                     value.baseAddress, value.count, headers, opaque)
                }
            }
            return crdkafka_produce(rk, message.topic, partition, nil, 0, value.baseAddress, value.count, headers, opaque)
        }
    }

    /// Waits until every record handed to `send` so far was acknowledged or failed. Throws
    /// `messageTimedOut` if some are still outstanding after `timeout`.
    public func flush(timeout: Duration) async throws {
        let client = client
        try await pollThread.run {
            let error = try client.withHandle { rd_kafka_flush($0, timeout.rdkafkaMilliseconds) }
            if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                let outstanding = try client.withHandle { rd_kafka_outq_len($0) }
                throw KafkaError(kind: .messageTimedOut, rdkafkaCode: error.rawValue,
                                 detail: "flush: \(outstanding) records still outstanding after \(timeout)")
            }
        }
    }

    /// Stops accepting records, flushes (bounded by `messageTimeout`), fails whatever is left with
    /// ``KafkaError/Kind/closed``, stops the poll thread and destroys the handle. Idempotent;
    /// concurrent callers all return once shutdown finished.
    public func shutdown() async {
        let isFirst = phase.withLock { phase -> Bool? in
            switch phase {
            case .running:
                phase = .shuttingDown([])
                return true
            case .shuttingDown:
                return false
            case .finished:
                return nil
            }
        }
        guard let isFirst else { return }
        guard isFirst else {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let finished = phase.withLock { phase -> Bool in
                    guard case .shuttingDown(var waiters) = phase else { return true }
                    waiters.append(continuation)
                    phase = .shuttingDown(waiters)
                    return false
                }
                if finished { continuation.resume() }
            }
            return
        }

        let client = client
        let timeout = configuration.messageTimeout.rdkafkaMilliseconds
        let logger = logger
        let pollThread = pollThread
        _ = try? await pollThread.run {
            _ = try? client.withHandle { rk in
                if rd_kafka_flush(rk, timeout) != RD_KAFKA_RESP_ERR_NO_ERROR {
                    logger.warning("Kafka producer shutdown: \(rd_kafka_outq_len(rk)) records not acknowledged in time; failing them")
                }
                // Records accepted after the flush, or never acknowledged, get their delivery report here.
                rd_kafka_purge(rk, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
                let deadline = ContinuousClock.now + .seconds(5)
                while rd_kafka_outq_len(rk) > 0, ContinuousClock.now < deadline {
                    rd_kafka_poll(rk, 50)
                }
            }
            client.destroy()
            pollThread.stopAfterCurrentJob()
        }
        await pollThread.stop()
        RdKafkaConfiguration.releaseContext(context)

        let waiters = phase.withLock { phase -> [CheckedContinuation<Void, Never>] in
            defer { phase = .finished }
            if case .shuttingDown(let waiters) = phase { return waiters }
            return []
        }
        for waiter in waiters { waiter.resume() }
    }
}
