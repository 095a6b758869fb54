/* PKCS#11 provider against a real SoftHSM2 token (scripts/lab/softhsm): every
 * mechanism enrols and unlocks, refusals and errors are typed, public-key
 * slots re-wrap without the token, and the token is reached through p11-kit's
 * registry, a module name, a module path and p11-kit's proxy module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "pkcs11_lab.h"
#include "providers/pkcs11_int.h" /* last: p11-kit's pkcs11.h */

static const uint8_t known_secret[32] = {
	0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f,
	0x01, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67, 0x78, 0x89, 0x9a, 0xab, 0xbc, 0xcd, 0xde, 0xef, 0xf0};
static const uint8_t db_id[16] = "0123456789abcdef";
static uint8_t nonce[32];
static kdbx_interaction ia_good = {NULL, lab_pin, NULL, (void *)LAB_PIN};
static kdbx_interaction ia_bad = {NULL, lab_pin, NULL, (void *)"0000"};

static kdbx_slot_context ctx_for(const kdbx_interaction *ia, int enrol, const char *options)
{
	kdbx_slot_context c;

	memset(&c, 0, sizeof(c));
	c.version = KDBX_SLOT_PROVIDER_VERSION;
	c.db_id = db_id;
	c.db_id_len = sizeof(db_id);
	c.slot_id = 1;
	c.label = enrol ? "test slot" : NULL;
	c.nonce = enrol ? nonce : NULL;
	c.nonce_len = enrol ? sizeof(nonce) : 0;
	c.interaction = ia;
	c.options = options;
	return c;
}

static kdbx_slot_provider *provider(const char *uri, const char *module)
{
	kdbx_pkcs11_options o = KDBX_PKCS11_OPTIONS_INIT;
	kdbx_slot_provider *p = NULL;

	o.uri = uri;
	o.module = module;
	o.interaction = &ia_good;
	assert_int_equal(kdbx_pkcs11_slot_provider_new(&p, &o), KDBX_OK);
	return p;
}

/* Enrols with uri, unlocks with a fresh provider; returns the metadata. */
static uint8_t *enrol_unlock(const char *uri, const char *module, const char *options,
                             int want_mech, size_t *meta_len, kdbx_secret **secret_out)
{
	kdbx_slot_provider *p = provider(uri, module), *q;
	kdbx_slot_context c = ctx_for(&ia_good, 1, options);
	kdbx_secret *s1 = NULL, *s2 = NULL;
	uint8_t *meta = NULL;
	int rc;

	rc = p->enrol(p, &c, &meta, meta_len, &s1);
	if (rc < 0)
		fail_msg("enrol %s: %s", uri, kdbx_error_last());
	assert_non_null(meta);
	assert_int_equal(meta[0], 1);
	assert_int_equal(meta[1], want_mech);
	assert_int_equal(kdbx_secret_len(s1), 32);
	/* Unlock through a provider that knows nothing but the module. */
	q = provider(NULL, module);
	c = ctx_for(&ia_good, 0, NULL);
	assert_int_equal(q->match(q, meta, *meta_len), KDBX_SLOT_MATCH_YES);
	rc = q->unlock(q, &c, meta, *meta_len, &s2);
	if (rc < 0)
		fail_msg("unlock %s: %s", uri, kdbx_error_last());
	assert_memory_equal(kdbx_secret_data(s1), kdbx_secret_data(s2), 32);
	kdbx_secret_free(&s2);
	if (secret_out != NULL)
		*secret_out = s1;
	else
		kdbx_secret_free(&s1);
	kdbx_slot_provider_free(&p);
	kdbx_slot_provider_free(&q);
	return meta;
}

