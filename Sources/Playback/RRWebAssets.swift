import HTTPSupport
import Core
import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// Serves the rrweb-player build from ``PlaybackConfiguration/rrwebAssetsDirectory`` under
/// `/assets/rrweb/<file>`: plain file names only (no directories), each read once and then kept in
/// memory (the player is about 100 KiB).
final class RRWebAssets: Sendable {
    let directory: String?
    static let maximumFileBytes = 8 << 20
    private let cache = Mutex([String: ByteBuffer]())

    init(directory: String?) {
        self.directory = directory
    }

    static func isSafeName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.utf8.count <= 200 && name.unicodeScalars.allSatisfy { scalar in
            CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || "._-".unicodeScalars.contains(scalar)
        }
    }

    static func contentType(_ name: String) -> String {
        if name.hasSuffix(".js") { return "application/javascript; charset=utf-8" }
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if name.hasSuffix(".map") || name.hasSuffix(".json") { return "application/json" }
        return "application/octet-stream"
    }

    func response(for name: String) async -> Response {
        guard let directory else {
            return PlaybackResponses.error(PlaybackError(
                .notFound, "assets_not_configured",
                "this server does not serve rrweb-player; set REPLAYD_RRWEB_ASSETS to a directory holding it, or REPLAYD_RRWEB_ASSET_URL"))
        }
        guard Self.isSafeName(name) else {
            return PlaybackResponses.error(PlaybackError(.notFound, "asset_not_found", "no asset is called \(name)"))
        }
        if let cached = cache.withLock({ $0[name] }) { return Self.response(name, cached) }
        let path = (directory as NSString).appendingPathComponent(name)
        let bytes: ByteBuffer? = try? await BlockingWork.run(thread: "replayd-playback-io") {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard (attributes[.size] as? NSNumber)?.intValue ?? .max <= Self.maximumFileBytes,
                  attributes[.type] as? FileAttributeType == .typeRegular else { return nil }
            return ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        guard let bytes else {
            return PlaybackResponses.error(PlaybackError(.notFound, "asset_not_found", "\(name) is not in the rrweb asset directory"))
        }
        cache.withLock { $0[name] = bytes }
        return Self.response(name, bytes)
    }

    static func response(_ name: String, _ bytes: ByteBuffer) -> Response {
        Response(status: .ok,
                 headers: [.contentType: contentType(name), .cacheControl: "public, max-age=3600", PageSecurity.contentTypeOptions: "nosniff"],
                 body: .init(byteBuffer: bytes))
    }
}
