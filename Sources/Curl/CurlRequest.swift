/// An HTTP request for ``CurlClient``.
///
/// The client adds `User-Agent` (from its configuration) and an empty `Expect:` (no
/// `100-continue` round trip) unless the request sets them itself.
public struct CurlRequest: Sendable {
    /// `GET`, `HEAD`, `PUT`, `POST`, `DELETE`, ... (any token; sent as is).
    public var method: String
    /// An absolute `http://` or `https://` URL (other schemes are refused).
    public var url: String
    public var headers: [HTTPHeader]
    public var body: CurlRequestBody
    /// The limit for the whole transfer; `nil` uses ``CurlClientConfiguration/requestTimeout``.
    public var timeout: Duration? = nil

    public init(method: String, url: String, headers: [HTTPHeader] = [], body: CurlRequestBody = .none) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}
