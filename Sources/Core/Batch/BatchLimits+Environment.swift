extension BatchLimits {
    /// `REPLAYD_MAX_EVENTS_PER_BATCH` and `REPLAYD_TIMESTAMP_SKEW`. Read once and given to both the
    /// Collector (which answers 400 beyond them) and the Processor (which re-validates what it
    /// consumes): a batch the one accepted must pass the other.
    public init(from reader: inout EnvironmentReader) {
        self.init()
        maxEventsPerBatch = reader.int("REPLAYD_MAX_EVENTS_PER_BATCH", default: maxEventsPerBatch, range: 1...1_000_000)
        timestampSkew = reader.duration("REPLAYD_TIMESTAMP_SKEW", default: timestampSkew, minimum: .seconds(1))
    }
}
