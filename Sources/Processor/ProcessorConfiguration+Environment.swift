import Core

extension ProcessorConfiguration {
    /// The Processor's own `REPLAYD_PROCESSOR_*` variables; the Kafka settings and the batch limits
    /// are shared with the Collector and read once by the caller.
    public init(
        from reader: inout EnvironmentReader, brokers: String, topic: String, deadLetterTopic: String, groupID: String,
        sessionTimeout: Duration, limits: BatchLimits
    ) {
        self.init(brokers: brokers)
        self.topic = topic
        self.deadLetterTopic = deadLetterTopic
        self.groupID = groupID
        self.sessionTimeout = sessionTimeout
        self.limits = limits
        maxAttempts = reader.int("REPLAYD_PROCESSOR_MAX_ATTEMPTS", default: maxAttempts, range: 1...1000)
        handoverTimeout = reader.duration("REPLAYD_HANDOVER_TIMEOUT", default: handoverTimeout, minimum: .zero)
        assignmentWait = reader.duration("REPLAYD_PROCESSOR_ASSIGNMENT_WAIT", default: assignmentWait, minimum: .seconds(1))
        if let instance = reader.raw("REPLAYD_PROCESSOR_INSTANCE") { instanceID = instance }
    }
}
