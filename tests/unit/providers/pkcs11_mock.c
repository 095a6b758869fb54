/* PKCS#11 provider against a mocked function list: URI/option handling,
 * mechanism selection from key attributes + token mechanisms, PIN handling
 * (final try, locked, never retried), C_FindObjectsFinal always called, and
 * an HMAC enrol/unlock answered by a software token. */
#ifndef KDBX_WITH_PKCS11
#include <stdio.h>
int main(void)
{
	printf("skipped: built without PKCS#11\n");
	return 77;
}
#else
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "providers/pkcs11_int.h" /* last: p11-kit's pkcs11.h */

/* ---- the fake token: one slot, a few keys ---- */
typedef struct fake_key {
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE type;
	CK_BBOOL sign, decrypt, derive;
	const char *label;
	uint8_t id;
} fake_key;

static fake_key keys[] = {
	{CKO_SECRET_KEY, CKK_GENERIC_SECRET, CK_TRUE, CK_FALSE, CK_FALSE, "hmac", 1},
	{CKO_PRIVATE_KEY, CKK_RSA, CK_TRUE, CK_FALSE, CK_FALSE, "rsasign", 2},
	{CKO_PRIVATE_KEY, CKK_EC, CK_TRUE, CK_FALSE, CK_FALSE, "ecdsa", 3},
	{CKO_PRIVATE_KEY, CKK_EC, CK_FALSE, CK_FALSE, CK_TRUE, "dup", 4},
	{CKO_PRIVATE_KEY, CKK_EC, CK_FALSE, CK_FALSE, CK_TRUE, "dup", 5},
};
static const uint8_t hmac_secret[32] = "0123456789abcdef0123456789abcdef";
static CK_FLAGS token_flags;
static int logins, pin_asks, finals, inits, find_pos, find_n, find_hits[8];
static CK_OBJECT_HANDLE sign_key;

static CK_RV f_slots(CK_BBOOL present, CK_SLOT_ID *list, CK_ULONG *n)
{
	(void)present;
	if (list != NULL) {
		if (*n < 1)
			return CKR_BUFFER_TOO_SMALL;
		list[0] = 7;
	}
	*n = 1;
	return CKR_OK;
}

static CK_RV f_token(CK_SLOT_ID slot, CK_TOKEN_INFO *ti)
{
	(void)slot;
	memset(ti, ' ', sizeof(*ti));
	memcpy(ti->label, "mock", 4);
	memcpy(ti->serialNumber, "42", 2);
	ti->flags = token_flags;
	return CKR_OK;
}

static CK_RV f_open(CK_SLOT_ID s, CK_FLAGS f, void *a, CK_NOTIFY n, CK_SESSION_HANDLE *h)
{
	(void)s; (void)f; (void)a; (void)n;
	*h = 1;
	return CKR_OK;
}

static CK_RV f_close(CK_SESSION_HANDLE h) { (void)h; return CKR_OK; }

static CK_RV f_login(CK_SESSION_HANDLE h, CK_USER_TYPE u, CK_UTF8CHAR *pin, CK_ULONG len)
{
	(void)h; (void)u;
	logins++;
	if (pin == NULL || len != 4 || memcmp(pin, "1234", 4) != 0)
		return CKR_PIN_INCORRECT;
	return CKR_OK;
}

static int attr_match(const fake_key *k, const CK_ATTRIBUTE *a)
{
	switch (a->type) {
	case CKA_CLASS: return a->ulValueLen == sizeof(k->cls) && memcmp(a->pValue, &k->cls, sizeof(k->cls)) == 0;
	case CKA_LABEL: return a->ulValueLen == strlen(k->label) && memcmp(a->pValue, k->label, a->ulValueLen) == 0;
	case CKA_ID: return a->ulValueLen == 1 && *(const uint8_t *)a->pValue == k->id;
	default: return 0;
	}
}

