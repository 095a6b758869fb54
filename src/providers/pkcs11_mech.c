/* Choosing the mechanism from what the key and the token support
 * (hwdesign-notes.md 0 rec. 2-3, 3.3, 5.7): HMAC-SHA256 for secret keys,
 * ephemeral-static ECDH for EC keys that can derive, RSA decryption of a
 * stored ciphertext (OAEP; PKCS#1 v1.5 only when the token has no OAEP), and
 * a deterministic RSA PKCS#1 v1.5 signature as the last resort. ECDSA is
 * refused: its signatures are randomized, so they cannot be a stable secret. */
#include <stdio.h>
#include <stdlib.h>

#include "providers/pkcs11_int.h"

int kdbx_p11__mechs(kdbx_p11_session *ss, kdbx_p11_mech **out, size_t *n)
{
	CK_MECHANISM_TYPE *types = NULL;
	CK_ULONG cnt = 0;
	kdbx_p11_mech *m;
	CK_RV rv;

	*out = NULL;
	*n = 0;
	rv = ss->tok.fl->C_GetMechanismList(ss->tok.slot, NULL, &cnt);
	if (rv != CKR_OK)
		return kdbx_p11__fail(rv, "C_GetMechanismList");
	if (cnt == 0)
		return KDBX_OK;
	types = calloc(cnt + 8, sizeof(*types));
	if (types == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	cnt += 8; /* room in case the list grew between the two calls */
	rv = ss->tok.fl->C_GetMechanismList(ss->tok.slot, types, &cnt);
	if (rv != CKR_OK) {
		free(types);
		return kdbx_p11__fail(rv, "C_GetMechanismList");
	}
	m = calloc(cnt ? cnt : 1, sizeof(*m));
	if (m == NULL) {
		free(types);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	for (CK_ULONG i = 0; i < cnt; i++) {
		CK_MECHANISM_INFO info;

		memset(&info, 0, sizeof(info));
		m[i].type = types[i];
		if (ss->tok.fl->C_GetMechanismInfo(ss->tok.slot, types[i], &info) == CKR_OK)
			m[i].flags = info.flags;
	}
	free(types);
	*out = m;
	*n = cnt;
	return KDBX_OK;
}

static int has(const kdbx_p11_mech *m, size_t n, CK_MECHANISM_TYPE t, CK_FLAGS need)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].type == t && (m[i].flags & need) == need)
			return 1;
	return 0;
}

/* Can key k use mechanism mech on this token? 0 or a reason. */
static const char *why_not(const kdbx_p11_key *k, const kdbx_p11_mech *m, size_t n, int mech)
{
	switch (mech) {
	case KDBX_PKCS11_MECH_HMAC_SHA256:
		if (k->cls != CKO_SECRET_KEY ||
		    (k->type != CKK_GENERIC_SECRET && k->type != CKK_SHA256_HMAC))
			return "HMAC needs a generic secret (or SHA256-HMAC) key";
		if (!k->can_sign)
			return "the secret key lacks CKA_SIGN (create it with --usage-sign)";
		if (!has(m, n, CKM_SHA256_HMAC, CKF_SIGN))
			return "the token does not offer CKM_SHA256_HMAC";
		return NULL;
	case KDBX_PKCS11_MECH_ECDH:
		if (k->cls != CKO_PRIVATE_KEY || k->type != CKK_EC)
			return "ECDH needs an EC private key";
		if (!k->can_derive)
			return "the EC key lacks CKA_DERIVE (create it with --usage-derive)";
		if (!has(m, n, CKM_ECDH1_DERIVE, CKF_DERIVE))
			return "the token does not offer CKM_ECDH1_DERIVE";
		return NULL;
	case KDBX_PKCS11_MECH_RSA_OAEP:
	case KDBX_PKCS11_MECH_RSA_PKCS:
		if (k->cls != CKO_PRIVATE_KEY || k->type != CKK_RSA)
			return "RSA decryption needs an RSA private key";
		if (!k->can_decrypt)
			return "the RSA key lacks CKA_DECRYPT (create it with --usage-decrypt)";
		if (!has(m, n, mech == KDBX_PKCS11_MECH_RSA_OAEP ? CKM_RSA_PKCS_OAEP : CKM_RSA_PKCS,
		         CKF_DECRYPT))
			return mech == KDBX_PKCS11_MECH_RSA_OAEP ? "the token does not offer RSA-OAEP"
			                                         : "the token does not offer RSA PKCS#1 "
			                                           "v1.5 decryption";
		return NULL;
	case KDBX_PKCS11_MECH_RSA_SIGN:
		if (k->cls != CKO_PRIVATE_KEY || k->type != CKK_RSA)
			return "PKCS#1 v1.5 signatures need an RSA private key";
		if (!k->can_sign)
			return "the RSA key lacks CKA_SIGN";
		if (!has(m, n, CKM_RSA_PKCS, CKF_SIGN))
			return "the token does not offer CKM_RSA_PKCS signatures";
		return NULL;
	default:
		return "unknown mechanism";
	}
}

int kdbx_p11__choose(const kdbx_p11_key *k, const kdbx_p11_mech *m, size_t n, int forced)
{
	static const int order[] = {KDBX_PKCS11_MECH_HMAC_SHA256, KDBX_PKCS11_MECH_ECDH,
	                            KDBX_PKCS11_MECH_RSA_OAEP, KDBX_PKCS11_MECH_RSA_PKCS,
	                            KDBX_PKCS11_MECH_RSA_SIGN};
	const char *why;

	if (forced != 0) {
		why = why_not(k, m, n, forced);
		if (why != NULL)
			return kdbx_error__set(KDBX_EUNSUPPORTED, "key '%s' cannot use mechanism %s: %s",
			                       k->label, kdbx_pkcs11_mechanism_name(forced), why);
		return forced;
	}
	for (size_t i = 0; i < KDBX_ARRAY_LEN(order); i++)
		if (why_not(k, m, n, order[i]) == NULL)
			return order[i];
	/* Explain with the reason that fits the key best. */
	if (k->cls == CKO_SECRET_KEY) {
		why = why_not(k, m, n, KDBX_PKCS11_MECH_HMAC_SHA256);
	} else if (k->type == CKK_EC && k->can_sign) {
		return kdbx_error__set(KDBX_EUNSUPPORTED,
		                       "key '%s' is an ECDSA-only key: ECDSA signatures are randomized "
		                       "(a new signature each time), so they cannot unlock anything; "
		                       "use an EC key with derive usage (ECDH, pkcs11-tool "
		                       "--usage-derive), an RSA key or an HMAC secret key", k->label);
	} else if (k->type == CKK_EC) {
		why = why_not(k, m, n, KDBX_PKCS11_MECH_ECDH);
	} else if (k->type == CKK_RSA) {
		why = k->can_decrypt ? why_not(k, m, n, KDBX_PKCS11_MECH_RSA_PKCS)
		      : k->can_sign  ? why_not(k, m, n, KDBX_PKCS11_MECH_RSA_SIGN)
		                     : "the RSA key has neither CKA_DECRYPT nor CKA_SIGN";
	} else {
		why = "only HMAC secret keys, EC and RSA keys are supported";
	}
	return kdbx_error__set(KDBX_EUNSUPPORTED, "key '%s' cannot be used: %s", k->label, why);
}
