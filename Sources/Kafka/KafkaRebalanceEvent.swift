/// A consumer-group rebalance, as seen by ``KafkaConsumer``'s rebalance handler.
///
/// With the eager protocol every rebalance revokes the whole assignment and assigns a new one;
/// with the cooperative protocol the lists carry only the partitions that change hands.
public enum KafkaRebalanceEvent: Sendable, Hashable {
    case assigned([KafkaTopicPartition])
    case revoked([KafkaTopicPartition])
}
