import Core

extension PlaybackConfiguration {
    /// `REPLAYD_LINK_SECRET` (at least ``SignedLink/minimumSecretBytes``), `REPLAYD_RRWEB_ASSETS`,
    /// `REPLAYD_RRWEB_ASSET_URL`, `REPLAYD_PRESIGN_SECONDS` (0 turns presigned URLs off) and
    /// `REPLAYD_FRAME_ANCESTORS`.
    public init(from reader: inout EnvironmentReader) {
        self.init(linkSecret: reader.raw("REPLAYD_LINK_SECRET"))
        if let secret = linkSecret, secret.utf8.count < SignedLink.minimumSecretBytes {
            reader.problem("REPLAYD_LINK_SECRET must be at least \(SignedLink.minimumSecretBytes) bytes (e.g. the output of `openssl rand -hex 32`)")
        }
        rrwebAssetsDirectory = reader.raw("REPLAYD_RRWEB_ASSETS")
        rrwebAssetBaseURL = reader.raw("REPLAYD_RRWEB_ASSET_URL")
        let seconds = reader.int("REPLAYD_PRESIGN_SECONDS", default: 900, range: 0...(7 * 86_400))
        presignedURLLifetime = seconds > 0 ? .seconds(seconds) : nil
        temporaryDirectory = reader.string("REPLAYD_PLAYBACK_TEMP_DIR", default: temporaryDirectory)
        maxConcurrentStreams = reader.int("REPLAYD_PLAYBACK_MAX_STREAMS", default: maxConcurrentStreams, range: 1...10_000)
        maxTemporaryBytes = Int64(reader.bytes("REPLAYD_PLAYBACK_MAX_TEMP_BYTES", default: Int(maxTemporaryBytes), range: (1 << 20)...(1 << 50)))
        frameAncestors = reader.string("REPLAYD_FRAME_ANCESTORS", default: frameAncestors)
        if frameAncestors.contains(where: { $0 == ";" || $0 == "," || $0.isNewline }) {
            reader.problem("REPLAYD_FRAME_ANCESTORS=\(frameAncestors) must be CSP sources separated by spaces, e.g. 'self' https://admin.example.com")
        }
    }
}
