/// A reply from Redis (RESP2).
public indirect enum RedisReply: Sendable, Equatable {
    /// A simple string such as `OK` or `PONG`.
    case status(String)
    /// An error reply such as `ERR unknown command`. ``RedisClient/send(_:)-(RedisCommand)`` throws these as
    /// ``RedisError``; ``RedisClient/pipeline(_:)`` leaves them in place.
    case error(String)
    /// An integer reply.
    case integer(Int64)
    /// A bulk string, verbatim bytes.
    case bulk([UInt8])
    /// The null bulk string or null array (a missing key, a BLPOP timeout).
    case null
    /// An array reply.
    case array([RedisReply])

    /// The integer of an integer reply, or a status or bulk string that holds a decimal integer
    /// (`GET` of a counter); otherwise `nil`.
    public var int: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        case .status(let text): Int64(text)
        default: nil
        }
    }

    /// The text of a status or bulk string reply (bulk bytes decoded as UTF-8, invalid sequences
    /// replaced), or an integer reply's decimal form; otherwise `nil`.
    public var string: String? {
        switch self {
        case .status(let text): text
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .integer(let value): String(value)
        default: nil
        }
    }

    /// The raw bytes of a bulk or status reply; otherwise `nil`.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): bytes
        case .status(let text): Array(text.utf8)
        default: nil
        }
    }

    /// The elements of an array reply; otherwise `nil`.
    public var array: [RedisReply]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// True for ``null``.
    public var isNull: Bool { self == .null }
}
