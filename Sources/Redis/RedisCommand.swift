/// One Redis command: its name and arguments as raw bytes (binary safe).
///
/// ```swift
/// RedisCommand("SET", key, value)
/// RedisCommand(rawArguments: [Array("SET".utf8), key, payloadBytes])
/// ```
public struct RedisCommand: Sendable, Equatable, CustomStringConvertible {
    /// The command name followed by its arguments, each sent verbatim.
    public var arguments: [[UInt8]]

    /// A command from UTF-8 strings, e.g. `RedisCommand("INCRBY", key, "5")`.
    public init(_ arguments: String...) {
        self.init(arguments: arguments)
    }

    /// A command from UTF-8 strings.
    public init(arguments: [String]) {
        self.arguments = arguments.map { Array($0.utf8) }
    }

    /// A command from raw byte strings (binary safe: NUL, CR and LF are fine).
    public init(rawArguments: [[UInt8]]) {
        self.arguments = rawArguments
    }

    /// The command name only (arguments may hold secrets or large payloads).
    public var description: String {
        guard let name = arguments.first else { return "<empty command>" }
        return String(decoding: name, as: UTF8.self).uppercased()
    }
}
