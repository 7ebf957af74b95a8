/// One HTTP header field. Names compare case-sensitively here; use
/// ``CurlResponse/header(_:)`` for case-insensitive lookup.
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
