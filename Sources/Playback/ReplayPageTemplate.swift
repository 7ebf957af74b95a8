import Foundation

/// The replay page (`Resources/replay.html`), loaded once from the module's bundle, with
/// `{{NAME}}` placeholders filled per request (values escaped by the caller).
struct ReplayPageTemplate: Sendable {
    let text: String

    init() {
        text = Self.load("replay", "html") ?? """
            <!doctype html><html><body><p>replayd: Resources/replay.html is missing from this build.</p></body></html>
            """
    }

    static func load(_ name: String, _ ext: String) -> String? {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources")
                ?? Bundle.module.url(forResource: name, withExtension: ext),
              let data = try? Data(contentsOf: url)
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    func render(_ values: [String: String]) -> String {
        var output = text
        for (name, value) in values {
            output = output.replacingOccurrences(of: "{{\(name)}}", with: value)
        }
        return output
    }
}
