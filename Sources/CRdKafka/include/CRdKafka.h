/// CRdKafka: librdkafka (>= 2.8) for Swift. Swift cannot call librdkafka's variadic producer API,
/// so this module adds small plain-function helpers on top of the library's own header.
#ifndef CRDKAFKA_H
#define CRDKAFKA_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

/// Enqueues one message with rd_kafka_produceva. The payload and key are copied (RD_KAFKA_MSG_F_COPY).
/// `key` may be NULL, `headers` may be NULL; `partition` is RD_KAFKA_PARTITION_UA to let the
/// partitioner choose. On success librdkafka owns `headers` and will hand `opaque` back in the
/// delivery report (rkmessage->_private). On failure `headers` has been destroyed, `opaque` was not
/// retained, and the librdkafka error code is returned.
rd_kafka_resp_err_t crdkafka_produce(rd_kafka_t *rk,
                                     const char *topic,
                                     int32_t partition,
                                     const void *key, size_t key_len,
                                     const void *value, size_t value_len,
                                     rd_kafka_headers_t *headers,
                                     void *opaque);

/// 1 when the consumer group uses the COOPERATIVE (incremental) rebalance protocol, 0 for EAGER/NONE.
int crdkafka_is_cooperative(rd_kafka_t *rk);

#endif
