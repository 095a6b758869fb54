/* TPM 2.0 slot provider against swtpm (scripts/lab/swtpm): one private swtpm
 * per test. Enrol/unlock, reload after a TPM restart, wrong TPM, PCR change,
 * PIN right/wrong/lockout/reset, handle mode with a tpm2-tools key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "tpm2_lab.h"

#define PW "correct horse"

static kdbx_slot_provider *tpm_provider(const tpm_lab *lab, uint32_t handle, uint32_t pcrs, const char *pin,
                                        const kdbx_interaction *ia)
{
	kdbx_tpm2_options o = KDBX_TPM2_OPTIONS_INIT;
	kdbx_slot_provider *p = NULL;

	o.tcti = lab->tcti;
	o.handle = handle;
	o.pcr_mask = pcrs;
	o.pin = pin != NULL;
	o.interaction = ia;
	assert_int_equal(kdbx_tpm2_slot_provider_new(&p, &o), KDBX_OK);
	return p;
}

/* Opens img with password PW and only provider p (owned; NULL: none). */
static int open_with(const uint8_t *img, size_t len, kdbx_slot_provider *p)
{
	kdbx_slot_providers *set = NULL;
	kdbx_slot_open_options so = KDBX_SLOT_OPEN_OPTIONS_INIT;
	kdbx_key *k = tpm_pw_key(PW);
	kdbx_db *db = NULL;
	int rc;

	assert_int_equal(kdbx_slot_providers_new(&set), KDBX_OK);
	if (p != NULL)
		assert_int_equal(kdbx_slot_providers_add(set, p), KDBX_OK);
	so.providers = set;
	rc = kdbx_slots_open_memory(&db, img, len, k, &so);
	kdbx_slot_providers_free(&set);
	kdbx_db_free(&db);
	kdbx_key_free(&k);
	return rc;
}

static kdbx_slot_provider *soft_provider(const char *secret)
{
	kdbx_provider *cr = NULL;
	kdbx_slot_provider *sp = NULL;

	assert_int_equal(kdbx_softkey_new_secret(&cr, KDBX_SOFTKEY_SHA256, (const uint8_t *)secret, strlen(secret)),
	                 KDBX_OK);
	assert_int_equal(kdbx_slot_provider_from_cr(&sp, cr, "softkey",
	                                            KDBX_CR_ADAPTER_OWN | KDBX_CR_ADAPTER_FINGERPRINT), KDBX_OK);
	return sp;
}

/* Database with a soft-key slot "soft" and one TPM slot "tpm" made by p (a
 * TPM must not be the only way in); saved image out. */
static void enrol_db(kdbx_slot_provider *p, const char *options, uint8_t **img, size_t *len)
{
	kdbx_db *db = tpm_quick_db(PW);
	kdbx_slot_enrol_options eo = KDBX_SLOT_ENROL_OPTIONS_INIT;
	kdbx_slot_provider *soft = soft_provider("soft secret");

	assert_int_equal(kdbx_tpm2_enrol_check(db, 0), KDBX_EINVALID);
	assert_non_null(strstr(kdbx_error_last(), "recovery key"));
	assert_int_equal(kdbx_tpm2_enrol_check(db, 1), KDBX_OK);
	eo.label = "soft";
	assert_int_equal(kdbx_slots_enrol(db, soft, &eo, NULL), KDBX_OK);
	kdbx_slot_provider_free(&soft);
	assert_int_equal(kdbx_tpm2_enrol_check(db, 0), KDBX_OK);
	eo.label = "tpm";
	eo.options = options;
	assert_true(p->flags & KDBX_SLOT_PROVIDER_MACHINE_BOUND);
	if (kdbx_slots_enrol(db, p, &eo, NULL) != KDBX_OK)
		fail_msg("enrol: %s", kdbx_error_last());
	assert_int_equal(kdbx_db_save_memory(db, NULL, img, len), KDBX_OK);
	kdbx_db_free(&db);
}

