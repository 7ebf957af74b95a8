import HTTPSupport
import Core
import Foundation
import HTTPTypes
import Hummingbird
import Kafka
import Logging
import Metrics
import NIOCore

/// The ingest endpoints: `POST /v1/batch` (+ CORS preflight, 405 for other methods) and
/// `GET /snippet.js`. docs/openapi.yaml is the contract.
public struct CollectorRoutes<Context: RemoteAddressRequestContext>: Sendable {
    let configuration: CollectorConfiguration
    let campaigns: CampaignCache
    let limiter: RateLimiter
    let publisher: BatchPublisher
    let snippet: ByteBuffer
    /// Batch bytes held by this process's requests (one budget per process: the service builds one
    /// `CollectorRoutes`).
    public let inflight: InflightBytes

    public init(configuration: CollectorConfiguration, campaigns: CampaignCache, limiter: RateLimiter,
                publisher: BatchPublisher) {
        self.configuration = configuration
        self.inflight = InflightBytes(limit: configuration.maxInflightBytes)
        self.campaigns = campaigns
        self.limiter = limiter
        self.publisher = publisher
        self.snippet = ByteBuffer(bytes: SnippetAsset.bytes)
    }

    public func register(on router: Router<Context>) {
        router.browserPost("/v1/batch", handler: { request, context in await ingest(request, context: context) },
                           preflight: { request in await preflight(request) })
        router.get("/snippet.js") { _, _ in
            Response(status: .ok,
                     headers: [.contentType: "application/javascript; charset=utf-8", .cacheControl: "public, max-age=300",
                               .accessControlAllowOrigin: "*"],
                     body: .init(byteBuffer: snippet))
        }
    }

    /// The header that may carry the campaign's public key instead of the `key` query parameter.
    public static var keyHeader: HTTPField.Name { HTTPField.Name("X-Replayd-Key")! }

