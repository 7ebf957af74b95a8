import CCurl
import Core
import Foundation
import ServiceLifecycle

/// A small, blocking-free HTTP client over libcurl.
///
/// Transfers run on a pool of dedicated OS threads (``CurlClientConfiguration/workers``), never on
/// Swift's cooperative pool or NIO event loops; each thread reuses one curl handle, so connections
/// are kept alive between requests. Request bodies stream from memory or files and response bodies
/// go to a sink chunk by chunk, so memory stays bounded whatever the size.
///
/// Any HTTP status is a ``CurlResponse``; ``CurlError`` means no complete response arrived.
/// Cancelling the calling task aborts its transfer (throwing `CancellationError`).
/// Run it in a `ServiceGroup` (``run()`` closes it at graceful shutdown), or call ``close()`` when
/// done. Dropping the last reference shuts the pool down on a thread of its own, never blocking the
/// releasing thread.
public final class CurlClient: Service, Sendable {
    private let pool: WorkerPool

    public init(configuration: CurlClientConfiguration = .init()) {
        _ = ccurl_global_init_once()
        pool = WorkerPool(configuration: configuration)
        pool.start()
    }

    deinit {
        let pool = pool
        Thread.detachNewThread { pool.shutdown() }
    }

    /// Waits for graceful shutdown, then ``close()``s the client.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// ``shutdown()`` on a thread of its own: the caller suspends, no pool thread blocks.
    public func close() async {
        let pool = pool
        _ = try? await BlockingWork.run(thread: "curl-close") { pool.shutdown() }
    }

    /// Performs `request`, putting the body into `sink`.
    ///
    /// - Parameter progress: called on the worker thread with bytes sent and received so far
    ///   whenever they change (and at least about once a second); keep it cheap.
    public func execute(
        _ request: CurlRequest,
        sink: CurlResponseSink = .collect(maxBytes: 16 << 20),
        progress: (@Sendable (_ sent: Int64, _ received: Int64) -> Void)? = nil
    ) async throws -> CurlResponse {
        let control = TransferControl()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let job = CurlJob(
                    request: request, sink: CurlJob.Sink(sink), progress: progress, control: control,
                    onHead: nil, complete: { continuation.resume(with: $0) }
                )
                if !pool.submit(job) { continuation.resume(throwing: CurlError.shutDown) }
            }
        } onCancel: {
            control.cancel()
        }
    }

    /// Starts `request` and returns as soon as the response head (status and headers) has arrived;
    /// the body follows through the returned stream with bounded buffering: while the reader is
    /// behind, the worker thread waits (and TCP flow control slows the sender).
    ///
    /// The request's timeout covers the whole transfer including time spent waiting for the reader;
    /// set ``CurlRequest/timeout`` for long reads. Cancelling the stream (or dropping it) aborts
    /// the transfer.
    public func stream(_ request: CurlRequest) async throws -> (head: CurlResponse, body: CurlBodyStream) {
        let pending = startStream(request)
        return (try await pending.head(), pending.body)
    }

    /// Hands `request` to a worker at once and returns without waiting: the head is awaited later
    /// with ``CurlPendingStream/head()``. Otherwise as ``stream(_:)``.
    public func startStream(_ request: CurlRequest) -> CurlPendingStream {
        let control = TransferControl()
        let channel = BodyChannel(control: control)
        let slot = HeadSlot()
        let job = CurlJob(
            request: request, sink: .stream(channel), progress: nil, control: control,
            onHead: { slot.deliver(.success($0)) },
            complete: { result in
                switch result {
                case .success(let response):
                    slot.deliver(.success(CurlResponse(status: response.status, headers: response.headers, newConnections: response.newConnections)))
                    channel.finish(nil)
                case .failure(let error):
                    slot.deliver(.failure(error))
                    channel.finish(error)
                }
            }
        )
        // The body (whose release aborts the transfer) is created before the job can run.
        let pending = CurlPendingStream(slot: slot, control: control, body: CurlBodyStream(channel: channel))
        if !pool.submit(job) {
            slot.deliver(.failure(CurlError.shutDown))
            channel.finish(CurlError.shutDown)
        }
        return pending
    }

    /// Fails queued requests, aborts running ones and joins the worker threads (blocking: from async
    /// code call ``close()``). Idempotent. Later requests fail with ``CurlError`` code
    /// `curl_client_shut_down`.
    public func shutdown() {
        pool.shutdown()
    }
}
