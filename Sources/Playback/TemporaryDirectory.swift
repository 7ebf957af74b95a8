import HTTPSupport
import Foundation

/// A private directory for one request's files, deleted by ``remove()`` or, at the latest, when the
/// last reference goes away (e.g. a response body that was never written).
final class TemporaryDirectory: Sendable {
    let path: String

    init(parent: String, prefix: String) throws {
        let path = (parent as NSString).appendingPathComponent("\(prefix)\(UUID().uuidString.lowercased())")
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw PlaybackError.unavailable("cannot create a temporary directory in \(parent) (\(error.localizedDescription))")
        }
        self.path = path
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    deinit { remove() }
}
