/* Deterministic mutation fuzzing of the config parser, run under ASan and
 * UBSan by make check: thousands of mutants of the corpus files (byte
 * flips, insertions of syntax and keywords, deletions, duplications,
 * truncations) must load without a crash or leak, and each successful
 * load must satisfy the guarantees in tests/fuzz/fuzz_config.h.
 *
 * VIPD_FUZZ_SEED and VIPD_FUZZ_ROUNDS override the seed and the count; a
 * failure prints the seed and round so it can be replayed. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz_config.h"

#define MAX_SEEDS 64
#define MAX_LEN   (64 * 1024)

struct fuzz
{
    char *seeds[MAX_SEEDS];
    size_t seed_len[MAX_SEEDS];
    size_t n_seeds;
    uint64_t rng;
};

static uint64_t next(struct fuzz *f)
{
    /* xorshift64*: small, deterministic, good enough for mutation. */
    f->rng ^= f->rng >> 12;
    f->rng ^= f->rng << 25;
    f->rng ^= f->rng >> 27;
    return f->rng * 2685821657736338717ULL;
}

static size_t below(struct fuzz *f, size_t n)
{
    return n ? (size_t)(next(f) % n) : 0;
}

static const char *const tokens[] = {
    "{",
    "}",
    "\"",
    "\n",
    "\r\n",
    "!",
    "#",
    " ",
    "\t",
    "\\",
    "\0",
    "include ",
    "include /nonexistent/*.conf\n",
    "$A=",
    "$A ",
    "${A}",
    "$B=${A}${A}\n",
    "$M= \\\n",
    "@",
    "@^",
    "~SEQ(N, 1, 3) ",
    "~SEQx(N, 0x10, -1, 0) ",
    "${N}",
    "vrrp_instance X {",
    "vrrp_script s {",
    "cluster {",
    "global_defs {",
    "vrrp_sync_group G {",
    "track_file f {",
    "virtual_ipaddress {",
    "unicast_peer {",
    "authentication {",
    "track_script {",
    "group {",
    "virtual_server {",
    "interface ",
    "virtual_router_id ",
    "priority ",
    "advert_int ",
    "version 3",
    "state MASTER",
    "nopreempt",
    "weight ",
    "reverse",
    "listen ",
    "peer ",
    "[::1]:",
    "10.0.0.1/24",
    "fe80::1/64",
    "0.001",
    "255",
    "256",
    "-254",
    "4294967296",
    "99999999999999999999",
    "dev ",
    "brd ",
    "label ",
    "scope ",
    "tcp_check ",
    "http_check http://",
    "status ",
    "script ",
    "auth_pass 123456789",
    "\xff\xfe",
    "\x01",
};

static void add_seed(struct fuzz *f, const char *text, size_t len)
{
    if (f->n_seeds < MAX_SEEDS && len < MAX_LEN) {
        f->seeds[f->n_seeds] = malloc(len + 1);
        memcpy(f->seeds[f->n_seeds], text, len);
        f->seed_len[f->n_seeds++] = len;
    }
}

static void load_seeds(struct fuzz *f, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];

    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".conf") != 0) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *fp = fopen(path, "rb");
        if (fp == NULL) {
            continue;
        }
        char *buf = malloc(MAX_LEN);
        size_t len = fread(buf, 1, MAX_LEN, fp);
        fclose(fp);
        add_seed(f, buf, len);
        free(buf);
    }
    closedir(d);
}

