/// Settings of a ``CurlClient``.
public struct CurlClientConfiguration: Sendable {
    /// Dedicated OS threads, each running one blocking transfer at a time with its own reusable
    /// curl handle (and connection cache). More concurrent requests queue.
    public var workers: Int = 8
    /// Limit for establishing a connection (TCP + TLS).
    public var connectTimeout: Duration = .seconds(5)
    /// Limit for a whole transfer unless ``CurlRequest/timeout`` overrides it.
    public var requestTimeout: Duration = .seconds(300)
    /// Transfers slower than this many bytes per second for ``lowSpeedTime`` are aborted as
    /// timeouts. `0` disables the check.
    public var lowSpeedLimit: Int = 1024
    public var lowSpeedTime: Duration = .seconds(30)
    /// The `User-Agent` header, unless a request sets its own.
    public var userAgent = "replayd"

    public init() {}
}
