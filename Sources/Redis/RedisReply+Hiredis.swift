import CHiredis

extension RedisReply {
    /// Copies a hiredis reply tree (which the caller still owns and frees).
    init(hiredis reply: UnsafePointer<redisReply>) {
        let r = reply.pointee
        func text() -> String {
            guard let str = r.str, r.len > 0 else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: str, count: r.len), as: UTF8.self)
        }
        switch r.type {
        case REDIS_REPLY_STATUS:
            self = .status(text())
        case REDIS_REPLY_ERROR:
            self = .error(text())
        case REDIS_REPLY_INTEGER:
            self = .integer(Int64(r.integer))
        case REDIS_REPLY_STRING:
            if let str = r.str, r.len > 0 {
                self = .bulk(Array(UnsafeRawBufferPointer(start: str, count: r.len)))
            } else {
                self = .bulk([])
            }
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(r.elements)
            if let element = r.element {
                for index in 0..<r.elements {
                    if let child = element[index] {
                        elements.append(RedisReply(hiredis: child))
                    } else {
                        elements.append(.null)
                    }
                }
            }
            self = .array(elements)
        default:  // REDIS_REPLY_NIL
            self = .null
        }
    }
}
