import Core
import Foundation
import Testing

@Suite("Campaign JSON")
struct CampaignJSONTests {
    @Test("ids are written in lower case, as Postgres and S3 keys spell them, and read back")
    func lowerCaseIDsRoundTrip() throws {
        let campaign = Campaign(id: UUID(), name: "Shop", publicKey: Campaign.generatePublicKey(),
                                allowedOrigins: ["https://shop.example.com"], sessionsPerHour: 10, eventsPerSecond: 20, paused: false)
        let data = try JSONEncoder().encode(campaign)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["id"] as? String == campaign.id.uuidString.lowercased())
        #expect(Set(object.keys) == ["id", "name", "publicKey", "allowedOrigins", "sessionsPerHour", "eventsPerSecond", "installPingsPerMinute", "maxSites", "paused"])
        #expect(try JSONDecoder().decode(Campaign.self, from: data) == campaign)
    }
}
