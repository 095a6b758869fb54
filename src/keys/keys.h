/* Internal key-layer interface used by format/: composite key -> master keys.
 * Spec: ../shared/reference/keepassxc-notes.md sections 1.1-1.4 and 3.10. */
#ifndef KDBX_KEYS_H
#define KDBX_KEYS_H

#include "core/core.h"
#include "kdbx/db.h"
#include "kdbx/key.h"

/* KDBX3: composite = SHA-256(P || F); T = KDF(composite); if the key has a
 * challenge-response component, C = SHA-256(response(master_seed)), else empty;
 * cipher_key = SHA-256(master_seed || C || T).
 * KDBX4: C = SHA-256(response(kdf seed S)); composite = SHA-256(P || F || C);
 * T = KDF(composite); cipher_key = SHA-256(master_seed || T);
 * hmac_key = SHA-512(master_seed || T || 0x01).
 * hmac_key may be NULL for KDBX3. An empty key (no component) -> KDBX_EINVALID. */
int kdbx_key__derive(const kdbx_key *key, uint32_t version, const kdbx_kdf_params *kdf,
                     const uint8_t master_seed[32], uint8_t cipher_key[32], uint8_t hmac_key[64],
                     kdbx_progress_cb cb, void *ud);

/* As kdbx_key__derive; kdf_flags = KDBX_KDF_SKIP_LIMITS lifts the KDF sanity caps
 * (kdbx_open_options.skip_kdf_limits), KDBX_KDF_ONE_CORE keeps AES-KDF on the calling
 * thread (crypto/crypto.h). The KDF parameters are validated before any
 * provider is asked (no touch prompt for a file that cannot be opened). */
int kdbx_key__derive_ex(const kdbx_key *key, uint32_t version, const kdbx_kdf_params *kdf,
                        const uint8_t master_seed[32], uint8_t cipher_key[32], uint8_t hmac_key[64],
                        kdbx_progress_cb cb, void *ud, unsigned int kdf_flags);

/* The raw composite SHA-256(P || F [|| C]) (C only when with_cr and the key has
 * providers; challenge = what they are asked). For tests and slots/. */
int kdbx_key__composite(const kdbx_key *key, const uint8_t *challenge, size_t challenge_len, bool with_cr,
                        uint8_t out[32]);

/* Multi-device KEK (src/slots/, docs/multi-device-format.md). Applied by
 * kdbx_key__derive for KDBX 4 only (KDBX 3 + KEK -> KDBX_EUNSUPPORTED):
 * KDBX_KEK_XOR (kdbxtool mode 2): T' = T XOR KEK after the KDF;
 * KDBX_KEK_COMPONENT (mode 3): composite = SHA-256(P || F || C || K) with
 *   K = HMAC-SHA256(KEK, "kdbx-slots-v3 composite"), before the KDF.
 * mode 0 clears it. kdbx_key__dup copies it. */
#define KDBX_KEK_XOR 2
#define KDBX_KEK_COMPONENT 3
/* As KDBX_KEK_COMPONENT, but password and key file are left out of the
 * composite (device-only policy): a password set later cannot break it. */
#define KDBX_KEK_DEVICE_ONLY 4
int kdbx_key__set_kek(kdbx_key *key, int mode, const uint8_t kek[32]);
/* Mode (0 none) and, when kek != NULL and set, a copy of the KEK. */
int kdbx_key__get_kek(const kdbx_key *key, uint8_t kek[32]);

/* Parses key-file content into the 32-byte component. KDBX_EKEYFILE on a broken XML key file. */
int kdbx_keyfile__parse(const uint8_t *data, size_t len, uint8_t out[32]);

/* A deep copy (the db keeps one for saves). Providers are borrowed, not copied. */
int kdbx_key__dup(kdbx_key **out, const kdbx_key *key);

#endif
