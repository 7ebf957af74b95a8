extension Duration {
    /// Whole milliseconds, clamped to `0...Int32.max` (the range librdkafka's `int` timeouts accept).
    var rdkafkaMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(0, milliseconds))
    }
}
