/// A small, tolerant XML reader for S3's response documents (no DTDs, no namespaces handling
/// beyond ignoring prefixes): enough for `<Error>`, `ListBucketResult`, `InitiateMultipartUploadResult`,
/// `ListMultipartUploadsResult` and `CompleteMultipartUploadResult`.
struct S3XMLElement: Sendable {
    var name: String
    var text: String = ""
    var children: [S3XMLElement] = []

    /// The first child named `name`.
    func child(_ name: String) -> S3XMLElement? { children.first { $0.name == name } }
    /// Every child named `name`.
    func children(_ name: String) -> [S3XMLElement] { children.filter { $0.name == name } }
    /// The text of the first child named `name`.
    func value(_ name: String) -> String? { child(name)?.text }

    /// Parses `bytes`; `nil` when there is no root element.
    static func parse(_ bytes: [UInt8]) -> S3XMLElement? {
        var parser = Parser(bytes: bytes)
        return parser.parseDocument()
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func parseDocument() -> S3XMLElement? {
            var stack: [S3XMLElement] = []
            var root: S3XMLElement?
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "<") {
                    if starts(with: "<?") { skip(past: "?>"); continue }
                    if starts(with: "<!--") { skip(past: "-->"); continue }
                    if starts(with: "<![CDATA[") {
                        i += 9
                        let start = i
                        skip(past: "]]>")
                        let end = max(start, i - 3)
                        if !stack.isEmpty { stack[stack.count - 1].text += String(decoding: bytes[start..<end], as: UTF8.self) }
                        continue
                    }
                    if starts(with: "<!") { skip(past: ">"); continue }
                    let closing = i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "/")
                    i += closing ? 2 : 1
                    let nameStart = i
                    while i < bytes.count, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: ">"), bytes[i] != UInt8(ascii: "/") { i += 1 }
                    var name = String(decoding: bytes[nameStart..<i], as: UTF8.self)
                    if let colon = name.lastIndex(of: ":") { name = String(name[name.index(after: colon)...]) }
                    // Skip attributes (quoted values may contain '>').
                    var selfClosing = false
                    while i < bytes.count, bytes[i] != UInt8(ascii: ">") {
                        if bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") {
                            let quote = bytes[i]
                            i += 1
                            while i < bytes.count, bytes[i] != quote { i += 1 }
                        } else if bytes[i] == UInt8(ascii: "/") {
                            selfClosing = true
                        } else if !isSpace(bytes[i]) {
                            selfClosing = false
                        }
                        i += 1
                    }
                    i += 1
                    if closing {
                        guard let element = stack.popLast() else { continue }
                        if stack.isEmpty { root = root ?? element } else { stack[stack.count - 1].children.append(element) }
                    } else if selfClosing {
                        let element = S3XMLElement(name: name)
                        if stack.isEmpty { root = root ?? element } else { stack[stack.count - 1].children.append(element) }
                    } else {
                        stack.append(S3XMLElement(name: name))
                    }
                } else {
                    let start = i
                    while i < bytes.count, bytes[i] != UInt8(ascii: "<") { i += 1 }
                    if !stack.isEmpty { stack[stack.count - 1].text += Self.unescape(bytes[start..<i]) }
                }
            }
            // Unterminated document: keep what was read.
            while let element = stack.popLast() {
                if stack.isEmpty { root = root ?? element } else { stack[stack.count - 1].children.append(element) }
            }
            return root
        }

        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

        func starts(with prefix: String) -> Bool {
            let p = Array(prefix.utf8)
            return i + p.count <= bytes.count && Array(bytes[i..<(i + p.count)]) == p
        }

        mutating func skip(past terminator: String) {
            let t = Array(terminator.utf8)
            while i < bytes.count {
                if i + t.count <= bytes.count, Array(bytes[i..<(i + t.count)]) == t { i += t.count; return }
                i += 1
            }
        }

        static func unescape(_ slice: ArraySlice<UInt8>) -> String {
            let text = String(decoding: slice, as: UTF8.self)
            guard text.contains("&") else { return text }
            var out = ""
            var rest = Substring(text)
            while let amp = rest.firstIndex(of: "&") {
                out += rest[..<amp]
                guard let semi = rest[amp...].firstIndex(of: ";"), rest.distance(from: amp, to: semi) <= 10 else {
                    out += "&"
                    rest = rest[rest.index(after: amp)...]
                    continue
                }
                let entity = rest[rest.index(after: amp)..<semi]
                switch entity {
                case "amp": out += "&"
                case "lt": out += "<"
                case "gt": out += ">"
                case "quot": out += "\""
                case "apos": out += "'"
                default:
                    var scalar: Unicode.Scalar?
                    if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                        scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                    } else if entity.hasPrefix("#") {
                        scalar = UInt32(entity.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init)
                    }
                    if let scalar { out.unicodeScalars.append(scalar) } else { out += "&" + entity + ";" }
                }
                rest = rest[rest.index(after: semi)...]
            }
            out += rest
            return out
        }
    }
}
