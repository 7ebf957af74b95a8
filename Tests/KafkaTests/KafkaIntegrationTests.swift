import Testing

/// All Kafka suites share one broker, and one of them freezes it (`kill -STOP`), so they run one at
/// a time under this parent suite.
@Suite(.serialized)
struct KafkaIntegrationTests {}
