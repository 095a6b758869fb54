/* Host side of the public-key mechanisms (OpenSSL 3): the token key's public
 * half as DER SubjectPublicKeyInfo (so a slot can be re-wrapped without the
 * token), RSA encryption to it, the ephemeral half of ECDH, and the HKDF that
 * normalises every token output to 32 bytes (age-style: salt = ephemeral
 * point || recipient point for ECDH; hwdesign-notes.md 0 rec. 2, 3.1). */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto/crypto.h"
#include "providers/pkcs11_int.h"

int kdbx_p11__normalise(int mech, const uint8_t *raw, size_t rawlen, const uint8_t *salt,
                        size_t saltlen, uint8_t out[32])
{
	char info[64];
	int n = snprintf(info, sizeof(info), "libkdbx-pkcs11-v1 %s", kdbx_pkcs11_mechanism_name(mech));

	return kdbx_hkdf_sha256(raw, rawlen, salt, saltlen, (const uint8_t *)info, (size_t)n, out, 32);
}

int kdbx_p11__sign_input(const uint8_t *challenge, size_t len, uint8_t out[51])
{
	/* DER DigestInfo prefix for SHA-256 (RFC 8017 9.2 note 1). */
	static const uint8_t prefix[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                                   0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
	static const char domain[] = "libkdbx-pkcs11-sign-v1";
	kdbx_iov v[2] = {{domain, sizeof(domain) - 1}, {challenge, len}};

	memcpy(out, prefix, sizeof(prefix));
	return kdbx_sha256_v(v, 2, out + sizeof(prefix));
}

static int ossl_fail(const char *what)
{
	return kdbx_error__set(KDBX_ERROR, "OpenSSL: %s failed", what);
}

static int put_spki(EVP_PKEY *pk, kdbx_buf *out)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pk, &der);
	int rc;

	if (n <= 0)
		return ossl_fail("i2d_PUBKEY");
	rc = kdbx_buf_append(out, der, (size_t)n);
	OPENSSL_free(der);
	return rc;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;

	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

/* The public key object that shares the private key's CKA_ID. */
static CK_OBJECT_HANDLE public_twin(kdbx_p11_session *ss, const kdbx_p11_key *k)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, (void *)k->id, k->id_len}};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG got = 0;

	if (k->id_len == 0 || ss->tok.fl->C_FindObjectsInit(ss->h, t, 2) != CKR_OK)
		return CK_INVALID_HANDLE;
	if (ss->tok.fl->C_FindObjects(ss->h, &h, 1, &got) != CKR_OK || got != 1)
		h = CK_INVALID_HANDLE;
	ss->tok.fl->C_FindObjectsFinal(ss->h);
	return h;
}

/* Reads attr from the key, else from its public twin. */
static int attr_any(kdbx_p11_session *ss, const kdbx_p11_key *k, CK_ATTRIBUTE_TYPE a, kdbx_buf *b)
{
	CK_OBJECT_HANDLE pub;

	b->len = 0;
	if (kdbx_p11__attr(ss, k->h, a, b) == KDBX_OK && b->len > 0)
		return KDBX_OK;
	b->len = 0;
	pub = public_twin(ss, k);
	if (pub != CK_INVALID_HANDLE && kdbx_p11__attr(ss, pub, a, b) == KDBX_OK && b->len > 0)
		return KDBX_OK;
	return KDBX_ENOTFOUND;
}

/* CKA_EC_POINT is a DER OCTET STRING around the point; some modules give it raw. */
static void unwrap_point(const uint8_t **p, size_t *n)
{
	const uint8_t *d = *p;

	if (*n >= 3 && d[0] == 0x04 && d[1] < 0x80 && (size_t)d[1] + 2 == *n) {
		*p = d + 2;
		*n -= 2;
	} else if (*n >= 4 && d[0] == 0x04 && d[1] == 0x81 && (size_t)d[2] + 3 == *n) {
		*p = d + 3;
		*n -= 3;
	}
}

int kdbx_p11__spki(kdbx_p11_session *ss, const kdbx_p11_key *k, kdbx_buf *out)
{
	kdbx_buf a = KDBX_BUF_INIT, b = KDBX_BUF_INIT;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *n = NULL, *e = NULL;
	ASN1_OBJECT *oid = NULL;
	EVP_PKEY *pk = NULL;
	int rc = KDBX_ERROR;

	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	if (k->type == CKK_RSA) {
		if (attr_any(ss, k, CKA_MODULUS, &a) < 0 || attr_any(ss, k, CKA_PUBLIC_EXPONENT, &b) < 0) {
			rc = kdbx_error__set(KDBX_EUNSUPPORTED,
			                     "cannot read the RSA public key of '%s' (no modulus/exponent "
			                     "on the key or a public key object with its CKA_ID)", k->label);
			goto out;
		}
		n = BN_bin2bn(a.data, (int)a.len, NULL);
		e = BN_bin2bn(b.data, (int)b.len, NULL);
		if (n == NULL || e == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
		    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
		    (pk = from_params("RSA", params)) == NULL) {
			rc = ossl_fail("RSA public key import");
			goto out;
		}
	} else if (k->type == CKK_EC) {
		const uint8_t *pp, *pt;
		size_t ptlen;
		const char *group;

		if (attr_any(ss, k, CKA_EC_PARAMS, &a) < 0 || attr_any(ss, k, CKA_EC_POINT, &b) < 0) {
			rc = kdbx_error__set(KDBX_EUNSUPPORTED,
			                     "cannot read the EC public key of '%s' (no public key object "
			                     "with its CKA_ID on the token)", k->label);
			goto out;
		}
		pp = a.data;
		oid = d2i_ASN1_OBJECT(NULL, &pp, (long)a.len);
		group = oid != NULL ? OBJ_nid2sn(OBJ_obj2nid(oid)) : NULL;
		if (group == NULL || OBJ_obj2nid(oid) == NID_undef) {
			rc = kdbx_error__set(KDBX_EUNSUPPORTED, "EC key '%s' is not on a named curve",
			                     k->label);
			goto out;
		}
		pt = b.data;
		ptlen = b.len;
		unwrap_point(&pt, &ptlen);
		if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, ptlen) ||
		    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
		    (pk = from_params("EC", params)) == NULL) {
			rc = kdbx_error__set(KDBX_EUNSUPPORTED, "EC public key of '%s' not usable (curve %s)",
			                     k->label, group);
			goto out;
		}
	} else {
		rc = kdbx_error__set(KDBX_EUNSUPPORTED, "key '%s' has no public key", k->label);
		goto out;
	}
	rc = put_spki(pk, out);
