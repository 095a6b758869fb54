/* The FIDO2 slot provider (src/providers/fido2_*.c) through real libfido2 and
 * the software authenticator: enrolment and unlock with and without PIN,
 * PIN retries and blocking, devices without the credential skipped silently,
 * UV mode mismatches, typed errors, revoke / rotate with the FIDO2 device
 * present and absent, and kdbxtool "fido2" devices (mode 2) with a supplied
 * credential id. */
#include "../unit/slots/helpers.h"

#include "fido2_lab.h"
#include "providers/fido2_int.h"

static lab L;

static kdbx_slot_provider *fido2_provider(const char *device, const char *rp)
{
	kdbx_fido2_options o = lab_options(&L);
	kdbx_slot_provider *p = NULL;

	o.device = device;
	o.rp_id = rp;
	assert_int_equal(kdbx_fido2_slot_provider_new(&p, &o), 0);
	return p;
}

static int enrol(kdbx_db *db, kdbx_slot_provider *p, const char *label, const char *options)
{
	kdbx_slot_enrol_options eo = KDBX_SLOT_ENROL_OPTIONS_INIT;
	uint32_t id = 0;

	eo.label = label;
	eo.options = options;
	return kdbx_slots_enrol(db, p, &eo, &id);
}

static int setup(void **state)
{
	(void)state;
	lab_init(&L);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lab_free(&L);
	return 0;
}

static void test_enrol_unlock_without_pin(void **state)
{
	fido2_sim *s = lab_add(&L, NULL);
	kdbx_db *db = quick_db("pw"), *o = NULL;
	kdbx_slot_provider *p = fido2_provider(NULL, NULL);
	kdbx_slot_providers *set = set_of(fido2_provider(NULL, NULL), NULL);
	kdbx_key *k = pw_key("pw");
	kdbx_slot_info *l = NULL;
	size_t n = 0;
	unsigned int waits;

	(void)state;
	assert_non_null(s);
	assert_int_equal(enrol(db, p, "key", NULL), 0);
	assert_int_equal(fido2_sim_credentials(s), 1);
	assert_int_equal(L.pin_calls, 0);
	assert_int_equal(L.touch_calls, 2); /* MakeCredential + the first assertion */
	assert_int_equal(kdbx_slots_list(db, &l, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].type, "fido2");
	assert_memory_equal(l[0].device_id, "fido2:", 6);
	kdbx_slots_list_free(&l);
	/* unlock: one touch, only when the device really waits */
	waits = fido2_sim_touch_waits(s);
	L.touch_calls = 0;
	assert_int_equal(reopen(db, k, set, NULL, &o, NULL, NULL), 0);
	assert_string_equal(first_title(o), "hello");
	assert_int_equal(L.touch_calls, 1);
	assert_int_equal(fido2_sim_touch_waits(s), waits + 1);
	assert_int_equal(L.pin_calls, 0);
	/* the mode is fixed at enrolment: a PIN set later changes nothing */
	kdbx_db_free(&o);
	fido2_sim_set_pin(s, "4321");
	assert_int_equal(reopen(db, k, set, NULL, &o, NULL, NULL), 0);
	assert_int_equal(L.pin_calls, 0);
	kdbx_db_free(&o);
	/* nobody touches: typed timeout */
	fido2_sim_set_touch(s, FIDO2_SIM_TOUCH_NEVER);
	assert_int_equal(reopen(db, k, set, NULL, &o, NULL, NULL), KDBX_ETIMEOUT);
	assert_non_null(strstr(kdbx_error_last(), "touched"));
	kdbx_key_free(&k);
	kdbx_slot_providers_free(&set);
	kdbx_slot_provider_free(&p);
	kdbx_db_free(&db);
}

