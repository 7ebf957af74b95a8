import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A minimal TCP forwarder (test helper): accepts on 127.0.0.1:`port` and pipes each connection to
/// `targetHost:targetPort` with two threads. Used to make an S3 endpoint appear after a while, and
/// (with `upstreamBytesPerSecond`) to make uploads slow: every connection's client-to-target bytes
/// share one rate; answers come back at full speed. With `corruptUpstreamByteAt`, it flips every
/// bit of that byte of each connection's client-to-target stream (a transport that damages data),
/// counting each flip in ``corruptions``.
public final class TCPForwarder: Sendable {
    private let listener: Int32
    private let sockets = Mutex<Set<Int32>>([])
    private let flips = FlipCounter()

    /// How many bytes were damaged so far (one per connection at most).
    public var corruptions: Int { flips.count.load(ordering: .relaxed) }

    /// A port that nothing listens on right now.
    public static func freePort() throws -> Int { try TestStack.freePort() }

    public init(port: Int, targetHost: String, targetPort: Int, upstreamBytesPerSecond: Int? = nil, corruptUpstreamByteAt: Int? = nil) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.address("127.0.0.1", port)
        let ok = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard ok, listen(fd, 64) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        listener = fd
        let target = Self.address(targetHost == "localhost" ? "127.0.0.1" : targetHost, targetPort)
        let pacer = upstreamBytesPerSecond.map { BytePacer(bytesPerSecond: $0) }
        Thread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var target = target
                let connected = withUnsafePointer(to: &target) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
                }
                guard connected else { close(client); close(upstream); continue }
                sockets.withLock { $0.formUnion([client, upstream]) }
                Self.pipe(from: client, to: upstream, pacer: pacer, corruptAt: corruptUpstreamByteAt, flips: flips)
                Self.pipe(from: upstream, to: client)
            }
        }.start()
    }

    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in sockets.withLock({ $0 }) { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private static func pipe(from source: Int32, to destination: Int32, pacer: BytePacer? = nil, corruptAt: Int? = nil, flips: FlipCounter? = nil) {
        Thread {
            var forwarded = 0
            // Paced pipes move small chunks so the rate stays smooth.
            var buffer = [UInt8](repeating: 0, count: pacer == nil ? 65_536 : 16_384)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                pacer?.wait(for: n)
                if let corruptAt, corruptAt >= forwarded, corruptAt < forwarded + n {
                    buffer[corruptAt - forwarded] ^= 0xFF
                    flips?.count.add(1, ordering: .relaxed)
                }
                forwarded += n
                var sent = 0
                while sent < n {
                    let m = buffer.withUnsafeBytes { send(destination, $0.baseAddress! + sent, n - sent, Int32(MSG_NOSIGNAL)) }
                    if m <= 0 { break }
                    sent += m
                }
                if sent < n { break }
            }
            shutdown(destination, Int32(SHUT_WR))
            shutdown(source, Int32(SHUT_RD))
        }.start()
    }

    private static func address(_ host: String, _ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}

/// The forwarder's count of damaged bytes, shared with its pipe threads.
final class FlipCounter: Sendable {
    let count = Atomic<Int>(0)
}
