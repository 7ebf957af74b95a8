import Crypto

/// A Lua script run with ``RedisClient/eval(_:keys:arguments:)``, identified by the SHA-1 of its
/// source as Redis does (so `EVALSHA` can be used without sending the source each time).
public struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    public let source: String
    /// Lower-case hex SHA-1 of ``source``, the name Redis caches it under.
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        let digest = Insecure.SHA1.hash(data: Array(source.utf8))
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(40)
        for byte in digest {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0f)])
        }
        self.sha1 = String(decoding: text, as: UTF8.self)
    }
}