static void test_enrol_unlock_with_pin_and_blocking(void **state)
{
	fido2_sim *s = lab_add(&L, NULL);
	kdbx_db *db = quick_db("pw"), *o = NULL;
	kdbx_slot_provider *p = fido2_provider(NULL, NULL);
	kdbx_slot_providers *set = set_of(fido2_provider(NULL, NULL), NULL);
	kdbx_key *k = pw_key("pw");
	uint8_t *img = NULL;
	size_t len = 0;

	(void)state;
	fido2_sim_set_pin(s, "4321");
	/* no PIN given: refused before anything is made */
	L.pin = NULL;
	assert_int_equal(enrol(db, p, "key", NULL), KDBX_ECANCELLED);
	assert_int_equal(fido2_sim_credentials(s), 0);
	L.pin = "4321";
	L.pin_calls = 0;
	assert_int_equal(enrol(db, p, "key", NULL), 0);
	assert_int_equal(L.pin_calls, 1); /* one PIN entry for credential + assertion */
	assert_int_equal(L.last_retries, 8);
	assert_non_null(strstr(L.last_prompt, "sim:"));
	L.pin_calls = 0;
	assert_int_equal(reopen(db, k, set, NULL, &o, &img, &len), 0);
	assert_string_equal(first_title(o), "hello");
	assert_int_equal(L.pin_calls, 1);
	kdbx_db_free(&o);
	/* wrong PIN: typed, retries reported, never retried automatically */
	L.pin = "0000";
	L.pin_calls = 0;
	assert_int_equal(open_img(img, len, k, set, NULL, &o), KDBX_EPIN);
	assert_non_null(strstr(kdbx_error_last(), "7 retries left"));
	assert_int_equal(L.pin_calls, 1);
	assert_int_equal(fido2_sim_pin_retries(s), 7);
	/* the right PIN resets the counter */
	L.pin = "4321";
	assert_int_equal(open_img(img, len, k, set, NULL, &o), 0);
	kdbx_db_free(&o);
	assert_int_equal(fido2_sim_pin_retries(s), 8);
	/* 8 wrong PINs block it (after 3 in a row the device wants reinsertion) */
	L.pin = "0000";
	for (int i = 0; i < 8; i++) {
		int rc = open_img(img, len, k, set, NULL, &o);
		if (i == 7) {
			assert_int_equal(rc, KDBX_EPINLOCKED);
			assert_non_null(strstr(kdbx_error_last(), "blocked"));
		} else if (i % 3 == 2) {
			assert_int_equal(rc, KDBX_EPINLOCKED);
			assert_non_null(strstr(kdbx_error_last(), "reinsert"));
			fido2_sim_power_cycle(s);
		} else {
			assert_int_equal(rc, KDBX_EPIN);
			assert_non_null(strstr(kdbx_error_last(), "left"));
		}
	}
	assert_int_equal(fido2_sim_pin_retries(s), 0);
	/* blocked: reported without asking for a PIN */
	L.pin = "4321";
	L.pin_calls = 0;
	assert_int_equal(open_img(img, len, k, set, NULL, &o), KDBX_EPINLOCKED);
	assert_int_equal(L.pin_calls, 0);
	kdbx_free(img, len);
	kdbx_key_free(&k);
	kdbx_slot_providers_free(&set);
	kdbx_slot_provider_free(&p);
	kdbx_db_free(&db);
}

