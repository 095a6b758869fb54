/* Internal crypto adapters over OpenSSL 3, libargon2 and libgcrypt (Twofish, Salsa20). */
#ifndef KDBX_CRYPTO_H
#define KDBX_CRYPTO_H

#include "core/core.h"
#include "kdbx/db.h"

/* ---- hashes / MACs (hash.c) ---- */
typedef struct kdbx_iov {
	const void *data;
	size_t len;
} kdbx_iov;
int kdbx_sha256(const void *data, size_t n, uint8_t out[32]);
int kdbx_sha256_v(const kdbx_iov *v, size_t cnt, uint8_t out[32]);
int kdbx_sha512_v(const kdbx_iov *v, size_t cnt, uint8_t out[64]);
int kdbx_sha1(const void *data, size_t n, uint8_t out[20]);
int kdbx_hmac_sha256_v(const uint8_t *key, size_t keylen, const kdbx_iov *v, size_t cnt,
                       uint8_t out[32]);
int kdbx_hmac_sha1(const uint8_t *key, size_t keylen, const void *data, size_t n, uint8_t out[20]);
int kdbx_hmac_sha256(const uint8_t *key, size_t keylen, const void *data, size_t n, uint8_t out[32]);
int kdbx_hkdf_sha256(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt, size_t saltlen,
                     const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen);

/* ---- bulk ciphers (cipher.c) ---- */
/* UUID <-> cipher id. Returns -1 for unknown. */
int kdbx_cipher__from_uuid(const uint8_t uuid[16]);
const uint8_t *kdbx_cipher__uuid(kdbx_cipher c);
size_t kdbx_cipher__iv_len(kdbx_cipher c); /* 16 for AES/Twofish, 12 for ChaCha20 */
/* One-shot payload encryption. AES/Twofish: CBC + PKCS#7; ChaCha20: IETF, counter 0.
 * decrypt appends to out; a bad padding gives KDBX_EAUTH (wrong key). key is 32 bytes
 * (AES-128 uses the first 16). */
int kdbx_cipher_encrypt(kdbx_cipher c, const uint8_t key[32], const uint8_t *iv,
                        const uint8_t *in, size_t n, kdbx_buf *out);
int kdbx_cipher_decrypt(kdbx_cipher c, const uint8_t key[32], const uint8_t *iv,
                        const uint8_t *in, size_t n, kdbx_buf *out);
/* encrypt for a big plaintext the caller is done with: the pages of a secure in are given
 * back piece by piece as they are encrypted (plaintext and ciphertext are never both whole
 * in memory), and in is freed in every case. */
int kdbx_cipher_encrypt_consume(kdbx_cipher c, const uint8_t key[32], const uint8_t *iv,
                                kdbx_buf *in, kdbx_buf *out);

/* ---- AEAD (aead.c): AES-256-GCM, 12-byte nonce, 16-byte tag ---- */
int kdbx_aes_gcm_encrypt(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
                         size_t aadlen, const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[16]);
/* Tag mismatch -> KDBX_EAUTH. */
int kdbx_aes_gcm_decrypt(const uint8_t key[32], const uint8_t *nonce, size_t noncelen,
                         const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t n,
                         const uint8_t tag[16], uint8_t *out);

/* ---- inner random stream (stream.c) ---- */
enum { KDBX_STREAM_ARC4 = 1, KDBX_STREAM_SALSA20 = 2, KDBX_STREAM_CHACHA20 = 3 };
typedef struct kdbx_stream kdbx_stream;
/* Salsa20: key = SHA-256(k), fixed IV E830094B97205D2A; ChaCha20: SHA-512(k) -> key|nonce. */
int kdbx_stream_new(kdbx_stream **out, int id, const uint8_t *key, size_t keylen);
/* XORs the next n keystream bytes into buf (in place). */
int kdbx_stream_xor(kdbx_stream *s, uint8_t *buf, size_t n);
void kdbx_stream_free(kdbx_stream **sp);

/* ---- KDFs (kdf.c) ---- */
int kdbx_kdf__from_uuid(const uint8_t uuid[16], bool kdbx4); /* kdbx_kdf_type or -1 */
const uint8_t *kdbx_kdf__uuid(kdbx_kdf_type t); /* AES types both give c9d9f39a... */
/* AES-KDF: out = SHA-256(AES-256-ECB_seed^rounds(key)). */
int kdbx_aes_kdf(const uint8_t key[32], const uint8_t seed[32], uint64_t rounds, uint8_t out[32],
                 kdbx_progress_cb cb, void *ud);
/* Argon2 (type d or id), memory in bytes; out 32 bytes. */
int kdbx_argon2(kdbx_kdf_type type, uint32_t version, uint64_t iterations, uint64_t memory,
                uint32_t parallelism, const uint8_t *pwd, size_t pwdlen, const uint8_t *salt,
                size_t saltlen, uint8_t out[32]);
/* Dispatch on p->type (used by the key layer). Validates parameters
 * (KDBX_EUNSUPPORTED / KDBX_ECORRUPT for absurd values). */
int kdbx_kdf_transform(const kdbx_kdf_params *p, const uint8_t in[32], uint8_t out[32],
                       kdbx_progress_cb cb, void *ud);
/* Sanity caps applied unless KDBX_KDF_SKIP_LIMITS (kdbx_open_options.skip_kdf_limits):
 * Argon2 memory <= 4 GiB, iterations <= 2^20, AES rounds <= 2^40. Hard limits (what
 * the algorithms accept at all) are always checked. */
#define KDBX_KDF_SKIP_LIMITS 1u
/* AES-KDF on the calling thread only (the interleaved single-core loop), even when a
 * second core looks idle: a save that derives on a worker thread while the caller
 * compresses the XML already keeps that core busy (format/container_write.c).
 * Argon2 keeps the file's parallelism. */
#define KDBX_KDF_ONE_CORE 2u
int kdbx_kdf__validate(const kdbx_kdf_params *p, unsigned int flags);
/* Test hook for AES-KDF: 0 automatic, 1 force the single-core path, 2 force two threads. */
void kdbx_kdf__aes_mode(int mode);
/* flags: KDBX_KDF_SKIP_LIMITS | KDBX_KDF_ONE_CORE. */
int kdbx_kdf__transform_ex(const kdbx_kdf_params *p, const uint8_t in[32], uint8_t out[32],
                           kdbx_progress_cb cb, void *ud, unsigned int flags);

/* ---- libgcrypt (gcrypt.c): thread-safe one-time initialisation ---- */
int kdbx_crypto__gcrypt_init(void);

#endif
