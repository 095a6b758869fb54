/* Multi-device enrolment against the emulated YubiKey over PC/SC
 * (scripts/lab/yubikey-pcsc): mode 3 enrol / unlock / revoke with the key
 * found by its stored serial, every device error path, and mode 2 where a
 * soft key with the same secret is the same device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kdbx.h"
#include "yubikey_lab.h"

static char opts_default[600];
static char path[400];

static kdbx_key *pw_key(const char *pw)
{
	kdbx_key *k = NULL;

	assert_int_equal(kdbx_key_new(&k), 0);
	assert_int_equal(kdbx_key_set_password(k, pw, strlen(pw)), 0);
	return k;
}

static kdbx_db *quick_db(void)
{
	kdbx_db *db = NULL;
	kdbx_kdf_params p;
	kdbx_key *k = pw_key("pw");
	kdbx_entry *e = NULL;

	assert_int_equal(kdbx_db_new(&db, "slots"), 0);
	assert_int_equal(kdbx_kdf_defaults(&p, KDBX_KDF_AES_KDBX4), 0);
	p.rounds = 100;
	assert_int_equal(kdbx_db_set_kdf(db, &p), 0);
	assert_int_equal(kdbx_db_set_key(db, k), 0);
	assert_int_equal(kdbx_entry_new(&e, kdbx_db_root(db), "hello"), 0);
	kdbx_key_free(&k);
	return db;
}

static kdbx_slot_provider *soft(const char *file)
{
	kdbx_provider *p = NULL;
	kdbx_slot_provider *sp = NULL;

	assert_int_equal(kdbx_softkey_new(&p, KDBX_SOFTKEY_SHA1, file), 0);
	assert_int_equal(kdbx_slot_provider_from_cr(&sp, p, NULL, KDBX_CR_ADAPTER_OWN | KDBX_CR_ADAPTER_FINGERPRINT), 0);
	return sp;
}

static kdbx_slot_provider *yk(void)
{
	kdbx_slot_provider *sp = NULL;

	/* slot/serial only matter for enrolment; unlock uses the slot's own */
	assert_int_equal(kdbx_yubikey_slot_provider_new(&sp, 2, 0, NULL), 0);
	return sp;
}

#define USE_YK 1
#define USE_SOFT 2

/* Opens path with a fresh provider set (the set owns its providers). */
static int try_open(const kdbx_key *key, int use)
{
	kdbx_slot_open_options o = KDBX_SLOT_OPEN_OPTIONS_INIT;
	kdbx_slot_providers *set = NULL;
	kdbx_db *db = NULL;
	int rc;

	assert_int_equal(kdbx_slot_providers_new(&set), 0);
	if (use & USE_YK)
		assert_int_equal(kdbx_slot_providers_add(set, yk()), 0);
	if (use & USE_SOFT)
		assert_int_equal(kdbx_slot_providers_add(set, soft(lab_other_file)), 0);
	o.providers = set;
	rc = kdbx_slots_open(&db, path, key, &o);
	if (rc == 0)
		assert_non_null(kdbx_db_find_entry(db, "/hello"));
	kdbx_db_free(&db);
	kdbx_slot_providers_free(&set);
	return rc;
}