static void test_device_without_credential_is_skipped(void **state)
{
	fido2_sim *a = lab_add(&L, NULL), *b = lab_add(&L, NULL);
	kdbx_db *db = quick_db("pw"), *o = NULL;
	kdbx_slot_provider *any = fido2_provider(NULL, NULL), *pa = fido2_provider(fido2_sim_path(a), NULL);
	kdbx_slot_providers *set = set_of(fido2_provider(NULL, NULL), NULL);
	kdbx_key *k = pw_key("pw");
	uint8_t *img = NULL;
	size_t len = 0;
	unsigned int wa, wb;
	kdbx_secret *sec = NULL;

	(void)state;
	/* two devices: enrolment wants a choice */
	assert_int_equal(enrol(db, any, "key", NULL), KDBX_EINVALID);
	assert_non_null(strstr(kdbx_error_last(), "several"));
	assert_int_equal(enrol(db, pa, "key", NULL), 0);
	assert_int_equal(enrol(db, any, "key-b", "device=sim:999"), KDBX_EDEVICE);
	/* B (asked first) holds nothing: asked silently, never waits for a touch */
	L.sims[0] = b;
	L.sims[1] = a;
	wa = fido2_sim_touch_waits(a);
	wb = fido2_sim_touch_waits(b);
	L.touch_calls = 0;
	assert_int_equal(reopen(db, k, set, NULL, &o, &img, &len), 0);
	kdbx_db_free(&o);
	assert_int_equal(fido2_sim_touch_waits(b), wb);
	assert_true(fido2_sim_assertions(b) > 0);
	assert_int_equal(fido2_sim_touch_waits(a), wa + 1);
	assert_int_equal(L.touch_calls, 1);
	/* only B connected: the device is recognised as the wrong one */
	L.sims[0] = b;
	L.n = 1;
	assert_int_equal(open_img(img, len, k, set, NULL, &o), KDBX_EDEVICE);
	assert_int_equal(fido2_sim_touch_waits(b), wb);
	/* the provider itself says "not on this device" */
	{
		v3_state st;
		kdbx_slot_context ctx;
		kdbx_container c;
		size_t hl = 0;
		memset(&c, 0, sizeof(c));
		assert_int_equal(kdbx_header__parse(&c, img, len, &hl), 0);
		assert_int_equal(kdbx_slots__load(c.public_custom_data, c.public_custom_data_len, &st), 0);
		memset(&ctx, 0, sizeof(ctx));
		ctx.version = KDBX_SLOT_PROVIDER_VERSION;
		assert_int_equal(any->match(any, st.slots[0].meta, st.slots[0].meta_len), KDBX_SLOT_MATCH_NO);
		assert_int_equal(any->unlock(any, &ctx, st.slots[0].meta, st.slots[0].meta_len, &sec), KDBX_ENOSLOT);
		assert_non_null(strstr(kdbx_error_last(), "none of"));
		/* nothing connected */
		L.n = 0;
		assert_int_equal(any->unlock(any, &ctx, st.slots[0].meta, st.slots[0].meta_len, &sec), KDBX_EDEVICE);
		assert_non_null(strstr(kdbx_error_last(), "no FIDO2 device"));
		/* damaged / future metadata */
		st.slots[0].meta[0] = 9;
		assert_int_equal(any->unlock(any, &ctx, st.slots[0].meta, st.slots[0].meta_len, &sec), KDBX_EUNSUPPORTED);
		st.slots[0].meta[0] = 1;
		assert_int_equal(any->unlock(any, &ctx, st.slots[0].meta, st.slots[0].meta_len - 1, &sec), KDBX_ECORRUPT);
		assert_null(sec);
		kdbx_v3__free(&st);
		kdbx_container_free(&c);
	}
	L.sims[0] = a;
	L.sims[1] = b;
	L.n = 2;
	kdbx_free(img, len);
	kdbx_key_free(&k);
	kdbx_slot_providers_free(&set);
	kdbx_slot_provider_free(&any);
	kdbx_slot_provider_free(&pa);
	kdbx_db_free(&db);
}

static void test_uv_modes(void **state)
{
	fido2_sim_config bio = {1, 3, 1, 1, 0, "Bio Key"}, plain = {0, 3, 1, 0, 0, "U2F-ish Key"};
	fido2_sim *s = lab_add(&L, NULL);
	kdbx_db *db = quick_db("pw"), *o = NULL;
	kdbx_slot_provider *p = fido2_provider(fido2_sim_path(s), NULL);
	kdbx_slot_providers *set = set_of(fido2_provider(NULL, NULL), NULL);
	kdbx_key *k = pw_key("pw");
	fido2_sim *b, *nohmac;
	kdbx_slot_provider *pb, *pn;
	uint8_t *img = NULL;
	size_t len = 0;

	(void)state;
	/* requirements the device cannot meet are refused at enrolment */
	assert_int_equal(enrol(db, p, "key", "pin=yes"), KDBX_EUNSUPPORTED);
	assert_non_null(strstr(kdbx_error_last(), "no PIN set"));
	assert_int_equal(enrol(db, p, "key", "uv=yes"), KDBX_EUNSUPPORTED);
	assert_int_equal(enrol(db, p, "key", "uv=maybe"), KDBX_EINVALID);
	assert_int_equal(fido2_sim_credentials(s), 0);
	/* enrolled without UV; the user later turns alwaysUv on: typed error,
	 * never a wrong secret */
	assert_int_equal(enrol(db, p, "key", "rp=example.kdbx"), 0);
	assert_int_equal(reopen(db, k, set, NULL, &o, &img, &len), 0);
	kdbx_db_free(&o);
	fido2_sim_set_always_uv(s, 1);
	assert_int_equal(open_img(img, len, k, set, NULL, &o), KDBX_EUNSUPPORTED);
	assert_non_null(strstr(kdbx_error_last(), "alwaysUv"));
	fido2_sim_set_always_uv(s, 0);
	kdbx_free(img, len);

	/* built-in UV (fingerprint), no PIN */
	assert_non_null(b = lab_add(&L, &bio));
	pb = fido2_provider(fido2_sim_path(b), NULL);
	assert_int_equal(enrol(db, pb, "bio", "uv=yes"), 0);
	L.sims[0] = b; /* only the bio key connected */
	L.n = 1;
	assert_int_equal(reopen(db, k, set, NULL, &o, &img, &len), 0);
	assert_int_equal(L.pin_calls, 0);
	kdbx_db_free(&o);
	fido2_sim_set_uv_match(b, 0);
	assert_int_equal(open_img(img, len, k, set, NULL, &o), KDBX_EPIN);
	assert_non_null(strstr(kdbx_error_last(), "recognise"));
	assert_int_equal(open_img(img, len, k, set, NULL, &o), KDBX_EPIN);
	assert_int_equal(open_img(img, len, k, set, NULL, &o), KDBX_EPINLOCKED);
	assert_non_null(strstr(kdbx_error_last(), "user verification"));
	kdbx_free(img, len);

	/* no hmac-secret: refused with a clear message */
	assert_non_null(nohmac = lab_add(&L, &plain));
	pn = fido2_provider(fido2_sim_path(nohmac), NULL);
	assert_int_equal(enrol(db, pn, "plain", NULL), KDBX_EUNSUPPORTED);
	assert_non_null(strstr(kdbx_error_last(), "hmac-secret"));
	L.sims[0] = s;
	L.sims[1] = b;
	kdbx_slot_provider_free(&pb);
	kdbx_slot_provider_free(&pn);
	kdbx_key_free(&k);
	kdbx_slot_providers_free(&set);
	kdbx_slot_provider_free(&p);
	kdbx_db_free(&db);
}

