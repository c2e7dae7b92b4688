/* libFuzzer entry point for the config parser (optional, not in make check):
 * tests/fuzz/run.sh config builds it with clang and runs it on the config
 * corpus with a keyword dictionary.
 *
 * Every input must load without a crash, leak or sanitizer report, and the
 * result must agree with the report (see fuzz_config_check()). The name
 * points into a directory that does not exist, so relative includes in the
 * input resolve to nothing. */
#include <stdint.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_config_one((const char *)data, size, NULL) != 0) {
        abort();
    }
    return 0;
}
