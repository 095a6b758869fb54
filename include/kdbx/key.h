/* Composite key: password, key file, challenge-response providers. */
#ifndef KDBX_KEY_H
#define KDBX_KEY_H

#include "common.h"

KDBX_EXTERN int kdbx_key_new(kdbx_key **out);
KDBX_EXTERN void kdbx_key_free(kdbx_key **kp);

/* UTF-8 password. An empty password (len 0) IS a component (SHA-256 of "");
 * a key without a password simply never calls this. */
KDBX_EXTERN int kdbx_key_set_password(kdbx_key *k, const char *utf8, size_t len);
KDBX_EXTERN int kdbx_key_clear_password(kdbx_key *k);
KDBX_EXTERN int kdbx_key_has_password(const kdbx_key *k);

/* Key file in any of the four formats (XML v1.0/v2.0, 32 raw bytes, 64 hex,
 * otherwise SHA-256 of the content). Malformed XML key file -> KDBX_EKEYFILE. */
KDBX_EXTERN int kdbx_key_set_keyfile(kdbx_key *k, const char *path);
KDBX_EXTERN int kdbx_key_set_keyfile_data(kdbx_key *k, const void *data, size_t len);
KDBX_EXTERN int kdbx_key_clear_keyfile(kdbx_key *k);
KDBX_EXTERN int kdbx_key_has_keyfile(const kdbx_key *k);

/* Adds a KeePassXC-compatible challenge-response component (mode 1). The key
 * borrows the provider; it must outlive the key. */
KDBX_EXTERN int kdbx_key_add_challenge_response(kdbx_key *k, kdbx_provider *p);
KDBX_EXTERN int kdbx_key_clear_challenge_response(kdbx_key *k);
KDBX_EXTERN int kdbx_key_has_challenge_response(const kdbx_key *k);

/* Writes a new XML v2.0 key file with 32 random bytes. Fails with
 * KDBX_EEXISTS if path exists. The file is created with mode 0600. */
KDBX_EXTERN int kdbx_keyfile_create(const char *path);

#endif
