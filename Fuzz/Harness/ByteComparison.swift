#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte comparisons and searches through libc, which is not instrumented: the fuzz build traces every
/// comparison in Swift code, so byte loops in the harness would cost more than the code under test.
enum ByteComparison {
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && isPrefix(a, of: b)
    }

    static func isPrefix(_ a: [UInt8], of b: [UInt8]) -> Bool {
        guard a.count <= b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, a.count) == 0 } }
    }

    /// The lines of `bytes` (without their `\n`), empty ones left out; the last one even without a `\n`.
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let end = bytes.withUnsafeBytes { raw -> Int in
                guard let found = memchr(raw.baseAddress! + start, 0x0A, raw.count - start) else { return raw.count }
                return UnsafeRawPointer(found) - raw.baseAddress!
            }
            if end > start { lines.append(bytes[start..<end]) }
            start = end + 1
        }
        return lines
    }
}
