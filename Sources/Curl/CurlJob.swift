/// One request queued for a worker thread, with how to hand its result back.
struct CurlJob: Sendable {
    /// Where the body goes; ``CurlResponseSink`` plus the stream channel of ``CurlClient/stream(_:)``.
    enum Sink: Sendable {
        case collect(maxBytes: Int)
        case file(path: String)
        case discard
        case stream(BodyChannel)

        init(_ sink: CurlResponseSink) {
            switch sink {
            case .collect(let maxBytes): self = .collect(maxBytes: maxBytes)
            case .file(let path): self = .file(path: path)
            case .discard: self = .discard
            }
        }
    }

    var request: CurlRequest
    var sink: Sink
    var progress: (@Sendable (_ sent: Int64, _ received: Int64) -> Void)?
    var control: TransferControl
    /// Called on the worker thread once the final response head has arrived (streams only).
    var onHead: (@Sendable (CurlResponse) -> Void)?
    /// Called exactly once, on the worker thread (or the submitting thread if the job never ran).
    var complete: @Sendable (Result<CurlResponse, any Error>) -> Void
}

extension CurlError {
    static var shutDown: CurlError {
        CurlError(
            kind: .aborted,
            code: "curl_client_shut_down",
            message: "the HTTP client was shut down before the request completed; this happens while the service stops"
        )
    }
}
