import Foundation

/// The `main` of the fuzz executables (`Fuzz/Fuzz<Target>/`).
///
/// - Built by `scripts/fuzz` (`-sanitize=fuzzer,address -D FUZZING`), it hands the command line to
///   libFuzzer, which calls `callback` with each input: `Fuzz<Target> [libFuzzer flags] [corpus…]`.
/// - In a normal build (`swift build` builds these targets too, so they always compile) it replays
///   inputs: `swift run Fuzz<Target> <file or directory>…` runs each file once through the target, with
///   a normal build's diagnostics — the way to look at a crash the fuzzer reported.
/// - In both, `Fuzz<Target> --write-seeds <rrweb fixtures directory> <directory>` writes the seeds.
///
/// libFuzzer is started with `LLVMFuzzerRunDriver` from this Swift `main`, not through libFuzzer's own
/// `main` and `LLVMFuzzerTestOneInput`: SwiftPM links an executable on Linux with `main` defined as
/// the module's `<Module>_main` entry point (so tests can link executables), which only a Swift
/// `@main` provides.
public enum FuzzMain {
    public typealias Callback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

    public static func run(_ target: any FuzzTarget.Type, callback: Callback) -> Never {
        let arguments = CommandLine.arguments
        if arguments.count == 4, arguments[1] == "--write-seeds" {
            exit(writeSeeds(target, fixtures: arguments[2], to: arguments[3]))
        }
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
        #else
        guard arguments.count > 1 else {
            print("usage: \(target.name) <input file or directory>… | --write-seeds <fixtures> <directory>")
            exit(2)
        }
        exit(replay(target, paths: Array(arguments.dropFirst())))
        #endif
    }

    /// Runs every file at `paths` (files, or directories' files) through `target` once.
    public static func replay(_ target: any FuzzTarget.Type, paths: [String]) -> Int32 {
        var count = 0
        for path in paths {
            let files: [String]
            do {
                files = try inputFiles(at: path)
            } catch {
                print("cannot read \(path): \(error)")
                return 1
            }
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else {
                    print("cannot read \(file)")
                    return 1
                }
                // On stderr, unbuffered: if the input crashes the process, this is the last line it wrote.
                FileHandle.standardError.write(Data("replaying \(file)\n".utf8))
                data.withUnsafeBytes { target.run($0) }
                count += 1
            }
        }
        print("\(target.name): \(count) inputs replayed without a finding")
        return 0
    }

    /// `path` itself, or the files in the directory `path` (sorted; dotfiles and README.md skipped).
    public static func inputFiles(at path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FixtureError(message: "no such file or directory")
        }
        guard isDirectory.boolValue else { return [path] }
        return try FileManager.default.contentsOfDirectory(atPath: path)
            .filter { !$0.hasPrefix(".") && $0 != "README.md" }
            .sorted()
            .map { (path as NSString).appendingPathComponent($0) }
    }

    static func writeSeeds(_ target: any FuzzTarget.Type, fixtures: String, to directory: String) -> Int32 {
        do {
            let seeds = try target.seeds(from: try Fixture.load(directory: fixtures))
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for seed in seeds {
                try Data(seed.bytes).write(to: URL(fileURLWithPath: directory).appendingPathComponent("seed-\(seed.name)"))
            }
            print("\(target.name): \(seeds.count) seeds from \(fixtures) in \(directory)")
            return 0
        } catch {
            print("cannot write the \(target.name) seeds: \(error)")
            return 1
        }
    }
}

extension FuzzTarget {
    /// `run` in the shape of libFuzzer's callback.
    public static func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        run(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
}

#if FUZZING
/// libFuzzer's entry point for a program with its own `main` (compiler-rt `FuzzerInterface.h`).
@_extern(c, "LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: FuzzMain.Callback
) -> Int32
#endif
