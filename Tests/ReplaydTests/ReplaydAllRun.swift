import Foundation
import Testing
import TestSupport

/// A real `replayd all` on a topic, group and spool of its own, with a migrated database, one
/// campaign (its id and public key) and an analyst token: what the service-level tests start from.
struct ReplaydAllRun {
    let environment: [String: String]
    let campaign: String
    let key: String
    let token: String
    let port: Int
    let replayd: ReplaydProcess
    let spool: String

    /// `settings` are added to (and override) the run's environment.
    static func start(_ prefix: String, origin: String = "https://shop.example.com", settings: [String: String] = [:]) throws -> ReplaydAllRun {
        let topic = TestStack.uniqueName(prefix)
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent(topic).path
        var environment = ["REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_KAFKA_GROUP": topic + "-group", "REPLAYD_KAFKA_DLQ_TOPIC": topic + ".dlq",
                           "REPLAYD_SPOOL_DIR": spool, "REPLAYD_SPOOL_IDLE_TIMEOUT": "1s", "REPLAYD_LOG_LEVEL": "warning"]
        environment.merge(settings) { $1 }
        _ = try ReplaydProcess.command("migrate", environment: environment)
        let created = try JSONSerialization.jsonObject(with: Data(try ReplaydProcess.command(
            "campaign create --name \(topic) --origin '\(origin)' --json", environment: environment).utf8)) as? [String: String]
        let token = try #require((try JSONSerialization.jsonObject(with: Data(try ReplaydProcess.command(
            "token create --name \(topic) --json", environment: environment).utf8)) as? [String: String])?["token"])
        let port = try TestStack.freePort()
        let replayd = try ReplaydProcess.start("all", port: port, environment: environment)
        return ReplaydAllRun(environment: environment, campaign: try #require(created?["id"]), key: try #require(created?["key"]),
                             token: token, port: port, replayd: replayd, spool: spool)
    }

    func stop() {
        replayd.stop()
        try? FileManager.default.removeItem(atPath: spool)
    }
}