static void test_revoke_rotate(void **state)
{
	fido2_sim *s = lab_add(&L, NULL);
	kdbx_db *db = quick_db("pw"), *o = NULL;
	kdbx_slot_provider *p = fido2_provider(NULL, NULL), *soft = soft_slot("soft secret 01");
	kdbx_slot_providers *fset = set_of(fido2_provider(NULL, NULL), NULL);
	kdbx_slot_providers *sset = set_of(soft_slot("soft secret 01"), NULL);
	kdbx_slot_providers *both = set_of(fido2_provider(NULL, NULL), soft_slot("soft secret 01"));
	kdbx_key *k = pw_key("pw");
	uint8_t *old = NULL;
	size_t oldlen = 0;

	(void)state;
	assert_non_null(s);
	assert_int_equal(enrol(db, p, "fido", NULL), 0);
	assert_int_equal(enrol(db, soft, "soft", NULL), 0);
	assert_int_equal(kdbx_db_save_memory(db, NULL, &old, &oldlen), 0);
	/* rotate with the FIDO2 device present: it answers again, both keep working */
	assert_int_equal(kdbx_slots_rotate(db, both, 0, &L.cb), 0);
	assert_int_equal(reopen(db, k, fset, NULL, &o, NULL, NULL), 0);
	kdbx_db_free(&o);
	assert_int_equal(reopen(db, k, sset, NULL, &o, NULL, NULL), 0);
	kdbx_db_free(&o);
	/* revoke the soft key with the FIDO2 device present */
	assert_int_equal(kdbx_slots_revoke(db, "soft", fset, 0, &L.cb), 0);
	assert_int_equal(reopen(db, k, sset, NULL, &o, NULL, NULL), KDBX_EDEVICE);
	assert_int_equal(reopen(db, k, fset, NULL, &o, NULL, NULL), 0);
	kdbx_db_free(&o);
	/* re-add the soft key, then rotate with the FIDO2 device absent */
	assert_int_equal(enrol(db, soft, "soft2", NULL), 0);
	L.n = 0;
	assert_int_equal(kdbx_slots_rotate(db, both, 0, &L.cb), KDBX_EDEVICE);
	assert_non_null(strstr(kdbx_error_last(), "fido"));
	/* ... unless the user drops it: then the FIDO2 device no longer opens it */
	assert_int_equal(kdbx_slots_rotate(db, both, 1, &L.cb), 0);
	L.n = 1;
	assert_int_equal(reopen(db, k, fset, NULL, &o, NULL, NULL), KDBX_EDEVICE);
	assert_int_equal(reopen(db, k, sset, NULL, &o, NULL, NULL), 0);
	kdbx_db_free(&o);
	/* the old copy still opens with the FIDO2 device (it was enrolled there) */
	assert_int_equal(open_img(old, oldlen, k, fset, NULL, &o), 0);
	kdbx_db_free(&o);
	kdbx_free(old, oldlen);
	kdbx_key_free(&k);
	kdbx_slot_providers_free(&fset);
	kdbx_slot_providers_free(&sset);
	kdbx_slot_providers_free(&both);
	kdbx_slot_provider_free(&p);
	kdbx_slot_provider_free(&soft);
	kdbx_db_free(&db);
}

