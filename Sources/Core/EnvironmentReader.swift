import Foundation

/// Reads typed settings from an environment dictionary, collecting every problem instead of stopping
/// at the first, so start-up reports all misconfigured variables at once, each with its fix.
public struct EnvironmentReader: Sendable {
    public let environment: [String: String]
    public private(set) var problems: [String] = []

    public init(_ environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The raw value, treating an empty string as unset.
    public func raw(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    public mutating func string(_ name: String, default value: String) -> String {
        raw(name) ?? value
    }

    public mutating func int(_ name: String, default value: Int, range: ClosedRange<Int> = Int.min...Int.max) -> Int {
        guard let text = raw(name) else { return value }
        guard let parsed = Int(text.replacingOccurrences(of: "_", with: "")), range.contains(parsed) else {
            problems.append("\(name)=\(text) must be an integer in \(range.lowerBound)...\(range.upperBound) (default \(value))")
            return value
        }
        return parsed
    }

    /// Byte sizes accept plain integers and `k`/`KiB`, `m`/`MiB`, `g`/`GiB` suffixes (binary multiples).
    public mutating func bytes(_ name: String, default value: Int, range: ClosedRange<Int> = 0...Int.max) -> Int {
        guard let text = raw(name) else { return value }
        guard let parsed = Self.parseBytes(text), range.contains(parsed) else {
            problems.append("\(name)=\(text) must be a size like 16777216, 16MiB or 512k, between \(range.lowerBound) and \(range.upperBound) bytes")
            return value
        }
        return parsed
    }

    /// Durations accept `ms`, `s`, `m`, `h`, `d` suffixes; a bare number means seconds.
    public mutating func duration(_ name: String, default value: Duration, minimum: Duration = .zero) -> Duration {
        guard let text = raw(name) else { return value }
        guard let parsed = Self.parseDuration(text), parsed >= minimum else {
            problems.append("\(name)=\(text) must be a duration like 500ms, 30s, 5m, 1h or 7d (at least \(minimum))")
            return value
        }
        return parsed
    }

    public mutating func bool(_ name: String, default value: Bool) -> Bool {
        guard let text = raw(name)?.lowercased() else { return value }
        switch text {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default:
            problems.append("\(name)=\(text) must be true or false")
            return value
        }
    }

    /// A value that must be one of `choices`.
    public mutating func choice(_ name: String, default value: String, in choices: [String]) -> String {
        guard let text = raw(name) else { return value }
        guard choices.contains(text) else {
            problems.append("\(name)=\(text) must be one of: \(choices.joined(separator: ", "))")
            return value
        }
        return text
    }

    /// Records a problem found while validating a combination of settings.
    public mutating func problem(_ text: String) {
        problems.append(text)
    }

    /// Throws one error listing every problem, or does nothing.
    public func validate() throws {
        guard !problems.isEmpty else { return }
        throw ReplaydError(
            code: "invalid_configuration",
            message: "the configuration is invalid:\n  - " + problems.joined(separator: "\n  - "))
    }

    static func parseBytes(_ text: String) -> Int? {
        let lower = text.lowercased().trimmingCharacters(in: .whitespaces)
        let units: [(String, Int)] = [("gib", 1 << 30), ("mib", 1 << 20), ("kib", 1 << 10),
                                      ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10),
                                      ("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10), ("b", 1)]
        for (suffix, multiplier) in units where lower.hasSuffix(suffix) {
            guard let number = Int(lower.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)) else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
            return overflow || number < 0 ? nil : product
        }
        return Int(lower).flatMap { $0 >= 0 ? $0 : nil }
    }

    static func parseDuration(_ text: String) -> Duration? {
        let lower = text.lowercased().trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, seconds) in units where lower.hasSuffix(suffix) {
            guard let number = Double(lower.dropLast(suffix.count)), number >= 0, number.isFinite else { return nil }
            return .milliseconds(Int64((number * seconds * 1000).rounded()))
        }
        guard let number = Double(lower), number >= 0, number.isFinite else { return nil }
        return .milliseconds(Int64((number * 1000).rounded()))
    }
}
