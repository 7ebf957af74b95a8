import Foundation
import FuzzHarness
import Testing

/// Each kept fuzz input runs once through its target: `Fuzz/regressions/<target>/` (inputs a fuzzer
/// once crashed on, kept after the fix) and `Fuzz/seeds/<target>/` (hand-made edge cases). Each input
/// runs in a child process (an exit test), so a crash fails that input's test case and the others
/// still run. To see the crash itself: `swift run Fuzz<Target> <file>`.
@Suite struct FuzzRegressionTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz").path

    /// `<target>/<regressions or seeds>/<file>` for every kept input.
    static var inputs: [String] {
        FuzzTargets.all.flatMap { target in
            ["regressions", "seeds"].flatMap { kind in
                let directory = "\(fuzzDirectory)/\(kind)/\(target.name)"
                let files = (try? FuzzMain.inputFiles(at: directory)) ?? []
                return files.map { "\(target.name)/\(kind)/\(($0 as NSString).lastPathComponent)" }
            }
        }
    }

    @Test func everyTargetHasKeptInputs() {
        for target in FuzzTargets.all {
            #expect(Self.inputs.contains { $0.hasPrefix("\(target.name)/") }, "no kept input for \(target.name)")
        }
    }

    @Test(arguments: inputs)
    func replays(_ input: String) async {
        await #expect(processExitsWith: .success, "\(input) crashes its fuzz target") { [input] in
            let parts = input.split(separator: "/").map(String.init)
            guard let target = FuzzTargets.named(parts[0]) else { exit(3) }
            exit(FuzzMain.replay(target, paths: ["\(FuzzRegressionTests.fuzzDirectory)/\(parts[1])/\(parts[0])/\(parts[2])"]))
        }
    }
}
