import Foundation

/// Resident-set figures of this process from `/proc/self/status`, in bytes.
public enum ProcessMemory {
    /// Current resident set size (`VmRSS`).
    public static func residentBytes() -> Int { field("VmRSS:") }
    /// Peak resident set size since start or the last ``resetPeak()`` (`VmHWM`).
    public static func peakResidentBytes() -> Int { field("VmHWM:") }
    /// Resets `VmHWM` to the current RSS (writes 5 to `/proc/self/clear_refs`).
    public static func resetPeak() { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }

    private static func field(_ name: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let kb = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return kb * 1024
        }
        return 0
    }
}