/* What kdbxtool's create_fido2_credential does (rp "kdbxtool", hmac-secret). */
static void kdbxtool_credential(fido2_sim *s, uint8_t *id, size_t *id_len)
{
	fido_dev_t *d = fido2_sim_open(s);
	fido_cred_t *c = fido_cred_new();
	unsigned char cdh[32], uid[13] = "kdbxtool-user";

	assert_non_null(d);
	memset(cdh, 0x42, sizeof(cdh));
	assert_int_equal(fido_cred_set_type(c, COSE_ES256), FIDO_OK);
	assert_int_equal(fido_cred_set_clientdata_hash(c, cdh, 32), FIDO_OK);
	assert_int_equal(fido_cred_set_rp(c, "kdbxtool", "kdbxtool"), FIDO_OK);
	assert_int_equal(fido_cred_set_user(c, uid, sizeof(uid), "kdbxtool-user", NULL, NULL), FIDO_OK);
	assert_int_equal(fido_cred_set_extensions(c, FIDO_EXT_HMAC_SECRET), FIDO_OK);
	assert_int_equal(fido_dev_make_cred(d, c, NULL), FIDO_OK);
	*id_len = fido_cred_id_len(c);
	memcpy(id, fido_cred_id_ptr(c), *id_len);
	fido_cred_free(&c);
	fido_dev_close(d);
	fido_dev_free(&d);
}

/* hmac-secret as python-fido2 asks it: salt1 = the raw 32-byte salt. */
static void raw_hmac_secret(fido2_sim *s, const uint8_t *id, size_t id_len, const uint8_t salt[32], uint8_t out[32])
{
	fido_dev_t *d = fido2_sim_open(s);
	fido_assert_t *a = fido_assert_new();
	unsigned char cdh[32];

	memset(cdh, 1, sizeof(cdh));
	assert_int_equal(fido_assert_set_clientdata_hash(a, cdh, 32), FIDO_OK);
	assert_int_equal(fido_assert_set_rp(a, "kdbxtool"), FIDO_OK);
	assert_int_equal(fido_assert_allow_cred(a, id, id_len), FIDO_OK);
	assert_int_equal(fido_assert_set_extensions(a, FIDO_EXT_HMAC_SECRET), FIDO_OK);
	assert_int_equal(fido_assert_set_hmac_salt(a, salt, 32), FIDO_OK);
	assert_int_equal(fido_dev_get_assert(d, a, NULL), FIDO_OK);
	memcpy(out, fido_assert_hmac_secret_ptr(a, 0), 32);
	fido_assert_free(&a);
	fido_dev_close(d);
	fido_dev_free(&d);
}

