import CRdKafka

/// Conversions between ``KafkaTopicPartition`` and `rd_kafka_topic_partition_list_t`.
enum TopicPartitionList {
    /// A new list (caller destroys it with `rd_kafka_topic_partition_list_destroy`), each entry's
    /// offset set to `offset(entry)`.
    static func make(_ partitions: [KafkaTopicPartition], offset: (KafkaTopicPartition) -> Int64? = { _ in nil })
        -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    {
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: partitions.count))!
        for partition in partitions {
            let entry = rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)!
            if let value = offset(partition) { entry.pointee.offset = value }
        }
        return list
    }

    static func partitions(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [KafkaTopicPartition] {
        entries(list).map { KafkaTopicPartition(topic: String(cString: $0.topic), partition: $0.partition) }
    }

    static func entries(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [rd_kafka_topic_partition_t] {
        guard let list, let elems = list.pointee.elems else { return [] }
        return (0..<Int(list.pointee.cnt)).map { elems[$0] }
    }

    /// The first per-partition error in `list`, if any.
    static func firstError(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> (KafkaTopicPartition, rd_kafka_resp_err_t)? {
        for entry in entries(list) where entry.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            return (KafkaTopicPartition(topic: String(cString: entry.topic), partition: entry.partition), entry.err)
        }
        return nil
    }
}
