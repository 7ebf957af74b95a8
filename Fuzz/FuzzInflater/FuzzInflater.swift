import FuzzHarness

@main enum FuzzInflater {
    static func main() {
        FuzzMain.run(InflaterTarget.self) { data, size in InflaterTarget.fuzz(data, size) }
    }
}
