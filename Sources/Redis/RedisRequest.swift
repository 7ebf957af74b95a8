/// Commands submitted together plus the continuation waiting for their replies, queued on one
/// ``RedisConnection``. All of its commands go out in the same write (one round trip).
struct RedisRequest: Sendable {
    let commands: [RedisCommand]
    let continuation: CheckedContinuation<[RedisReply], any Error>

    func succeed(_ replies: [RedisReply]) { continuation.resume(returning: replies) }
    func fail(_ error: RedisError) { continuation.resume(throwing: error) }
}
