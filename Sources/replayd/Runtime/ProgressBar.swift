import Foundation
import Synchronization

/// A one-line progress bar on standard error, redrawn at most ten times a second. Drawn only when
/// standard error is a terminal, so logs and CI output stay clean; commands print a final count.
final class ProgressBar: Sendable {
    private let lastDraw = Mutex(ContinuousClock.now - .seconds(1))
    private let interactive = isatty(STDERR_FILENO) == 1

    func draw(fraction: Double, text: String) {
        guard interactive else { return }
        let now = ContinuousClock.now
        let due = lastDraw.withLock { last -> Bool in
            guard now - last >= .milliseconds(100) || fraction >= 1 else { return false }
            last = now
            return true
        }
        guard due else { return }
        let width = 30
        let filled = max(0, min(width, Int(fraction * Double(width))))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(text)".utf8))
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