static void test_slots_yk__mode3(void **state)
{
	kdbx_db *db = quick_db();
	kdbx_key *k = pw_key("pw"), *bad = pw_key("nope");
	kdbx_slot_provider *y = yk(), *s = soft(lab_other_file);
	kdbx_slot_enrol_options eo = KDBX_SLOT_ENROL_OPTIONS_INIT;
	kdbx_slot_info *l = NULL;
	size_t n = 0;
	char opts[900];

	(void)state;
	snprintf(path, sizeof(path), "%s/m3.kdbx", lab_dir);
	eo.label = "YubiKey";
	assert_int_equal(kdbx_slots_enrol(db, y, &eo, NULL), 0);
	eo.label = "Soft";
	assert_int_equal(kdbx_slots_enrol(db, s, &eo, NULL), 0);
	assert_int_equal(kdbx_db_save(db, path, NULL), 0);
	assert_int_equal(kdbx_slots_list_file(path, &l, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0].type, "yubikey-hmac");
	assert_string_equal(l[0].device_id, "yubikey:424242/2");
	kdbx_slots_list_free(&l);
	/* the key is found by its serial; the soft key alone also opens */
	assert_int_equal(try_open(k, USE_YK), 0);
	assert_int_equal(try_open(k, USE_SOFT), 0);
	/* wrong password + right device */
	assert_int_equal(try_open(bad, USE_YK), KDBX_EAUTH);
	/* right password + wrong device: same serial, other secret */
	snprintf(opts, sizeof(opts), "--serial %u --slot2-file %s", LAB_SERIAL, lab_other_file);
	assert_int_equal(lab_card(opts), 0);
	assert_int_equal(try_open(k, USE_YK), KDBX_EAUTH);
	/* another serial: not this slot's key, never asked */
	snprintf(opts, sizeof(opts), "--serial 777 --slot2-file %s", lab_secret_file);
	assert_int_equal(lab_card(opts), 0);
	assert_int_equal(try_open(k, USE_YK), KDBX_EDEVICE);
	/* touch never given: bounded timeout */
	setenv("KDBX_YUBIKEY_TOUCH_TIMEOUT_MS", "1000", 1);
	snprintf(opts, sizeof(opts), "%s --touch -1", opts_default);
	assert_int_equal(lab_card(opts), 0);
	assert_int_equal(try_open(k, USE_YK), KDBX_ETIMEOUT);
	unsetenv("KDBX_YUBIKEY_TOUCH_TIMEOUT_MS");
	/* no device */
	assert_int_equal(lab_card_stop(), 0);
	assert_int_equal(try_open(k, USE_YK), KDBX_EDEVICE);
	/* revoke "Soft" needs the YubiKey (symmetric): absent -> refused */
	assert_int_equal(kdbx_slots_revoke(db, "Soft", NULL, 0, NULL), KDBX_EDEVICE);
	assert_int_equal(lab_card(opts_default), 0);
	{
		kdbx_slot_providers *set = NULL;
		kdbx_db *o = NULL;
		kdbx_slot_open_options oo = KDBX_SLOT_OPEN_OPTIONS_INIT;
		assert_int_equal(kdbx_slot_providers_new(&set), 0);
		assert_int_equal(kdbx_slot_providers_add(set, yk()), 0);
		oo.providers = set;
		assert_int_equal(kdbx_slots_open(&o, path, k, &oo), 0);
		assert_int_equal(kdbx_slots_revoke(o, "Soft", set, 0, NULL), 0);
		assert_int_equal(kdbx_db_save(o, path, NULL), 0);
		kdbx_db_free(&o);
		kdbx_slot_providers_free(&set);
	}
	assert_int_equal(try_open(k, USE_SOFT), KDBX_EDEVICE);
	assert_int_equal(try_open(k, USE_YK), 0);
	kdbx_slot_provider_free(&y);
	kdbx_slot_provider_free(&s);
	kdbx_key_free(&k);
	kdbx_key_free(&bad);
	kdbx_db_free(&db);
}

/* Mode 2: enrolled with the emulated YubiKey, opened with a soft key holding
 * the same secret (kdbxtool's MockYubiKey computes the same), and back. */
static void test_slots_yk__mode2_same_device(void **state)
{
	kdbx_db *db = quick_db();
	kdbx_key *k = pw_key("pw"), *kc = pw_key("pw");
	kdbx_slot_provider *y = yk();
	kdbx_provider *sk = NULL;
	kdbx_slot_enrol_options eo = KDBX_SLOT_ENROL_OPTIONS_INIT;

	(void)state;
	snprintf(path, sizeof(path), "%s/m2.kdbx", lab_dir);
	eo.mode = KDBX_MODE_KDBXTOOL;
	eo.label = "Primary";
	assert_int_equal(kdbx_slots_enrol(db, y, &eo, NULL), 0);
	assert_int_equal(kdbx_db_save(db, path, NULL), 0);
	assert_int_equal(kdbx_softkey_new(&sk, KDBX_SOFTKEY_SHA1, lab_secret_file), 0);
	assert_int_equal(kdbx_key_add_challenge_response(kc, sk), 0);
	{
		kdbx_db *o = NULL;
		assert_int_equal(kdbx_slots_open(&o, path, kc, NULL), 0);
		kdbx_db_free(&o);
	}
	assert_int_equal(try_open(k, USE_YK), 0);
	kdbx_provider_free(&sk);
	kdbx_slot_provider_free(&y);
	kdbx_key_free(&k);
	kdbx_key_free(&kc);
	kdbx_db_free(&db);
}

static int setup(void **state)
{
	(void)state;
	snprintf(opts_default, sizeof(opts_default), "--serial %u --slot2-file %s", LAB_SERIAL, lab_secret_file);
	if (lab_start(opts_default) != 0) {
		lab_stop();
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lab_stop();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_yk__mode3),
		cmocka_unit_test(test_slots_yk__mode2_same_device),
	};

	lab_prepare("ykslots");
	return cmocka_run_group_tests_name("slots_yubikey", tests, setup, teardown);
}