static CK_RV f_find_init(CK_SESSION_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG n)
{
	(void)h;
	inits++;
	find_n = 0;
	find_pos = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int ok = 1;

		for (CK_ULONG j = 0; j < n; j++)
			ok &= attr_match(&keys[i], &t[j]);
		if (ok)
			find_hits[find_n++] = (int)i + 1;
	}
	return CKR_OK;
}

static CK_RV f_find(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *o, CK_ULONG max, CK_ULONG *got)
{
	(void)h;
	*got = 0;
	while (find_pos < find_n && *got < max)
		o[(*got)++] = (CK_OBJECT_HANDLE)find_hits[find_pos++];
	return CKR_OK;
}

static CK_RV f_find_final(CK_SESSION_HANDLE h) { (void)h; finals++; return CKR_OK; }

static CK_RV put(CK_ATTRIBUTE *a, const void *v, CK_ULONG len)
{
	if (a->pValue == NULL) {
		a->ulValueLen = len;
		return CKR_OK;
	}
	if (a->ulValueLen < len) {
		a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(a->pValue, v, len);
	a->ulValueLen = len;
	return CKR_OK;
}

static CK_RV f_attr(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE *t, CK_ULONG n)
{
	const fake_key *k;
	CK_ULONG vl = 32;

	(void)h;
	if (o < 1 || o > sizeof(keys) / sizeof(keys[0]))
		return CKR_OBJECT_HANDLE_INVALID;
	k = &keys[o - 1];
	for (CK_ULONG i = 0; i < n; i++) {
		switch (t[i].type) {
		case CKA_KEY_TYPE: put(&t[i], &k->type, sizeof(k->type)); break;
		case CKA_SIGN: put(&t[i], &k->sign, 1); break;
		case CKA_DECRYPT: put(&t[i], &k->decrypt, 1); break;
		case CKA_DERIVE: put(&t[i], &k->derive, 1); break;
		case CKA_LABEL: put(&t[i], k->label, strlen(k->label)); break;
		case CKA_ID: put(&t[i], &k->id, 1); break;
		case CKA_VALUE_LEN: put(&t[i], &vl, sizeof(vl)); break;
		default:
			t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			return CKR_ATTRIBUTE_TYPE_INVALID;
		}
	}
	return CKR_OK;
}

static const CK_MECHANISM_TYPE mechs[] = {CKM_SHA256_HMAC, CKM_RSA_PKCS, CKM_ECDSA};

static CK_RV f_mechs(CK_SLOT_ID s, CK_MECHANISM_TYPE *l, CK_ULONG *n)
{
	(void)s;
	if (l != NULL)
		memcpy(l, mechs, sizeof(mechs));
	*n = 3;
	return CKR_OK;
}

static CK_RV f_mech_info(CK_SLOT_ID s, CK_MECHANISM_TYPE t, CK_MECHANISM_INFO *info)
{
	(void)s;
	memset(info, 0, sizeof(*info));
	info->flags = CKF_SIGN | CKF_VERIFY | (t == CKM_RSA_PKCS ? CKF_DECRYPT : 0);
	return CKR_OK;
}

static CK_RV f_sign_init(CK_SESSION_HANDLE h, CK_MECHANISM *m, CK_OBJECT_HANDLE k)
{
	(void)h;
	if (m->mechanism != CKM_SHA256_HMAC || k != 1)
		return CKR_MECHANISM_INVALID;
	sign_key = k;
	return CKR_OK;
}

static CK_RV f_sign(CK_SESSION_HANDLE h, CK_BYTE *d, CK_ULONG n, CK_BYTE *sig, CK_ULONG *len)
{
	(void)h;
	if (sig == NULL) {
		*len = 32;
		return CKR_OK;
	}
	if (*len < 32)
		return CKR_BUFFER_TOO_SMALL;
	*len = 32;
	return kdbx_hmac_sha256(hmac_secret, 32, d, n, sig) == KDBX_OK ? CKR_OK : CKR_GENERAL_ERROR;
}

static CK_FUNCTION_LIST fl;

static int setup(void **state)
{
	(void)state;
	memset(&fl, 0, sizeof(fl));
	fl.C_GetSlotList = f_slots;
	fl.C_GetTokenInfo = f_token;
	fl.C_OpenSession = f_open;
	fl.C_CloseSession = f_close;
	fl.C_Login = f_login;
	fl.C_FindObjectsInit = f_find_init;
	fl.C_FindObjects = f_find;
	fl.C_FindObjectsFinal = f_find_final;
	fl.C_GetAttributeValue = f_attr;
	fl.C_GetMechanismList = f_mechs;
	fl.C_GetMechanismInfo = f_mech_info;
	fl.C_SignInit = f_sign_init;
	fl.C_Sign = f_sign;
	kdbx_p11__set_test_module(&fl);
	token_flags = CKF_LOGIN_REQUIRED | CKF_TOKEN_INITIALIZED;
	logins = pin_asks = finals = inits = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kdbx_p11__set_test_module(NULL);
	return 0;
}

static int pin_cb(void *ud, const char *prompt, int retries, char *buf, size_t len)
{
	pin_asks++;
	if (retries == 1)
		assert_non_null(strstr(prompt, "FINAL TRY"));
	assert_non_null(strstr(prompt, "'mock'"));
	snprintf(buf, len, "%s", (const char *)ud);
	return 0;
}

static kdbx_interaction ia_good = {NULL, pin_cb, NULL, (void *)"1234"};
static kdbx_interaction ia_bad = {NULL, pin_cb, NULL, (void *)"9999"};

static int enrol(const char *uri, const kdbx_interaction *ia, uint8_t **meta, size_t *ml,
                 kdbx_secret **s)
{
	kdbx_pkcs11_options o = KDBX_PKCS11_OPTIONS_INIT;
	kdbx_slot_provider *p = NULL;
	kdbx_slot_context c;
	uint8_t nonce[32] = {1, 2, 3};
	int rc;

	memset(&c, 0, sizeof(c));
	c.version = KDBX_SLOT_PROVIDER_VERSION;
	c.nonce = nonce;
	c.nonce_len = 32;
	o.uri = uri;
	o.interaction = ia;
	rc = kdbx_pkcs11_slot_provider_new(&p, &o);
	if (rc < 0)
		return rc;
	rc = p->enrol(p, &c, meta, ml, s);
	kdbx_slot_provider_free(&p);
	return rc;
}

static void test_uri_and_options(void **state)
{
	kdbx_pkcs11_options o = KDBX_PKCS11_OPTIONS_INIT;
	kdbx_p11_sel s;
	char d[256];
	uint8_t id = 0xab;

	(void)state;
	o.uri = "pkcs11:token=My%20Token;object=k1;type=private?module-name=softhsm2";
	assert_int_equal(kdbx_p11__sel_init(&s, &o), KDBX_OK);
	assert_string_equal(s.module, "softhsm2");
	kdbx_p11__sel_describe(&s, d, sizeof(d));
	assert_string_equal(d, "token 'My Token' object 'k1'");
	kdbx_p11__sel_free(&s);

	/* Explicit fields (kdbxtool-style API) and an explicit module path win. */
	o.uri = "pkcs11:token=a?module-path=/x/y.so";
	o.module = "/usr/lib/m.so";
	o.token_serial = "99";
	o.key_id = &id;
	o.key_id_len = 1;
	o.slot_index = 2;
	assert_int_equal(kdbx_p11__sel_init(&s, &o), KDBX_OK);
	assert_string_equal(s.module, "/usr/lib/m.so");
	kdbx_p11__sel_describe(&s, d, sizeof(d));
	assert_string_equal(d, "token 'a' serial 99 slot #2 id ab");
	kdbx_p11__sel_free(&s);

	o = (kdbx_pkcs11_options)KDBX_PKCS11_OPTIONS_INIT;
	o.uri = "http://not-pkcs11";
	assert_int_equal(kdbx_p11__sel_init(&s, &o), KDBX_EINVALID);
	o.uri = NULL;
	o.token_label = "a label that is much longer than thirty-two bytes";
	assert_int_equal(kdbx_p11__sel_init(&s, &o), KDBX_EINVALID);
	o.token_label = NULL;
	o.version = 99;
	assert_int_equal(kdbx_p11__sel_init(&s, &o), KDBX_EINVALID);
	assert_int_equal(kdbx_pkcs11_mechanism_from_name("rsa-oaep"), KDBX_PKCS11_MECH_RSA_OAEP);
	assert_string_equal(kdbx_pkcs11_mechanism_name(KDBX_PKCS11_MECH_ECDH), "ecdh");
	assert_int_equal(kdbx_pkcs11_mechanism_from_name("ecdsa"), -1);
}

static void test_choose(void **state)
{
	const kdbx_p11_mech all[] = {{CKM_SHA256_HMAC, CKF_SIGN}, {CKM_ECDH1_DERIVE, CKF_DERIVE},
	                             {CKM_RSA_PKCS_OAEP, CKF_DECRYPT}, {CKM_RSA_PKCS, CKF_DECRYPT | CKF_SIGN},
	                             {CKM_ECDSA, CKF_SIGN}};
	const kdbx_p11_mech no_oaep[] = {{CKM_RSA_PKCS, CKF_DECRYPT | CKF_SIGN}};
	kdbx_p11_key k;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.cls = CKO_SECRET_KEY;
	k.type = CKK_GENERIC_SECRET;
	k.can_sign = 1;
	assert_int_equal(kdbx_p11__choose(&k, all, 5, 0), KDBX_PKCS11_MECH_HMAC_SHA256);
	assert_int_equal(kdbx_p11__choose(&k, no_oaep, 1, 0), KDBX_EUNSUPPORTED);
	k.can_sign = 0;
	assert_int_equal(kdbx_p11__choose(&k, all, 5, 0), KDBX_EUNSUPPORTED);
	assert_non_null(strstr(kdbx_error_last(), "CKA_SIGN"));

	k.cls = CKO_PRIVATE_KEY;
	k.type = CKK_EC;
	k.can_derive = 1;
	assert_int_equal(kdbx_p11__choose(&k, all, 5, 0), KDBX_PKCS11_MECH_ECDH);
	k.can_derive = 0;
	k.can_sign = 1;
	assert_int_equal(kdbx_p11__choose(&k, all, 5, 0), KDBX_EUNSUPPORTED);
	assert_non_null(strstr(kdbx_error_last(), "ECDSA"));

	k.type = CKK_RSA;
	k.can_sign = 1;
	k.can_decrypt = 1;
	assert_int_equal(kdbx_p11__choose(&k, all, 5, 0), KDBX_PKCS11_MECH_RSA_OAEP);
	assert_int_equal(kdbx_p11__choose(&k, no_oaep, 1, 0), KDBX_PKCS11_MECH_RSA_PKCS);
	assert_int_equal(kdbx_p11__choose(&k, all, 5, KDBX_PKCS11_MECH_RSA_SIGN),
	                 KDBX_PKCS11_MECH_RSA_SIGN);
	k.can_decrypt = 0;
	assert_int_equal(kdbx_p11__choose(&k, all, 5, 0), KDBX_PKCS11_MECH_RSA_SIGN);
	assert_int_equal(kdbx_p11__choose(&k, all, 5, KDBX_PKCS11_MECH_ECDH), KDBX_EUNSUPPORTED);
	k.can_sign = 0;
	assert_int_equal(kdbx_p11__choose(&k, all, 5, 0), KDBX_EUNSUPPORTED);
}

static void test_mock_hmac_enrol_and_list(void **state)
{
	kdbx_pkcs11_key_info *l = NULL;
	kdbx_pkcs11_options o = KDBX_PKCS11_OPTIONS_INIT;
	uint8_t *meta = NULL, mac[32], nonce[32] = {1, 2, 3}, want[32];
	size_t ml = 0, n = 0;
	kdbx_secret *s = NULL;

	(void)state;
	assert_int_equal(enrol("pkcs11:token=mock;object=hmac", &ia_good, &meta, &ml, &s), KDBX_OK);
	assert_int_equal(meta[1], KDBX_PKCS11_MECH_HMAC_SHA256);
	assert_int_equal(kdbx_hmac_sha256(hmac_secret, 32, nonce, 32, mac), KDBX_OK);
	assert_int_equal(kdbx_p11__normalise(KDBX_PKCS11_MECH_HMAC_SHA256, mac, 32, NULL, 0, want),
	                 KDBX_OK);
	assert_memory_equal(kdbx_secret_data(s), want, 32);
	assert_int_equal(inits, finals); /* every search ended with C_FindObjectsFinal */
	kdbx_secret_free(&s);
	free(meta);
	meta = NULL;

	assert_int_equal(enrol("pkcs11:token=mock;object=dup", &ia_good, &meta, &ml, &s), KDBX_EINVALID);
	assert_non_null(strstr(kdbx_error_last(), "id 04"));
	assert_non_null(strstr(kdbx_error_last(), "id 05"));
	assert_int_equal(enrol("pkcs11:token=other", &ia_good, &meta, &ml, &s), KDBX_EDEVICE);
	assert_non_null(strstr(kdbx_error_last(), "'mock'"));

	o.interaction = &ia_good;
	assert_int_equal(kdbx_pkcs11_list(&o, 1, &l, &n), KDBX_OK);
	assert_int_equal(n, 1 + 5);
	assert_true(l[0].is_token);
	assert_int_equal(l[1].mechanism, KDBX_PKCS11_MECH_HMAC_SHA256);
	assert_string_equal(l[2].label, "rsasign");
	assert_int_equal(l[2].mechanism, KDBX_PKCS11_MECH_RSA_SIGN);
	assert_int_equal(l[3].mechanism, 0);
	assert_non_null(strstr(l[3].note, "ECDSA"));
	assert_int_equal(l[4].mechanism, 0); /* no CKM_ECDH1_DERIVE on this token */
	assert_int_equal(inits, finals);
	kdbx_pkcs11_list_free(&l);
}

static void test_mock_pin_handling(void **state)
{
	uint8_t *meta = NULL;
	size_t ml = 0;
	kdbx_secret *s = NULL;

	(void)state;
	token_flags |= CKF_USER_PIN_FINAL_TRY;
	assert_int_equal(enrol("pkcs11:object=hmac", &ia_bad, &meta, &ml, &s), KDBX_EPIN);
	assert_int_equal(pin_asks, 1);
	assert_int_equal(logins, 1); /* one attempt, never retried */
	assert_non_null(strstr(kdbx_error_last(), "wrong PIN"));

	token_flags = CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_USER_PIN_LOCKED;
	assert_int_equal(enrol("pkcs11:object=hmac", &ia_good, &meta, &ml, &s), KDBX_EPINLOCKED);
	assert_int_equal(pin_asks, 1); /* not even asked */
	assert_int_equal(logins, 1);

	token_flags = CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_PROTECTED_AUTHENTICATION_PATH;
	assert_int_equal(enrol("pkcs11:object=hmac", &ia_good, &meta, &ml, &s), KDBX_EPIN);
	assert_int_equal(pin_asks, 1); /* PIN pad: C_Login(NULL) only */
	assert_int_equal(logins, 2);

	token_flags = CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED;
	assert_int_equal(enrol("pkcs11:object=hmac", NULL, &meta, &ml, &s), KDBX_EPIN);
	assert_non_null(strstr(kdbx_error_last(), "no PIN callback"));
	/* pin-value in the URI is used as given (the user put it there). */
	assert_int_equal(enrol("pkcs11:object=hmac?pin-value=1234", NULL, &meta, &ml, &s), KDBX_OK);
	kdbx_secret_free(&s);
	free(meta);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_and_options),
		cmocka_unit_test(test_choose),
		cmocka_unit_test_setup_teardown(test_mock_hmac_enrol_and_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mock_pin_handling, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
