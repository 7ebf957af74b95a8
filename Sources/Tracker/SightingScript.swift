import Redis

/// Records one sighting of a site atomically, for pings and for rewarm alike.
///
/// KEYS: `ever`, `seen`, `version`, `hosts`[, `day`] of one campaign (see ``InstallKeys``; one hash
/// tag, so one Cluster slot). ARGV: site id, sighting time (ms), snippet version (`''` for none),
/// host, the day key's `EXPIREAT`. Sets the site's bit in `ever` (and in `day`), its host once, and
/// its last-seen time and version only when this sighting is the newest, so out-of-order pings from
/// several Collectors, and replays from Postgres, never move them backwards.
///
/// Returns `{previous day bit, previous last seen or '', previous version or ''}`.
let sightingScript = RedisScript("""
    local bit = 0
    if #KEYS == 5 then
      bit = redis.call('SETBIT', KEYS[5], ARGV[1], 1)
      redis.call('EXPIREAT', KEYS[5], ARGV[5])
    end
    redis.call('SETBIT', KEYS[1], ARGV[1], 1)
    redis.call('HSETNX', KEYS[4], ARGV[1], ARGV[4])
    local seen = redis.call('HGET', KEYS[2], ARGV[1])
    local version = redis.call('HGET', KEYS[3], ARGV[1])
    if (not seen) or tonumber(ARGV[2]) >= tonumber(seen) then
      redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
      if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[3]) end
    end
    return {bit, seen or '', version or ''}
    """)
