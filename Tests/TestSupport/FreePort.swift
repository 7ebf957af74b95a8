import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension TestStack {
    /// A loopback port for a test's own server: random in 20000–27999 — below Linux's ephemeral range
    /// (32768–60999), so no outgoing connection can hold it, and clear of the dev stack's ports —
    /// and free at the time of the call (checked by binding it).
    public static func freePort() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000...27_999)
            if canBind(port) { return port }
        }
        throw POSIXError(.EADDRINUSE)
    }

    static func canBind(_ port: Int) -> Bool {
        withLoopbackSocket(port) { fd, address, length in bind(fd, address, length) == 0 }
    }

    /// Runs `body` with a new TCP socket and the sockaddr of 127.0.0.1:`port`; closes the socket after.
    static func withLoopbackSocket(_ port: Int, _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Bool) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
