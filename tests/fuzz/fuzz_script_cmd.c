/* libFuzzer driver for the script command-line splitter (not part of make
 * check; tests/fuzz/run.sh builds and runs it).
 *
 * The input (up to its first NUL) is one `script "..."` string. A split
 * must give 1..SCRIPT_CMD_MAX_ARGS words whose total size fits the input;
 * a refusal must say why. script_cmd_str() must always terminate its
 * buffer, whatever its size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/script_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct script_cmd cmd;
    char *line = malloc(size + 1);

    if (line == NULL) {
        return 0;
    }
    memcpy(line, data, size);
    line[size] = '\0';
    int rv = script_cmd_init(&cmd, line);
    if (rv == 0) {
        size_t total = 0;
        if (cmd.argc < 1 || cmd.argc > SCRIPT_CMD_MAX_ARGS ||
            cmd.argv[cmd.argc] != NULL) {
            abort();
        }
        for (size_t i = 0; i < cmd.argc; i++) {
            total += strlen(cmd.argv[i]) + 1;
        }
        if (total > strlen(line) + 1) {
            abort();
        }
        char small[7];
        char big[SCRIPT_CMD_MAX_LEN * 2];
        size_t n = size > 0 ? data[0] % sizeof small : 0;
        script_cmd_str(&cmd, small, n);
        if (n > 0 && strlen(small) >= n) {
            abort();
        }
        script_cmd_str(&cmd, big, sizeof big);
    } else if (rv != VIP_EINVAL || cmd.errmsg[0] == '\0') {
        abort();
    }
    script_cmd_close(&cmd);
    free(line);
    return 0;
}
