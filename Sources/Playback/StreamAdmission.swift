import HTTPSupport
import HTTPTypes
import Synchronization

/// Bounds what the events endpoint holds at once in one process: concurrent streams
/// (``PlaybackConfiguration/maxConcurrentStreams``) and temporary bytes on disk
/// (``PlaybackConfiguration/maxTemporaryBytes``, estimated per stream from the compressed sizes of
/// the two consecutive runs of segments it holds at most at once). Beyond either, a request gets 429 `playback_busy` with `Retry-After`. A session larger
/// than the whole budget still plays when nothing else does.
final class StreamAdmission: Sendable {
    /// Decompressed rrweb JSON is up to about 15 times its gzip size; the downloaded file is kept
    /// until its segment is decoded.
    static let expansion: Int64 = 16

    private struct State {
        var streams = 0
        var bytes: Int64 = 0
    }
    private let state = Mutex(State())
    let maxStreams: Int
    let maxBytes: Int64

    init(maxStreams: Int, maxBytes: Int64) {
        self.maxStreams = maxStreams
        self.maxBytes = maxBytes
    }

    /// A stream's hold on the budget, released when the last reference goes (the response written
    /// or dropped).
    final class Admission: Sendable {
        let bytes: Int64
        private let owner: StreamAdmission
        fileprivate init(bytes: Int64, owner: StreamAdmission) {
            self.bytes = bytes
            self.owner = owner
        }
        deinit { owner.release(bytes) }
    }

    /// Admits a stream of segments with `compressedBytes` in all, or refuses with 429.
    func admit(compressedBytes: Int64) throws(PlaybackError) -> Admission {
        let estimate = max(0, compressedBytes) * Self.expansion
        let admitted = state.withLock { state -> Bool in
            guard state.streams < maxStreams else { return false }
            guard state.streams == 0 || state.bytes + estimate <= maxBytes else { return false }
            state.streams += 1
            state.bytes += estimate
            return true
        }
        guard admitted else {
            throw PlaybackError(.tooManyRequests, "playback_busy",
                                "this server is streaming as many sessions as it may at once; retry after 5 s", retryAfter: 5)
        }
        return Admission(bytes: estimate, owner: self)
    }

    fileprivate func release(_ bytes: Int64) {
        state.withLock { state in
            state.streams -= 1
            state.bytes -= bytes
        }
    }

    var inUse: (streams: Int, bytes: Int64) { state.withLock { ($0.streams, $0.bytes) } }
}
