/// Whole-buffer conveniences for small payloads and tests. For anything large or untrusted-and-large,
/// stream with ``GzipDeflater``, ``GzipInflater``, ``GzipFileWriter`` or ``GzipFileReader`` instead:
/// these functions hold the whole result in memory (decompression is still capped by `maxOutputBytes`).
public enum Gzip {
    /// Compresses `bytes` into one gzip member.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count / 4 + 64)
        let deflater = GzipDeflater(level: level)
        try deflater.compress(bytes) { result.append(contentsOf: $0) }
        try deflater.finish { result.append(contentsOf: $0) }
        return result
    }

    /// Decompresses gzip data (one or more members).
    /// - Throws: ``GzipError`` `.corrupt`, `.truncated`, or `.outputLimitExceeded(limit:)`.
    public static func decompress(_ bytes: [UInt8], maxOutputBytes: Int = .max) throws -> [UInt8] {
        var result: [UInt8] = []
        let inflater = GzipInflater(maxOutputBytes: maxOutputBytes)
        try inflater.decompress(bytes) { result.append(contentsOf: $0) }
        try inflater.finish()
        return result
    }
}