static void test_hmac_known_secret(void **state)
{
	kdbx_pkcs11_options o = KDBX_PKCS11_OPTIONS_INIT;
	uint8_t id = 0x01, mac[32], want[32];
	kdbx_secret *s = NULL, *r = NULL;
	kdbx_provider *cr = NULL;
	uint8_t *meta;
	size_t ml;

	(void)state;
	o.uri = "pkcs11:token=test";
	o.module = lab_module;
	o.key_label = "hmac";
	o.key_id = &id;
	o.key_id_len = 1;
	o.interaction = &ia_good;
	assert_int_equal(kdbx_pkcs11_import_hmac(&o, known_secret, sizeof(known_secret)), KDBX_OK);
	/* A second key with that id is refused. */
	assert_int_equal(kdbx_pkcs11_import_hmac(&o, known_secret, sizeof(known_secret)), KDBX_EEXISTS);

	/* Slot: secret = HKDF(HMAC-SHA256(known, nonce)), computed in software too. */
	meta = enrol_unlock("pkcs11:token=test;object=hmac", lab_module, NULL,
	                    KDBX_PKCS11_MECH_HMAC_SHA256, &ml, &s);
	assert_int_equal(kdbx_hmac_sha256(known_secret, 32, nonce, 32, mac), KDBX_OK);
	assert_int_equal(kdbx_hkdf_sha256(mac, 32, NULL, 0, (const uint8_t *)"libkdbx-pkcs11-v1 hmac",
	                                  22, want, 32), KDBX_OK);
	assert_memory_equal(kdbx_secret_data(s), want, 32);
	kdbx_secret_free(&s);
	free(meta);

	/* Challenge-response provider (mode 1). */
	o.key_label = NULL;
	o.key_id = NULL;
	o.key_id_len = 0;
	o.uri = "pkcs11:token=test;object=hmac;type=secret-key";
	assert_int_equal(kdbx_pkcs11_new(&cr, &o), KDBX_OK);
	assert_int_equal(kdbx_provider_challenge_response(cr, nonce, 32, &r), KDBX_OK);
	assert_memory_equal(kdbx_secret_data(r), want, 32);
	kdbx_secret_free(&r);
	kdbx_provider_free(&cr);
}

static void test_ecdh_p256_p384_and_offline_rewrap(void **state)
{
	const char *uris[] = {"pkcs11:token=test;object=ec256", "pkcs11:token=test;object=ec384;type=private"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		kdbx_slot_provider *p = provider(NULL, lab_module);
		kdbx_slot_context c = ctx_for(&ia_good, 1, NULL);
		kdbx_secret *s0 = NULL, *s1 = NULL, *s2 = NULL;
		uint8_t *meta, *meta2 = NULL;
		size_t ml, ml2;
		const char *conf = getenv("SOFTHSM2_CONF");
		char saved[512], empty[600];
		FILE *f;

		meta = enrol_unlock(uris[i], lab_module, NULL, KDBX_PKCS11_MECH_ECDH, &ml, &s0);
		/* Token absent: point SoftHSM at an empty token directory. */
		snprintf(saved, sizeof(saved), "%s", conf);
		snprintf(empty, sizeof(empty), "%s/empty.conf", lab_dir);
		f = fopen(empty, "w");
		assert_non_null(f);
		fprintf(f, "directories.tokendir = %s/home\nobjectstore.backend = file\n", lab_dir);
		fclose(f);
		setenv("SOFTHSM2_CONF", empty, 1);
		assert_int_equal(p->match(p, meta, ml), KDBX_SLOT_MATCH_NO);
		assert_int_equal(p->rewrap_offline(p, &c, meta, ml, &meta2, &ml2, &s1), KDBX_OK);
		assert_memory_not_equal(kdbx_secret_data(s0), kdbx_secret_data(s1), 32);
		c = ctx_for(&ia_good, 0, NULL);
		assert_int_equal(p->unlock(p, &c, meta2, ml2, &s2), KDBX_EDEVICE);
		setenv("SOFTHSM2_CONF", saved, 1);
		/* Token back: the re-wrapped slot gives the new secret. */
		assert_int_equal(p->unlock(p, &c, meta2, ml2, &s2), KDBX_OK);
		assert_memory_equal(kdbx_secret_data(s1), kdbx_secret_data(s2), 32);
		kdbx_secret_free(&s0);
		kdbx_secret_free(&s1);
		kdbx_secret_free(&s2);
		free(meta);
		free(meta2);
		kdbx_slot_provider_free(&p);
	}
}

static void test_rsa_oaep_and_rewrap(void **state)
{
	kdbx_slot_provider *p = provider(NULL, lab_module);
	kdbx_slot_context c = ctx_for(&ia_good, 1, NULL);
	kdbx_secret *s1 = NULL, *s2 = NULL;
	uint8_t *meta, *meta2 = NULL;
	size_t ml, ml2;

	(void)state;
	meta = enrol_unlock("pkcs11:token=test;id=%10", lab_module, NULL, KDBX_PKCS11_MECH_RSA_OAEP,
	                    &ml, NULL);
	assert_int_equal(p->rewrap_offline(p, &c, meta, ml, &meta2, &ml2, &s1), KDBX_OK);
	c = ctx_for(&ia_good, 0, NULL);
	assert_int_equal(p->unlock(p, &c, meta2, ml2, &s2), KDBX_OK);
	assert_memory_equal(kdbx_secret_data(s1), kdbx_secret_data(s2), 32);
	kdbx_secret_free(&s1);
	kdbx_secret_free(&s2);
	free(meta);
	free(meta2);
	kdbx_slot_provider_free(&p);
}

