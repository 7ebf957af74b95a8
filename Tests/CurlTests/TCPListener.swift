import TestSupport
import Foundation

/// A TCP socket bound to 127.0.0.1 on an ephemeral port that listens but never accepts or answers:
/// the kernel completes handshakes into the backlog, so clients connect and then wait forever.
final class TCPListener {
    let fd: Int32
    let port: Int

    /// - Parameter listen: `false` binds without listening and closes, leaving a port that refuses.
    init(listen shouldListen: Bool = true) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        guard fd >= 0 else { throw TestFailure("socket() failed: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TestFailure("bind() failed: \(String(cString: strerror(errno)))") }
        if shouldListen {
            guard listen(fd, 16) == 0 else { throw TestFailure("listen() failed: \(String(cString: strerror(errno)))") }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        if port == 0 { throw TestFailure("getsockname() gave no port") }
    }

    func close() { _ = Foundation.close(fd) }
}
