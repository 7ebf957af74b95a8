/// One fuzzed entry point: the function libFuzzer calls with each input, and the seeds it starts from.
///
/// `run` must be deterministic and must crash (``invariant(_:_:)`` or a trap) on a bug; any input the
/// code under test refuses cleanly is a normal outcome. The same function replays regression inputs in
/// `swift test` (Tests/FuzzRegressionTests) and in a normal build's executable.
public protocol FuzzTarget: Sendable {
    /// The name of the target's corpus and regression directories (`Fuzz/regressions/<name>/`).
    static var name: String { get }
    static func run(_ input: UnsafeRawBufferPointer)
    /// Seed inputs built from the rrweb fixture recordings.
    static func seeds(from fixtures: [Fixture]) throws -> [Seed]
}

/// A named seed input.
public struct Seed: Sendable {
    public var name: String
    public var bytes: [UInt8]

    public init(_ name: String, _ bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
}

public enum FuzzTargets {
    public static let all: [any FuzzTarget.Type] = [EnvelopeTarget.self, InflaterTarget.self, FileReaderTarget.self]

    public static func named(_ name: String) -> (any FuzzTarget.Type)? {
        all.first { $0.name == name }
    }
}

/// Stops the process with `message` when `condition` is false: a violated invariant is a finding,
/// reported like a crash (kept in `-O` builds, unlike `assert`).
@inline(__always)
func invariant(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz invariant violated: \(message())") }
}
