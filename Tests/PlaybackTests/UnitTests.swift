import Foundation
@testable import Playback
import Testing

@Suite("Batch line indexing, gaps and cursors")
struct UnitTests {
    func index(_ text: String, pieceSize: Int) -> BatchLineIndexer {
        var indexer = BatchLineIndexer(file: 0)
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + pieceSize)
            bytes[start..<end].withUnsafeBytes { indexer.consume($0) }
            start = end
        }
        indexer.finish()
        return indexer
    }

    @Test("lines are found whatever the piece boundaries", arguments: [1, 2, 3, 7, 64, 4096])
    func pieces(pieceSize: Int) {
        let long = "[" + Array(repeating: "{\"type\":3}", count: 50).joined(separator: ",") + "]"
        let text = "{\"seq\":12,\"events\":[{\"a\":1}]}\n{ \"seq\" : 3 , \"events\" : [ {\"b\":2} ] } \n"
            + "{\"seq\":4,\"events\":[]}\n{\"seq\":5,\"events\":\(long)}\nnot json\n{\"seq\":6,\"events\":[{}]}"
        let indexer = index(text, pieceSize: pieceSize)
        let bytes = Array(text.utf8)
        let found = indexer.locations.map { location -> (Int64, String) in
            (location.seq, String(decoding: bytes[Int(location.offset)..<Int(location.offset + location.length)], as: UTF8.self))
        }
        #expect(found.map(\.0) == [12, 3, 4, 5])
        #expect(found[0].1 == "{\"a\":1}")
        #expect(found[1].1 == " {\"b\":2} ")
        #expect(found[2].1 == "")
        #expect("[" + found[3].1 + "]" == long)
        #expect(indexer.skippedLines == 2)  // "not json" and the unterminated last line
    }

    @Test("the open line: known once its head is in, its safe end never past the bytes that may close it", arguments: [1, 5, 64])
    func openLine(pieceSize: Int) {
        let long = Array(repeating: "{\"type\":3}", count: 20).joined(separator: ",")
        let lines = ["{\"seq\":1,\"events\":[{}]}\n", "{\"seq\":27,\"events\":[" + long + "]}\n"]
        let bytes = Array(lines.joined().utf8)
        // Per seq: where the events start and where the array's `]` is (file offsets).
        let first = Int64(lines[0].utf8.count)
        let expected: [Int64: (content: Int64, close: Int64)] = [
            1: (19, first - 3),
            27: (first + 20, Int64(bytes.count - 3)),
        ]
        var indexer = BatchLineIndexer(file: 0)
        var start = 0
        var safeEnds: [Int64] = []
        while start < bytes.count {
            let end = min(bytes.count, start + pieceSize)
            bytes[start..<end].withUnsafeBytes { indexer.consume($0) }
            start = end
            _ = indexer.takeLocations()
            guard let open = indexer.openLine() else { continue }
            guard let line = expected[open.seq] else {
                Issue.record("open line with seq \(open.seq) after \(start) bytes")
                continue
            }
            #expect(open.contentOffset == line.content)
            #expect(open.safeEnd <= line.close, "bytes up to \(open.safeEnd) were called events; the array closes at \(line.close)")
            #expect(start >= Int(line.content), "the head was taken as complete before its `[` arrived")
            if open.seq == 27 { safeEnds.append(open.safeEnd) }
        }
        #expect(indexer.openLine() == nil, "no line is open after the last newline")
        #expect((safeEnds.max() ?? 0) > expected[27]!.content + 100, "most of the long line is known to be events before it ends")
    }

    @Test("whitespace-only arrays count as empty")
    func blankArray() {
        let indexer = index("{\"seq\":1,\"events\":[  ]}\n", pieceSize: 5)
        #expect(indexer.locations.map(\.length) == [0])
    }

    @Test("gaps between 0 and the highest seq known")
    func gaps() {
        #expect(SequenceGaps(sortedUniqueSeqs: [0, 1, 2], expectedLast: 2).isEmpty)
        #expect(SequenceGaps(sortedUniqueSeqs: [1, 2, 5], expectedLast: 5).formatted() == "0,3-4")
        #expect(SequenceGaps(sortedUniqueSeqs: [0], expectedLast: 3).formatted() == "1-3")
        #expect(SequenceGaps(sortedUniqueSeqs: [Int64](), expectedLast: -1).isEmpty)
        let many = SequenceGaps(sortedUniqueSeqs: stride(from: 0, to: 100, by: 2).map(Int64.init), expectedLast: 99)
        #expect(many.missingCount == 50)
        #expect(many.formatted(limit: 2) == "1,3,...")
        #expect(SequenceGaps(header: "0,3-4") == SequenceGaps(ranges: [0...0, 3...4]))
    }

    @Test("cursors round-trip and reject garbage")
    func cursors() {
        let cursor = SessionCursor(startedAtMicros: 1_760_000_000_123_456, session: "s_8Jk-2")
        #expect(SessionCursor(encoded: cursor.encoded) == cursor)
        #expect(!cursor.encoded.contains("="))
        #expect(SessionCursor(encoded: "!!") == nil)
        #expect(SessionCursor(encoded: Data("x:y".utf8).base64EncodedString()) == nil)
    }

    @Test("link signatures are HMAC-SHA256 over session|campaign|exp")
    func signatures() throws {
        let campaign = UUID(uuidString: "6f1c2a5e-0000-4000-8000-000000000001")!
        let link = SignedLink(session: "abc", campaignID: campaign, expires: 2_000_000_000)
        #expect(link.message == "abc|6f1c2a5e-0000-4000-8000-000000000001|2000000000")
        #expect(link.signature(secret: "0123456789abcdef").count == 64)
        try link.verify(signature: link.signature(secret: "0123456789abcdef"), secret: "0123456789abcdef",
                        now: Date(timeIntervalSince1970: 1_999_999_999))
        #expect(throws: PlaybackError.linkExpired) {
            try link.verify(signature: link.signature(secret: "0123456789abcdef"), secret: "0123456789abcdef",
                            now: Date(timeIntervalSince1970: 2_000_000_000))
        }
        let campaignWide = SignedLink(session: nil, campaignID: campaign, expires: 2_000_000_000)
        #expect(campaignWide.signature(secret: "0123456789abcdef") != link.signature(secret: "0123456789abcdef"))
    }
}

@Suite("Analyst token JSON")
struct AnalystTokenJSONTests {
    @Test("ids are written in lower case, absent optionals are left out, and the record reads back")
    func lowerCaseIDsRoundTrip() throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        let limited = AnalystToken(id: UUID(), name: "ops", campaignID: UUID(), createdAt: created, expiresAt: nil, revokedAt: nil)
        let data = try encoder.encode(limited)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["id"] as? String == limited.id.uuidString.lowercased())
        #expect(object["campaignID"] as? String == limited.campaignID?.uuidString.lowercased())
        #expect(object["expiresAt"] == nil && object["revokedAt"] == nil)
        #expect(try decoder.decode(AnalystToken.self, from: data) == limited)

        let everyCampaign = AnalystToken(id: UUID(), name: "all", campaignID: nil, createdAt: created, expiresAt: created, revokedAt: nil)
        let all = try #require(try JSONSerialization.jsonObject(with: try encoder.encode(everyCampaign)) as? [String: Any])
        #expect(all["campaignID"] == nil && all["expiresAt"] != nil)
        #expect(try decoder.decode(AnalystToken.self, from: try encoder.encode(everyCampaign)) == everyCampaign)
    }
}
