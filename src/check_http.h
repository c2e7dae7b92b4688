/* `http_check URL status CODE`: a native probe that sends one HTTP/1.1 GET
 * over plain TCP and compares the status code of the answer's status line.
 *
 * Hostile servers cannot hurt us: only the first CHECK_HTTP_MAX_LINE bytes
 * are ever buffered, the status line is validated strictly, the body is
 * never read (the probe closes as soon as the status line is known), and
 * the whole probe (resolve, connect, send, first line) has one timeout.
 * https:// URLs go through libcurl instead (src/check_https.h): TLS is
 * not hand-written. http:// keeps this small native probe: it reads at
 * most CHECK_HTTP_MAX_LINE bytes into fixed buffers and is fuzzed
 * (tests/fuzz/fuzz_check_http.c); libcurl would buy nothing for plain
 * HTTP but a dependency in the path of the most common check. */
#ifndef VIPD_SRC_CHECK_HTTP_H
#define VIPD_SRC_CHECK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "src/check_tcp.h"

#define CHECK_HTTP_MAX_LINE 512  /* longest status line accepted */
#define CHECK_HTTP_MAX_PATH 1024 /* longest request target */

struct check_http;

/* End of a probe: 0 if the status equals the expected one; VIP_ERANGE if
 * another status came (it is in h->code); VIP_EPROTO for a malformed or
 * missing status line; VIP_ETIMEDOUT; or a libuv error code. */
typedef void (*check_http_cb)(struct check_http *h, int status);
typedef void (*check_http_close_cb)(struct check_http *h);

struct check_http
{
    struct check_tcp tcp;
    char host_header[300];
    char path[CHECK_HTTP_MAX_PATH];
    int expect_status;
    int code; /* status code of the last answer, 0 if none */
    uv_write_t write_req;
    char request[CHECK_HTTP_MAX_PATH + 512];
    size_t request_len;
    char line[CHECK_HTTP_MAX_LINE];
    size_t line_len;
    char scratch[64]; /* read buffer once the line buffer is full */
    check_http_cb cb;
    check_http_close_cb close_cb;
    /* https:// only. */
    uv_loop_t *loop;
    bool is_tls;
    bool is_tls_running;
    bool is_tls_closing; /* check_http_close() called */
    struct check_https *tls; /* NULL until set up */
    uv_idle_t idle;          /* to close from the loop if never set up */
    char detail[128]; /* why the last https probe failed, libcurl's words */
    void *data; /* for the owner */
    char errmsg[VIP_ERRMSG_SIZE];
};

/* True if @url starts with "https://" (any case). Pure. */
bool check_http_is_https(const char *url);

/* Split "http[s]://HOST[:PORT][/PATH]" (HOST a name, IPv4 or [IPv6]); PATH
 * defaults to "/", PORT to 80 (443 for https). Rejects other schemes, user info, spaces and
 * control characters. Returns 0 or VIP_EINVAL. Pure. */
int check_http_parse_url(const char *url,
                         char *host,
                         size_t host_size,
                         uint16_t *port,
                         char *path,
                         size_t path_size);

/* Parse the start of an answer, @buf of @len bytes. Returns 0 with
 * *@code set when a complete, valid status line ("HTTP/d.d ddd ...\r\n")
 * is there; -EAGAIN when more bytes are needed; VIP_EPROTO when it cannot
 * become valid (wrong prefix, bad code, or no end of line within
 * CHECK_HTTP_MAX_LINE bytes). Pure. */
int check_http_parse_status(const char *buf, size_t len, int *code);

/* Prepare a probe of @url expecting @expect_status (0: 200). Returns 0 or
 * VIP_EINVAL (message in @h->errmsg); on success close with
 * check_http_close(). */
int check_http_init(struct check_http *h,
                    uv_loop_t *loop,
                    const char *url,
                    int expect_status);

/* For an https:// URL, before the first start: verify the server against
 * the CA certificates in @ca_file (PEM; NULL: the system's), or not at all
 * if @verify is false (the default is to verify). Returns 0, VIP_EINVAL
 * (not https, or already set up), VIP_ENOMEM. */
int check_http_set_tls(struct check_http *h, const char *ca_file, bool verify);

/* Start one probe; same contract as check_tcp_start(). For https:// the
 * failure statuses are those of check_https_cb (VIP_EAUTH when the
 * certificate does not verify), with libcurl's words in @h->detail. */
int check_http_start(struct check_http *h,
                     uint32_t timeout_ms,
                     check_http_cb cb);

/* Abandon any probe and close; @cb fires when everything is closed. */
void check_http_close(struct check_http *h, check_http_close_cb cb);

#endif /* VIPD_SRC_CHECK_HTTP_H */
