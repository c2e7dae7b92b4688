/* The cluster key file (`cluster { secret_file PATH }`): every node of a
 * cluster holds the same file; without it vipd runs no cluster.
 *
 * The file must be a regular file (not a symbolic link), owned by root or
 * by the daemon's user, with no group or other permission bits (mode 0600
 * or 0400), at most
 * KEYFILE_MAX_SIZE bytes. Its content is one of:
 *   - hex text: only hex digits (either case), an even number of them,
 *     optionally surrounded by white space (e.g. `vipctl keygen`'s output);
 *   - base64 text (standard alphabet, with padding), optionally surrounded
 *     by white space;
 *   - anything else: raw bytes, used as they are (`head -c 32 /dev/urandom`).
 * Text that is printable but neither hex nor base64 (a pass phrase) is
 * refused. The decoded key material must hold at least KEYFILE_MIN_MATERIAL
 * bytes. The cluster key is BLAKE2b-256 over a label and the material, so
 * the same file gives the same key on every node whatever its length;
 * subkeys for each use (the handshake's auth key) come from it with
 * crypto_kdf_derive_from_key(). */
#ifndef VIPD_RAFT_KEYFILE_H
#define VIPD_RAFT_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "vipd/error.h"

#define KEYFILE_KEY_SIZE     32
#define KEYFILE_MIN_MATERIAL 32
#define KEYFILE_MAX_SIZE     4096

/* Subkey ids for keyfile_subkey(). */
enum keyfile_subkey_id {
    KEYFILE_SUBKEY_AUTH = 1, /* the connection handshake (raft/handshake.h) */
};

/* Derive the cluster key from the content of a key file (@data, @len
 * bytes) into @key. Returns 0, or VIP_EINVAL with a reason in @errmsg
 * (VIP_ERRMSG_SIZE bytes) when the material is too short or the text is
 * neither hex nor base64. Pure. */
int keyfile_parse(const uint8_t *data,
                  size_t len,
                  uint8_t key[KEYFILE_KEY_SIZE],
                  char *errmsg);

/* Load @path and derive the cluster key into @key. Returns 0, VIP_ENOENT
 * (missing), VIP_EINVAL (not a regular file, group/world accessible, too
 * big, bad content) or another negative errno, with a message naming @path
 * in @errmsg. */
int keyfile_load(const char *path, uint8_t key[KEYFILE_KEY_SIZE], char *errmsg);

/* Derive the 32-byte subkey @id of the cluster @key into @out. */
void keyfile_subkey(const uint8_t key[KEYFILE_KEY_SIZE],
                    enum keyfile_subkey_id id,
                    uint8_t out[KEYFILE_KEY_SIZE]);

/* Fill @out with a new random key as 64 hex digits and a newline, plus a
 * terminating NUL (130 bytes needed: KEYFILE_HEX_LINE). */
#define KEYFILE_HEX_LINE (2 * KEYFILE_KEY_SIZE + 2)
void keyfile_generate_hex(char out[KEYFILE_HEX_LINE]);

#endif /* VIPD_RAFT_KEYFILE_H */