static void test_kdbxtool_fido2_device(void **state)
{
	fido2_sim *s = lab_add(&L, NULL);
	kdbx_fido2_options fo = lab_options(&L);
	kdbx_provider *cr = NULL, *cr2 = NULL;
	kdbx_slot_provider *sp = NULL;
	kdbx_slot_enrol_options eo = KDBX_SLOT_ENROL_OPTIONS_INIT;
	kdbx_slot_open_options so = KDBX_SLOT_OPEN_OPTIONS_INIT;
	kdbx_db *db = quick_db("pw"), *o = NULL;
	kdbx_key *k = pw_key("pw"), *k2 = pw_key("pw");
	kdbx_slot_info *l = NULL;
	kdbx_secret *resp = NULL;
	uint8_t id[1024], salt[32], want[32], *img = NULL;
	size_t id_len = 0, n = 0, len = 0;
	uint32_t slot = 0;

	(void)state;
	kdbxtool_credential(s, id, &id_len);
	/* the credential id is required (kdbxtool does not store it) */
	assert_int_equal(kdbx_fido2_new(&cr, &fo), KDBX_EINVALID);
	assert_non_null(strstr(kdbx_error_last(), "credential id"));
	fo.credential_id = id;
	fo.credential_id_len = id_len;
	assert_int_equal(kdbx_fido2_new(&cr, &fo), 0);
	/* response = hmac-secret(salt1 = challenge), 32 bytes */
	memset(salt, 0x20, sizeof(salt));
	assert_int_equal(kdbx_provider_challenge_response(cr, salt, 32, &resp), 0);
	raw_hmac_secret(s, id, id_len, salt, want);
	assert_int_equal(kdbx_secret_len(resp), 32);
	assert_memory_equal(kdbx_secret_data(resp), want, 32);
	kdbx_secret_free(&resp);
	assert_int_equal(kdbx_provider_challenge_response(cr, salt, 20, &resp), KDBX_EINVALID);
	/* enrol it in kdbxtool mode: entry type "fido2" */
	assert_int_equal(kdbx_slot_provider_from_cr(&sp, cr, "fido2", KDBX_CR_ADAPTER_OWN), 0);
	eo.mode = KDBX_MODE_KDBXTOOL;
	eo.label = "Security key";
	assert_int_equal(kdbx_slots_enrol(db, sp, &eo, &slot), 0);
	assert_int_equal(kdbx_slots_mode(db), KDBX_MODE_KDBXTOOL);
	assert_int_equal(kdbx_slots_list(db, &l, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].type, "fido2");
	kdbx_slots_list_free(&l);
	assert_int_equal(kdbx_db_save_memory(db, NULL, &img, &len), 0);
	/* open with the credential id supplied (provider on the key) */
	assert_int_equal(kdbx_fido2_new(&cr2, &fo), 0);
	assert_int_equal(kdbx_key_add_challenge_response(k2, cr2), 0);
	assert_int_equal(kdbx_slots_open_memory(&o, img, len, k2, &so), 0);
	assert_string_equal(first_title(o), "hello");
	kdbx_db_free(&o);
	/* without a device: typed error */
	L.n = 0;
	assert_int_equal(kdbx_slots_open_memory(&o, img, len, k2, &so), KDBX_EDEVICE);
	L.n = 1;
	/* a PIN set after enrolment: kdbxtool's client (and this provider) now
	 * verifies the user, which selects the other CredRandom - the slot no
	 * longer opens, exactly as in kdbxtool (documented limitation) */
	fido2_sim_set_pin(s, "1357");
	L.pin = "1357";
	L.pin_calls = 0;
	assert_int_equal(kdbx_slots_open_memory(&o, img, len, k2, &so), KDBX_EAUTH);
	assert_int_equal(L.pin_calls, 1);
	(void)k;
	kdbx_free(img, len);
	kdbx_key_free(&k2);
	kdbx_provider_free(&cr2);
	kdbx_key_free(&k);
	kdbx_slot_provider_free(&sp);
	kdbx_db_free(&db);
}

static void test_list(void **state)
{
	fido2_sim_config bio = {1, 1, 0, 1, 0, "Bio"}, plain = {0, 3, 1, 0, 0, "Plain"};
	fido2_sim *a = lab_add(&L, NULL), *b = lab_add(&L, &bio), *c = lab_add(&L, &plain);
	kdbx_fido2_options o = lab_options(&L);
	kdbx_fido2_device_info *l = NULL;
	size_t n = 0;

	(void)state;
	fido2_sim_set_pin(a, "123456");
	assert_int_equal(kdbx_fido2_list(&o, &l, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(l[0].path, fido2_sim_path(a));
	assert_true(l[0].fido2 && l[0].hmac_secret && l[0].pin_set);
	assert_int_equal(l[0].pin_retries, 8);
	assert_int_equal(l[0].protocols, 3);
	assert_true(l[1].builtin_uv);
	assert_int_equal(l[1].uv_retries, 3);
	assert_int_equal(l[1].protocols, 1);
	assert_false(l[1].pin_set);
	assert_false(l[2].hmac_secret);
	assert_string_equal(l[2].error, "");
	kdbx_fido2_list_free(&l);
	(void)c;
	(void)b;
	o.device = fido2_sim_path(c);
	assert_int_equal(kdbx_fido2_list(&o, &l, &n), 0);
	assert_int_equal(n, 1);
	kdbx_fido2_list_free(&l);
	L.n = 0;
	assert_int_equal(kdbx_fido2_list(&o, &l, &n), 0);
	assert_int_equal(n, 0);
	assert_null(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enrol_unlock_without_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enrol_unlock_with_pin_and_blocking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_without_credential_is_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uv_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_rotate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kdbxtool_fido2_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
