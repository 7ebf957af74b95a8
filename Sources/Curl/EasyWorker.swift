import CCurl
import Foundation

/// One worker thread's curl easy handle and error buffer. `curl_easy_reset` between jobs clears the
/// options but keeps the handle's connection cache, so keep-alive connections are reused.
/// Used only on the thread that created it.
final class EasyWorker {
    private let handle: UnsafeMutableRawPointer?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let configuration: CurlClientConfiguration
    private let share: CurlShare
    private let lifecycle: TransferControl

    init(configuration: CurlClientConfiguration, share: CurlShare, lifecycle: TransferControl) {
        _ = ccurl_global_init_once()
        handle = curl_easy_init()
        errorBuffer = .allocate(capacity: Int(CCURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CCURL_ERROR_SIZE) + 1)
        self.configuration = configuration
        self.share = share
        self.lifecycle = lifecycle
    }

    deinit {
        if let handle { curl_easy_cleanup(handle) }
        errorBuffer.deallocate()
    }

    /// Runs `job` and returns its result (the pool completes the job).
    func run(_ job: CurlJob) -> Result<CurlResponse, any Error> {
        if job.control.isCancelled { return .failure(CancellationError()) }
        if lifecycle.isCancelled { return .failure(CurlError.shutDown) }
        do {
            return .success(try perform(job))
        } catch {
            return .failure(error)
        }
    }

    private func perform(_ job: CurlJob) throws -> CurlResponse {
        guard let handle else {
            throw CurlError(kind: .other, message: "libcurl could not create a transfer handle (curl_easy_init failed); the process may be out of memory")
        }
        let request = job.request
        let method = request.method.uppercased()
        var body = request.body
        if case .none = body, ["POST", "PUT", "PATCH"].contains(method) { body = .bytes([]) }

        curl_easy_reset(handle)
        // Also after the transfer: the handle must not keep pointers to the freed context/header list.
        defer { curl_easy_reset(handle) }
        errorBuffer[0] = 0

        let context = try TransferContext(job: job, body: body, lifecycle: lifecycle, handle: handle)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }

        var setupError: CURLcode = CURLE_OK
        func set(_ code: CURLcode) {
            if code != CURLE_OK, setupError == CURLE_OK { setupError = code }
        }

        set(ccurl_setopt_string(handle, CURLOPT_URL, request.url))
        set(ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        set(ccurl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        if let share = share.handle { set(ccurl_setopt_share(handle, share)) }
        set(ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout)))
        set(ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout ?? configuration.requestTimeout)))
        if configuration.lowSpeedLimit > 0 {
            set(ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, configuration.lowSpeedLimit))
            set(ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, Self.milliseconds(configuration.lowSpeedTime) / 1000)))
        }
        set(ccurl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1))
        set(ccurl_setopt_long(handle, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1))
        set(ccurl_setopt_long(handle, CURLOPT_BUFFERSIZE, 256 << 10))
        set(ccurl_setopt_long(handle, CURLOPT_UPLOAD_BUFFERSIZE, 256 << 10))

        switch body {
        case .none:
            switch method {
            case "GET": set(ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1))
            case "HEAD": set(ccurl_setopt_long(handle, CURLOPT_NOBODY, 1))
            default: set(ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method))
            }
        case .bytes, .file:
            set(ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1))
            set(ccurl_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(context.bodyLength)))
            if method != "PUT" { set(ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)) }
        }

        var hasUserAgent = false
        var hasExpect = false
        for header in request.headers {
            guard Self.isValid(header) else {
                throw CurlError(kind: .other, code: "curl_bad_header", message: "request header \(header.name.debugDescription) has an invalid name or a line break in its value")
            }
            let lower = header.name.lowercased()
            if lower == "user-agent" { hasUserAgent = true }
            if lower == "expect" { hasExpect = true }
            // "Name;" is curl's syntax for a header with an empty value ("Name:" would remove it).
            let line = header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
            headerList = curl_slist_append(headerList, line)
        }
        if !hasExpect { headerList = curl_slist_append(headerList, "Expect:") }
        set(ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
        if !hasUserAgent { set(ccurl_setopt_string(handle, CURLOPT_USERAGENT, configuration.userAgent)) }

        set(ccurl_setopt_header_function(handle) { data, size, count, user in
            guard let data, let user else { return 0 }
            return Unmanaged<TransferContext>.fromOpaque(user).takeUnretainedValue().header(data, count: size * count)
        })
        set(ccurl_setopt_write_function(handle) { data, size, count, user in
            guard let data, let user else { return 0 }
            return Unmanaged<TransferContext>.fromOpaque(user).takeUnretainedValue().write(data, count: size * count)
        })
        set(ccurl_setopt_read_function(handle) { buffer, size, count, user in
            guard let buffer, let user else { return CCURL_READFUNC_ABORT }
            return Unmanaged<TransferContext>.fromOpaque(user).takeUnretainedValue().read(into: buffer, capacity: size * count)
        })
        set(ccurl_setopt_seek_function(handle) { user, offset, origin in
            guard let user else { return Int32(CCURL_SEEKFUNC_FAIL) }
            return Unmanaged<TransferContext>.fromOpaque(user).takeUnretainedValue().seek(to: Int64(offset), origin: origin)
        })
        set(ccurl_setopt_xferinfo_function(handle) { user, _, received, _, sent in
            guard let user else { return 1 }
            return Unmanaged<TransferContext>.fromOpaque(user).takeUnretainedValue().progress(received: Int64(received), sent: Int64(sent))
        })
        set(ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0))

        // Retained for exactly the duration of the transfer; released once, below.
        let unmanaged = Unmanaged.passRetained(context)
        defer { unmanaged.release() }
        let user = unmanaged.toOpaque()
        for option in [CURLOPT_HEADERDATA, CURLOPT_WRITEDATA, CURLOPT_READDATA, CURLOPT_SEEKDATA, CURLOPT_XFERINFODATA] {
            set(ccurl_setopt_ptr(handle, option, user))
        }
        if setupError != CURLE_OK {
            throw CurlError.fromCurl(setupError, errorBuffer: String(cString: errorBuffer), method: request.method, url: request.url)
        }

        let result = curl_easy_perform(handle)
        context.closeFiles()

        if let failure = context.failure { throw failure }
        if result != CURLE_OK {
            if let reason = context.stopReason { throw reason }
            throw CurlError.fromCurl(result, errorBuffer: String(cString: errorBuffer), method: request.method, url: request.url)
        }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var connects = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &connects)
        return CurlResponse(
            status: status != 0 ? status : context.status,
            headers: context.headers,
            body: context.collected,
            newConnections: connects
        )
    }

    private static func isValid(_ header: HTTPHeader) -> Bool {
        let badValue: (Character) -> Bool = { $0 == "\r" || $0 == "\n" || $0 == "\0" }
        return !header.name.isEmpty
            && !header.name.contains(where: { badValue($0) || $0 == ":" || $0 == ";" || $0 == " " })
            && !header.value.contains(where: badValue)
    }

    /// A duration as whole milliseconds for curl (at least 1 for a positive duration).
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 1 }
        let ms = seconds.multipliedReportingOverflow(by: 1000)
        if ms.overflow { return Int.max }
        return Int(ms.partialValue) + Int(attoseconds / 1_000_000_000_000_000) + (attoseconds % 1_000_000_000_000_000 > 0 ? 1 : 0)
    }
}