static void test_tpm2__enrol_unlock_restart(void **state)
{
	tpm_lab lab = {{0}, {0}};
	kdbx_slot_provider *p;
	uint8_t *img = NULL;
	size_t len = 0;
	kdbx_slot_info *list = NULL;
	size_t n = 0;
	kdbx_db *db = NULL;
	kdbx_key *k;

	(void)state;
	assert_int_equal(tpm_lab_start(&lab), 0);
	p = tpm_provider(&lab, 0, 0, NULL, NULL);
	enrol_db(p, NULL, &img, &len);
	assert_int_equal(open_with(img, len, tpm_provider(&lab, 0, 0, NULL, NULL)), KDBX_OK);
	/* Slot listing shows the TPM by its SRK. */
	k = tpm_pw_key(PW);
	{
		kdbx_slot_providers *set = NULL;
		kdbx_slot_open_options so = KDBX_SLOT_OPEN_OPTIONS_INIT;
		assert_int_equal(kdbx_slot_providers_new(&set), 0);
		assert_int_equal(kdbx_slot_providers_add(set, tpm_provider(&lab, 0, 0, NULL, NULL)), 0);
		so.providers = set;
		assert_int_equal(kdbx_slots_open_memory(&db, img, len, k, &so), 0);
		assert_int_equal(kdbx_slots_list(db, &list, &n), 0);
		assert_int_equal(n, 2);
		kdbx_slots_list_free(&list);
		kdbx_slot_providers_free(&set);
		kdbx_db_free(&db);
	}
	kdbx_key_free(&k);
	/* TPM reboot: the blob is loaded again under the re-derived SRK. */
	tpm_lab_stop(&lab);
	assert_int_equal(open_with(img, len, tpm_provider(&lab, 0, 0, NULL, NULL)), KDBX_EDEVICE); /* no TPM */
	assert_int_equal(tpm_lab_start(&lab), 0);
	assert_int_equal(open_with(img, len, tpm_provider(&lab, 0, 0, NULL, NULL)), KDBX_OK);
	kdbx_free(img, len);
	kdbx_slot_provider_free(&p);
	tpm_lab_clean(&lab);
}

static void test_tpm2__no_tpm_and_wrong_tpm(void **state)
{
	tpm_lab a = {{0}, {0}}, b = {{0}, {0}};
	kdbx_slot_provider *pa, *pb, *none;
	kdbx_tpm2_options o = KDBX_TPM2_OPTIONS_INIT;
	uint8_t *img = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(tpm_lab_start(&a), 0);
	assert_int_equal(tpm_lab_start(&b), 0);
	pa = tpm_provider(&a, 0, 0, NULL, NULL);
	pb = tpm_provider(&b, 0, 0, NULL, NULL);
	enrol_db(pa, NULL, &img, &len);
	/* Another TPM: match says no, so nothing is asked. */
	assert_int_equal(open_with(img, len, tpm_provider(&b, 0, 0, NULL, NULL)), KDBX_EDEVICE);
	{
		/* The provider itself: unlock on the other TPM is a typed wrong-TPM error. */
		uint8_t nonce[32] = {1, 2, 3};
		kdbx_slot_context ctx = {KDBX_SLOT_PROVIDER_VERSION, NULL, 0, 1, "x", nonce, 32, NULL, NULL};
		uint8_t *meta = NULL;
		size_t ml = 0;
		kdbx_secret *s1 = NULL, *s2 = NULL;
		char id[128];
		assert_int_equal(pa->enrol(pa, &ctx, &meta, &ml, &s1), KDBX_OK);
		assert_int_equal(kdbx_secret_len(s1), 32);
		ctx.nonce = NULL;
		ctx.nonce_len = 0;
		assert_int_equal(pa->match(pa, meta, ml), KDBX_SLOT_MATCH_YES);
		assert_int_equal(pb->match(pb, meta, ml), KDBX_SLOT_MATCH_NO);
		assert_int_equal(pa->unlock(pa, &ctx, meta, ml, &s2), KDBX_OK);
		assert_memory_equal(kdbx_secret_data(s1), kdbx_secret_data(s2), 32);
		kdbx_secret_free(&s2);
		assert_int_equal(pb->unlock(pb, &ctx, meta, ml, &s2), KDBX_ENOSLOT);
		assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_WRONG_TPM);
		assert_non_null(strstr(kdbx_error_last(), "not the TPM"));
		assert_null(s2);
		assert_int_equal(pa->device_id(pa, meta, ml, id, sizeof(id)), KDBX_OK);
		assert_int_equal(strncmp(id, "tpm2:srk:", 9), 0);
		/* Damaged metadata is refused, not trusted. */
		meta[ml - 3] ^= 0xff;
		meta[0] = 9;
		assert_int_equal(pa->unlock(pa, &ctx, meta, ml, &s2), KDBX_EUNSUPPORTED);
		assert_int_equal(pa->unlock(pa, &ctx, meta, 10, &s2), KDBX_EUNSUPPORTED);
		meta[0] = 1;
		assert_int_equal(pa->unlock(pa, &ctx, meta, ml - 1, &s2), KDBX_ECORRUPT);
		kdbx_secret_free(&s1);
		free(meta);
	}
	/* No TPM at all: typed error. */
	o.tcti = "swtpm:host=127.0.0.1,port=1";
	assert_int_equal(kdbx_tpm2_slot_provider_new(&none, &o), KDBX_OK);
	assert_int_equal(open_with(img, len, none), KDBX_EDEVICE);
	none = NULL;
	{
		kdbx_tpm2_info info;
		assert_int_equal(kdbx_tpm2_get_info(o.tcti, &info), KDBX_EDEVICE);
		assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_NO_TPM);
		assert_int_equal(kdbx_tpm2_get_info(a.tcti, &info), KDBX_OK);
		assert_true(info.max_auth_fail > 0);
		assert_non_null(strstr(info.pcr_banks, "sha256"));
		assert_true(strlen(info.srk_name) > 8);
	}
	kdbx_free(img, len);
	kdbx_slot_provider_free(&pa);
	kdbx_slot_provider_free(&pb);
	tpm_lab_clean(&a);
	tpm_lab_clean(&b);
}


