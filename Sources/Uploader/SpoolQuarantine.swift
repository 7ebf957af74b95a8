import Core
import Foundation

/// Segments S3 will not take as they are, kept on disk for an operator: `<spool>/quarantine/<file>`
/// beside `<file>.reason.json` (`{"kind":…,"reason":…,"quarantined_at":…}`).
///
/// Kinds:
/// - `upload_refused`: S3 refused the segment with a permanent error (a 4xx other than 408/429 and
///   the deployment errors that fixing the configuration cures; see ``UploadFailure``). The file is
///   whole; `replayd spool quarantine retry` uploads it once the cause is fixed.
/// - `corrupt_recovery`: recovery found damage in the middle of a leftover spool file. The intact
///   part before the damage was uploaded; this is the damaged original, kept for inspection (it is
///   not re-driven: its readable part is already in S3).
///
/// A quarantined `upload_refused` segment keeps holding its partitions' commit (its batches exist
/// on this disk only) until it is re-driven or removed; `replayd_spool_quarantined_segments` shows it.
public enum SpoolQuarantine {
    public static let directoryName = "quarantine"
    static let reasonSuffix = ".reason.json"

    public enum Kind: String, Sendable, Codable {
        case uploadRefused = "upload_refused"
        case corruptRecovery = "corrupt_recovery"
    }

    /// One quarantined file.
    public struct Entry: Sendable, Equatable {
        public var path: String
        public var bytes: Int64
        public var kind: Kind
        public var reason: String
        public var quarantinedAt: String
        /// Campaign, session and segment id, when the file name is a segment name.
        public var campaignID: UUID?
        public var session: String?
        public var segmentID: UUID?
    }

    private struct Reason: Codable {
        var kind: Kind
        var reason: String
        var quarantined_at: String
    }

    public static func directory(spoolDirectory: String) -> String { spoolDirectory + "/" + directoryName }

    /// Writes the reason file, then moves `path` into the quarantine directory; returns the new path.
    static func move(_ path: String, spoolDirectory: String, kind: Kind, reason: String) throws -> String {
        let target = try prepare(name: (path as NSString).lastPathComponent, spoolDirectory: spoolDirectory, kind: kind, reason: reason)
        try FileSystem.rename(path, to: target)
        try FileSystem.fsyncPath(directory(spoolDirectory: spoolDirectory), directory: true)
        try FileSystem.fsyncPath(spoolDirectory, directory: true)
        return target
    }

    /// Creates the directory and the reason file for `name`; returns where the file goes.
    static func prepare(name: String, spoolDirectory: String, kind: Kind, reason: String) throws -> String {
        let directory = directory(spoolDirectory: spoolDirectory)
        try FileSystem.createDirectory(directory)
        let target = directory + "/" + name
        let formatter = ISO8601DateFormatter()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = try encoder.encode(Reason(kind: kind, reason: reason, quarantined_at: formatter.string(from: Date())))
        try FileSystem.writeDurably(Array(body), to: target + reasonSuffix)
        return target
    }

    /// Every quarantined file, oldest name first. A missing directory is an empty quarantine.
    public static func list(spoolDirectory: String) throws -> [Entry] {
        let directory = directory(spoolDirectory: spoolDirectory)
        guard FileSystem.exists(directory) else { return [] }
        var entries: [Entry] = []
        for name in try FileSystem.list(directory).sorted() where !name.hasSuffix(reasonSuffix) {
            let path = directory + "/" + name
            let reason = (try? Data(contentsOf: URL(fileURLWithPath: path + reasonSuffix)))
                .flatMap { try? JSONDecoder().decode(Reason.self, from: $0) }
            let parsed = SegmentFileName.parse(name)
            entries.append(Entry(path: path, bytes: FileSystem.fileSize(path) ?? 0, kind: reason?.kind ?? .uploadRefused,
                                 reason: reason?.reason ?? "(no reason file)", quarantinedAt: reason?.quarantined_at ?? "",
                                 campaignID: parsed?.campaignID, session: parsed?.session, segmentID: parsed?.segmentID))
        }
        return entries
    }

    /// Deletes a quarantined file and its reason.
    public static func remove(_ entry: Entry) throws {
        try FileSystem.remove(entry.path)
        try FileSystem.remove(entry.path + reasonSuffix)
    }
}
