/* libFuzzer driver for http_check's parsers (not part of make check;
 * tests/fuzz/run.sh builds and runs it).
 *
 * The first byte picks the parser: the status line of an answer
 * (check_http_parse_status, fed in growing prefixes as a socket would
 * deliver them) or a URL (check_http_parse_url, which also exercises
 * check_tcp_parse_target). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/check_http.h"
#include "vipd/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_status(const char *buf, size_t size)
{
    int final = 0;
    int code = -1;

    /* Once a prefix is decided, longer inputs keep the verdict. */
    for (size_t len = 0; len <= size; len++) {
        int c = -1;
        int rv = check_http_parse_status(buf, len, &c);
        if (rv == -EAGAIN) {
            if (final != 0 || len >= CHECK_HTTP_MAX_LINE) {
                abort();
            }
            continue;
        }
        if (rv == 0) {
            if (c < 100 || c > 599 || (final == VIP_EPROTO) ||
                (final == 1 && c != code)) {
                abort();
            }
            code = c;
            final = 1;
        } else if (rv == VIP_EPROTO) {
            if (final == 1) {
                abort();
            }
            final = VIP_EPROTO;
        } else {
            abort();
        }
    }
}

static void fuzz_url(const uint8_t *data, size_t size)
{
    char url[2048];
    char host[256];
    char path[CHECK_HTTP_MAX_PATH];
    uint16_t port = 0;

    if (size >= sizeof url) {
        return;
    }
    memcpy(url, data, size);
    url[size] = '\0';
    int rv =
        check_http_parse_url(url, host, sizeof host, &port, path, sizeof path);
    if (rv == 0) {
        if (path[0] != '/' || host[0] == '\0' || port == 0 ||
            strlen(host) >= sizeof host) {
            abort();
        }
        for (const char *p = path; *p != '\0'; p++) {
            if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
                abort();
            }
        }
    } else if (rv != VIP_EINVAL) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4 * CHECK_HTTP_MAX_LINE) {
        return 0;
    }
    if (data[0] & 1) {
        fuzz_url(data + 1, size - 1);
    } else {
        /* A heap copy of the exact size, so ASan sees any overread. */
        char *buf = malloc(size - 1 + 1);
        if (buf == NULL) {
            return 0;
        }
        memcpy(buf, data + 1, size - 1);
        fuzz_status(buf, size - 1);
        free(buf);
    }
    return 0;
}
