#if canImport(Glibc)
import HTTPSupport
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a session plays from the batch lines found in its segments.
///
/// Only a byte-identical copy is a duplicate (a redelivery, a client's retry, a batch stored again
/// after a crash): the first copy plays. Different events under one seq (a copied tab, a reset
/// counter, another client) are all kept, one after the other under that seq; the player orders
/// events by their timestamps. Copies are compared byte for byte, and only when a seq occurs more
/// than once, so the usual session costs nothing here.
struct BatchSelection: Sendable {
    /// The batches to play, in seq order.
    var chosen: [BatchLocation]
    /// Identical copies left out.
    var duplicates: Int
    /// Batches kept beside another one with the same seq and other events.
    var conflicts: Int

    /// `sorted` is ordered by (seq, file, offset); `files` are the decompressed segments the
    /// locations point into. Blocking (reads the files); run it off the event loops.
    static func select(_ sorted: [BatchLocation], files: [String]) throws -> BatchSelection {
        var selection = BatchSelection(chosen: [], duplicates: 0, conflicts: 0)
        selection.chosen.reserveCapacity(sorted.count)
        var reader = LocationReader(files: files)
        defer { reader.closeAll() }
        var groupStart = 0
        for location in sorted {
            guard selection.chosen.count > groupStart, selection.chosen[groupStart].seq == location.seq else {
                groupStart = selection.chosen.count
                selection.chosen.append(location)
                continue
            }
            var identical = false
            for kept in selection.chosen[groupStart...] where try reader.same(kept, location) {
                identical = true
                break
            }
            if identical {
                selection.duplicates += 1
            } else {
                selection.conflicts += 1
                selection.chosen.append(location)
            }
        }
        return selection
    }
}

/// Compares the events of two batch locations with `pread`, descriptors opened once per file.
struct LocationReader {
    let files: [String]
    private var descriptors: [Int32]
    private var left = [UInt8](repeating: 0, count: 64 << 10)
    private var right = [UInt8](repeating: 0, count: 64 << 10)

    init(files: [String]) {
        self.files = files
        self.descriptors = Array(repeating: -1, count: files.count)
    }

    mutating func same(_ a: BatchLocation, _ b: BatchLocation) throws -> Bool {
        guard a.length == b.length else { return false }
        let fa = try descriptor(Int(a.file)), fb = try descriptor(Int(b.file))
        var done: Int64 = 0
        while done < a.length {
            let want = Int(min(Int64(left.count), a.length - done))
            try Self.read(fa, into: &left, count: want, at: a.offset + done, path: files[Int(a.file)])
            try Self.read(fb, into: &right, count: want, at: b.offset + done, path: files[Int(b.file)])
            let equal = left.withUnsafeBytes { l in right.withUnsafeBytes { r in memcmp(l.baseAddress!, r.baseAddress!, want) == 0 } }
            if !equal { return false }
            done += Int64(want)
        }
        return true
    }

    mutating func closeAll() {
        for fd in descriptors where fd >= 0 { close(fd) }
        descriptors = Array(repeating: -1, count: files.count)
    }

    private mutating func descriptor(_ file: Int) throws -> Int32 {
        if descriptors[file] < 0 {
            descriptors[file] = open(files[file], O_RDONLY | O_CLOEXEC)
            guard descriptors[file] >= 0 else { throw PlaybackError.unavailable("cannot open \(files[file]) (errno \(errno))") }
        }
        return descriptors[file]
    }

    private static func read(_ fd: Int32, into buffer: inout [UInt8], count: Int, at offset: Int64, path: String) throws {
        var got = 0
        try buffer.withUnsafeMutableBytes { pointer in
            while got < count {
                let n = pread(fd, pointer.baseAddress! + got, count - got, off_t(offset + Int64(got)))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw PlaybackError.unavailable("a temporary segment file \(path) ended early (errno \(errno))") }
                got += n
            }
        }
    }
}
