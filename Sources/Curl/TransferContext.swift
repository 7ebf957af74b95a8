import CCurl
import Foundation

/// The state of one running transfer, reached from curl's C callbacks through an `Unmanaged`
/// pointer (retained for exactly the duration of `curl_easy_perform`). Lives on one worker thread.
///
/// Callbacks never throw: they record the first error in ``failure`` and make curl abort; the
/// worker rethrows it after `curl_easy_perform` returns.
final class TransferContext {
    let job: CurlJob
    let lifecycle: TransferControl
    let handle: UnsafeMutableRawPointer
    private(set) var failure: (any Error)?

    // Request body.
    private var bodyBytes: [UInt8] = []
    private var bodyFD: Int32 = -1
    private var bodyStart: Int64 = 0
    let bodyLength: Int64
    private var bodyPosition: Int64 = 0

    // Response.
    private(set) var status = 0
    private(set) var headers: [HTTPHeader] = []
    private var headersComplete = false
    private var headDelivered = false
    private(set) var collected: [UInt8] = []
    private var sinkFD: Int32 = -1

    private var lastSent: Int64 = -1
    private var lastReceived: Int64 = -1

    /// Opens the body and sink files; throws ``CurlError`` (kind `.other`) when they cannot be used.
    init(job: CurlJob, body: CurlRequestBody, lifecycle: TransferControl, handle: UnsafeMutableRawPointer) throws {
        self.job = job
        self.lifecycle = lifecycle
        self.handle = handle
        switch body {
        case .none:
            bodyLength = 0
        case .bytes(let bytes):
            bodyBytes = bytes
            bodyLength = Int64(bytes.count)
        case .file(let path, let offset, let length):
            bodyLength = length
            bodyStart = offset
            guard offset >= 0, length >= 0 else {
                throw CurlError(kind: .other, code: "curl_bad_body", message: "request body range of \(path) is invalid (offset \(offset), length \(length)); both must be >= 0")
            }
            bodyFD = open(path, O_RDONLY | O_CLOEXEC)
            guard bodyFD >= 0 else {
                throw CurlError(kind: .other, code: "curl_bad_body", message: "cannot open request body file \(path): \(Self.errnoText()); check that it exists and is readable")
            }
            var info = stat()
            if fstat(bodyFD, &info) == 0, Int64(info.st_size) < offset + length {
                let size = Int64(info.st_size)
                close(bodyFD)
                bodyFD = -1
                throw CurlError(kind: .other, code: "curl_bad_body", message: "request body file \(path) has \(size) bytes, fewer than the requested range [\(offset), \(offset + length))")
            }
        }
        if case .file(let path) = job.sink {
            sinkFD = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard sinkFD >= 0 else {
                closeFiles()
                throw CurlError(kind: .other, code: "curl_bad_sink", message: "cannot create response file \(path): \(Self.errnoText()); check the directory exists and is writable")
            }
        }
    }

    deinit { closeFiles() }

    /// Closes the files; reports a failed close of the response file (data may be lost).
    func closeFiles() {
        if bodyFD >= 0 {
            close(bodyFD)
            bodyFD = -1
        }
        if sinkFD >= 0 {
            if close(sinkFD) != 0, failure == nil, case .file(let path) = job.sink {
                failure = CurlError(kind: .other, code: "curl_bad_sink", message: "writing response file \(path) failed on close: \(Self.errnoText())")
            }
            sinkFD = -1
        }
    }

    /// Why the transfer must stop now, if it must (task cancelled or client shut down).
    var stopReason: (any Error)? {
        if job.control.isCancelled { return CancellationError() }
        if lifecycle.isCancelled { return CurlError.shutDown }
        return nil
    }

    private func record(_ error: any Error) {
        if failure == nil { failure = error }
    }

    // MARK: callbacks

