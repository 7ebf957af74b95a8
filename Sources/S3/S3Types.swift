import Foundation

/// What HeadObject tells about an object.
public struct S3ObjectHead: Sendable, Equatable {
    public var size: Int64
    /// The ETag without its quotes (`<md5>` for single PUTs, `<md5-of-part-md5s>-N` for multipart).
    public var etag: String
    public var contentType: String?
    /// User metadata (`x-amz-meta-*`), names lower-cased, values decoded (see ``S3Metadata``).
    public var metadata: [String: String]
    /// The `Last-Modified` header as sent.
    public var lastModified: String?

    public init(size: Int64, etag: String, contentType: String?, metadata: [String: String], lastModified: String?) {
        self.size = size
        self.etag = etag
        self.contentType = contentType
        self.metadata = metadata
        self.lastModified = lastModified
    }
}

/// One object of a ListObjectsV2 listing.
public struct S3ObjectSummary: Sendable, Equatable {
    public var key: String
    public var size: Int64
    /// Without quotes.
    public var etag: String
    /// ISO 8601 as S3 sends it, e.g. `2025-01-02T03:04:05.000Z`.
    public var lastModified: String
}

/// One in-progress multipart upload (ListMultipartUploads).
public struct S3MultipartUpload: Sendable, Equatable {
    public var key: String
    public var uploadID: String
    /// ISO 8601 as S3 sends it.
    public var initiated: String
}

/// The outcome of ``S3Client/upload(file:key:contentType:metadata:progress:)``.
public struct S3UploadResult: Sendable, Equatable {
    public var key: String
    public var size: Int64
    /// The object's ETag without quotes.
    public var etag: String
    /// Whether multipart upload was used, and with how many parts (1 for a single PUT).
    public var multipart: Bool
    public var parts: Int
}

/// Strips the quotes S3 puts around ETags.
func unquoteETag(_ value: String) -> String {
    var v = value.trimmingCharacters(in: .whitespaces)
    if v.hasPrefix("W/") { v.removeFirst(2) }
    if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
    return v
}
