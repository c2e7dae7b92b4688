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
