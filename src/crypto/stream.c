/* Inner random stream for protected values (keepassxc-notes 3.5): one keystream
 * per document, so the cipher context lives as long as the stream. */
#include <gcrypt.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include "crypto/crypto.h"

struct kdbx_stream {
	int id;
	EVP_CIPHER_CTX *evp;     /* ChaCha20 */
	gcry_cipher_hd_t salsa;  /* Salsa20 */
};

static const uint8_t salsa_iv[8] = {0xE8, 0x30, 0x09, 0x4B, 0x97, 0x20, 0x5D, 0x2A};

int kdbx_stream_new(kdbx_stream **out, int id, const uint8_t *key, size_t keylen)
{
	kdbx_stream *s;
	uint8_t h[64], iv[16];
	kdbx_iov v = {key, keylen};
	int rc;

	if (out == NULL || (key == NULL && keylen > 0))
		return kdbx_error__set(KDBX_EINVALID, "kdbx_stream_new: invalid argument");
	*out = NULL;
	if (id != KDBX_STREAM_SALSA20 && id != KDBX_STREAM_CHACHA20)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "inner random stream %d not supported", id);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	s->id = id;
	if (id == KDBX_STREAM_SALSA20) {
		if ((rc = kdbx_crypto__gcrypt_init()) != KDBX_OK || (rc = kdbx_sha256(key, keylen, h)) != KDBX_OK)
			goto fail;
		if (gcry_cipher_open(&s->salsa, GCRY_CIPHER_SALSA20, GCRY_CIPHER_MODE_STREAM, 0) != 0 ||
		    gcry_cipher_setkey(s->salsa, h, 32) != 0 || gcry_cipher_setiv(s->salsa, salsa_iv, 8) != 0) {
			rc = kdbx_error__set(KDBX_ERROR, "Salsa20 initialisation failed");
			goto fail;
		}
	} else {
		if ((rc = kdbx_sha512_v(&v, 1, h)) != KDBX_OK)
			goto fail;
		memset(iv, 0, 4); /* block counter 0 */
		memcpy(iv + 4, h + 32, 12);
		s->evp = EVP_CIPHER_CTX_new();
		if (s->evp == NULL || EVP_EncryptInit_ex(s->evp, EVP_chacha20(), NULL, h, iv) != 1) {
			rc = kdbx_error__set(KDBX_ERROR, "ChaCha20 initialisation failed");
			goto fail;
		}
	}
	kdbx_memzero(h, sizeof(h));
	kdbx_memzero(iv, sizeof(iv));
	*out = s;
	return KDBX_OK;
fail:
	kdbx_memzero(h, sizeof(h));
	kdbx_memzero(iv, sizeof(iv));
	kdbx_stream_free(&s);
	return rc;
}

int kdbx_stream_xor(kdbx_stream *s, uint8_t *buf, size_t n)
{
	if (s == NULL || (buf == NULL && n > 0))
		return kdbx_error__set(KDBX_EINVALID, "kdbx_stream_xor: invalid argument");
	while (n > 0) {
		size_t part = n > (size_t)INT_MAX / 2 ? (size_t)INT_MAX / 2 : n;
		int outl;
		if (s->id == KDBX_STREAM_SALSA20) {
			/* In place: the NULL input means "encrypt buf itself". */
			if (gcry_cipher_encrypt(s->salsa, buf, part, NULL, 0) != 0)
				return kdbx_error__set(KDBX_ERROR, "Salsa20 failed");
		} else if (EVP_EncryptUpdate(s->evp, buf, &outl, buf, (int)part) != 1) {
			return kdbx_error__set(KDBX_ERROR, "ChaCha20 failed");
		}
		buf += part;
		n -= part;
	}
	return KDBX_OK;
}

void kdbx_stream_free(kdbx_stream **sp)
{
	kdbx_stream *s;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	if (s->salsa != NULL)
		gcry_cipher_close(s->salsa);
	EVP_CIPHER_CTX_free(s->evp);
	free(s);
	*sp = NULL;
}
