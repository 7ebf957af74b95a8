/// Where ``CurlClient/execute(_:sink:progress:)`` puts the response body.
public enum CurlResponseSink: Sendable {
    /// Into ``CurlResponse/body``. A body larger than `maxBytes` aborts the transfer with a
    /// ``CurlError`` of kind ``CurlError/Kind/aborted`` (code `curl_response_too_large`).
    case collect(maxBytes: Int)
    /// Written to the file at `path` (created, or truncated if it exists), chunk by chunk.
    case file(path: String)
    /// Read and thrown away.
    case discard
}
