/* Files we enrol in kdbxtool mode (2) open in a reference implementation of
 * kdbxtool's open() (slots_kdbxtool_ref.py: written from kdbxtool-notes 1,
 * with PyCryptodome as kdbxtool uses it), including after the saves that
 * lose data in kdbxtool (KDF change, password change, reload + save). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kdbx.h"

#define SECRET "12345678901234567890"
#define SECRET_HEX "3132333435363738393031323334353637383930"

static char script[512], path[256];

static int ref_opens(const char *pw)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s '%s' %s >/dev/null 2>&1", script, path, pw, SECRET_HEX);
	return system(cmd) == 0;
}

static kdbx_key *pw_key(const char *pw)
{
	kdbx_key *k = NULL;

	assert_int_equal(kdbx_key_new(&k), 0);
	assert_int_equal(kdbx_key_set_password(k, pw, strlen(pw)), 0);
	return k;
}

static void test_slots_kdbxtool__reference_reader_opens_ours(void **state)
{
	kdbx_db *db = NULL, *o = NULL;
	kdbx_key *k = pw_key("password");
	kdbx_provider *sk = NULL;
	kdbx_slot_provider *sp = NULL, *other = NULL;
	kdbx_slot_enrol_options eo = KDBX_SLOT_ENROL_OPTIONS_INIT;
	kdbx_kdf_params p;
	kdbx_entry *e = NULL;

	(void)state;
	assert_int_equal(kdbx_db_new(&db, "kdbxtool"), 0);
	assert_int_equal(kdbx_kdf_defaults(&p, KDBX_KDF_AES_KDBX4), 0);
	p.rounds = 1000;
	assert_int_equal(kdbx_db_set_kdf(db, &p), 0);
	assert_int_equal(kdbx_db_set_key(db, k), 0);
	assert_int_equal(kdbx_entry_new(&e, kdbx_db_root(db), "hello"), 0);
	assert_int_equal(kdbx_softkey_new_secret(&sk, KDBX_SOFTKEY_SHA1, (const uint8_t *)SECRET, 20), 0);
	assert_int_equal(kdbx_slot_provider_from_cr(&sp, sk, NULL, KDBX_CR_ADAPTER_OWN), 0);
	assert_int_equal(kdbx_softkey_new_secret(&sk, KDBX_SOFTKEY_SHA1, (const uint8_t *)"another device secret", 21), 0);
	assert_int_equal(kdbx_slot_provider_from_cr(&other, sk, NULL, KDBX_CR_ADAPTER_OWN), 0);
	eo.mode = KDBX_MODE_KDBXTOOL;
	eo.label = "Backup";
	assert_int_equal(kdbx_slots_enrol(db, other, &eo, NULL), 0);
	eo.label = "Primary \xc3\xa9";
	assert_int_equal(kdbx_slots_enrol(db, sp, &eo, NULL), 0);
	assert_int_equal(kdbx_db_save(db, path, NULL), 0);
	assert_true(ref_opens("password"));
	assert_false(ref_opens("wrong"));
	/* KDF change (Argon2id) and ChaCha20: kdbxtool bug 1 */
	assert_int_equal(kdbx_kdf_defaults(&p, KDBX_KDF_ARGON2ID), 0);
	p.memory = 1024 * 1024;
	p.iterations = 2;
	p.parallelism = 1;
	assert_int_equal(kdbx_db_set_kdf(db, &p), 0);
	assert_int_equal(kdbx_db_set_cipher(db, KDBX_CIPHER_CHACHA20), 0);
	assert_int_equal(kdbx_db_save(db, path, NULL), 0);
	assert_true(ref_opens("password"));
	/* reload (open again with the device) then save: kdbxtool bug 5 */
	{
		kdbx_slot_open_options oo = KDBX_SLOT_OPEN_OPTIONS_INIT;
		kdbx_slot_providers *set = NULL;
		assert_int_equal(kdbx_slot_providers_new(&set), 0);
		assert_int_equal(kdbx_slot_providers_add(set, sp), 0);
		oo.providers = set;
		assert_int_equal(kdbx_slots_open(&o, path, k, &oo), 0);
		assert_int_equal(kdbx_db_save(o, path, NULL), 0);
		assert_true(ref_opens("password"));
		/* password change */
		{
			kdbx_key *k2 = pw_key("new one");
			assert_int_equal(kdbx_db_set_key(o, k2), 0);
			assert_int_equal(kdbx_db_save(o, path, NULL), 0);
			assert_true(ref_opens("new one"));
			kdbx_key_free(&k2);
		}
		kdbx_db_free(&o);
		kdbx_slot_providers_free(&set); /* frees sp */
	}
	kdbx_slot_provider_free(&other);
	kdbx_key_free(&k);
	kdbx_db_free(&db);
}

int main(void)
{
	const char *src = getenv("KDBX_SOURCE_DIR");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_kdbxtool__reference_reader_opens_ours),
	};
	int rc;

	snprintf(script, sizeof(script), "%s/tests/integration/slots_kdbxtool_ref.py", src != NULL ? src : ".");
	if (access(script, R_OK) != 0 ||
	    system("/usr/bin/python3 -c 'import Cryptodome, argon2' >/dev/null 2>&1") != 0) {
		printf("skipped: %s or python3-pycryptodome / python3-argon2 missing (scripts/install-deps)\n", script);
		return 77;
	}
	snprintf(path, sizeof(path), "/tmp/kdbx-slots-kdbxtool-%ld.kdbx", (long)getpid());
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return rc;
}
