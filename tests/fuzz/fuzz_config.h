/* One fuzz input through the config parser, shared by the libFuzzer driver
 * (tests/fuzz/fuzz_config.c) and the deterministic mutation test
 * (tests/unit/test_config_fuzz.c). Header-only so both build it alone. */
#ifndef VIPD_TESTS_FUZZ_CONFIG_H
#define VIPD_TESTS_FUZZ_CONFIG_H

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "vipd/config.h"
#include "vipd/error.h"

#define FUZZ_NAME "/nonexistent-vipd-fuzz/fuzz.conf"

struct fuzz_sink
{
    unsigned bad; /* messages not in the FILE[:LINE]: KIND: form */
};

static inline void fuzz_emit(void *data, bool is_error, const char *line)
{
    struct fuzz_sink *s = data;
    const char *kind = is_error ? ": error: " : ": warning: ";
    const char *k = strstr(line, kind);
    /* "FILE[:LINE]: error|warning: ..." where FILE is the input, or a
     * file it includes by absolute path. */
    if (k == NULL || k == line || line[0] == ':') {
        s->bad++;
    }
}

/* What a successful load guarantees to the rest of vipd. */
static inline int fuzz_config_check(const struct vip_config *c)
{
    for (size_t i = 0; i < c->n_instances; i++) {
        const struct cfg_instance *in = &c->instances[i];
        if (in->vrid < 1 || in->priority < 1 || in->interface[0] == '\0' ||
            (in->version != 2 && in->version != 3) ||
            (in->family != AF_INET && in->family != AF_INET6) ||
            in->advert_int_ms == 0 ||
            (in->version == 2 && in->advert_int_ms % 1000 != 0) ||
            strlen(in->auth_pass) > CFG_PASS_MAX) {
            return 1;
        }
        for (size_t k = 0; k < in->n_vips; k++) {
            const struct cfg_vip *v = &in->vips[k];
            if (v->addr.family != in->family ||
                v->prefix > (v->addr.family == AF_INET ? 32 : 128)) {
                return 2;
            }
        }
        for (size_t k = 0; k < in->n_track_scripts; k++) {
            if (vip_config_script(c, in->track_scripts[k].name) == NULL) {
                return 3;
            }
        }
    }
    for (size_t i = 0; i < c->n_scripts; i++) {
        const struct cfg_script *s = &c->scripts[i];
        if (s->interval_ms == 0 || s->timeout_ms == 0 || s->fall < 1 ||
            s->rise < 1 || s->weight < -253 || s->weight > 253 ||
            (s->kind == CFG_CHECK_SCRIPT && s->command == NULL) ||
            (s->kind != CFG_CHECK_SCRIPT && s->port == 0)) {
            return 4;
        }
    }
    if (c->cluster.present &&
        (c->cluster.listen_host[0] == '\0' ||
         c->cluster.heartbeat_ms >= c->cluster.election_timeout_ms ||
         c->cluster.n_peers > CFG_MAX_PEERS)) {
        return 5;
    }
    return 0;
}

/* Load @len bytes; returns 0 if everything held, else a reason code.
 * *@rv_out (if not NULL) gets the load's return code. */
static inline int fuzz_config_one(const char *text, size_t len, int *rv_out)
{
    struct fuzz_sink sink = {0};
    struct cfg_report report = {.emit = fuzz_emit, .data = &sink};
    struct vip_config cfg;
    int rv = vip_config_load_string(&cfg, FUZZ_NAME, text, len, &report);
    int why = 0;

    if (rv != 0 && rv != VIP_ECONFIG && rv != VIP_ENOMEM) {
        why = 10;
    } else if ((rv == 0) != (report.n_errors == 0) && rv != VIP_ENOMEM) {
        why = 11;
    } else if (sink.bad != 0) {
        why = 12;
    } else if (rv == 0) {
        why = fuzz_config_check(&cfg);
    }
    vip_config_free(&cfg);
    if (rv_out != NULL) {
        *rv_out = rv;
    }
    return why;
}

#endif /* VIPD_TESTS_FUZZ_CONFIG_H */