static void test_rsa_pkcs1_sign_and_pkcs1_decrypt(void **state)
{
	uint8_t *meta;
	size_t ml;
	kdbx_slot_provider *p = provider(NULL, lab_module);
	kdbx_slot_context c = ctx_for(&ia_good, 1, NULL);
	uint8_t *m2 = NULL;
	size_t ml2;
	kdbx_secret *s = NULL;

	(void)state;
	meta = enrol_unlock("pkcs11:token=test;object=rsasign", lab_module,
	                    "mechanism=rsa-pkcs-sign", KDBX_PKCS11_MECH_RSA_SIGN, &ml, NULL);
	/* A signature slot needs its token to be re-wrapped. */
	assert_int_equal(p->rewrap_offline(p, &c, meta, ml, &m2, &ml2, &s), KDBX_EUNSUPPORTED);
	free(meta);
	meta = enrol_unlock("pkcs11:token=test;object=rsa", lab_module, "mechanism=rsa-pkcs",
	                    KDBX_PKCS11_MECH_RSA_PKCS, &ml, NULL);
	free(meta);
	kdbx_slot_provider_free(&p);
}

static int enrol_rc(const char *uri, const kdbx_interaction *ia, const char *options)
{
	kdbx_pkcs11_options o = KDBX_PKCS11_OPTIONS_INIT;
	kdbx_slot_provider *p = NULL;
	kdbx_slot_context c = ctx_for(ia, 1, options);
	kdbx_secret *s = NULL;
	uint8_t *meta = NULL;
	size_t ml = 0;
	int rc;

	o.uri = uri;
	o.module = lab_module;
	rc = kdbx_pkcs11_slot_provider_new(&p, &o);
	if (rc < 0)
		return rc;
	rc = p->enrol(p, &c, &meta, &ml, &s);
	if (rc >= 0)
		fail_msg("enrol %s %s: unexpected success", uri, options ? options : "");
	assert_null(meta);
	assert_null(s);
	kdbx_slot_provider_free(&p);
	return rc;
}

/* SoftHSM gives generated secret keys CKA_SIGN=TRUE by default and
 * pkcs11-tool cannot turn it off: clear it on "nosign" through the module. */
static void clear_sign(const char *label)
{
	kdbx_pkcs11_options o = KDBX_PKCS11_OPTIONS_INIT;
	kdbx_p11_sel sel;
	kdbx_p11_conn c;
	kdbx_p11_key k;
	CK_BBOOL no = CK_FALSE;
	CK_ATTRIBUTE a = {CKA_SIGN, &no, sizeof(no)};

	o.uri = "pkcs11:token=test";
	o.module = lab_module;
	o.key_label = label;
	assert_int_equal(kdbx_p11__sel_init(&sel, &o), KDBX_OK);
	assert_int_equal(kdbx_p11__connect(&c, &sel, 1, 1, &ia_good), KDBX_OK);
	assert_int_equal(kdbx_p11__find_key(&c.ss, &sel, &k), KDBX_OK);
	assert_int_equal(c.ss.tok.fl->C_SetAttributeValue(c.ss.h, k.h, &a, 1), CKR_OK);
	kdbx_p11__disconnect(&c);
	kdbx_p11__sel_free(&sel);
}

static void test_typed_errors(void **state)
{
	(void)state;
	clear_sign("nosign");
	assert_int_equal(enrol_rc("pkcs11:token=test;object=ecdsa", &ia_good, NULL), KDBX_EUNSUPPORTED);
	assert_non_null(strstr(kdbx_error_last(), "randomized"));

	lab_pin_calls = 0;
	assert_int_equal(enrol_rc("pkcs11:token=test;object=ec256", &ia_bad, NULL), KDBX_EPIN);
	assert_non_null(strstr(kdbx_error_last(), "wrong PIN"));
	assert_int_equal(lab_pin_calls, 1); /* never retried */

	assert_int_equal(enrol_rc("pkcs11:token=nope;object=ec256", &ia_good, NULL), KDBX_EDEVICE);
	assert_non_null(strstr(kdbx_error_last(), "'test'")); /* lists the tokens present */

	assert_int_equal(enrol_rc("pkcs11:token=test;object=dup", &ia_good, NULL), KDBX_EINVALID);
	assert_non_null(strstr(kdbx_error_last(), "id 40"));
	assert_non_null(strstr(kdbx_error_last(), "id 41"));

	assert_int_equal(enrol_rc("pkcs11:token=test;object=nosign", &ia_good, NULL), KDBX_EUNSUPPORTED);
	assert_non_null(strstr(kdbx_error_last(), "CKA_SIGN"));

	assert_int_equal(enrol_rc("pkcs11:token=test;object=missing", &ia_good, NULL), KDBX_ENOSLOT);
	assert_int_equal(enrol_rc("pkcs11:token=test;object=ec256", NULL, NULL), KDBX_EPIN);
	assert_int_equal(enrol_rc("pkcs11:token=test;object=ec256", &ia_good, "mechanism=hmac"),
	                 KDBX_EUNSUPPORTED);
	assert_int_equal(enrol_rc("not a uri", &ia_good, NULL), KDBX_EINVALID);
}

