import Foundation
import HTTPTypes
import NIOCore

/// The client address recorded with a batch, per ``CollectorConfiguration/ClientIPPolicy``.
enum ClientAddress {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    static func resolve(peer: SocketAddress?, forwardedFor: String?, configuration: CollectorConfiguration) -> String? {
        guard configuration.clientIPPolicy != .none else { return nil }
        var address = peer?.ipAddress
        if configuration.trustForwardedFor, let first = forwardedFor?.split(separator: ",").first {
            address = first.trimmingCharacters(in: .whitespaces)
        }
        guard let address else { return nil }
        return configuration.clientIPPolicy == .full ? address : anonymize(address)
    }

    /// IPv4 keeps its first three octets (/24), IPv6 its first three groups (/48).
    static func anonymize(_ address: String) -> String {
        if address.contains(":") {
            let groups = address.split(separator: ":", omittingEmptySubsequences: false)
            return groups.prefix(3).joined(separator: ":") + "::"
        }
        let octets = address.split(separator: ".")
        guard octets.count == 4 else { return address }
        return octets.prefix(3).joined(separator: ".") + ".0"
    }
}