/* Provider-level enrol on its own (returns meta + secret). */
static void direct_enrol(kdbx_slot_provider *p, const char *options, uint8_t **meta, size_t *ml, kdbx_secret **sec)
{
	uint8_t nonce[32] = {9, 8, 7};
	kdbx_slot_context ctx = {KDBX_SLOT_PROVIDER_VERSION, NULL, 0, 1, "x", nonce, 32, NULL, options};

	if (p->enrol(p, &ctx, meta, ml, sec) != KDBX_OK)
		fail_msg("enrol: %s", kdbx_error_last());
}

static int direct_unlock(kdbx_slot_provider *p, const uint8_t *meta, size_t ml, const kdbx_secret *want)
{
	kdbx_slot_context ctx = {KDBX_SLOT_PROVIDER_VERSION, NULL, 0, 1, NULL, NULL, 0, NULL, NULL};
	kdbx_secret *s = NULL;
	int rc = p->unlock(p, &ctx, meta, ml, &s);

	if (rc == KDBX_OK) {
		assert_int_equal(kdbx_secret_len(s), kdbx_secret_len(want));
		assert_memory_equal(kdbx_secret_data(s), kdbx_secret_data(want), kdbx_secret_len(want));
	} else {
		assert_null(s);
	}
	kdbx_secret_free(&s);
	return rc;
}