static void test_module_paths(void **state)
{
	const char *proxy = "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so";
	uint8_t *meta;
	size_t ml;

	(void)state;
	/* p11-kit registry (private HOME config registers only SoftHSM). */
	meta = enrol_unlock("pkcs11:token=test;object=ec256", NULL, NULL, KDBX_PKCS11_MECH_ECDH, &ml,
	                    NULL);
	free(meta);
	/* Registered module by name, and the module-name URI query. */
	meta = enrol_unlock("pkcs11:token=test;object=ec256", "softhsm2", NULL, KDBX_PKCS11_MECH_ECDH,
	                    &ml, NULL);
	free(meta);
	meta = enrol_unlock("pkcs11:token=test;object=rsa?module-name=softhsm2", NULL, NULL,
	                    KDBX_PKCS11_MECH_RSA_OAEP, &ml, NULL);
	free(meta);
	/* p11-kit's proxy module loaded by path. */
	if (access(proxy, R_OK) == 0) {
		meta = enrol_unlock("pkcs11:token=test;object=ec384", proxy, NULL, KDBX_PKCS11_MECH_ECDH,
		                    &ml, NULL);
		free(meta);
	} else {
		fail_msg("p11-kit proxy module missing: %s", proxy);
	}
}

static void test_list_and_keygen(void **state)
{
	kdbx_pkcs11_options o = KDBX_PKCS11_OPTIONS_INIT;
	kdbx_pkcs11_key_info *list = NULL;
	size_t n = 0;
	int saw_token = 0, saw_ec = 0, saw_ecdsa = 0, saw_new = 0;
	uint8_t id = 0x60;
	uint8_t *meta;
	size_t ml;

	(void)state;
	o.module = lab_module;
	o.uri = "pkcs11:token=test";
	o.interaction = &ia_good;
	o.key_label = "fresh";
	o.key_id = &id;
	o.key_id_len = 1;
	assert_int_equal(kdbx_pkcs11_keygen(&o, "ec-p256"), KDBX_OK);
	id = 0x61;
	o.key_label = "freshhmac";
	assert_int_equal(kdbx_pkcs11_keygen(&o, "hmac"), KDBX_OK);
	o.key_label = NULL;
	o.key_id = NULL;
	o.key_id_len = 0;
	assert_int_equal(kdbx_pkcs11_list(&o, 1, &list, &n), KDBX_OK);
	for (size_t i = 0; i < n; i++) {
		if (list[i].is_token && strcmp(list[i].token_label, "test") == 0)
			saw_token = 1;
		if (strcmp(list[i].label, "ec256") == 0 && list[i].mechanism == KDBX_PKCS11_MECH_ECDH &&
		    strcmp(list[i].key_type, "ec-p256") == 0)
			saw_ec = 1;
		if (strcmp(list[i].label, "ecdsa") == 0 && list[i].mechanism == 0 &&
		    strstr(list[i].note, "ECDSA") != NULL)
			saw_ecdsa = 1;
		if (strcmp(list[i].label, "freshhmac") == 0 &&
		    list[i].mechanism == KDBX_PKCS11_MECH_HMAC_SHA256)
			saw_new = 1;
	}
	kdbx_pkcs11_list_free(&list);
	assert_true(saw_token);
	assert_true(saw_ec);
	assert_true(saw_ecdsa);
	assert_true(saw_new);
	meta = enrol_unlock("pkcs11:token=test;object=fresh", lab_module, NULL, KDBX_PKCS11_MECH_ECDH,
	                    &ml, NULL);
	free(meta);
	meta = enrol_unlock("pkcs11:token=test;object=freshhmac", lab_module, NULL,
	                    KDBX_PKCS11_MECH_HMAC_SHA256, &ml, NULL);
	free(meta);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_known_secret),
		cmocka_unit_test(test_ecdh_p256_p384_and_offline_rewrap),
		cmocka_unit_test(test_rsa_oaep_and_rewrap),
		cmocka_unit_test(test_rsa_pkcs1_sign_and_pkcs1_decrypt),
		cmocka_unit_test(test_typed_errors),
		cmocka_unit_test(test_module_paths),
		cmocka_unit_test(test_list_and_keygen),
	};
	int rc;

	if (lab_setup() != 0)
		return 77;
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0xA0 + i);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	lab_teardown();
	return rc;
}
