import Foundation

/// Names of segment files in the spool directory:
/// `<campaign uuid>.<session, escaped>.<segment uuid>.jsonl.gz`.
///
/// Session ids are escaped with ``escape(_:)`` (valid ids — `A–Z a–z 0–9 _ -` — are unchanged), so
/// the name always splits on `.` and recovery learns campaign, session and segment from it.
enum SegmentFileName {
    static let suffix = ".jsonl.gz"
    static let temporarySuffix = ".tmp"

    static func make(campaignID: UUID, session: String, segmentID: UUID) -> String {
        "\(campaignID.uuidString.lowercased()).\(escape(session)).\(segmentID.uuidString.lowercased())\(suffix)"
    }

    static func parse(_ name: String) -> (campaignID: UUID, session: String, segmentID: UUID)? {
        guard name.hasSuffix(suffix) else { return nil }
        let parts = name.dropLast(suffix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let campaign = UUID(uuidString: String(parts[0])),
              let segment = UUID(uuidString: String(parts[2])), let session = unescape(String(parts[1])), !session.isEmpty
        else { return nil }
        return (campaign, session, segment)
    }

    /// Percent-encodes every byte outside `A–Z a–z 0–9 _ -` (so `.`, `/` and `%` never appear raw).
    static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    static func unescape(_ value: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(value.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let h = iterator.next(), let l = iterator.next(),
                      let v = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(v)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
