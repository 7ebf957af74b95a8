import Foundation

/// URLs as they may be shown in messages and logs.
public enum URLRedaction {
    /// The URL with everything between its scheme (`…://`, or the start when there is none) and the
    /// last `@` before any query replaced by `***`, so that credentials never reach a message, even
    /// in a malformed URL (a password with `/` in it, a missing `//`). Without `@`, unchanged.
    public static func credentialsRedacted(_ url: String) -> String {
        let start = url.range(of: "://")?.upperBound ?? url.startIndex
        let beforeQuery = url[start...].firstIndex(where: { $0 == "?" || $0 == "#" }) ?? url.endIndex
        guard let at = url[start..<beforeQuery].lastIndex(of: "@") else { return url }
        return url[..<start] + "***" + url[at...]
    }
}
