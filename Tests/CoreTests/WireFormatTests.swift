import Core
import Foundation
import Testing

/// The wire formats round-trip through their one definition.
struct WireFormatTests {
    @Test func batchHeadersRoundTrip() throws {
        let campaign = UUID()
        let receivedAt = Date(timeIntervalSince1970: 1_764_000_000.123)
        let headers = BatchHeaders(
            campaignID: campaign, session: "s_1-a", seq: 42, eventCount: 17, receivedAt: receivedAt,
            userAgent: String(repeating: "u", count: 600), clientIP: "203.0.113.0", origin: "https://shop.example.com")
        let encoded = headers.encoded()
        #expect(encoded.map(\.name) == ["campaign", "session", "seq", "events", "received-at", "content-type", "user-agent", "client-ip", "origin"])
        #expect(String(decoding: encoded[0].value, as: UTF8.self) == campaign.uuidString.lowercased())
        #expect(String(decoding: encoded[4].value, as: UTF8.self) == "1764000000123")
        #expect(String(decoding: encoded[5].value, as: UTF8.self) == "application/json")

        let decoded = BatchHeaders.decode(encoded)
        #expect(decoded.campaignID == campaign)
        #expect(decoded.session == "s_1-a")
        #expect(decoded.seqNumber == 42)
        #expect(decoded.events == "17")
        #expect(decoded.receivedAtDate.map { Int64($0.timeIntervalSince1970 * 1000) } == 1_764_000_000_123)
        #expect(decoded.userAgent?.count == BatchHeaders.maxTextLength)
        #expect(decoded.clientIP == "203.0.113.0")
        #expect(decoded.origin == "https://shop.example.com")
    }

    @Test func batchHeadersTellMissingFromMalformed() {
        let decoded = BatchHeaders.decode([("campaign", Array("not-a-uuid".utf8)), ("seq", Array("x".utf8)), ("seq", Array("3".utf8))])
        #expect(decoded.campaign == "not-a-uuid")
        #expect(decoded.campaignID == nil)
        #expect(decoded.seq == "x", "the first of a repeated header wins")
        #expect(decoded.seqNumber == nil)
        #expect(decoded.session == nil)
        #expect(decoded.receivedAtDate == nil)
    }

    @Test func deadLetterHeadersRoundTrip() throws {
        let headers = DeadLetterHeaders(
            reason: "retries_exhausted", message: String(repeating: "m", count: 3000), errorClass: "S3Error",
            errorCode: "s3_transport", attempts: 5, firstFailure: Date(timeIntervalSince1970: 1_764_000_000),
            lastFailure: Date(timeIntervalSince1970: 1_764_000_007.5), sourceTopic: "replay.batches",
            sourcePartition: 3, sourceOffset: 1234, instance: "host-1")
        let encoded = headers.encoded()
        #expect(encoded.allSatisfy { $0.name.hasPrefix(DeadLetterHeaders.prefix) })
        let original: [WireHeader] = [("session", Array("s".utf8))]
        let decoded = try #require(DeadLetterHeaders.decode(original + encoded))
        var expected = headers
        expected.message = String(repeating: "m", count: DeadLetterHeaders.maxMessageLength)
        #expect(decoded == expected)
        #expect(DeadLetterHeaders.decode(original) == nil, "a record without dlq-reason is no dead letter")
    }

    @Test func segmentLineRoundTrip() throws {
        let events = Array("[{\"type\":4,\"data\":{\"href\":\"https://a/\"},\r\n\"timestamp\":1}]".utf8)
        let line = SegmentLine.encode(seq: 7, events: events)
        #expect(String(decoding: line, as: UTF8.self) == "{\"seq\":7,\"events\":[{\"type\":4,\"data\":{\"href\":\"https://a/\"},  \"timestamp\":1}]}\n")
        #expect(line.filter { $0 == 0x0A }.count == 1, "one line per batch")
        let parsed = try #require(SegmentLine.decode(line))
        #expect(parsed.seq == 7)
        #expect(Array(line[parsed.eventsStart..<parsed.eventsEnd]) == SegmentLine.singleLine(events))
        #expect(SegmentLine.encode(seq: 0, events: []) == Array("{\"seq\":0,\"events\":[]}\n".utf8))
    }

    @Test func segmentLineReadersAcceptWhitespaceAndRefuseOtherShapes() throws {
        let spaced = Array(" { \"seq\" : 12 , \"events\" : [ 1 ] } \n".utf8)
        let parsed = try #require(SegmentLine.decode(spaced))
        #expect(parsed.seq == 12)
        #expect(String(decoding: spaced[parsed.eventsStart..<parsed.eventsEnd], as: UTF8.self) == "[ 1 ]")
        for bad in ["{\"events\":[],\"seq\":1}", "{\"seq\":-1,\"events\":[]}", "{\"seq\":1,\"events\":{}}", "{\"seq\":99999999999999999999,\"events\":[]}", "{\"seq\":1,\"events\":[]"] {
            #expect(SegmentLine.decode(Array(bad.utf8)) == nil, "\(bad)")
        }
    }
}