    func ingest(_ request: Request, context: Context) async -> Response {
        let started = ContinuousClock.now
        let origin = request.headers[.origin]
        var cors: HTTPFields = [:]
        var bodyRead = false
        let result: Response
        let outcome: String
        do {
            let (accepted, allowedCORS) = try await accept(request, context: context, origin: origin, cors: &cors, bodyRead: &bodyRead)
            result = CollectorResponses.accepted(events: accepted, cors: allowedCORS)
            outcome = "accepted"
        } catch {
            var refusal = CollectorResponses.error(error, cors: cors)
            // Refused on the key before the body was read: the connection closes after the answer,
            // so the body still to come is never read.
            if !bodyRead { refusal.headers[.connection] = "close" }
            result = refusal
            outcome = error.code
            if error.status == .serviceUnavailable {
                context.logger.warning("batch refused", metadata: ["code": "\(error.code)", "reason": "\(error.message)"])
            }
        }
        let elapsed = ContinuousClock.now - started
        CollectorMetrics.record(result: outcome, seconds: Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds))
        return result
    }

    /// Checks the key the URL (`?key=`, as the snippet sends it) or the `X-Replayd-Key` header
    /// names **before** the body is read: an unknown key (401), a foreign origin (403) or a paused
    /// campaign (403) is refused at once, whatever body is still to come. Then reads, validates,
    /// limits and publishes the batch.
    private func accept(
        _ request: Request, context: Context, origin: String?, cors: inout HTTPFields, bodyRead: inout Bool
    ) async throws(CollectorError) -> (Int, HTTPFields) {
        let claimedKey = request.uri.queryParameters["key"].map(String.init) ?? request.headers[Self.keyHeader]
        var early: Campaign?
        if let claimedKey {
            guard BatchValidator.isValidKey(claimedKey) else { throw .unknownKey }
            let campaign = try await lookup(claimedKey)
            if let origin, !OriginPolicy.allows(origin, allowed: campaign.allowedOrigins) { throw .originNotAllowed }
            cors = CollectorResponses.cors(origin: origin)
            if campaign.paused { throw .campaignPaused }
            early = campaign
        }
        // Held until the batch is answered (the reservation returns its bytes when it goes).
        let reservation = InflightReservation(budget: inflight)
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared <= configuration.maxBatchBytes,
           !reservation.grow(to: declared) {
            throw .inflightBytesSpent
        }
        bodyRead = true
        let body = try await BatchBodyReader(limit: configuration.maxBatchBytes, reservation: reservation).read(request)
        let receivedAt = Date()
        let limits = configuration.limits
        let validation = body.withUnsafeReadableBytes { bytes in
            Result { () throws(BatchValidationError) in try BatchValidator.validate(bytes, now: receivedAt, limits: limits) }
        }
        let batch: ValidatedBatch
        switch validation {
        case .success(let validated): batch = validated
        case .failure(let error): throw CollectorError(.badRequest, error.code, error.message)
        }
        if let claimedKey, claimedKey != batch.key {
            throw .invalidField("key", "in the body does not match the key in the URL or the X-Replayd-Key header")
        }
        let campaign: Campaign
        if let early { campaign = early } else { campaign = try await lookup(batch.key) }
        if let origin, !OriginPolicy.allows(origin, allowed: campaign.allowedOrigins) {
            throw .originNotAllowed
        }
        cors = CollectorResponses.cors(origin: origin)
        if campaign.paused { throw .campaignPaused }

        switch await limiter.check(campaign: campaign, session: batch.session, events: batch.eventCount) {
        case .allowed: break
        case .rateLimited(let retryAfter): throw .rateLimited(retryAfter: retryAfter)
        case .sessionRefused(let retryAfter): throw .sessionRefused(retryAfter: retryAfter)
        case .unavailable: throw .unavailable("the rate limiter is unavailable")
        }

        let metadata = BatchPublisher.Metadata(
            campaignID: campaign.id, batch: batch, receivedAt: receivedAt,
            userAgent: request.headers[.userAgent],
            clientIP: ClientAddress.resolve(peer: context.remoteAddress, forwardedFor: request.headers[ClientAddress.forwardedFor],
                                            configuration: configuration),
            origin: origin)
        do {
            _ = try await publisher.publish(body, metadata: metadata)
        } catch let error as KafkaError {
            switch error.kind {
            case .queueFull: throw .unavailable("the ingest queue is full", retryAfter: 1)
            case .messageTooLarge: throw .tooLarge(limit: configuration.maxBatchBytes)
            default: throw .unavailable("the batch could not be stored (\(error.code))", retryAfter: 5)
            }
        } catch {
            throw .unavailable("the batch could not be stored", retryAfter: 5)
        }
        CollectorMetrics.events.increment(by: batch.eventCount)
        if batch.newerTypeEvents > 0 { CollectorMetrics.newerTypeEvents.increment(by: batch.newerTypeEvents) }
        CollectorMetrics.bytes.increment(by: body.readableBytes)
        withExtendedLifetime(reservation) {}
        return (batch.eventCount, cors)
    }

    private func lookup(_ key: String) async throws(CollectorError) -> Campaign {
        let campaign: Campaign?
        do {
            campaign = try await campaigns.campaign(forKey: key)
        } catch {
            throw .unavailable("campaigns cannot be read right now", retryAfter: 5)
        }
        guard let campaign else { throw .unknownKey }
        return campaign
    }

    func preflight(_ request: Request) async -> Response {
        guard let origin = request.headers[.origin] else {
            return CollectorResponses.error(.notAPreflight)
        }
        guard let key = request.uri.queryParameters["key"].map(String.init), BatchValidator.isValidKey(key),
              let campaign = try? await campaigns.campaign(forKey: key),
              OriginPolicy.allows(origin, allowed: campaign.allowedOrigins)
        else {
            return CollectorResponses.error(.originNotAllowed)
        }
        return CollectorResponses.preflight(origin: origin)
    }
}
