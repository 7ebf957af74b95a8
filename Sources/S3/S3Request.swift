import Core
import Crypto
import Curl
import Foundation
import Logging

/// `Insecure.MD5`, used only to compare with S3 ETags (never for security).
typealias CryptoMD5 = Insecure.MD5

/// One S3 API call before signing.
struct S3Request: Sendable {
    /// The S3 API name, for messages and logs (`PutObject`, `UploadPart`, ...).
    var operation: String
    var method: String
    /// The object key; `nil` addresses the bucket.
    var key: String?
    /// Query parameters; a `nil` value is a bare name (`?uploads`).
    var query: [(name: String, value: String?)] = []
    var headers: [(name: String, value: String)] = []
    var body: CurlRequestBody = .none
    /// Hex SHA-256 of the body or `UNSIGNED-PAYLOAD`.
    var payloadHash: String = SigV4Signer.emptyPayloadHash
}

extension S3Client {
    /// The signed transport request (signed now: each attempt gets a fresh date).
    func curlRequest(for request: S3Request) -> CurlRequest {
        let url = configuration.url(key: request.key, query: request.query)
        let headers = signer.signRequest(method: request.method, url: url, headers: request.headers, payloadHash: request.payloadHash, date: Date())
            .headers.map { HTTPHeader(name: $0.name, value: $0.value) }
        var curl = CurlRequest(method: request.method, url: url, headers: headers, body: request.body)
        curl.timeout = configuration.requestTimeout
        return curl
    }

    /// Sends `request` with retries; returns the 2xx response or throws an ``S3Error``.
    ///
    /// - Parameter beforeAttempt: called with the attempt number (from 1) before each attempt;
    ///   a thrown error counts as that attempt's failure (testing hook).
    func perform(
        _ request: S3Request,
        sink: CurlResponseSink = .collect(maxBytes: 16 << 20),
        beforeAttempt: (@Sendable (Int) throws -> Void)? = nil,
        progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) async throws -> CurlResponse {
        try await withRetries(request, beforeAttempt: beforeAttempt) { _ in
            let response = try await self.http.execute(self.curlRequest(for: request), sink: sink, progress: progress)
            guard (200..<300).contains(response.status) else {
                var body = response.body
                if case .file(let path) = sink {
                    body = Self.readPrefix(of: path, maxBytes: 64 << 10)
                    try? FileManager.default.removeItem(atPath: path)
                }
                throw self.serviceError(status: response.status, headers: response.headers, body: body, request: request)
            }
            // CompleteMultipartUpload (and CopyObject) can fail with 200 and an <Error> body.
            if request.operation == "CompleteMultipartUpload", let error = S3ErrorResponse.parse(response.body) {
                throw self.serviceError(status: 200, headers: response.headers, body: response.body, request: request, parsed: error)
            }
            return response
        }
    }

    /// Runs `body` until it succeeds, fails for good, or attempts run out (``S3RetryPolicy``).
    func withRetries<T: Sendable>(
        _ request: S3Request,
        beforeAttempt: (@Sendable (Int) throws -> Void)? = nil,
        _ body: @Sendable (Int) async throws -> T
    ) async throws -> T {
        let policy = configuration.retryPolicy
        var attempt = 0
        while true {
            attempt += 1
            do {
                try Task.checkCancellation()
                try beforeAttempt?(attempt)
                return try await body(attempt)
            } catch let error as CancellationError {
                throw error
            } catch {
                var failure = classify(error, request: request)
                guard attempt < policy.maxAttempts, S3RetryPolicy.isRetryable(failure) else {
                    failure.attempts = attempt
                    if attempt > 1 { failure.message += " (gave up after \(attempt) attempts)" }
                    throw failure
                }
                let delay = policy.delay(afterAttempt: attempt)
                logger.warning("S3 request failed, retrying", metadata: [
                    "operation": .string(request.operation), "key": .string(request.key ?? ""),
                    "attempt": .stringConvertible(attempt), "error": .string(failure.description),
                    "delay_ms": .stringConvertible(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000),
                ])
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Turns any failure into an ``S3Error``.
    func classify(_ error: any Error, request: S3Request) -> S3Error {
        if let error = error as? S3Error { return error }
        if let error = error as? CurlError {
            return S3Error(kind: .transport, message: "S3 \(request.operation) of \(target(request)) at \(configuration.endpoint) failed: \(error.message)")
        }
        return S3Error(kind: .transport, message: "S3 \(request.operation) of \(target(request)) failed: \(error)")
    }

    func target(_ request: S3Request) -> String {
        "s3://\(configuration.bucket)/\(request.key ?? "")"
    }

    /// The error for a non-2xx answer, with an actionable message.
    func serviceError(status: Int, headers: [HTTPHeader], body: [UInt8], request: S3Request, parsed: S3ErrorResponse? = nil) -> S3Error {
        let document = parsed ?? S3ErrorResponse.parse(body)
        let code = document?.code ?? S3ErrorResponse.codeForStatus(status)
        let requestID = document?.requestID ?? headers.first { $0.name.lowercased() == "x-amz-request-id" }?.value
        let said = document?.message.map { " S3 said: \($0)" } ?? ""
        let what = target(request)
        let advice: String
        switch code {
        case "SignatureDoesNotMatch":
            advice = "S3 rejected the signature (SignatureDoesNotMatch): check AWS_SECRET_ACCESS_KEY for key \(accessKeyID) (and that the clock is right)."
        case "InvalidAccessKeyId":
            advice = "S3 does not know access key \(accessKeyID) (InvalidAccessKeyId): check AWS_ACCESS_KEY_ID."
        case "AccessDenied", "Forbidden":
            advice = "S3 denied \(request.operation) on \(what) to key \(accessKeyID) (\(code), HTTP \(status)): check the key's permissions on bucket \(configuration.bucket)."
        case "NoSuchBucket":
            advice = "bucket \(configuration.bucket) does not exist at \(configuration.endpoint) (NoSuchBucket): create it or fix REPLAYD_S3_BUCKET."
        case "RequestTimeTooSkewed":
            advice = "S3 refused the request date (RequestTimeTooSkewed): this machine's clock is off; synchronise it."
        case "NoSuchUpload":
            advice = "S3 \(request.operation) of \(what): the multipart upload no longer exists (NoSuchUpload); it was completed or aborted."
        default:
            advice = "S3 \(request.operation) of \(what) failed with \(code) (HTTP \(status))."
        }
        let idText = requestID.map { " [request id \($0)]" } ?? ""
        return S3Error(kind: .service(code: code, requestID: requestID, status: status), message: advice + said + idText, serviceMessage: document?.message)
    }

    static func readPrefix(of path: String, maxBytes: Int) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        return Array((try? handle.read(upToCount: maxBytes)) ?? Data())
    }
}
