import Foundation
import Testing
import TestSupport

/// The install status of a real `replayd collector` (which serves the tracker's routes) checked
/// through the authorization the service wires, not a stand-in: a token scoped to one campaign reads
/// only that campaign; expired, revoked, missing and public-key credentials are refused with their
/// own codes.
@Suite(.serialized)
struct InstallStatusAuthorizationTests {
    static func get(_ url: String, bearer: String?) throws -> (status: Int, code: String?) {
        let response = try HTTP.getWithHeaders(url, token: bearer)
        let code = ((response.json as? [String: Any])?["error"] as? [String: Any])?["code"] as? String
        return (response.status, code)
    }

    static func json(_ text: String) throws -> [String: String] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String], "not JSON: \(text)")
    }

    @Test func installStatusHonoursTokenScopeExpiryAndRevocation() async throws {
        let environment = ["REPLAYD_KAFKA_TOPIC": TestStack.uniqueName("install-auth"), "REPLAYD_LOG_LEVEL": "error"]
        _ = try ReplaydProcess.command("migrate", environment: environment)
        let a = try Self.json(try ReplaydProcess.command("campaign create --name \(TestStack.uniqueName("auth-a")) --json", environment: environment))
        let b = try Self.json(try ReplaydProcess.command("campaign create --name \(TestStack.uniqueName("auth-b")) --json", environment: environment))
        let (campaignA, campaignB) = (try #require(a["id"]), try #require(b["id"]))
        func token(_ options: String) throws -> [String: String] {
            try Self.json(try ReplaydProcess.command("token create --name \(TestStack.uniqueName("auth")) \(options) --json", environment: environment))
        }
        let scoped = try token("--campaign \(campaignA)")
        let unscoped = try token("")
        let expiring = try token("--campaign \(campaignA) --expires 1s")
        let revoked = try token("--campaign \(campaignA)")
        _ = try ReplaydProcess.command("token revoke \(try #require(revoked["id"]))", environment: environment)

        let port = try TestStack.freePort()
        let collector = try ReplaydProcess.start("collector", port: port, environment: environment)
        defer { collector.stop() }
        let url = { (campaign: String) in "http://127.0.0.1:\(port)/v1/campaigns/\(campaign)/installs" }

        #expect(try Self.get(url(campaignA), bearer: scoped["token"]).status == 200)
        let other = try Self.get(url(campaignB), bearer: scoped["token"])
        #expect(other.status == 403 && other.code == "forbidden_campaign", "\(other)")
        #expect(try Self.get(url(campaignA), bearer: unscoped["token"]).status == 200)
        #expect(try Self.get(url(campaignB), bearer: unscoped["token"]).status == 200)
        let missing = try Self.get(url(campaignA), bearer: nil)
        #expect(missing.status == 401 && missing.code == "unauthorized", "\(missing)")
        let publicKey = try Self.get(url(campaignA), bearer: a["key"])
        #expect(publicKey.status == 401 && publicKey.code == "public_key_not_allowed", "\(publicKey)")
        let gone = try Self.get(url(campaignA), bearer: revoked["token"])
        #expect(gone.status == 401 && gone.code == "unauthorized", "\(gone)")
        try await Task.sleep(for: .milliseconds(1_500))
        let expired = try Self.get(url(campaignA), bearer: expiring["token"])
        #expect(expired.status == 401 && expired.code == "token_expired", "\(expired)")
    }
}
