/* The cluster key file (see raft/keyfile.h). */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "raft/keyfile.h"

#define KEY_LABEL   "vipd-cluster-key-v1"
#define KDF_CONTEXT "vipdclus" /* crypto_kdf_CONTEXTBYTES == 8 */

static bool is_space(uint8_t ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static bool is_hex(uint8_t ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
           (ch >= 'A' && ch <= 'F');
}

static bool is_text(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!is_space(data[i]) && (data[i] < 0x21 || data[i] > 0x7e)) {
            return false;
        }
    }
    return true;
}

static void derive(const uint8_t *material,
                   size_t len,
                   uint8_t key[KEYFILE_KEY_SIZE])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, KEYFILE_KEY_SIZE);
    crypto_generichash_update(&st, (const uint8_t *)KEY_LABEL,
                              sizeof KEY_LABEL);
    crypto_generichash_update(&st, material, len);
    crypto_generichash_final(&st, key, KEYFILE_KEY_SIZE);
    sodium_memzero(&st, sizeof st);
}

int keyfile_parse(const uint8_t *data,
                  size_t len,
                  uint8_t key[KEYFILE_KEY_SIZE],
                  char *errmsg)
{
    uint8_t bin[KEYFILE_MAX_SIZE];
    size_t bin_len = 0;
    size_t start = 0, end = len;
    bool hex = true;

    if (sodium_init() < 0) {
        errmsg_printf(errmsg, "libsodium failed to initialise");
        return VIP_EINVAL;
    }
    if (len > KEYFILE_MAX_SIZE) {
        errmsg_printf(errmsg, "more than %d bytes", KEYFILE_MAX_SIZE);
        return VIP_EINVAL;
    }
    if (!is_text(data, len)) {
        /* Raw key material, used as it is. */
        if (len < KEYFILE_MIN_MATERIAL) {
            errmsg_printf(errmsg,
                          "%zu bytes of key material, at least %d needed", len,
                          KEYFILE_MIN_MATERIAL);
            return VIP_EINVAL;
        }
        derive(data, len, key);
        return 0;
    }
    while (start < end && is_space(data[start])) {
        start++;
    }
    while (end > start && is_space(data[end - 1])) {
        end--;
    }
    for (size_t i = start; i < end; i++) {
        hex = hex && is_hex(data[i]);
    }
    if (hex && (end - start) % 2 == 0) {
        if (sodium_hex2bin(bin, sizeof bin, (const char *)data + start,
                           end - start, NULL, &bin_len, NULL) != 0) {
            errmsg_printf(errmsg, "bad hex text");
            return VIP_EINVAL;
        }
    } else {
        const char *b64_end = NULL;
        if (end == start ||
            sodium_base642bin(bin, sizeof bin, (const char *)data + start,
                              end - start, " \t\r\n", &bin_len, &b64_end,
                              sodium_base64_VARIANT_ORIGINAL) != 0 ||
            b64_end != (const char *)data + end) {
            sodium_memzero(bin, sizeof bin);
            errmsg_printf(errmsg,
                          "text that is neither hex nor base64 (make a key "
                          "with `vipctl keygen`)");
            return VIP_EINVAL;
        }
    }
    if (bin_len < KEYFILE_MIN_MATERIAL) {
        sodium_memzero(bin, sizeof bin);
        errmsg_printf(errmsg, "%zu bytes of key material, at least %d needed",
                      bin_len, KEYFILE_MIN_MATERIAL);
        return VIP_EINVAL;
    }
    derive(bin, bin_len, key);
    sodium_memzero(bin, sizeof bin);
    return 0;
}

int keyfile_load(const char *path, uint8_t key[KEYFILE_KEY_SIZE], char *errmsg)
{
    uint8_t data[KEYFILE_MAX_SIZE + 1];
    size_t len = 0;
    struct stat st;
    int fd, rv;

    if (path == NULL || path[0] == '\0') {
        errmsg_printf(errmsg, "no cluster key file (secret_file)");
        return VIP_EINVAL;
    }
    /* O_NONBLOCK: opening a FIFO must not hang start-up. O_NOFOLLOW: a
     * symbolic link could point anywhere (another key, a file an attacker
     * controls); the key file itself must be what the config names. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0 && errno == ELOOP) {
        errmsg_printf(errmsg,
                      "cluster key file %.200s is a symbolic link; name the "
                      "file itself",
                      path);
        return VIP_EINVAL;
    }
    if (fd < 0) {
        rv = -errno;
        errmsg_printf(errmsg,
                      "cluster key file %.200s: %s (create one with "
                      "`vipctl keygen -o %.200s`)",
                      path, strerror(-rv), path);
        return rv;
    }
    if (fstat(fd, &st) != 0) {
        rv = -errno;
        errmsg_printf(errmsg, "cluster key file %.200s: %s", path,
                      strerror(-rv));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        errmsg_printf(errmsg, "cluster key file %.200s: not a regular file",
                      path);
        rv = VIP_EINVAL;
        goto out;
    }
    /* Owned by root or by us: anyone else could change it. */
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        errmsg_printf(errmsg,
                      "cluster key file %.200s is owned by uid %u, not by "
                      "root or uid %u",
                      path, (unsigned)st.st_uid, (unsigned)geteuid());
        rv = VIP_EINVAL;
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        errmsg_printf(errmsg,
                      "cluster key file %.200s: mode %04o lets others read "
                      "or change it; chmod 600 it",
                      path, (unsigned)(st.st_mode & 07777));
        rv = VIP_EINVAL;
        goto out;
    }
    while (len < sizeof data) {
        ssize_t n = read(fd, data + len, sizeof data - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            rv = -errno;
            errmsg_printf(errmsg, "cluster key file %.200s: %s", path,
                          strerror(-rv));
            goto out;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    rv = keyfile_parse(data, len, key, errmsg);
    if (rv != 0) {
        errmsg_wrapf(errmsg, "cluster key file %.200s", path);
    }
out:
    sodium_memzero(data, sizeof data);
    close(fd);
    return rv;
}

void keyfile_subkey(const uint8_t key[KEYFILE_KEY_SIZE],
                    enum keyfile_subkey_id id,
                    uint8_t out[KEYFILE_KEY_SIZE])
{
    crypto_kdf_derive_from_key(out, KEYFILE_KEY_SIZE, (uint64_t)id, KDF_CONTEXT,
                               key);
}

void keyfile_generate_hex(char out[KEYFILE_HEX_LINE])
{
    uint8_t raw[KEYFILE_KEY_SIZE];

    /* randombytes_buf() works even if this fails: ignore the result. */
    int rv = sodium_init();
    (void)rv;
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, 2 * KEYFILE_KEY_SIZE + 1, raw, sizeof raw);
    out[2 * KEYFILE_KEY_SIZE] = '\n';
    out[2 * KEYFILE_KEY_SIZE + 1] = '\0';
    sodium_memzero(raw, sizeof raw);
}