static void test_tpm2__pcr_change(void **state)
{
	tpm_lab lab = {{0}, {0}};
	kdbx_slot_provider *p;
	uint8_t *meta = NULL, *img = NULL;
	size_t ml = 0, len = 0;
	kdbx_secret *sec = NULL;

	(void)state;
	assert_int_equal(tpm_lab_start(&lab), 0);
	/* PCR 16 (debug PCR, resettable) stands in for PCR 7. */
	p = tpm_provider(&lab, 0, 1u << 16, NULL, NULL);
	direct_enrol(p, NULL, &meta, &ml, &sec);
	assert_int_equal(direct_unlock(p, meta, ml, sec), KDBX_OK);
	{
		kdbx_slot_provider *ep = tpm_provider(&lab, 0, 0, NULL, NULL);
		enrol_db(ep, "pcrs=16;bank=sha256", &img, &len);
		kdbx_slot_provider_free(&ep);
	}
	assert_int_equal(open_with(img, len, tpm_provider(&lab, 0, 0, NULL, NULL)), KDBX_OK);
	assert_int_equal(tpm_lab_tool(&lab, "tpm2_pcrextend 16:sha256=0000000000000000000000000000000000000000000000000000000000000001"), 0);
	assert_int_equal(direct_unlock(p, meta, ml, sec), KDBX_EAUTH);
	assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_PCR_MISMATCH);
	assert_non_null(strstr(kdbx_error_last(), "recovery key"));
	assert_int_equal(open_with(img, len, tpm_provider(&lab, 0, 0, NULL, NULL)), KDBX_EAUTH);
	/* PCR binding needs blob mode; bad PCR lists are refused. */
	{
		uint8_t *m2 = NULL;
		size_t l2 = 0;
		kdbx_secret *s2 = NULL;
		uint8_t nonce[32] = {0};
		kdbx_slot_context ctx = {KDBX_SLOT_PROVIDER_VERSION, NULL, 0, 1, "x", nonce, 32, NULL, "pcrs=24"};
		assert_int_equal(p->enrol(p, &ctx, &m2, &l2, &s2), KDBX_EINVALID);
		ctx.options = "handle=0x81000001;pcrs=7";
		assert_int_equal(p->enrol(p, &ctx, &m2, &l2, &s2), KDBX_EINVALID);
		assert_null(m2);
	}
	kdbx_free(img, len);
	free(meta);
	kdbx_secret_free(&sec);
	kdbx_slot_provider_free(&p);
	tpm_lab_clean(&lab);
}

static void test_tpm2__pin_wrong_lockout_reset(void **state)
{
	tpm_lab lab = {{0}, {0}};
	kdbx_interaction right = {NULL, tpm_pin, NULL, (void *)"1234"};
	kdbx_interaction wrong = {NULL, tpm_pin, NULL, (void *)"9999"};
	kdbx_slot_provider *p, *pw;
	uint8_t *meta = NULL;
	size_t ml = 0;
	kdbx_secret *sec = NULL;
	int rc, i;

	(void)state;
	assert_int_equal(tpm_lab_start(&lab), 0);
	p = tpm_provider(&lab, 0, 0, "1234", &right);
	assert_true(p->flags & KDBX_SLOT_PROVIDER_INTERACTIVE);
	tpm_pin_calls = 0;
	direct_enrol(p, NULL, &meta, &ml, &sec);
	assert_int_equal(tpm_pin_calls, 2); /* new PIN, repeated */
	tpm_pin_calls = 0;
	assert_int_equal(direct_unlock(p, meta, ml, sec), KDBX_OK);
	assert_int_equal(tpm_pin_calls, 1);
	/* match() spends no PIN try. */
	assert_int_equal(p->match(p, meta, ml), KDBX_SLOT_MATCH_YES);
	assert_int_equal(tpm_pin_calls, 1);
	pw = tpm_provider(&lab, 0, 0, NULL, &wrong);
	assert_int_equal(direct_unlock(pw, meta, ml, sec), KDBX_EPIN);
	assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_PIN_WRONG);
	assert_non_null(strstr(kdbx_error_last(), "dictionary-attack lockout"));
	/* swtpm locks after 3 failures (maxTries 3). */
	for (i = 0, rc = KDBX_EPIN; i < 5 && rc == KDBX_EPIN; i++)
		rc = direct_unlock(pw, meta, ml, sec);
	assert_int_equal(rc, KDBX_EPINLOCKED);
	assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_LOCKOUT);
	assert_non_null(strstr(kdbx_error_last(), "lockout"));
	/* Even the right PIN is refused now; a PIN-less (noDA) key still works. */
	assert_int_equal(direct_unlock(p, meta, ml, sec), KDBX_EPINLOCKED);
	{
		kdbx_slot_provider *np = tpm_provider(&lab, 0, 0, NULL, NULL);
		uint8_t *m2 = NULL;
		size_t l2 = 0;
		kdbx_secret *s2 = NULL;
		direct_enrol(np, NULL, &m2, &l2, &s2);
		assert_int_equal(direct_unlock(np, m2, l2, s2), KDBX_OK);
		free(m2);
		kdbx_secret_free(&s2);
		kdbx_slot_provider_free(&np);
	}
	{
		kdbx_tpm2_info info;
		assert_int_equal(kdbx_tpm2_get_info(lab.tcti, &info), KDBX_OK);
		assert_true(info.in_lockout);
	}
	assert_int_equal(kdbx_tpm2_reset_lockout(lab.tcti, NULL), KDBX_OK);
	assert_int_equal(direct_unlock(p, meta, ml, sec), KDBX_OK);
	free(meta);
	kdbx_secret_free(&sec);
	kdbx_slot_provider_free(&p);
	kdbx_slot_provider_free(&pw);
	tpm_lab_clean(&lab);
}

