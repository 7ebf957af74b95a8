#include "CRdKafka.h"
#include <string.h>

rd_kafka_resp_err_t crdkafka_produce(rd_kafka_t *rk,
                                     const char *topic,
                                     int32_t partition,
                                     const void *key, size_t key_len,
                                     const void *value, size_t value_len,
                                     rd_kafka_headers_t *headers,
                                     void *opaque) {
    rd_kafka_vu_t vus[7];
    size_t n = 0;

    vus[n].vtype = RD_KAFKA_VTYPE_TOPIC;
    vus[n++].u.cstr = topic;
    vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
    vus[n++].u.i32 = partition;
    vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vus[n++].u.i = RD_KAFKA_MSG_F_COPY;
    vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
    vus[n].u.mem.ptr = (void *)value;
    vus[n++].u.mem.size = value_len;
    if (key != NULL) {
        vus[n].vtype = RD_KAFKA_VTYPE_KEY;
        vus[n].u.mem.ptr = (void *)key;
        vus[n++].u.mem.size = key_len;
    }
    if (headers != NULL) {
        vus[n].vtype = RD_KAFKA_VTYPE_HEADERS;
        vus[n++].u.headers = headers;
    }
    vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vus[n++].u.ptr = opaque;

    rd_kafka_error_t *error = rd_kafka_produceva(rk, vus, n);
    if (error == NULL) {
        return RD_KAFKA_RESP_ERR_NO_ERROR;
    }
    rd_kafka_resp_err_t code = rd_kafka_error_code(error);
    rd_kafka_error_destroy(error);
    /* Headers stay owned by the caller when produceva fails. */
    if (headers != NULL) {
        rd_kafka_headers_destroy(headers);
    }
    return code;
}

int crdkafka_is_cooperative(rd_kafka_t *rk) {
    const char *protocol = rd_kafka_rebalance_protocol(rk);
    return protocol != NULL && strcmp(protocol, "COOPERATIVE") == 0;
}
