import Foundation

/// Redis key names of the install tracker. `<campaign>` is the campaign id in lower case, in braces
/// (a Redis Cluster hash tag, so one campaign's keys share a slot); `<site>` is the dense site id.
///
/// - `inst:{<campaign>}:day:<yyyymmdd>`: bitmap, bit `<site>` set when the site pinged on that UTC
///   day; expires `retentionDays` after the end of the day (`EXPIREAT`).
/// - `inst:{<campaign>}:ever`: bitmap, bit `<site>` set once the site has ever pinged.
/// - `inst:{<campaign>}:seen`: hash `<site>` → last ping, milliseconds since 1970.
/// - `inst:{<campaign>}:version`: hash `<site>` → snippet version of the last ping that carried one.
/// - `inst:{<campaign>}:hosts`: hash `<site>` → host name (so status can be answered from Redis
///   alone while Postgres is down).
/// - `inst:warm`: string, set once the bitmaps were rebuilt from Postgres; its absence means Redis
///   lost its data (restart without persistence, flush) and a full rewarm is due.
enum InstallKeys {
    static let warm = "inst:warm"

    static func prefix(_ campaign: UUID) -> String { "inst:{" + campaign.uuidString.lowercased() + "}:" }
    static func day(_ campaign: UUID, _ day: UTCDay) -> String { prefix(campaign) + "day:" + day.compact }
    static func ever(_ campaign: UUID) -> String { prefix(campaign) + "ever" }
    static func seen(_ campaign: UUID) -> String { prefix(campaign) + "seen" }
    static func version(_ campaign: UUID) -> String { prefix(campaign) + "version" }
    static func hosts(_ campaign: UUID) -> String { prefix(campaign) + "hosts" }
}
