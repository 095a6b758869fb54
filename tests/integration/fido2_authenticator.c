/* The software CTAP2 authenticator against libfido2's own protocol code and
 * verification (fido_cred_verify, fido_assert_verify): if the emulator
 * drifted from CTAP2, libfido2 would refuse it here, before any library test
 * relies on it. Also the hmac-secret properties the FIDO2 provider depends
 * on: deterministic per salt, two salts, different with and without UV, and
 * both PIN/UV auth protocols. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <fido.h>
#include <fido/es256.h>

#include "fido2_sim.h"

#define RP "kdbx"

typedef struct made {
	fido_cred_t *cred;
	es256_pk_t *pk;
} made;

static void make(fido_dev_t *d, const char *pin, made *m)
{
	unsigned char cdh[32], uid[16];

	memset(cdh, 0x11, sizeof(cdh));
	memset(uid, 0x22, sizeof(uid));
	m->cred = fido_cred_new();
	assert_non_null(m->cred);
	assert_int_equal(fido_cred_set_type(m->cred, COSE_ES256), FIDO_OK);
	assert_int_equal(fido_cred_set_clientdata_hash(m->cred, cdh, sizeof(cdh)), FIDO_OK);
	assert_int_equal(fido_cred_set_rp(m->cred, RP, "test"), FIDO_OK);
	assert_int_equal(fido_cred_set_user(m->cred, uid, sizeof(uid), "u", NULL, NULL), FIDO_OK);
	assert_int_equal(fido_cred_set_extensions(m->cred, FIDO_EXT_HMAC_SECRET), FIDO_OK);
	assert_int_equal(fido_dev_make_cred(d, m->cred, pin), FIDO_OK);
	/* libfido2 checks the packed attestation signature, rp id hash, flags
	 * and that the authenticator confirmed hmac-secret. */
	assert_int_equal(fido_cred_verify(m->cred), FIDO_OK);
	assert_int_equal(fido_cred_x5c_len(m->cred) > 0, 1);
	m->pk = es256_pk_new();
	assert_int_equal(es256_pk_from_ptr(m->pk, fido_cred_pubkey_ptr(m->cred), fido_cred_pubkey_len(m->cred)), FIDO_OK);
}

static void unmake(made *m)
{
	fido_cred_free(&m->cred);
	es256_pk_free(&m->pk);
}

/* Assertion with hmac-secret for salt (32 or 64 bytes), verified by libfido2.
 * Returns the libfido2 result; out gets the output (salt_len bytes). */
static int get(fido_dev_t *d, const made *m, const uint8_t *salt, size_t salt_len, const char *pin, fido_opt_t up,
               fido_opt_t uv, uint8_t *out, uint8_t *flags)
{
	fido_assert_t *a = fido_assert_new();
	unsigned char cdh[32];
	int r;

	memset(cdh, 0x33, sizeof(cdh));
	assert_non_null(a);
	assert_int_equal(fido_assert_set_clientdata_hash(a, cdh, sizeof(cdh)), FIDO_OK);
	assert_int_equal(fido_assert_set_rp(a, RP), FIDO_OK);
	assert_int_equal(fido_assert_allow_cred(a, fido_cred_id_ptr(m->cred), fido_cred_id_len(m->cred)), FIDO_OK);
	assert_int_equal(fido_assert_set_up(a, up), FIDO_OK);
	assert_int_equal(fido_assert_set_uv(a, uv), FIDO_OK);
	if (salt != NULL) {
		assert_int_equal(fido_assert_set_extensions(a, FIDO_EXT_HMAC_SECRET), FIDO_OK);
		assert_int_equal(fido_assert_set_hmac_salt(a, salt, salt_len), FIDO_OK);
	}
	r = fido_dev_get_assert(d, a, pin);
	if (r == FIDO_OK) {
		assert_int_equal(fido_assert_count(a), 1);
		/* signature over authData || cdh, rp id hash, flags, extensions */
		assert_int_equal(fido_assert_verify(a, 0, COSE_ES256, m->pk), FIDO_OK);
		if (flags != NULL)
			*flags = fido_assert_flags(a, 0);
		if (salt != NULL) {
			assert_int_equal(fido_assert_hmac_secret_len(a, 0), salt_len);
			memcpy(out, fido_assert_hmac_secret_ptr(a, 0), salt_len);
		}
	}
	fido_assert_free(&a);
	return r;
}