/* Apply 1..8 random edits to @buf (capacity @cap) of length *@len. */
static void mutate(struct fuzz *f, char *buf, size_t *len, size_t cap)
{
    int edits = 1 + (int)below(f, 8);
    for (int e = 0; e < edits; e++) {
        size_t at = below(f, *len + 1);
        switch (below(f, 6)) {
        case 0: /* flip a byte */
            if (*len > 0) {
                buf[below(f, *len)] ^= (char)(1 << below(f, 8));
            }
            break;
        case 1: { /* insert a token */
            size_t t = below(f, sizeof tokens / sizeof tokens[0]);
            size_t tl = tokens[t][0] ? strlen(tokens[t]) : 1;
            if (*len + tl < cap) {
                memmove(buf + at + tl, buf + at, *len - at);
                memcpy(buf + at, tokens[t], tl);
                *len += tl;
            }
            break;
        }
        case 2: { /* delete a range */
            size_t n = below(f, 32) + 1;
            if (at + n > *len) {
                n = *len - at;
            }
            memmove(buf + at, buf + at + n, *len - at - n);
            *len -= n;
            break;
        }
        case 3: { /* duplicate a range */
            size_t n = below(f, 64) + 1;
            if (at + n > *len) {
                n = *len - at;
            }
            if (*len + n < cap) {
                memmove(buf + at + n, buf + at, *len - at);
                *len += n;
            }
            break;
        }
        case 4: /* truncate */
            *len = at;
            break;
        default: /* a random byte */
            if (*len + 1 < cap) {
                memmove(buf + at + 1, buf + at, *len - at);
                buf[at] = (char)below(f, 256);
                (*len)++;
            }
            break;
        }
    }
}

/* Mutants of every corpus file load safely and keep the guarantees. */
static void test_mutations(void **state)
{
    struct fuzz *f = calloc(1, sizeof *f);
    const char *src = getenv("VIPD_SRCDIR");
    const char *env_seed = getenv("VIPD_FUZZ_SEED");
    const char *env_rounds = getenv("VIPD_FUZZ_ROUNDS");
    uint64_t seed = env_seed ? strtoull(env_seed, NULL, 0) : 20261121;
    unsigned long rounds = env_rounds ? strtoul(env_rounds, NULL, 0) : 50000;
    char dir[1024];
    (void)state;

    snprintf(dir, sizeof dir, "%s/tests/config/valid", src ? src : ".");
    load_seeds(f, dir);
    snprintf(dir, sizeof dir, "%s/tests/config/invalid", src ? src : ".");
    load_seeds(f, dir);
    static const char builtin[] =
        "cluster { listen 10.0.0.1:5405 peer 10.0.0.2 }\n"
        "vrrp_script c { script \"/bin/true\" interval 1 weight -2 }\n"
        "vrrp_instance V {\n interface eth0\n virtual_router_id 5\n"
        " authentication { auth_type PASS auth_pass x }\n"
        " unicast_peer { 10.0.0.2 }\n track_script { c weight 3 }\n"
        " virtual_ipaddress { 10.0.0.9/24 dev eth0 }\n}\n";
    add_seed(f, builtin, sizeof builtin - 1);
    fprintf(stderr, "fuzz: %zu seeds, %lu rounds, seed %llu\n", f->n_seeds,
            rounds, (unsigned long long)seed);

    char *buf = malloc(MAX_LEN * 2);
    unsigned long n_valid = 0;
    for (unsigned long r = 0; r < rounds; r++) {
        f->rng = seed ^ (0x9e3779b97f4a7c15ULL * (r + 1));
        size_t s = below(f, f->n_seeds);
        size_t len = f->seed_len[s];
        memcpy(buf, f->seeds[s], len);
        mutate(f, buf, &len, MAX_LEN * 2);
        int rv;
        int why = fuzz_config_one(buf, len, &rv);
        if (why != 0) {
            fprintf(stderr,
                    "fuzz: round %lu (seed %llu) broke guarantee %d\n"
                    "----\n%.*s\n----\n",
                    r, (unsigned long long)seed, why, (int)len, buf);
            fail();
        }
        n_valid += rv == 0;
    }
    fprintf(stderr, "fuzz: %lu mutants valid, %lu invalid\n", n_valid,
            rounds - n_valid);
    /* Both outcomes occur, so the guarantees were checked for real. */
    assert_true(n_valid > rounds / 100);
    assert_true(rounds - n_valid > rounds / 100);
    free(buf);
    for (size_t i = 0; i < f->n_seeds; i++) {
        free(f->seeds[i]);
    }
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
