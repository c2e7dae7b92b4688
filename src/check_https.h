/* The https:// half of `http_check`: one GET through libcurl's multi-socket
 * API, driven by the caller's libuv loop (uv_poll for curl's sockets, one
 * uv_timer for curl's timeouts), so a probe never blocks the loop and needs
 * no thread of ours. TLS, certificate and host name verification are
 * libcurl's (OpenSSL); verification is on unless turned off.
 *
 * Name resolution is libcurl's own (Debian's libcurl uses its threaded
 * resolver, so the loop does not wait for DNS either); IP literals need
 * none. Proxies from the environment are ignored: a health check talks to
 * the URL's host. Each probe opens a fresh connection (no reuse), as the
 * plain http:// probe does, so a dead TLS endpoint is noticed. The body is
 * never read: the transfer is cut at its first byte. */
#ifndef VIPD_SRC_CHECK_HTTPS_H
#define VIPD_SRC_CHECK_HTTPS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "vipd/error.h"

struct check_https;

/* End of a probe. @status: 0 when an answer came (its code in @code);
 * VIP_ETIMEDOUT; VIP_EAUTH when the peer's certificate or name did not
 * verify; UV_ECONNREFUSED, UV_EAI_NONAME; VIP_EPROTO for any other
 * failure (TLS handshake, malformed answer). @detail: libcurl's words. */
typedef void (*check_https_cb)(void *data,
                               int status,
                               int code,
                               const char *detail);
typedef void (*check_https_close_cb)(void *data);

/* Create a prober of @url (already validated: https://HOST[:PORT]/PATH) on
 * @loop. @ca_file: CA certificates in PEM to verify against instead of the
 * system's (NULL: system store). @verify false: accept any certificate.
 * Returns 0 or VIP_ENOMEM / VIP_EINVAL / VIP_ENOENT (libcurl not
 * installed: it is loaded by the first check, src/dl_lib.h) with a message in @errmsg
 * (VIP_ERRMSG_SIZE bytes). On success close with check_https_close(). */
int check_https_new(struct check_https **out,
                    uv_loop_t *loop,
                    const char *url,
                    const char *ca_file,
                    bool verify,
                    char *errmsg);

/* Start one probe of at most @timeout_ms; @cb(@data, ...) fires once, from
 * the loop, unless check_https_close() comes first. Returns 0, -EBUSY while
 * a probe runs, VIP_EINVAL once closing, VIP_ENOMEM. */
int check_https_start(struct check_https *t,
                      uint32_t timeout_ms,
                      check_https_cb cb,
                      void *data);

/* Abandon any probe (its cb is not called), release everything; @cb(@data)
 * fires from the loop once every handle is closed, then @t is freed. */
void check_https_close(struct check_https *t,
                       check_https_close_cb cb,
                       void *data);

#endif /* VIPD_SRC_CHECK_HTTPS_H */
