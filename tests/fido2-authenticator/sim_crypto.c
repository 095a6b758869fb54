/* Crypto of the software authenticator, all through OpenSSL 3: P-256 keys,
 * ECDH + the PIN/UV auth protocol KDFs, AES-256-CBC, HMAC, ECDSA and the
 * attestation certificate (CTAP 2.1 section 6.5.6 / 6.5.7). */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "sim_int.h"

void sim_random(uint8_t *p, size_t n)
{
	if (RAND_bytes(p, (int)n) != 1)
		memset(p, 0x5a, n); /* tests only; RAND_bytes does not fail in practice */
}

int sim_keygen(EVP_PKEY **out)
{
	*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	return *out != NULL ? 0 : -1;
}

int sim_pub_xy(EVP_PKEY *k, uint8_t x[32], uint8_t y[32])
{
	uint8_t pt[65];
	size_t n = 0;

	if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &n) != 1 || n != 65 ||
	    pt[0] != 0x04)
		return -1;
	memcpy(x, pt + 1, 32);
	memcpy(y, pt + 33, 32);
	return 0;
}

static EVP_PKEY *peer_key(const uint8_t x[32], const uint8_t y[32])
{
	uint8_t pt[65];
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *p = NULL;
	EVP_PKEY_CTX *c = NULL;
	EVP_PKEY *k = NULL;

	pt[0] = 0x04;
	memcpy(pt + 1, x, 32);
	memcpy(pt + 33, y, 32);
	if (b == NULL || OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)) != 1 ||
	    (p = OSSL_PARAM_BLD_to_param(b)) == NULL || (c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(c) != 1 || EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, p) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(c);
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(b);
	return k;
}

static int hkdf(const uint8_t *z, size_t zlen, const char *info, uint8_t out[32])
{
	static const uint8_t salt[32];
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t n = 32;
	int ok = c != NULL && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha256()) == 1 &&
	         EVP_PKEY_CTX_set1_hkdf_salt(c, salt, sizeof(salt)) == 1 &&
	         EVP_PKEY_CTX_set1_hkdf_key(c, z, (int)zlen) == 1 &&
	         EVP_PKEY_CTX_add1_hkdf_info(c, (const unsigned char *)info, (int)strlen(info)) == 1 &&
	         EVP_PKEY_derive(c, out, &n) == 1 && n == 32;

	EVP_PKEY_CTX_free(c);
	return ok ? 0 : -1;
}

int sim_shared_secret(EVP_PKEY *ours, const uint8_t x[32], const uint8_t y[32], int proto, sim_shared *out)
{
	EVP_PKEY *peer = peer_key(x, y);
	EVP_PKEY_CTX *c = NULL;
	uint8_t z[32];
	size_t zlen = sizeof(z);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->proto = proto;
	if (peer == NULL || (c = EVP_PKEY_CTX_new(ours, NULL)) == NULL || EVP_PKEY_derive_init(c) != 1 ||
	    EVP_PKEY_derive_set_peer(c, peer) != 1 || EVP_PKEY_derive(c, z, &zlen) != 1 || zlen != 32)
		goto out;
	if (proto == 1) {
		sim_sha256(z, 32, NULL, 0, out->hmac_key);
		memcpy(out->aes_key, out->hmac_key, 32);
		rc = 0;
	} else if (proto == 2) {
		rc = hkdf(z, 32, "CTAP2 HMAC key", out->hmac_key) == 0 && hkdf(z, 32, "CTAP2 AES key", out->aes_key) == 0 ? 0 : -1;
	}
out:
	OPENSSL_cleanse(z, sizeof(z));
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(peer);
	return rc;
}

static int cbc(int enc, const uint8_t key[32], const uint8_t iv[16], const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0;
	int ok = c != NULL && len % 16 == 0 && EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL, key, iv, enc) == 1 &&
	         EVP_CIPHER_CTX_set_padding(c, 0) == 1 && EVP_CipherUpdate(c, out, &n1, in, (int)len) == 1 &&
	         EVP_CipherFinal_ex(c, out + n1, &n2) == 1 && (size_t)(n1 + n2) == len;

	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

int sim_encrypt(const sim_shared *s, const uint8_t *in, size_t len, uint8_t *out, size_t *outlen)
{
	static const uint8_t zero[16];

	if (s->proto == 1) {
		*outlen = len;
		return cbc(1, s->aes_key, zero, in, len, out);
	}
	sim_random(out, 16);
	*outlen = len + 16;
	return cbc(1, s->aes_key, out, in, len, out + 16);
}

int sim_decrypt(const sim_shared *s, const uint8_t *in, size_t len, uint8_t *out, size_t *outlen)
{
	static const uint8_t zero[16];

	if (s->proto == 1) {
		*outlen = len;
		return len == 0 ? -1 : cbc(0, s->aes_key, zero, in, len, out);
	}
	if (len < 32)
		return -1;
	*outlen = len - 16;
	return cbc(0, s->aes_key, in, in + 16, len - 16, out);
}

void sim_hmac256(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	if (HMAC(EVP_sha256(), key, (int)keylen, msg, len, out, &n) == NULL)
		memset(out, 0, 32);
}

int sim_verify(int proto, const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len,
               const uint8_t *param, size_t plen)
{
	uint8_t mac[32];
	size_t want = proto == 1 ? 16 : 32;
	int rc;

	sim_hmac256(key, keylen, msg, len, mac);
	rc = plen == want && CRYPTO_memcmp(mac, param, want) == 0 ? 0 : -1;
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

void sim_sha256(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(c, a, alen) != 1 ||
	    (blen > 0 && EVP_DigestUpdate(c, b, blen) != 1) || EVP_DigestFinal_ex(c, out, NULL) != 1)
		memset(out, 0, 32);
	EVP_MD_CTX_free(c);
}

int sim_sign(EVP_PKEY *k, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t *sig, size_t *siglen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c != NULL && EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, k) == 1 &&
	         EVP_DigestSignUpdate(c, a, alen) == 1 && EVP_DigestSignUpdate(c, b, blen) == 1 &&
	         EVP_DigestSignFinal(c, sig, siglen) == 1;

	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

int sim_att_cert(EVP_PKEY *k, uint8_t **der, size_t *len)
{
	X509 *x = X509_new();
	X509_NAME *n = NULL;
	unsigned char *p = NULL;
	int l = -1;

	*der = NULL;
	if (x == NULL || X509_set_version(x, 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365) == NULL || (n = X509_NAME_new()) == NULL ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"kdbx test authenticator", -1,
	                               -1, 0) != 1 ||
	    X509_set_subject_name(x, n) != 1 || X509_set_issuer_name(x, n) != 1 || X509_set_pubkey(x, k) != 1 ||
	    X509_sign(x, k, EVP_sha256()) <= 0 || (l = i2d_X509(x, &p)) <= 0)
		l = -1;
	X509_NAME_free(n);
	X509_free(x);
	if (l < 0)
		return -1;
	*der = p;
	*len = (size_t)l;
	return 0;
}