static void test_tpm2__handle_mode_tpm2_tools_key(void **state)
{
	tpm_lab lab = {{0}, {0}};
	kdbx_interaction pin = {NULL, tpm_pin, NULL, (void *)"hello"};
	kdbx_slot_provider *p, *pp;
	uint8_t *meta = NULL, *pm = NULL;
	size_t ml = 0, pl = 0;
	kdbx_secret *sec = NULL, *ps = NULL;
	char id[128];

	(void)state;
	assert_int_equal(tpm_lab_start(&lab), 0);
	/* Nothing at the handle yet. */
	p = tpm_provider(&lab, 0x81000001, 0, NULL, NULL);
	{
		uint8_t nonce[32] = {0};
		kdbx_slot_context ctx = {KDBX_SLOT_PROVIDER_VERSION, NULL, 0, 1, "x", nonce, 32, NULL, NULL};
		assert_int_equal(p->enrol(p, &ctx, &meta, &ml, &sec), KDBX_ENOSLOT);
		assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_NO_KEY);
	}
	assert_int_equal(tpm_lab_tool(&lab, "tpm2_createprimary -C o -c prim.ctx && tpm2_flushcontext -t && "
	                                    "tpm2_create -C prim.ctx -G hmac -c key.ctx && tpm2_flushcontext -t && "
	                                    "tpm2_evictcontrol -C o -c key.ctx 0x81000001 && tpm2_flushcontext -t && "
	                                    "tpm2_create -C prim.ctx -G hmac -p hello -c key2.ctx && tpm2_flushcontext -t && "
	                                    "tpm2_evictcontrol -C o -c key2.ctx 0x81000002 && tpm2_flushcontext -t"),
	                 0);
	direct_enrol(p, NULL, &meta, &ml, &sec);
	assert_int_equal(p->device_id(p, meta, ml, id, sizeof(id)), KDBX_OK);
	assert_int_equal(strncmp(id, "tpm2:0x81000001:", 16), 0);
	assert_int_equal(direct_unlock(p, meta, ml, sec), KDBX_OK);
	/* The persistent key survives a TPM restart. */
	tpm_lab_stop(&lab);
	assert_int_equal(tpm_lab_start(&lab), 0);
	assert_int_equal(direct_unlock(p, meta, ml, sec), KDBX_OK);
	/* A PIN-protected provisioned key (auth value = PIN bytes, as tpm2-tools -p). */
	pp = tpm_provider(&lab, 0x81000002, 0, "hello", &pin);
	direct_enrol(pp, NULL, &pm, &pl, &ps);
	assert_int_equal(direct_unlock(pp, pm, pl, ps), KDBX_OK);
	/* Another key at the handle: refused as not the enrolled one. */
	assert_int_equal(tpm_lab_tool(&lab, "tpm2_evictcontrol -C o -c 0x81000001 && "
	                                    "tpm2_evictcontrol -C o -c 0x81000002"), 0);
	assert_int_equal(direct_unlock(p, meta, ml, sec), KDBX_ENOSLOT);
	assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_NO_KEY);
	assert_int_equal(p->match(p, meta, ml), KDBX_SLOT_MATCH_NO);
	assert_int_equal(tpm_lab_tool(&lab, "tpm2_createprimary -C o -c prim.ctx && tpm2_flushcontext -t && "
	                                    "tpm2_create -C prim.ctx -G hmac -c key3.ctx && tpm2_flushcontext -t && "
	                                    "tpm2_evictcontrol -C o -c key3.ctx 0x81000001 && tpm2_flushcontext -t"),
	                 0);
	assert_int_equal(direct_unlock(p, meta, ml, sec), KDBX_ENOSLOT);
	assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_WRONG_TPM);
	free(meta);
	free(pm);
	kdbx_secret_free(&sec);
	kdbx_secret_free(&ps);
	kdbx_slot_provider_free(&p);
	kdbx_slot_provider_free(&pp);
	tpm_lab_clean(&lab);
}

