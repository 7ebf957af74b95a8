import Core

/// One Kafka record header: a string key and binary value. Keys may repeat within a record.
public struct KafkaHeader: Sendable, Hashable {
    public var key: String
    public var value: [UInt8]

    public init(key: String, value: [UInt8]) {
        self.key = key
        self.value = value
    }
}

extension KafkaHeader {
    /// A header of one of the wire formats (``BatchHeaders``, ``DeadLetterHeaders``).
    public init(_ header: WireHeader) {
        self.init(key: header.name, value: header.value)
    }
}

extension Array where Element == KafkaHeader {
    /// Headers of one of the wire formats, as Kafka headers.
    public init(wire headers: [WireHeader]) {
        self = headers.map(KafkaHeader.init)
    }

    /// These headers as the wire formats read them.
    public var wire: [WireHeader] { map { ($0.key, $0.value) } }
}
