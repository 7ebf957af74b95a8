import Foundation
import Kafka
import Logging

/// `replayd dlq inspect`: what is in the dead-letter topic — counts by reason and by campaign,
/// the oldest and newest dead letter, and a sample.
public struct DeadLetterInspector: Sendable {
    /// The summary of the dead letters that matched the filter.
    public struct Report: Sendable, Equatable {
        /// Records read from the topic (matching or not).
        public var scanned = 0
        public var total = 0
        public var byReason: [String: Int] = [:]
        public var byCampaign: [String: Int] = [:]
        public var oldest: Date?
        public var newest: Date?
        public var sample: [DeadLetterRecord] = []
        /// Records in the topic without `dlq-*` headers (not written by a Processor).
        public var foreign = 0
    }

    public var reader: DeadLetterReader
    public var sampleSize = 5

    public init(reader: DeadLetterReader, sampleSize: Int = 5) {
        self.reader = reader
        self.sampleSize = sampleSize
    }

    public func inspect(_ filter: DeadLetterFilter = DeadLetterFilter()) async throws -> Report {
        var report = Report()
        try await reader.read { message in
            report.scanned += 1
            guard let record = DeadLetterRecord(message) else {
                report.foreign += 1
                return
            }
            guard filter.matches(record) else { return }
            report.total += 1
            report.byReason[record.reason.rawValue, default: 0] += 1
            report.byCampaign[record.campaign ?? "(none)", default: 0] += 1
            report.oldest = min(report.oldest ?? record.lastFailure, record.lastFailure)
            report.newest = max(report.newest ?? record.lastFailure, record.lastFailure)
            if report.sample.count < sampleSize { report.sample.append(record) }
        }
        return report
    }
}
