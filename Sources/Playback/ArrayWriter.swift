import HTTPSupport
import Hummingbird
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one JSON array to a response body from batches' events read back with `pread` out of the
/// decompressed segment files (descriptors opened once per file), in buffers of `chunkSize` bytes:
/// each batch's events array contributes its elements, joined with commas.
struct ArrayWriter {
    let files: [String]
    let chunkSize: Int
    private var descriptors: [Int32]
    private var buffer = ByteBuffer()
    private var opened = false
    private var empty = true
    private var sentFirst = false
    /// Batches played (a batch with an empty events array counts, though it adds no bytes).
    var batches = 0

    init(files: [String], chunkSize: Int) {
        self.files = files
        self.chunkSize = chunkSize
        self.descriptors = Array(repeating: -1, count: files.count)
    }

    /// Appends a batch's events.
    mutating func append(_ location: BatchLocation, to writer: inout any ResponseBodyWriter) async throws {
        guard location.length > 0 else { return }
        beginElement()
        try await copy(file: location.file, offset: location.offset, length: location.length, to: &writer)
    }

    /// Appends `length` bytes of a segment file from `offset` to the current element.
    mutating func copy(file index: Int32, offset start: Int64, length: Int64, to writer: inout any ResponseBodyWriter) async throws {
        guard length > 0 else { return }
        let file = Int(index)
        if descriptors[file] < 0 {
            descriptors[file] = open(files[file], O_RDONLY | O_CLOEXEC)
            guard descriptors[file] >= 0 else {
                throw PlaybackError.unavailable("cannot open \(files[file]) (errno \(errno))")
            }
        }
        let fd = descriptors[file]
        var offset = start
        var remaining = length
        while remaining > 0 {
            if buffer.writableBytes == 0 { try await flush(to: &writer) }
            let want = Int(min(remaining, Int64(buffer.writableBytes)))
            let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { pointer -> Int in
                while true {
                    let n = pread(fd, pointer.baseAddress, want, off_t(offset))
                    if n < 0, errno == EINTR { continue }
                    guard n > 0 else {
                        throw PlaybackError.unavailable("a temporary segment file ended early (errno \(errno))")
                    }
                    return n
                }
            }
            offset += Int64(got)
            remaining -= Int64(got)
        }
        // The first bytes go out at once (time to first event); later ones in full buffers.
        if !sentFirst || buffer.readableBytes >= chunkSize {
            sentFirst = true
            try await flush(to: &writer)
        }
    }

    /// Appends one element given as bytes (the trailing gap event).
    mutating func appendRaw(_ element: [UInt8], to writer: inout any ResponseBodyWriter) async throws {
        beginElement()
        buffer.writeBytes(element)
    }

    /// Closes the array and writes what is buffered.
    mutating func finish(to writer: inout any ResponseBodyWriter) async throws {
        if !opened { buffer.writeInteger(UInt8(ascii: "[")) }
        opened = true
        buffer.writeInteger(UInt8(ascii: "]"))
        try await writer.write(buffer)
        buffer = ByteBuffer()
        closeFiles(files.indices)
    }

    /// Closes the descriptors of files that will not be read again.
    mutating func closeFiles(_ range: Range<Int>) {
        for index in range where descriptors[index] >= 0 {
            close(descriptors[index])
            descriptors[index] = -1
        }
    }

    /// Starts the next element (the `[` or the comma before it): what ``copy(file:offset:length:to:)``
    /// adds next is part of it.
    mutating func beginElement() {
        if buffer.capacity == 0 { buffer.reserveCapacity(chunkSize) }
        if !opened {
            buffer.writeInteger(UInt8(ascii: "["))
            opened = true
        }
        if !empty { buffer.writeInteger(UInt8(ascii: ",")) }
        empty = false
    }

    private mutating func flush(to writer: inout any ResponseBodyWriter) async throws {
        guard buffer.readableBytes > 0 else { return }
        try await writer.write(buffer)
        buffer = ByteBuffer()
        buffer.reserveCapacity(chunkSize)
    }
}