out:
	EVP_PKEY_free(pk);
	ASN1_OBJECT_free(oid);
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	kdbx_buf_free(&a);
	kdbx_buf_free(&b);
	return rc;
}

static EVP_PKEY *load_spki(const uint8_t *spki, size_t len)
{
	const unsigned char *p = spki;

	if (len == 0 || len > 4096)
		return NULL;
	return d2i_PUBKEY(NULL, &p, (long)len);
}

int kdbx_p11__host_rsa_encrypt(const uint8_t *spki, size_t spkilen, int oaep_hash,
                               const uint8_t *pt, size_t ptlen, kdbx_buf *ct)
{
	EVP_PKEY *pk = load_spki(spki, spkilen);
	EVP_PKEY_CTX *ctx = NULL;
	size_t outlen = 0;
	int rc = KDBX_OK;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pk);
		return kdbx_error__set(KDBX_ECORRUPT, "PKCS#11 slot: stored RSA public key is damaged");
	}
	ctx = EVP_PKEY_CTX_new(pk, NULL);
	if (ctx == NULL || EVP_PKEY_encrypt_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, oaep_hash ? RSA_PKCS1_OAEP_PADDING : RSA_PKCS1_PADDING) <= 0 ||
	    (oaep_hash && (EVP_PKEY_CTX_set_rsa_oaep_md(ctx, oaep_hash == 256 ? EVP_sha256() : EVP_sha1()) <= 0 ||
	                   EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, oaep_hash == 256 ? EVP_sha256() : EVP_sha1()) <= 0)) ||
	    EVP_PKEY_encrypt(ctx, NULL, &outlen, pt, ptlen) <= 0 || kdbx_buf_reserve(ct, outlen) < 0 ||
	    EVP_PKEY_encrypt(ctx, ct->data + ct->len, &outlen, pt, ptlen) <= 0)
		rc = ossl_fail("RSA encryption");
	else
		ct->len += outlen;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return rc;
}

static int point_of(EVP_PKEY *pk, kdbx_buf *out)
{
	uint8_t pt[200];
	size_t n = 0;

	if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt),
	                                    &n) <= 0 || n == 0 || pt[0] != 0x04)
		return ossl_fail("EC point export");
	return kdbx_buf_append(out, pt, n);
}

int kdbx_p11__host_ecdh(const uint8_t *spki, size_t spkilen, kdbx_buf *eph, kdbx_buf *recip,
                        kdbx_buf *shared)
{
	EVP_PKEY *pk = load_spki(spki, spkilen), *ek = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	char group[64];
	size_t glen = 0, slen = 0;
	int rc = KDBX_OK;

	shared->secure = true;
	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   &glen) <= 0) {
		EVP_PKEY_free(pk);
		return kdbx_error__set(KDBX_ECORRUPT, "PKCS#11 slot: stored EC public key is damaged");
	}
	ek = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
	if (ek == NULL) {
		rc = ossl_fail("EC key generation");
		goto out;
	}
	ctx = EVP_PKEY_CTX_new(ek, NULL);
	if (ctx == NULL || EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, pk) <= 0 ||
	    EVP_PKEY_derive(ctx, NULL, &slen) <= 0 || kdbx_buf_reserve(shared, slen) < 0 ||
	    EVP_PKEY_derive(ctx, shared->data + shared->len, &slen) <= 0) {
		rc = ossl_fail("ECDH");
		goto out;
	}
	shared->len += slen;
	rc = point_of(ek, eph);
	if (rc == KDBX_OK)
		rc = point_of(pk, recip);
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(ek);
	EVP_PKEY_free(pk);
	return rc;
}

int kdbx_p11__host_point(const uint8_t *spki, size_t spkilen, kdbx_buf *pt)
{
	EVP_PKEY *pk = load_spki(spki, spkilen);
	int rc;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC) {
		EVP_PKEY_free(pk);
		return kdbx_error__set(KDBX_ECORRUPT, "PKCS#11 slot: stored EC public key is damaged");
	}
	rc = point_of(pk, pt);
	EVP_PKEY_free(pk);
	return rc;
}
