import Foundation

/// JSON text built by hand (error bodies, health answers, custom rrweb events): the one string
/// escaper, so every such place quotes the same way (Foundation's encoder: quotes, backslashes,
/// control characters and `/` escaped).
public enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    public static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
