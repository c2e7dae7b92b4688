/* libFuzzer entry point for the config parser (optional, not in make check):
 * tests/fuzz/run.sh config builds it with clang and runs it on the config
 * corpus with a keyword dictionary.
 *
 * Every input must load without a crash, leak or sanitizer report, and the
 * result must agree with the report (see fuzz_config_check()); a config
 * that loads then goes through health_check_config() as in `vipd -t`. The name
 * points into a directory that does not exist, so relative includes in the
 * input resolve to nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/check_http.h"
#include "src/health.h"
#include "vipd/log.h"
#include "tests/fuzz/fuzz_config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    vip_log_level = -1; /* script_cmd's warnings about fuzzed commands */
    return 0;
}

/* What `vipd -t` accepts, the daemon must be able to run: the native
 * checks' own parsers (used by health_init()) agree with the config's. */
static void fuzz_check_targets(const struct vip_config *cfg)
{
    for (size_t i = 0; i < cfg->n_scripts; i++) {
        const struct cfg_script *sc = &cfg->scripts[i];
        char host[256];
        char path[CHECK_HTTP_MAX_PATH];
        uint16_t port = 0;
        int rv = 0;

        if (sc->kind == CFG_CHECK_TCP) {
            rv = check_tcp_parse_target(sc->target, host, sizeof host, &port);
        } else if (sc->kind == CFG_CHECK_HTTP) {
            rv = check_http_parse_url(sc->target, host, sizeof host, &port,
                                      path, sizeof path);
            if (rv == 0 && strcmp(path, sc->http_path) != 0) {
                abort();
            }
        } else {
            continue;
        }
        if (rv != 0 || strcmp(host, sc->host) != 0 || port != sc->port) {
            abort();
        }
    }
}

/* `vipd -t` goes on with the health checks of a config that loaded: they
 * split, resolve and security-check every script and notify command. */
static void fuzz_health_config(const uint8_t *data, size_t size)
{
    struct fuzz_sink sink = {0};
    struct cfg_report report = {.emit = fuzz_emit, .data = &sink};
    struct cfg_report quiet = {.emit = fuzz_emit, .data = &sink};
    struct vip_config cfg;

    if (vip_config_load_string(&cfg, FUZZ_NAME, (const char *)data, size,
                               &quiet) == 0) {
        fuzz_check_targets(&cfg);
        health_check_config(&cfg, &report);
        if (sink.bad != 0) {
            abort();
        }
    }
    vip_config_free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_config_one((const char *)data, size, NULL) != 0) {
        abort();
    }
    fuzz_health_config(data, size);
    return 0;
}
