/// What a ``CurlRequest`` sends as its body. Every body is sent with an exact `Content-Length`.
public enum CurlRequestBody: Sendable {
    /// No body. `POST`, `PUT` and `PATCH` then send `Content-Length: 0`.
    case none
    /// A body held in memory.
    case bytes([UInt8])
    /// `length` bytes of the file at `path`, starting at `offset`, streamed with `pread` as curl asks
    /// for them (memory use stays bounded whatever the size).
    case file(path: String, offset: Int64, length: Int64)
}
