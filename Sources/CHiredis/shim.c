#include "CHiredis.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>

int chiredis_append_packed(redisContext *c, int argc, const char *buffer, const size_t *lengths) {
    enum { STACK_ARGS = 16 };
    const char *stack_argv[STACK_ARGS];
    const char **argv = stack_argv;
    if (argc > STACK_ARGS) {
        argv = malloc(sizeof(const char *) * (size_t)argc);
        if (argv == NULL) return REDIS_ERR;
    }
    static const char empty = 0;
    size_t offset = 0;
    for (int i = 0; i < argc; i++) {
        argv[i] = buffer != NULL ? buffer + offset : &empty;
        offset += lengths[i];
    }
    int rc = redisAppendCommandArgv(c, argc, argv, lengths);
    if (argv != stack_argv) free(argv);
    return rc;
}

int chiredis_get_reply(redisContext *c, redisReply **reply, int *saved_errno) {
    void *raw = NULL;
    errno = 0;
    int rc = redisGetReply(c, &raw);
    *saved_errno = rc == REDIS_OK ? 0 : errno;
    *reply = (redisReply *)raw;
    return rc;
}

static struct timeval to_timeval(long long usec) {
    struct timeval tv;
    tv.tv_sec = (time_t)(usec / 1000000);
    tv.tv_usec = (suseconds_t)(usec % 1000000);
    return tv;
}

redisContext *chiredis_connect(const char *host, int port, long long timeout_usec) {
    return redisConnectWithTimeout(host, port, to_timeval(timeout_usec));
}

int chiredis_set_timeout(redisContext *c, long long timeout_usec) {
    return redisSetTimeout(c, to_timeval(timeout_usec));
}

int chiredis_idle_connection_is_healthy(redisContext *c) {
    struct pollfd pfd = { .fd = c->fd, .events = POLLIN, .revents = 0 };
    int n;
    do { n = poll(&pfd, 1, 0); } while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    if (n == 0) return 1;
    return 0;
}

const char *chiredis_errstr(const redisContext *c) {
    return c->errstr;
}
