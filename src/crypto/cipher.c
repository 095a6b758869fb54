/* Payload ciphers: AES-256/128-CBC and ChaCha20 via OpenSSL EVP, Twofish-256-CBC
 * via libgcrypt (keepassxc-notes 3.1). CBC modes use PKCS#7 padding. */
#include <gcrypt.h>
#include <limits.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"

static const uint8_t uuid_aes256[16] = {0x31, 0xc1, 0xf2, 0xe6, 0xbf, 0x71, 0x43, 0x50,
                                        0xbe, 0x58, 0x05, 0x21, 0x6a, 0xfc, 0x5a, 0xff};
static const uint8_t uuid_chacha20[16] = {0xd6, 0x03, 0x8a, 0x2b, 0x8b, 0x6f, 0x4c, 0xb5,
                                          0xa5, 0x24, 0x33, 0x9a, 0x31, 0xdb, 0xb5, 0x9a};
static const uint8_t uuid_twofish[16] = {0xad, 0x68, 0xf2, 0x9f, 0x57, 0x6f, 0x4b, 0xb9,
                                         0xa3, 0x6a, 0xd4, 0x7a, 0xf9, 0x65, 0x34, 0x6c};
static const uint8_t uuid_aes128[16] = {0x61, 0xab, 0x05, 0xa1, 0x94, 0x64, 0x41, 0xc3,
                                        0x8d, 0x74, 0x3a, 0x56, 0x3d, 0xf8, 0xdd, 0x35};

int kdbx_cipher__from_uuid(const uint8_t uuid[16])
{
	if (memcmp(uuid, uuid_aes256, 16) == 0) return KDBX_CIPHER_AES256;
	if (memcmp(uuid, uuid_chacha20, 16) == 0) return KDBX_CIPHER_CHACHA20;
	if (memcmp(uuid, uuid_twofish, 16) == 0) return KDBX_CIPHER_TWOFISH;
	if (memcmp(uuid, uuid_aes128, 16) == 0) return KDBX_CIPHER_AES128;
	return -1;
}

const uint8_t *kdbx_cipher__uuid(kdbx_cipher c)
{
	switch (c) {
	case KDBX_CIPHER_AES256: return uuid_aes256;
	case KDBX_CIPHER_CHACHA20: return uuid_chacha20;
	case KDBX_CIPHER_TWOFISH: return uuid_twofish;
	case KDBX_CIPHER_AES128: return uuid_aes128;
	}
	return NULL;
}

size_t kdbx_cipher__iv_len(kdbx_cipher c)
{
	return c == KDBX_CIPHER_CHACHA20 ? 12 : 16;
}

const char *kdbx_cipher_name(kdbx_cipher c)
{
	switch (c) {
	case KDBX_CIPHER_AES256: return "AES-256";
	case KDBX_CIPHER_CHACHA20: return "ChaCha20";
	case KDBX_CIPHER_TWOFISH: return "Twofish";
	case KDBX_CIPHER_AES128: return "AES-128";
	}
	return "unknown";
}

/* EVP works on int lengths: feed large payloads in 1 GiB pieces (multiple of 16). When the
 * input is consumed (consume: the buffer holding in), 4 MiB pieces, each given back once
 * encrypted (kdbx_buf_release_upto; a buffer that is not secure stays as it is). */
#define EVP_CHUNK ((size_t)1 << 30)
#define CONSUME_CHUNK ((size_t)4 << 20)

static int evp_run(const EVP_CIPHER *type, bool enc, bool pad, const uint8_t *key, const uint8_t *iv,
                   const uint8_t *in, size_t n, kdbx_buf *out, kdbx_buf *consume)
{
	EVP_CIPHER_CTX *ctx;
	size_t start = out->len;
	int outl, rc = KDBX_OK;

	if ((rc = kdbx_buf_reserve(out, n + 32)) != KDBX_OK)
		return rc;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	if (EVP_CipherInit_ex(ctx, type, NULL, key, iv, enc ? 1 : 0) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, pad ? 1 : 0) != 1) {
		rc = kdbx_error__set(KDBX_ERROR, "cipher initialisation failed");
		goto out;
	}
	size_t chunk = consume != NULL ? CONSUME_CHUNK : EVP_CHUNK;
	while (n > 0) {
		size_t part = n > chunk ? chunk : n;
		if (EVP_CipherUpdate(ctx, out->data + out->len, &outl, in, (int)part) != 1) {
			rc = kdbx_error__set(KDBX_ERROR, "cipher failed");
			goto out;
		}
		out->len += (size_t)outl;
		in += part;
		n -= part;
		kdbx_buf_release_upto(consume, in);
	}
	if (EVP_CipherFinal_ex(ctx, out->data + out->len, &outl) != 1) {
		/* With the wrong key the last block decrypts to garbage padding. */
		rc = enc ? kdbx_error__set(KDBX_ERROR, "cipher failed")
		         : kdbx_error__set(KDBX_EAUTH, "wrong credentials (bad padding)");
		goto out;
	}
	out->len += (size_t)outl;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (rc != KDBX_OK) {
		kdbx_memzero(out->data + start, out->len - start);
		out->len = start;
	}
	return rc;
}

