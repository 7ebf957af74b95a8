/// A response as ``CurlClient`` received it. Every status (including 4xx/5xx) is a response, not an
/// error: callers decide what a status means and can read error bodies (e.g. S3 XML errors).
public struct CurlResponse: Sendable {
    /// The final HTTP status code.
    public var status: Int
    /// The final response's header fields in arrival order (headers of `1xx` interim responses are
    /// dropped).
    public var headers: [HTTPHeader]
    /// The body for ``CurlResponseSink/collect(maxBytes:)``; empty for the other sinks and for
    /// the head returned by ``CurlClient/stream(_:)``.
    public var body: [UInt8]
    /// How many new connections curl opened for this request (`CURLINFO_NUM_CONNECTS`); `0` means
    /// a kept-alive connection was reused. Not known yet (0) on the head of a stream.
    public var newConnections: Int

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = [], newConnections: Int = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.newConnections = newConnections
    }

    /// The value of the first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}
