/* Token operations: HMAC and RSA signatures (C_Sign), RSA decryption of a
 * stored ciphertext (C_Decrypt) and ephemeral-static ECDH (C_DeriveKey with
 * CKD_NULL, derived value read back and the session object destroyed).
 * Output sizes use the two-call query; an always-authenticate key gets its
 * CKU_CONTEXT_SPECIFIC login right after the *Init call (spec 5.3). */
#include <stdio.h>
#include <stdlib.h>

#include "providers/pkcs11_int.h"

/* Second half of sign/decrypt: size query, then the call into a secure buffer. */
typedef CK_RV (*finish_fn)(CK_SESSION_HANDLE, CK_BYTE *, CK_ULONG, CK_BYTE *, CK_ULONG *);

static int finish(kdbx_p11_session *ss, finish_fn fn, const char *what, const uint8_t *in,
                  size_t inlen, kdbx_buf *out)
{
	CK_ULONG len = 0;
	CK_RV rv;

	out->secure = true;
	rv = fn(ss->h, (CK_BYTE *)in, inlen, NULL, &len);
	if (rv != CKR_OK)
		return kdbx_p11__fail(rv, what);
	if (len == 0 || len > 8192)
		return kdbx_error__set(KDBX_EDEVICE, "PKCS#11 %s: implausible output size", what);
	if (kdbx_buf_reserve(out, len) < 0)
		return KDBX_ENOMEM;
	rv = fn(ss->h, (CK_BYTE *)in, inlen, out->data + out->len, &len);
	if (rv != CKR_OK)
		return kdbx_p11__fail(rv, what);
	out->len += len;
	return KDBX_OK;
}

static int sign(kdbx_p11_session *ss, const kdbx_p11_key *k, CK_MECHANISM_TYPE mt,
                const uint8_t *data, size_t len, kdbx_buf *out)
{
	CK_MECHANISM mech = {mt, NULL, 0};
	CK_RV rv;
	int rc;

	rv = ss->tok.fl->C_SignInit(ss->h, &mech, k->h);
	if (rv != CKR_OK)
		return kdbx_p11__fail(rv, "C_SignInit");
	if (k->always_auth && (rc = kdbx_p11__context_login(ss)) < 0) {
		/* Ends the pending operation (the spec has no C_SignCancel in 2.40). */
		uint8_t sink[1024];
		CK_ULONG sl = sizeof(sink);

		ss->tok.fl->C_Sign(ss->h, (CK_BYTE *)data, len, sink, &sl);
		kdbx_memzero(sink, sizeof(sink));
		return rc;
	}
	return finish(ss, ss->tok.fl->C_Sign, "C_Sign", data, len, out);
}

int kdbx_p11__hmac(kdbx_p11_session *ss, const kdbx_p11_key *k, const uint8_t *data, size_t len,
                   kdbx_buf *out)
{
	int rc = sign(ss, k, CKM_SHA256_HMAC, data, len, out);

	if (rc == KDBX_OK && out->len != 32)
		return kdbx_error__set(KDBX_EDEVICE, "PKCS#11 HMAC-SHA256 returned %zu bytes", out->len);
	return rc;
}

int kdbx_p11__rsa_sign(kdbx_p11_session *ss, const kdbx_p11_key *k, const uint8_t *data,
                       size_t len, kdbx_buf *out)
{
	return sign(ss, k, CKM_RSA_PKCS, data, len, out);
}

int kdbx_p11__rsa_decrypt(kdbx_p11_session *ss, const kdbx_p11_key *k, int oaep_hash,
                          const uint8_t *ct, size_t ctlen, kdbx_buf *out)
{
	CK_RSA_PKCS_OAEP_PARAMS oaep;
	CK_MECHANISM mech = {CKM_RSA_PKCS, NULL, 0};
	CK_RV rv;
	int rc;

	if (oaep_hash != 0) {
		memset(&oaep, 0, sizeof(oaep));
		oaep.hashAlg = oaep_hash == 256 ? CKM_SHA256 : CKM_SHA_1;
		oaep.mgf = oaep_hash == 256 ? CKG_MGF1_SHA256 : CKG_MGF1_SHA1;
		oaep.source = CKZ_DATA_SPECIFIED;
		mech.mechanism = CKM_RSA_PKCS_OAEP;
		mech.pParameter = &oaep;
		mech.ulParameterLen = sizeof(oaep);
	}
	rv = ss->tok.fl->C_DecryptInit(ss->h, &mech, k->h);
	if (rv != CKR_OK)
		return kdbx_p11__fail(rv, "C_DecryptInit");
	if (k->always_auth && (rc = kdbx_p11__context_login(ss)) < 0) {
		uint8_t sink[1024];
		CK_ULONG sl = sizeof(sink);

		ss->tok.fl->C_Decrypt(ss->h, (CK_BYTE *)ct, ctlen, sink, &sl);
		kdbx_memzero(sink, sizeof(sink));
		return rc;
	}
	return finish(ss, ss->tok.fl->C_Decrypt, "C_Decrypt", ct, ctlen, out);
}

int kdbx_p11__ecdh(kdbx_p11_session *ss, const kdbx_p11_key *k, const uint8_t *point,
                   size_t pointlen, kdbx_buf *out)
{
	CK_ECDH1_DERIVE_PARAMS p;
	CK_MECHANISM mech = {CKM_ECDH1_DERIVE, &p, sizeof(p)};
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG vlen;
	CK_OBJECT_HANDLE derived = CK_INVALID_HANDLE;
	CK_RV rv;
	int rc;

	/* Uncompressed point 04 || X || Y: the shared secret is X, field-sized. */
	if (pointlen < 3 || point[0] != 0x04 || (pointlen - 1) % 2 != 0)
		return kdbx_error__set(KDBX_ECORRUPT, "PKCS#11 slot: bad ephemeral EC point");
	vlen = (pointlen - 1) / 2;
	{
		CK_ATTRIBUTE tmpl[] = {
			{CKA_CLASS, &cls, sizeof(cls)},     {CKA_KEY_TYPE, &kt, sizeof(kt)},
			{CKA_TOKEN, &no, sizeof(no)},       {CKA_SENSITIVE, &no, sizeof(no)},
			{CKA_EXTRACTABLE, &yes, sizeof(yes)}, {CKA_VALUE_LEN, &vlen, sizeof(vlen)},
		};

		memset(&p, 0, sizeof(p));
		p.kdf = CKD_NULL;
		p.pPublicData = (unsigned char *)point;
		p.ulPublicDataLen = pointlen;
		rv = ss->tok.fl->C_DeriveKey(ss->h, &mech, k->h, tmpl, KDBX_ARRAY_LEN(tmpl), &derived);
	}
	if (rv != CKR_OK)
		return kdbx_p11__fail(rv, "C_DeriveKey (ECDH)");
	out->secure = true;
	rc = kdbx_p11__attr(ss, derived, CKA_VALUE, out);
	ss->tok.fl->C_DestroyObject(ss->h, derived);
	if (rc == KDBX_ENOTFOUND)
		return kdbx_error__set(KDBX_EUNSUPPORTED,
		                       "the token does not let us read the ECDH result (it refuses "
		                       "extractable derived keys)");
	if (rc < 0)
		return rc;
	if (out->len != vlen)
		return kdbx_error__set(KDBX_EDEVICE, "PKCS#11 ECDH returned %zu bytes, expected %lu",
		                       out->len, (unsigned long)vlen);
	return KDBX_OK;
}
