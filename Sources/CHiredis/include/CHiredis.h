#ifndef CHIREDIS_H
#define CHIREDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>

/// Appends one command whose `argc` arguments lie back to back in `buffer`, argument i being
/// `lengths[i]` bytes long. Binary safe. Returns REDIS_OK or REDIS_ERR (see `c->err`).
/// (redisAppendCommandArgv wants an array of pointers, which is awkward to build from Swift.)
int chiredis_append_packed(redisContext *c, int argc, const char *buffer, const size_t *lengths);

/// redisGetReply that also reports the `errno` seen right after a failure (0 on success), so a
/// socket timeout (EAGAIN/EWOULDBLOCK under SO_RCVTIMEO) can be told from other I/O errors.
int chiredis_get_reply(redisContext *c, redisReply **reply, int *saved_errno);

/// Connects with a timeout given in microseconds. Returns NULL only when out of memory; otherwise
/// check `c->err`.
redisContext *chiredis_connect(const char *host, int port, long long timeout_usec);

/// Sets the socket read/write timeout in microseconds (0 = none). Returns REDIS_OK or REDIS_ERR.
int chiredis_set_timeout(redisContext *c, long long timeout_usec);

/// 1 when the connection has nothing to read, 0 when the peer closed it or something unexpected is
/// waiting (an idle, non-subscribed connection must be silent), -1 on a poll error.
int chiredis_idle_connection_is_healthy(redisContext *c);

/// The context's error string (NUL-terminated, at most 127 bytes).
const char *chiredis_errstr(const redisContext *c);

#endif