    /// `CURLOPT_READFUNCTION`: copies (or `pread`s) the next part of the body into curl's buffer.
    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        if let reason = stopReason {
            record(reason)
            return CCURL_READFUNC_ABORT
        }
        let remaining = bodyLength - bodyPosition
        guard remaining > 0, capacity > 0 else { return 0 }
        let count = Int(min(Int64(capacity), remaining))
        if bodyFD < 0 {
            let start = Int(bodyPosition)
            bodyBytes.withUnsafeBytes { source in
                UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + start, byteCount: count)
            }
            bodyPosition += Int64(count)
            return count
        }
        while true {
            let got = pread(bodyFD, buffer, count, off_t(bodyStart + bodyPosition))
            if got < 0 && errno == EINTR { continue }
            if got < 0 {
                record(CurlError(kind: .other, code: "curl_bad_body", message: "reading the request body file failed: \(Self.errnoText())"))
                return CCURL_READFUNC_ABORT
            }
            if got == 0 {
                record(CurlError(kind: .other, code: "curl_bad_body", message: "the request body file ended \(remaining) bytes early; was it truncated while uploading?"))
                return CCURL_READFUNC_ABORT
            }
            bodyPosition += Int64(got)
            return got
        }
    }

    /// `CURLOPT_SEEKFUNCTION`: rewinds the body when curl resends it (e.g. on a dead reused connection).
    func seek(to offset: Int64, origin: Int32) -> Int32 {
        guard origin == SEEK_SET, offset >= 0, offset <= bodyLength else { return Int32(CCURL_SEEKFUNC_FAIL) }
        bodyPosition = offset
        return Int32(CCURL_SEEKFUNC_OK)
    }

    /// `CURLOPT_HEADERFUNCTION`: one header line (status line, field, or the blank end line).
    func header(_ data: UnsafeMutablePointer<CChar>, count: Int) -> Int {
        var raw = UnsafeRawBufferPointer(start: data, count: count)[...]
        while let last = raw.last, last == 0x0A || last == 0x0D { raw.removeLast() }  // CR LF
        let line = String(decoding: raw, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            // A new response head (after a 1xx interim one, or the first).
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = []
            headersComplete = false
            return count
        }
        if headersComplete { return count }  // trailers
        if line.isEmpty {
            if status >= 200 {
                headersComplete = true
                deliverHead()
            }
            return count
        }
        if let first = line.first, first == " " || first == "\t", !headers.isEmpty {
            headers[headers.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
        } else if let colon = line.firstIndex(of: ":") {
            headers.append(HTTPHeader(
                name: String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                value: String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            ))
        }
        return count
    }

    /// Hands the head to a stream consumer (once), before the first body byte.
    func deliverHead() {
        guard !headDelivered, let onHead = job.onHead else { return }
        headDelivered = true
        onHead(CurlResponse(status: status, headers: headers))
    }

    /// `CURLOPT_WRITEFUNCTION`: passes a piece of the body to the sink. Returning less than
    /// `count` makes curl abort with `CURLE_WRITE_ERROR`.
    func write(_ data: UnsafeMutablePointer<CChar>, count: Int) -> Int {
        let bytes = UnsafeRawBufferPointer(start: data, count: count)
        switch job.sink {
        case .discard:
            return count
        case .collect(let maxBytes):
            if collected.count + count > maxBytes {
                record(CurlError(
                    kind: .aborted, code: "curl_response_too_large",
                    message: "\(job.request.method) \(CurlError.redacted(job.request.url)) returned a body larger than the \(maxBytes)-byte collect limit; stream it to a file or raise the limit"
                ))
                return 0
            }
            if collected.isEmpty {
                var length: curl_off_t = -1
                _ = ccurl_getinfo_off_t(handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length)
                if length > 0 { collected.reserveCapacity(min(maxBytes, Int(length))) }
            }
            collected.append(contentsOf: bytes)
            return count
        case .file(let path):
            var offset = 0
            while offset < count {
                let wrote = systemWrite(sinkFD, data + offset, count - offset)
                if wrote < 0 && errno == EINTR { continue }
                if wrote <= 0 {
                    record(CurlError(kind: .other, code: "curl_bad_sink", message: "writing response file \(path) failed: \(Self.errnoText()); is the disk full?"))
                    return 0
                }
                offset += wrote
            }
            return count
        case .stream(let channel):
            deliverHead()
            if channel.send(bytes, shouldStop: { stopReason != nil }) { return count }
            record(stopReason ?? CancellationError())
            return 0
        }
    }

    /// `CURLOPT_XFERINFOFUNCTION`: reports progress and aborts (nonzero) when asked to stop.
    func progress(received: Int64, sent: Int64) -> Int32 {
        if let reason = stopReason {
            record(reason)
            return 1
        }
        if let progress = job.progress, sent != lastSent || received != lastReceived {
            lastSent = sent
            lastReceived = received
            progress(sent, received)
        }
        return 0
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// `write(2)` (a free function, so the name does not resolve to ``TransferContext/write(_:count:)``).
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