static int twofish_run(bool enc, const uint8_t key[32], const uint8_t iv[16], const uint8_t *in,
                       size_t n, kdbx_buf *out, kdbx_buf *consume)
{
	gcry_cipher_hd_t h = NULL;
	size_t start = out->len, total;
	int rc;

	if ((rc = kdbx_crypto__gcrypt_init()) != KDBX_OK)
		return rc;
	if (!enc && (n == 0 || n % 16 != 0))
		return kdbx_error__set(KDBX_ECORRUPT, "encrypted payload is not a multiple of the block size");
	total = enc ? (n / 16 + 1) * 16 : n;
	if ((rc = kdbx_buf_reserve(out, total)) != KDBX_OK)
		return rc;
	for (size_t pos = 0, part; pos < n; pos += part) { /* copied, then encrypted in place */
		part = n - pos < CONSUME_CHUNK ? n - pos : CONSUME_CHUNK;
		memcpy(out->data + start + pos, in + pos, part);
		kdbx_buf_release_upto(consume, in + pos + part);
	}
	if (enc) {
		/* PKCS#7: always 1..16 bytes of value = pad length. */
		uint8_t pad = (uint8_t)(total - n);
		memset(out->data + start + n, pad, pad);
	}
	if (gcry_cipher_open(&h, GCRY_CIPHER_TWOFISH, GCRY_CIPHER_MODE_CBC, 0) != 0 ||
	    gcry_cipher_setkey(h, key, 32) != 0 || gcry_cipher_setiv(h, iv, 16) != 0) {
		rc = kdbx_error__set(KDBX_ERROR, "Twofish initialisation failed");
		goto out;
	}
	if ((enc ? gcry_cipher_encrypt(h, out->data + start, total, NULL, 0)
	         : gcry_cipher_decrypt(h, out->data + start, total, NULL, 0)) != 0) {
		rc = kdbx_error__set(KDBX_ERROR, "Twofish failed");
		goto out;
	}
	if (!enc) {
		uint8_t pad = out->data[start + total - 1], bad = 0;
		/* Checked without early exit: padding errors must not leak which byte failed. */
		bad |= (uint8_t)(pad == 0 || pad > 16);
		for (size_t i = 1; i <= 16; i++) {
			uint8_t in_pad = (uint8_t)(i <= pad);
			bad |= (uint8_t)(in_pad & (out->data[start + total - i] != pad));
		}
		if (bad) {
			rc = kdbx_error__set(KDBX_EAUTH, "wrong credentials (bad padding)");
			goto out;
		}
		total -= pad;
		kdbx_memzero(out->data + start + total, pad);
	}
	out->len = start + total;
	rc = KDBX_OK;
out:
	gcry_cipher_close(h);
	if (rc != KDBX_OK)
		kdbx_memzero(out->data + start, total);
	return rc;
}

static int cipher_run(kdbx_cipher c, bool enc, const uint8_t key[32], const uint8_t *iv,
                      const uint8_t *in, size_t n, kdbx_buf *out, kdbx_buf *consume)
{
	uint8_t civ[16];

	if (key == NULL || iv == NULL || out == NULL || (in == NULL && n > 0))
		return kdbx_error__set(KDBX_EINVALID, "cipher: invalid argument");
	switch (c) {
	case KDBX_CIPHER_AES256:
	case KDBX_CIPHER_AES128:
		if (!enc && (n == 0 || n % 16 != 0))
			return kdbx_error__set(KDBX_ECORRUPT, "encrypted payload is not a multiple of the block size");
		return evp_run(c == KDBX_CIPHER_AES256 ? EVP_aes_256_cbc() : EVP_aes_128_cbc(), enc, true,
		               key, iv, in, n, out, consume);
	case KDBX_CIPHER_CHACHA20:
		/* OpenSSL's ChaCha20 IV is LE32 block counter || 96-bit nonce; KDBX starts at 0. */
		memset(civ, 0, 4);
		memcpy(civ + 4, iv, 12);
		return evp_run(EVP_chacha20(), enc, false, key, civ, in, n, out, consume);
	case KDBX_CIPHER_TWOFISH:
		return twofish_run(enc, key, iv, in, n, out, consume);
	}
	return kdbx_error__set(KDBX_EUNSUPPORTED, "unknown cipher %d", (int)c);
}

int kdbx_cipher_encrypt(kdbx_cipher c, const uint8_t key[32], const uint8_t *iv,
                        const uint8_t *in, size_t n, kdbx_buf *out)
{
	return cipher_run(c, true, key, iv, in, n, out, NULL);
}

int kdbx_cipher_encrypt_consume(kdbx_cipher c, const uint8_t key[32], const uint8_t *iv,
                                kdbx_buf *in, kdbx_buf *out)
{
	int rc = cipher_run(c, true, key, iv, in->data, in->len, out, in);
	kdbx_buf_free(in);
	return rc;
}

int kdbx_cipher_decrypt(kdbx_cipher c, const uint8_t key[32], const uint8_t *iv,
                        const uint8_t *in, size_t n, kdbx_buf *out)
{
	return cipher_run(c, false, key, iv, in, n, out, NULL);
}
