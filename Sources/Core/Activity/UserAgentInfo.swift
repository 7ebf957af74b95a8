/// Browser, operating system and device class from a `User-Agent` header: the families analysts
/// filter on, by the tokens browsers have sent for years (no version detail, no database).
public struct UserAgentInfo: Sendable, Equatable {
    public var browser: String
    public var os: String
    /// `desktop`, `mobile`, `tablet` or `bot`.
    public var device: String

    public init(browser: String, os: String, device: String) {
        self.browser = browser
        self.os = os
        self.device = device
    }

    public static func parse(_ userAgent: String?) -> UserAgentInfo? {
        guard let ua = userAgent, !ua.isEmpty else { return nil }
        let lower = ua.lowercased()
        func has(_ token: String) -> Bool { lower.contains(token) }

        let browser: String
        if has("bot") || has("spider") || has("crawler") || has("headlesschrome") {
            browser = has("headlesschrome") ? "Headless Chrome" : "Bot"
        } else if has("edg/") || has("edga/") || has("edgios/") { browser = "Edge" }
        else if has("opr/") || has("opera") { browser = "Opera" }
        else if has("samsungbrowser/") { browser = "Samsung Internet" }
        else if has("firefox/") || has("fxios/") { browser = "Firefox" }
        else if has("chrome/") || has("crios/") || has("chromium/") { browser = "Chrome" }
        else if has("safari/") && has("version/") { browser = "Safari" }
        else { browser = "Other" }

        let os: String
        if has("windows") { os = "Windows" }
        else if has("iphone") || has("ipad") || has("ipod") { os = "iOS" }
        else if has("android") { os = "Android" }
        else if has("cros") { os = "ChromeOS" }
        else if has("mac os x") || has("macintosh") { os = "macOS" }
        else if has("linux") { os = "Linux" }
        else { os = "Other" }

        let device: String
        if browser == "Bot" || browser == "Headless Chrome" { device = "bot" }
        else if has("ipad") || has("tablet") || (has("android") && !has("mobile")) { device = "tablet" }
        else if has("mobi") || has("iphone") || has("ipod") { device = "mobile" }
        else { device = "desktop" }
        return UserAgentInfo(browser: browser, os: os, device: device)
    }
}
