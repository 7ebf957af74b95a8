extension Duration {
    /// Whole microseconds, clamped at zero, for `struct timeval`.
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        let total = seconds.multipliedReportingOverflow(by: 1_000_000)
        if total.overflow { return seconds < 0 ? 0 : Int64.max }
        return max(0, total.partialValue + attoseconds / 1_000_000_000_000)
    }
}
