import Core
import Foundation
import S3

/// One batch as the audit compares it: its seq, its events' SHA-256 and how many events it holds.
///
/// The digest is over the batch's `events` JSON array exactly as the client sent it, with raw CR/LF
/// replaced by spaces (``SegmentLine/singleLine(_:)``, what the spool stores); a load generator that
/// serialises with `JSON.stringify` hashes its own array text and gets the same digest.
public struct AuditBatch: Hashable, Sendable {
    public var seq: Int
    public var sha256: String
    public var events: Int

    public init(seq: Int, sha256: String, events: Int) {
        self.seq = seq
        self.sha256 = sha256
        self.events = events
    }

    /// The batch holding `events` (the array's bytes) under `seq`.
    public init(seq: Int, events: some Collection<UInt8>) {
        let line = SegmentLine.singleLine(Array(events))
        self.init(seq: seq, sha256: PayloadHasher.sha256(line), events: Self.countElements(line))
    }

    /// The number of top-level elements of a JSON array (0 for anything else).
    static func countElements(_ bytes: [UInt8]) -> Int {
        var depth = 0, count = 0
        var inString = false, escaped = false, sawValue = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                if depth == 1 { sawValue = true }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                if depth == 1 { sawValue = true }
                depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                if depth == 0, sawValue { count += 1 }
            case UInt8(ascii: ","):
                if depth == 1, sawValue { count += 1; sawValue = false }
            case 0x20, 0x09, 0x0A, 0x0D:
                break
            default:
                if depth == 1 { sawValue = true }
            }
        }
        return count
    }
}

/// A session as the audit names it.
public struct AuditSessionKey: Hashable, Sendable, Comparable {
    public var campaignID: UUID
    public var session: String

    public init(campaignID: UUID, session: String) {
        self.campaignID = campaignID
        self.session = session
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.campaignID.uuidString, lhs.session) < (rhs.campaignID.uuidString, rhs.session)
    }
}
