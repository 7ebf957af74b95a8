/// One dependency that `GET /readyz` reports on.
struct ReadinessCheck: Sendable {
    let name: String
    let check: @Sendable () async throws -> Void
}