static void run_protocol(int protocols, int permissions)
{
	fido2_sim_config cfg = {1, protocols, permissions, 0, 0, "t"};
	fido2_sim *s = NULL;
	fido_dev_t *d;
	made m;
	uint8_t s1[32], s2[64], o1[32], o1b[32], o2[64], ouv[32], flags = 0;
	int n = -1;

	assert_int_equal(fido2_sim_new(&s, &cfg), 0);
	assert_non_null(d = fido2_sim_open(s));
	assert_true(fido_dev_is_fido2(d));
	assert_false(fido_dev_has_pin(d));
	make(d, NULL, &m);
	memset(s1, 0xa5, sizeof(s1));
	for (size_t i = 0; i < sizeof(s2); i++)
		s2[i] = (uint8_t)i;
	/* deterministic per credential and salt; one or two salts */
	assert_int_equal(get(d, &m, s1, 32, NULL, FIDO_OPT_TRUE, FIDO_OPT_OMIT, o1, &flags), FIDO_OK);
	assert_int_equal(flags & 0x01, 0x01); /* UP */
	assert_int_equal(flags & 0x04, 0);    /* no UV */
	assert_int_equal(get(d, &m, s1, 32, NULL, FIDO_OPT_TRUE, FIDO_OPT_OMIT, o1b, NULL), FIDO_OK);
	assert_memory_equal(o1, o1b, 32);
	assert_int_equal(get(d, &m, s2, 64, NULL, FIDO_OPT_TRUE, FIDO_OPT_OMIT, o2, NULL), FIDO_OK);
	assert_memory_not_equal(o2, o2 + 32, 32);
	/* silent pre-flight: no touch asked, UP clear */
	{
		unsigned int w = fido2_sim_touch_waits(s);
		assert_int_equal(get(d, &m, NULL, 0, NULL, FIDO_OPT_FALSE, FIDO_OPT_OMIT, NULL, &flags), FIDO_OK);
		assert_int_equal(flags & 0x01, 0);
		assert_int_equal(fido2_sim_touch_waits(s), w);
	}
	/* PIN through the real ClientPIN protocol */
	assert_int_equal(fido_dev_set_pin(d, "123456", NULL), FIDO_OK);
	fido_dev_close(d);
	fido_dev_free(&d);
	assert_non_null(d = fido2_sim_open(s));
	assert_true(fido_dev_has_pin(d));
	assert_int_equal(fido_dev_get_retry_count(d, &n), FIDO_OK);
	assert_int_equal(n, 8);
	/* with UV (PIN token) the secret is the other CredRandom */
	assert_int_equal(get(d, &m, s1, 32, "123456", FIDO_OPT_TRUE, FIDO_OPT_OMIT, ouv, &flags), FIDO_OK);
	assert_int_equal(flags & 0x04, 0x04);
	assert_memory_not_equal(ouv, o1, 32);
	/* without a PIN the non-UV secret is still the old one */
	assert_int_equal(get(d, &m, s1, 32, NULL, FIDO_OPT_TRUE, FIDO_OPT_OMIT, o1b, NULL), FIDO_OK);
	assert_memory_equal(o1, o1b, 32);
	/* wrong PIN: counted; three in a row need a power cycle; 8 block */
	assert_int_equal(get(d, &m, s1, 32, "000000", FIDO_OPT_TRUE, FIDO_OPT_OMIT, o1b, NULL), FIDO_ERR_PIN_INVALID);
	assert_int_equal(fido_dev_get_retry_count(d, &n), FIDO_OK);
	assert_int_equal(n, 7);
	assert_int_equal(get(d, &m, s1, 32, "123456", FIDO_OPT_TRUE, FIDO_OPT_OMIT, o1b, NULL), FIDO_OK);
	assert_memory_equal(ouv, o1b, 32);
	assert_int_equal(fido2_sim_pin_retries(s), 8);
	for (int i = 0; i < 8; i++) {
		int want = i == 7 ? FIDO_ERR_PIN_BLOCKED : (i % 3) == 2 ? FIDO_ERR_PIN_AUTH_BLOCKED : FIDO_ERR_PIN_INVALID;
		assert_int_equal(get(d, &m, s1, 32, "000000", FIDO_OPT_TRUE, FIDO_OPT_OMIT, o1b, NULL), want);
		if (want == FIDO_ERR_PIN_AUTH_BLOCKED)
			fido2_sim_power_cycle(s);
	}
	assert_int_equal(get(d, &m, s1, 32, "123456", FIDO_OPT_TRUE, FIDO_OPT_OMIT, o1b, NULL), FIDO_ERR_PIN_BLOCKED);
	/* an unknown credential: NO_CREDENTIALS, silently */
	{
		fido2_sim *other = NULL;
		fido_dev_t *d2;
		assert_int_equal(fido2_sim_new(&other, &cfg), 0);
		assert_non_null(d2 = fido2_sim_open(other));
		assert_int_equal(get(d2, &m, NULL, 0, NULL, FIDO_OPT_FALSE, FIDO_OPT_OMIT, NULL, NULL), FIDO_ERR_NO_CREDENTIALS);
		assert_int_equal(fido2_sim_touch_waits(other), 0);
		fido_dev_close(d2);
		fido_dev_free(&d2);
		fido2_sim_free(&other);
	}
	/* nobody touches */
	fido2_sim_set_touch(s, FIDO2_SIM_TOUCH_NEVER);
	assert_int_equal(get(d, &m, s1, 32, NULL, FIDO_OPT_TRUE, FIDO_OPT_OMIT, o1b, NULL), FIDO_ERR_USER_ACTION_TIMEOUT);
	unmake(&m);
	fido_dev_close(d);
	fido_dev_free(&d);
	fido2_sim_free(&s);
}

