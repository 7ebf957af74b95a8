import Crypto
import Foundation
import Testing
@testable import S3

/// One case of the AWS SigV4 test suite (`/work/shared/sigv4-testsuite/v4/<name>`).
struct SigV4SuiteCase: Sendable {
    var name: String
    var directory: URL
    var method: String
    var path: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    var credentials: AWSCredentials
    var region: String
    var service: String
    var date: Date
    var normalize: Bool
    var signBody: Bool
    var omitSessionToken: Bool
    var expires: Int

    /// The suite's directory: `REPLAYD_SIGV4_SUITE`, else `shared/sigv4-testsuite` beside the repository.
    static var suiteDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["REPLAYD_SIGV4_SUITE"] { return URL(fileURLWithPath: dir) }
        // Tests/S3Tests/<file> → repository root → ../shared
        let repo = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repo.deletingLastPathComponent().appendingPathComponent("shared/sigv4-testsuite/v4")
    }

    static func allNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: suiteDirectory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    func expected(_ file: String) -> String? {
        guard let text = try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8) else { return nil }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }

    init(name: String) throws {
        self.name = name
        directory = Self.suiteDirectory.appendingPathComponent(name)
        let contextData = try Data(contentsOf: directory.appendingPathComponent("context.json"))
        let context = try #require(try JSONSerialization.jsonObject(with: contextData) as? [String: Any])
        let creds = try #require(context["credentials"] as? [String: Any])
        credentials = AWSCredentials(
            accessKeyID: try #require(creds["access_key_id"] as? String),
            secretAccessKey: try #require(creds["secret_access_key"] as? String),
            sessionToken: creds["token"] as? String
        )
        region = try #require(context["region"] as? String)
        service = try #require(context["service"] as? String)
        normalize = context["normalize"] as? Bool ?? false
        signBody = context["sign_body"] as? Bool ?? false
        omitSessionToken = context["omit_session_token"] as? Bool ?? false
        expires = context["expiration_in_seconds"] as? Int ?? 3600
        let stamp = try #require(context["timestamp"] as? String)
        date = try #require(ISO8601DateFormatter().date(from: stamp))

        // request.txt: "METHOD <path with spaces> HTTP/1.1", header lines (continuations start with
        // whitespace), a blank line, the body.
        let raw = try Data(contentsOf: directory.appendingPathComponent("request.txt"))
        let text = String(decoding: raw, as: UTF8.self)
        var lines = text.components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        let firstSpace = try #require(requestLine.firstIndex(of: " "))
        method = String(requestLine[..<firstSpace])
        var target = String(requestLine[requestLine.index(after: firstSpace)...])
        if let httpVersion = target.range(of: " HTTP/", options: .backwards) { target = String(target[..<httpVersion.lowerBound]) }
        path = target
        var headers: [(name: String, value: String)] = []
        var bodyLines: [String]? = nil
        for line in lines {
            if bodyLines != nil { bodyLines!.append(line); continue }
            if line.isEmpty { bodyLines = []; continue }
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += "\n" + line
                continue
            }
            let colon = try #require(line.firstIndex(of: ":"))
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        self.headers = headers
        body = Array((bodyLines ?? []).joined(separator: "\n").utf8)
    }

    var host: String { headers.first { $0.name.lowercased() == "host" }?.value ?? "example.amazonaws.com" }
    var url: String { "https://\(host)\(path)" }
    var payloadHash: String { Hex.encode(SHA256.hash(data: body)) }

    var signer: SigV4Signer {
        SigV4Signer(
            credentials: credentials, region: region, service: service,
            options: .init(normalizePath: normalize, addContentSHA256Header: signBody, omitSessionTokenFromSignature: omitSessionToken)
        )
    }
}

@Suite("AWS SigV4 test suite")
struct SigV4SuiteTests {
    @Test("the suite is present and complete")
    func suiteIsPresent() {
        let names = SigV4SuiteCase.allNames()
        #expect(names.count == 38, "expected 38 cases in \(SigV4SuiteCase.suiteDirectory.path), found \(names.count)")
    }

    @Test("header signing", arguments: SigV4SuiteCase.allNames())
    func headerSigning(name: String) throws {
        let testCase = try SigV4SuiteCase(name: name)
        let result = testCase.signer.signRequest(
            method: testCase.method, url: testCase.url, headers: testCase.headers,
            payloadHash: testCase.payloadHash, date: testCase.date
        )
        let canonical = try #require(testCase.expected("header-canonical-request.txt"))
        #expect(result.canonicalRequest == canonical)
        #expect(result.stringToSign == testCase.expected("header-string-to-sign.txt"))
        #expect(result.signature == testCase.expected("header-signature.txt"))
        // The Authorization line of the expected signed request.
        let signedRequest = try #require(testCase.expected("header-signed-request.txt"))
        let expectedAuthorization = signedRequest.components(separatedBy: "\n")
            .first { $0.hasPrefix("Authorization:") }.map { String($0.dropFirst("Authorization:".count)) }
        let authorization = result.headers.first { $0.name == "Authorization" }?.value
        #expect(authorization == expectedAuthorization)
        if let token = testCase.credentials.sessionToken {
            #expect(result.headers.contains { $0.name.lowercased() == "x-amz-security-token" && $0.value == token })
        }
    }

    @Test("query signing", arguments: SigV4SuiteCase.allNames())
    func querySigning(name: String) throws {
        let testCase = try SigV4SuiteCase(name: name)
        let canonical = try #require(testCase.expected("query-canonical-request.txt"))
        let result = testCase.signer.presignRequest(
            method: testCase.method, url: testCase.url, headers: testCase.headers,
            expires: .seconds(testCase.expires), payloadHash: testCase.payloadHash, date: testCase.date
        )
        #expect(result.canonicalRequest == canonical)
        #expect(result.stringToSign == testCase.expected("query-string-to-sign.txt"))
        let signature = try #require(testCase.expected("query-signature.txt"))
        #expect(result.signature == signature)
        #expect(result.url.contains("X-Amz-Signature=\(signature)"))
        if let token = testCase.credentials.sessionToken {
            #expect(result.url.contains("X-Amz-Security-Token=\(S3URIEncoding.encode(token))"))
        }
    }
}
