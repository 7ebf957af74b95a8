import Foundation

/// One line of an `--expect` file: a batch a client was answered 202 for, written by a load
/// generator as `{"session":…,"seq":…,"events":N,"sha256":…}` (and optionally `"campaign":…`).
public struct AuditExpectation: Sendable, Equatable {
    public var campaignID: UUID?
    public var session: String
    public var batch: AuditBatch

    public init(campaignID: UUID?, session: String, batch: AuditBatch) {
        self.campaignID = campaignID
        self.session = session
        self.batch = batch
    }

    /// Parses an expectations file (JSON lines; blank lines ignored). Throws naming the first bad line.
    public static func parse(_ text: String, source: String) throws -> [AuditExpectation] {
        var result: [AuditExpectation] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            func fail(_ why: String) -> AuditError {
                AuditError(message: "\(source):\(index + 1): \(why); each line must be {\"session\":…,\"seq\":…,\"events\":N,\"sha256\":\"<64 hex>\"}")
            }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                throw fail("not a JSON object")
            }
            guard let session = object["session"] as? String, !session.isEmpty else { throw fail("no \"session\" string") }
            guard let seq = (object["seq"] as? NSNumber)?.intValue else { throw fail("no integer \"seq\"") }
            guard let events = (object["events"] as? NSNumber)?.intValue else { throw fail("no integer \"events\"") }
            guard let sha = object["sha256"] as? String, sha.count == 64, sha.allSatisfy(\.isHexDigit) else {
                throw fail("no 64-hex-digit \"sha256\"")
            }
            var campaign: UUID?
            if let text = object["campaign"] as? String {
                guard let id = UUID(uuidString: text) else { throw fail("\"campaign\" is not a UUID") }
                campaign = id
            }
            result.append(AuditExpectation(campaignID: campaign, session: session,
                                           batch: AuditBatch(seq: seq, sha256: sha.lowercased(), events: events)))
        }
        return result
    }
}

/// An audit that could not run (bad input, an unreachable service): what to fix.
public struct AuditError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
