import Foundation

/// A UUID that encodes in lower case, as Postgres, S3 keys and logs spell it (Foundation's
/// `UUID` encodes in upper case). Decodes either case.
@propertyWrapper
public struct LowercasedUUID: Sendable, Hashable, Codable {
    public var wrappedValue: UUID

    public init(wrappedValue: UUID) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(UUID.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue.uuidString.lowercased())
    }
}
