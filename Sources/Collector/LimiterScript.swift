import Redis

/// The limiter's one Lua script: admits a new session (sliding window over a sorted set) and grants
/// event tokens (sliding-window counter over two one-second buckets), atomically, in one round trip,
/// on Redis's clock so any number of Collectors agree.
///
/// KEYS: 1 `rl:{<campaign>}:sessions` (ZSET session → admission ms), 2 `rl:{<campaign>}:admitted:<session>`
/// (marker, TTL = admission TTL), 3 `rl:{<campaign>}:eps` (HASH second → events).
/// ARGV: 1 check session (0/1), 2 session id, 3 window ms, 4 sessions per window, 5 admission TTL ms,
/// 6 events needed, 7 events wanted (needed + a lease for later batches), 8 events per second.
/// Returns {admitted 0/1, events granted, retry-after ms}.
enum LimiterScript {
    static let script = RedisScript(#"""
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    if ARGV[1] == '1' and redis.call('EXISTS', KEYS[2]) == 0 then
      local window = tonumber(ARGV[3])
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
      if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
        local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        local retry = window
        if oldest[2] then retry = tonumber(oldest[2]) + window - now end
        return {0, 0, retry}
      end
      redis.call('ZADD', KEYS[1], now, ARGV[2])
      redis.call('PEXPIRE', KEYS[1], window)
      redis.call('SET', KEYS[2], '1', 'PX', tonumber(ARGV[5]))
    end
    local need = tonumber(ARGV[6])
    local want = tonumber(ARGV[7])
    local limit = tonumber(ARGV[8])
    if need > limit then need = limit end
    if want < need then want = need end
    local second = math.floor(now / 1000)
    local elapsed = (now % 1000) / 1000
    local previous = tonumber(redis.call('HGET', KEYS[3], second - 1) or '0')
    local current = tonumber(redis.call('HGET', KEYS[3], second) or '0')
    local free = math.floor(limit - (previous * (1 - elapsed) + current))
    if free < need then
      return {1, 0, 1000 - (now % 1000)}
    end
    local grant = want
    if grant > free then grant = free end
    redis.call('HINCRBY', KEYS[3], second, grant)
    redis.call('HDEL', KEYS[3], second - 2)
    redis.call('PEXPIRE', KEYS[3], 3000)
    return {1, grant, 0}
    """#)

    static func keys(campaign: String, session: String) -> [String] {
        ["rl:{\(campaign)}:sessions", "rl:{\(campaign)}:admitted:\(session)", "rl:{\(campaign)}:eps"]
    }
}
