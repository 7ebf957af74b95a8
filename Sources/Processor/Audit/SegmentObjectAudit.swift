import Core
import Foundation
import Gzip
import S3
import Uploader

/// Reads a session's segment objects from S3 for the audit: every object under the session's key
/// prefix, downloaded to a temporary file and decompressed as a stream (memory holds one line).
struct SegmentObjectAudit: Sendable {
    let s3: S3Client
    let keyPrefix: String
    let scratch: String

    /// Adds every batch of `key`'s objects to `ledger`.
    func read(_ key: AuditSessionKey, into ledger: inout AuditLedger) async throws {
        let prefix = SegmentObjectKey.sessionPrefix(prefix: keyPrefix, campaignID: key.campaignID, session: key.session)
        for try await object in s3.listObjects(prefix: prefix) {
            // Only this session's objects (a session whose id extends this one's has another prefix).
            guard !object.key.dropFirst(prefix.count).contains("/") else { continue }
            ledger.addObject(key)
            let path = scratch + "/audit-\(UUID().uuidString).gz"
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                try await s3.getObject(key: object.key, toFile: path)
                let batches = try Self.batches(ofFile: path)
                for batch in batches { ledger.addS3(key, batch) }
            } catch {
                ledger.addUnreadable(key, object: "\(object.key): \(error)")
            }
        }
    }

    /// The batches of one segment file; throws when it does not decode to its end or holds a line
    /// that is not a segment line.
    static func batches(ofFile path: String) throws -> [AuditBatch] {
        var batches: [AuditBatch] = []
        var line: [UInt8] = []
        var bad = 0
        let summary = try GzipFileReader(path: path).read { piece in
            var start = piece.startIndex
            while let newline = piece[start...].firstIndex(of: 0x0A) {
                line.append(contentsOf: piece[start..<newline])
                if let parsed = SegmentLine.decode(line) {
                    batches.append(AuditBatch(seq: Int(parsed.seq), events: line[parsed.eventsStart..<parsed.eventsEnd]))
                } else {
                    bad += 1
                }
                line.removeAll(keepingCapacity: true)
                start = newline + 1
            }
            line.append(contentsOf: piece[start...])
        }
        if summary.tail != nil || !line.isEmpty || bad > 0 {
            throw AuditError(message: "the object does not decode as whole segment lines (\(bad) bad lines, \(line.count) bytes of a cut line)")
        }
        return batches
    }
}
