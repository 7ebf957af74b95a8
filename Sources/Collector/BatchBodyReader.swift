import HTTPSupport
import Foundation
import Gzip
import HTTPTypes
import Hummingbird
import NIOCore

/// Reads a request body as it streams in, decompressing gzip on the fly, and stops at the limit:
/// neither a large body nor a gzip bomb is ever held beyond `limit` bytes. What it holds is taken
/// from the process's ``InflightBytes`` first (503 when that is spent, before the body is read).
struct BatchBodyReader {
    let limit: Int
    let reservation: InflightReservation

    func read(_ request: Request) async throws(CollectorError) -> ByteBuffer {
        let encoding = request.headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces) ?? "identity"
        guard encoding == "identity" || encoding == "gzip" || encoding == "x-gzip" else {
            throw .unsupportedEncoding(encoding)
        }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard ["application/json", "text/plain", ""].contains(mediaType) else {
            throw .unsupportedType(contentType)
        }
        let declaredLength = request.headers[.contentLength].flatMap { Int($0) }
        if declaredLength == nil, request.headers[.transferEncoding] == nil { throw .lengthRequired }
        if let declaredLength, declaredLength > limit { throw .tooLarge(limit: limit) }

        var output = ByteBuffer()
        output.reserveCapacity(min(declaredLength.map { $0 * (encoding == "identity" ? 1 : 8) } ?? 64 << 10, limit))
        guard reservation.grow(to: output.capacity) else { throw .inflightBytesSpent }
        let inflater = encoding == "identity" ? nil : GzipInflater(maxOutputBytes: limit)
        var received = 0
        do {
            for try await chunk in request.body {
                received += chunk.readableBytes
                if received > limit { throw CollectorError.tooLarge(limit: limit) }
                if let inflater {
                    try chunk.withUnsafeReadableBytes { input in
                        try inflater.decompress(input) { output.writeBytes($0) }
                    }
                } else {
                    var chunk = chunk
                    output.writeBuffer(&chunk)
                }
                guard reservation.grow(to: output.capacity) else { throw CollectorError.inflightBytesSpent }
            }
            try inflater?.finish()
        } catch let error as CollectorError {
            throw error
        } catch let error as GzipError {
            if case .outputLimitExceeded = error.kind { throw .tooLarge(limit: limit) }
            throw .malformed("the gzip body is invalid: \(error.message)")
        } catch {
            throw .malformed("the body could not be read: \(error)")
        }
        guard output.readableBytes > 0 else { throw .malformed("the body is empty; send a JSON batch") }
        return output
    }
}
