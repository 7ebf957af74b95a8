#ifndef CCURL_H
#define CCURL_H

// Typed, non-variadic wrappers around libcurl's variadic `curl_easy_setopt` / `curl_easy_getinfo`
// (Swift cannot call C variadic functions), plus a thread-safe share handle.

#include <curl/curl.h>

/// `curl_global_init(CURL_GLOBAL_ALL)` exactly once per process (thread-safe); returns its result.
CURLcode ccurl_global_init_once(void);

CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode ccurl_setopt_ptr(CURL *handle, CURLoption option, void *value);
/// For string options (curl copies the string, except where its documentation says otherwise).
CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode ccurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode ccurl_setopt_share(CURL *handle, CURLSH *share);

CURLcode ccurl_setopt_read_function(CURL *handle, curl_read_callback callback);
CURLcode ccurl_setopt_seek_function(CURL *handle, curl_seek_callback callback);
CURLcode ccurl_setopt_write_function(CURL *handle, curl_write_callback callback);
CURLcode ccurl_setopt_header_function(CURL *handle, curl_write_callback callback);
CURLcode ccurl_setopt_xferinfo_function(CURL *handle, curl_xferinfo_callback callback);

CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *out);
CURLcode ccurl_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *out);

/// Return values of the read / seek callbacks (macros that Swift does not import reliably).
static const size_t CCURL_READFUNC_ABORT = CURL_READFUNC_ABORT;
static const int CCURL_SEEKFUNC_OK = CURL_SEEKFUNC_OK;
static const int CCURL_SEEKFUNC_FAIL = CURL_SEEKFUNC_FAIL;
static const int CCURL_ERROR_SIZE = CURL_ERROR_SIZE;

/// A curl share handle sharing the DNS cache and TLS session cache between easy handles that run on
/// different threads, with one pthread mutex per shared data kind. The connection cache is *not*
/// shared (libcurl does not support sharing it between concurrent threads).
typedef struct ccurl_share ccurl_share;
ccurl_share *ccurl_share_new(void);
CURLSH *ccurl_share_handle(ccurl_share *share);
/// Frees the share; call only after every easy handle using it has been cleaned up.
void ccurl_share_free(ccurl_share *share);

#endif
