import FuzzHarness

@main enum FuzzEnvelope {
    static func main() {
        FuzzMain.run(EnvelopeTarget.self) { data, size in EnvelopeTarget.fuzz(data, size) }
    }
}
