import Foundation

/// The browser snippet (`Resources/snippet.js`), loaded once from the module's bundle.
enum SnippetAsset {
    static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "snippet", withExtension: "js", subdirectory: "Resources")
                ?? Bundle.module.url(forResource: "snippet", withExtension: "js"),
              let data = try? Data(contentsOf: url)
        else {
            return Array("console.error('replayd: snippet.js is missing from this build');".utf8)
        }
        return Array(data)
    }()
}
