/* AES-256-GCM (used by slots/ to wrap key-encryption keys). */
#include <limits.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"

int kdbx_aes_gcm_encrypt(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
                         size_t aadlen, const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *ctx;
	int outl, ok;

	if (n > INT_MAX || aadlen > INT_MAX)
		return kdbx_error__set(KDBX_EINVALID, "AES-GCM input too large");
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
	     EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) == 1;
	if (ok && aadlen > 0)
		ok = EVP_EncryptUpdate(ctx, NULL, &outl, aad, (int)aadlen) == 1;
	if (ok && n > 0)
		ok = EVP_EncryptUpdate(ctx, out, &outl, in, (int)n) == 1;
	ok = ok && EVP_EncryptFinal_ex(ctx, out + n, &outl) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? KDBX_OK : kdbx_error__set(KDBX_ERROR, "AES-GCM encryption failed");
}

int kdbx_aes_gcm_decrypt(const uint8_t key[32], const uint8_t *nonce, size_t noncelen,
                         const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t n,
                         const uint8_t tag[16], uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	int outl, ok;
	uint8_t t[16];

	if (n > INT_MAX || aadlen > INT_MAX || noncelen == 0 || noncelen > 128)
		return kdbx_error__set(KDBX_EINVALID, "AES-GCM: invalid argument");
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	memcpy(t, tag, 16);
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)noncelen, NULL) == 1 &&
	     EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) == 1;
	if (ok && aadlen > 0)
		ok = EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)aadlen) == 1;
	if (ok && n > 0)
		ok = EVP_DecryptUpdate(ctx, out, &outl, in, (int)n) == 1;
	ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, t) == 1;
	if (!ok) {
		EVP_CIPHER_CTX_free(ctx);
		kdbx_memzero(out, n);
		return kdbx_error__set(KDBX_ERROR, "AES-GCM decryption failed");
	}
	ok = EVP_DecryptFinal_ex(ctx, out + n, &outl) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		/* Never hand out plaintext that failed authentication. */
		kdbx_memzero(out, n);
		return kdbx_error__set(KDBX_EAUTH, "authentication tag mismatch");
	}
	return KDBX_OK;
}
