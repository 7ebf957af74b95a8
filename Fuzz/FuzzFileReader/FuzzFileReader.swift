import FuzzHarness

@main enum FuzzFileReader {
    static func main() {
        FuzzMain.run(FileReaderTarget.self) { data, size in FileReaderTarget.fuzz(data, size) }
    }
}
