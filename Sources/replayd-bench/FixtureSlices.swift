import ArgumentParser
import Foundation

/// Real rrweb recordings (`*.json` arrays in a directory) cut into batches of events, serialized
/// once: the input of the benchmark commands.
enum FixtureSlices {
    /// - Parameters:
    ///   - eventsPerBatch: events per slice.
    ///   - movedToNow: shift each recording's timestamps so that it starts now (batches then pass
    ///     validation's clock-skew check).
    static func load(_ directory: String, eventsPerBatch: Int, movedToNow: Bool) throws -> [[UInt8]] {
        var slices: [[UInt8]] = []
        let now = Date().timeIntervalSince1970 * 1000
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() where name.hasSuffix(".json") {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
            guard var events = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { continue }
            if movedToNow, let first = events.first?["timestamp"] as? Double {
                for i in events.indices { events[i]["timestamp"] = ((events[i]["timestamp"] as? Double) ?? first) - first + now }
            }
            for start in stride(from: 0, to: events.count, by: eventsPerBatch) {
                let slice = Array(events[start..<min(start + eventsPerBatch, events.count)])
                slices.append(Array(try JSONSerialization.data(withJSONObject: slice)))
            }
        }
        guard !slices.isEmpty else { throw ValidationError("no fixtures in \(directory)") }
        return slices
    }
}