/* A vault with TPM + soft key (+ PKCS#11 when built) slots opens with any
 * one; revoking the soft key needs the TPM (HMAC keys cannot be re-wrapped
 * offline) and shuts the revoked key out. */
static void test_tpm2__mixed_vault_and_revoke(void **state)
{
	tpm_lab lab = {{0}, {0}};
	uint8_t *img = NULL, *img2 = NULL;
	size_t len = 0, len2 = 0;
	kdbx_db *db = NULL;
	kdbx_key *k = tpm_pw_key(PW);
	kdbx_slot_open_options so = KDBX_SLOT_OPEN_OPTIONS_INIT;
	kdbx_slot_providers *set = NULL;

	(void)state;
	assert_int_equal(tpm_lab_start(&lab), 0);
	{
		kdbx_slot_provider *ep = tpm_provider(&lab, 0, 0, NULL, NULL);
		enrol_db(ep, NULL, &img, &len);
		kdbx_slot_provider_free(&ep);
	}
	assert_int_equal(open_with(img, len, soft_provider("soft secret")), KDBX_OK);
	assert_int_equal(open_with(img, len, tpm_provider(&lab, 0, 0, NULL, NULL)), KDBX_OK);
	assert_int_equal(open_with(img, len, soft_provider("other secret")), KDBX_EDEVICE);
	/* Revoke the soft key with the TPM connected (device re-wrap). */
	assert_int_equal(kdbx_slot_providers_new(&set), 0);
	assert_int_equal(kdbx_slot_providers_add(set, tpm_provider(&lab, 0, 0, NULL, NULL)), 0);
	so.providers = set;
	assert_int_equal(kdbx_slots_open_memory(&db, img, len, k, &so), KDBX_OK);
	tpm_lab_stop(&lab);
	assert_int_equal(kdbx_slots_revoke(db, "soft", set, 0, NULL), KDBX_EDEVICE);
	assert_int_equal(tpm_lab_start(&lab), 0);
	if (kdbx_slots_revoke(db, "soft", set, 0, NULL) != KDBX_OK)
		fail_msg("revoke: %s", kdbx_error_last());
	assert_int_equal(kdbx_db_save_memory(db, NULL, &img2, &len2), KDBX_OK);
	kdbx_db_free(&db);
	assert_int_equal(open_with(img2, len2, soft_provider("soft secret")), KDBX_EDEVICE);
	assert_int_equal(open_with(img2, len2, tpm_provider(&lab, 0, 0, NULL, NULL)), KDBX_OK);
	kdbx_slot_providers_free(&set);
	kdbx_key_free(&k);
	kdbx_free(img, len);
	kdbx_free(img2, len2);
	tpm_lab_clean(&lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tpm2__enrol_unlock_restart),
		cmocka_unit_test(test_tpm2__no_tpm_and_wrong_tpm),
		cmocka_unit_test(test_tpm2__pcr_change),
		cmocka_unit_test(test_tpm2__pin_wrong_lockout_reset),
		cmocka_unit_test(test_tpm2__handle_mode_tpm2_tools_key),
		cmocka_unit_test(test_tpm2__mixed_vault_and_revoke),
	};
	tpm_lab probe = {{0}, {0}};

	/* tpm2-tss logs expected failures (wrong PIN, no TPM) on stderr. */
	setenv("TSS2_LOG", "all+none", 1);
	if (tpm_lab_start(&probe) != 0) {
		fprintf(stderr, "skipped: scripts/lab/swtpm cannot start swtpm (scripts/install-deps)\n");
		tpm_lab_clean(&probe);
		return 77;
	}
	tpm_lab_clean(&probe);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
