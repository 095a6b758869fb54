/* SHA-1/256/512, HMAC and HKDF over OpenSSL 3 (EVP). */
#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <pthread.h>

#include "crypto/crypto.h"

static int digest_v(const EVP_MD *md, const kdbx_iov *v, size_t cnt, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (ctx == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	ok = EVP_DigestInit_ex(ctx, md, NULL);
	for (size_t i = 0; ok && i < cnt; i++)
		if (v[i].len > 0)
			ok = EVP_DigestUpdate(ctx, v[i].data, v[i].len);
	ok = ok && EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
	return ok ? KDBX_OK : kdbx_error__set(KDBX_ERROR, "digest failed");
}

int kdbx_sha256(const void *data, size_t n, uint8_t out[32])
{
	kdbx_iov v = {data, n};
	return digest_v(EVP_sha256(), &v, 1, out);
}

int kdbx_sha256_v(const kdbx_iov *v, size_t cnt, uint8_t out[32])
{
	return digest_v(EVP_sha256(), v, cnt, out);
}

int kdbx_sha512_v(const kdbx_iov *v, size_t cnt, uint8_t out[64])
{
	return digest_v(EVP_sha512(), v, cnt, out);
}

int kdbx_sha1(const void *data, size_t n, uint8_t out[20])
{
	kdbx_iov v = {data, n};
	return digest_v(EVP_sha1(), &v, 1, out);
}

/* The HMAC implementation is fetched once: the block stream MACs every block. */
static EVP_MAC *hmac_impl;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
	hmac_impl = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static int hmac_v(const char *md, const uint8_t *key, size_t keylen, const kdbx_iov *v, size_t cnt,
                  uint8_t *out, size_t outlen)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	size_t got = 0;
	int ok;

	pthread_once(&hmac_once, hmac_fetch);
	if (hmac_impl == NULL)
		return kdbx_error__set(KDBX_ERROR, "HMAC unavailable");
	ctx = EVP_MAC_CTX_new(hmac_impl);
	if (ctx == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* OpenSSL rejects a NULL key even when empty. */
	ok = EVP_MAC_init(ctx, keylen > 0 ? key : (const uint8_t *)"", keylen, params);
	for (size_t i = 0; ok && i < cnt; i++)
		if (v[i].len > 0)
			ok = EVP_MAC_update(ctx, v[i].data, v[i].len);
	ok = ok && EVP_MAC_final(ctx, out, &got, outlen) && got == outlen;
	EVP_MAC_CTX_free(ctx);
	return ok ? KDBX_OK : kdbx_error__set(KDBX_ERROR, "HMAC failed");
}

int kdbx_hmac_sha256_v(const uint8_t *key, size_t keylen, const kdbx_iov *v, size_t cnt,
                       uint8_t out[32])
{
	return hmac_v("SHA256", key, keylen, v, cnt, out, 32);
}

int kdbx_hmac_sha1(const uint8_t *key, size_t keylen, const void *data, size_t n, uint8_t out[20])
{
	kdbx_iov v = {data, n};
	return hmac_v("SHA1", key, keylen, &v, 1, out, 20);
}

int kdbx_hmac_sha256(const uint8_t *key, size_t keylen, const void *data, size_t n, uint8_t out[32])
{
	kdbx_iov v = {data, n};
	return hmac_v("SHA256", key, keylen, &v, 1, out, 32);
}

int kdbx_hkdf_sha256(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt, size_t saltlen,
                     const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen)
{
	OSSL_PARAM params[5], *p = params;
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx;
	int ok;

	if (outlen == 0 || outlen > 255 * 32)
		return kdbx_error__set(KDBX_EINVALID, "HKDF output length out of range");
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (kdf == NULL)
		return kdbx_error__set(KDBX_ERROR, "HKDF unavailable");
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (ctx == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(ikmlen ? ikm : (const uint8_t *)""),
	                                         ikmlen);
	if (saltlen > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
	if (infolen > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen);
	*p = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(ctx, out, outlen, params);
	EVP_KDF_CTX_free(ctx);
	return ok > 0 ? KDBX_OK : kdbx_error__set(KDBX_ERROR, "HKDF failed");
}