static void test_protocol_2_with_permissions(void **state)
{
	(void)state;
	run_protocol(2, 1);
}

static void test_protocol_1_get_pin_token(void **state)
{
	(void)state;
	run_protocol(1, 0);
}

static void test_builtin_uv(void **state)
{
	fido2_sim_config cfg = {1, 3, 1, 1, 0, "bio"};
	fido2_sim *s = NULL;
	fido_dev_t *d;
	made m;
	uint8_t salt[32], a[32], b[32], flags = 0;
	int n = -1;

	(void)state;
	memset(salt, 7, sizeof(salt));
	assert_int_equal(fido2_sim_new(&s, &cfg), 0);
	assert_non_null(d = fido2_sim_open(s));
	assert_true(fido_dev_has_uv(d));
	make(d, NULL, &m);
	assert_int_equal(get(d, &m, salt, 32, NULL, FIDO_OPT_TRUE, FIDO_OPT_TRUE, a, &flags), FIDO_OK);
	assert_int_equal(flags & 0x04, 0x04);
	assert_int_equal(get(d, &m, salt, 32, NULL, FIDO_OPT_TRUE, FIDO_OPT_OMIT, b, &flags), FIDO_OK);
	assert_int_equal(flags & 0x04, 0);
	assert_memory_not_equal(a, b, 32);
	/* finger not recognised: counted, then blocked */
	fido2_sim_set_uv_match(s, 0);
	assert_int_equal(get(d, &m, salt, 32, NULL, FIDO_OPT_TRUE, FIDO_OPT_TRUE, b, NULL), FIDO_ERR_UV_INVALID);
	assert_int_equal(fido_dev_get_uv_retry_count(d, &n), FIDO_OK);
	assert_int_equal(n, 2);
	assert_int_equal(get(d, &m, salt, 32, NULL, FIDO_OPT_TRUE, FIDO_OPT_TRUE, b, NULL), FIDO_ERR_UV_INVALID);
	assert_int_equal(get(d, &m, salt, 32, NULL, FIDO_OPT_TRUE, FIDO_OPT_TRUE, b, NULL), FIDO_ERR_UV_BLOCKED);
	unmake(&m);
	fido_dev_close(d);
	fido_dev_free(&d);
	fido2_sim_free(&s);
}

static void test_no_hmac_secret(void **state)
{
	fido2_sim_config cfg = {0, 3, 1, 0, 0, "plain"};
	fido2_sim *s = NULL;
	fido_dev_t *d;
	fido_cbor_info_t *ci = fido_cbor_info_new();

	(void)state;
	assert_int_equal(fido2_sim_new(&s, &cfg), 0);
	assert_non_null(d = fido2_sim_open(s));
	assert_int_equal(fido_dev_get_cbor_info(d, ci), FIDO_OK);
	assert_int_equal(fido_cbor_info_extensions_len(ci), 0);
	assert_int_equal(fido_cbor_info_protocols_len(ci), 2);
	fido_cbor_info_free(&ci);
	fido_dev_close(d);
	fido_dev_free(&d);
	fido2_sim_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protocol_2_with_permissions),
		cmocka_unit_test(test_protocol_1_get_pin_token),
		cmocka_unit_test(test_builtin_uv),
		cmocka_unit_test(test_no_hmac_secret),
	};

	fido_init(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
