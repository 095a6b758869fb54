/* Multi-device slots across providers (issues 6 and 9, acceptance): one
 * vault with a SoftHSM PKCS#11 EC key + a soft key + the emulated YubiKey
 * (PC/SC), one with a TPM (swtpm) + a soft key + the PKCS#11 key. Each opens
 * with any one of its devices and not with none or a wrong one; revoking a
 * device re-wraps the PKCS#11 EC slot offline, with the token absent. Only
 * the public API (include/kdbx/slots.h and the provider headers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kdbx.h"
#include "kdbx/pkcs11.h"
#include "kdbx/tpm2.h"

/* pkcs11_lab.h and yubikey_lab.h both name their directory lab_dir. */
#define lab_dir p11_dir
#include "pkcs11_lab.h"
#undef lab_dir
#include "tpm2_lab.h"
#include "yubikey_lab.h"

#define P11_URI "pkcs11:token=test;object=ec256"

static const kdbx_interaction p11_ia = {NULL, lab_pin, NULL, (void *)LAB_PIN};
static char wrong_file[300];
static char path[400];

/* Device bits for try_open / set_of. */
#define D_P11 0x1
#define D_SOFT 0x2
#define D_YK 0x4
#define D_TPM 0x8
#define D_WRONG_SOFT 0x10

static const char *tcti; /* of the running swtpm (vault 2) */
static char yk_opts[700]; /* emulated YubiKey: serial + slot 2 secret */

static kdbx_slot_provider *soft(const char *file)
{
	kdbx_provider *p = NULL;
	kdbx_slot_provider *sp = NULL;

	assert_int_equal(kdbx_softkey_new(&p, KDBX_SOFTKEY_SHA1, file), 0);
	assert_int_equal(kdbx_slot_provider_from_cr(&sp, p, NULL, KDBX_CR_ADAPTER_OWN | KDBX_CR_ADAPTER_FINGERPRINT), 0);
	return sp;
}

static kdbx_slot_provider *p11(void)
{
	kdbx_pkcs11_options o = KDBX_PKCS11_OPTIONS_INIT;
	kdbx_slot_provider *sp = NULL;

	o.uri = P11_URI;
	o.module = lab_module;
	o.interaction = &p11_ia;
	assert_int_equal(kdbx_pkcs11_slot_provider_new(&sp, &o), 0);
	return sp;
}

static kdbx_slot_provider *yk(void)
{
	kdbx_slot_provider *sp = NULL;

	assert_int_equal(kdbx_yubikey_slot_provider_new(&sp, 2, 0, NULL), 0);
	return sp;
}

static kdbx_slot_provider *tpm(void)
{
	kdbx_tpm2_options o = KDBX_TPM2_OPTIONS_INIT;
	kdbx_slot_provider *sp = NULL;

	assert_non_null(tcti);
	o.tcti = tcti;
	assert_int_equal(kdbx_tpm2_slot_provider_new(&sp, &o), 0);
	return sp;
}

static kdbx_slot_providers *set_of(int devices)
{
	kdbx_slot_providers *set = NULL;

	assert_int_equal(kdbx_slot_providers_new(&set), 0);
	if (devices & D_P11)
		assert_int_equal(kdbx_slot_providers_add(set, p11()), 0);
	if (devices & D_SOFT)
		assert_int_equal(kdbx_slot_providers_add(set, soft(lab_other_file)), 0);
	if (devices & D_WRONG_SOFT)
		assert_int_equal(kdbx_slot_providers_add(set, soft(wrong_file)), 0);
	if (devices & D_YK)
		assert_int_equal(kdbx_slot_providers_add(set, yk()), 0);
	if (devices & D_TPM)
		assert_int_equal(kdbx_slot_providers_add(set, tpm()), 0);
	return set;
}

/* Opens path with the password and a fresh set of the given devices. */
static int try_open_pw(const char *pw, int devices)
{
	kdbx_slot_open_options o = KDBX_SLOT_OPEN_OPTIONS_INIT;
	kdbx_slot_providers *set = set_of(devices);
	kdbx_key *k = tpm_pw_key(pw);
	kdbx_db *db = NULL;
	int rc;

	o.providers = set;
	o.interaction = &p11_ia;
	rc = kdbx_slots_open(&db, path, k, &o);
	if (rc == 0)
		assert_non_null(kdbx_db_find_entry(db, "/hello"));
	kdbx_db_free(&db);
	kdbx_slot_providers_free(&set);
	kdbx_key_free(&k);
	return rc;
}

static int try_open(int devices)
{
	return try_open_pw("pw", devices);
}

static void enrol(kdbx_db *db, kdbx_slot_provider *p, const char *label)
{
	kdbx_slot_enrol_options eo = KDBX_SLOT_ENROL_OPTIONS_INIT;

	eo.label = label;
	eo.interaction = &p11_ia;
	assert_int_equal(kdbx_slots_enrol(db, p, &eo, NULL), 0);
	kdbx_slot_provider_free(&p);
}

/* The slot of type t in the file: its flags, or -1 when there is none. */
static long slot_flags(const char *t)
{
	kdbx_slot_info *l = NULL;
	size_t n = 0;
	long f = -1;

	assert_int_equal(kdbx_slots_list_file(path, &l, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i].type, t) == 0)
			f = (long)l[i].flags;
	kdbx_slots_list_free(&l);
	return f;
}

static void make_vault(const char *name, int devices)
{
	kdbx_db *db = tpm_quick_db("pw");

	snprintf(path, sizeof(path), "%s/%s", lab_dir, name);
	if (devices & D_P11)
		enrol(db, p11(), "HSM");
	if (devices & D_SOFT)
		enrol(db, soft(lab_other_file), "Soft");
	if (devices & D_YK)
		enrol(db, yk(), "YubiKey");
	if (devices & D_TPM)
		enrol(db, tpm(), "TPM");
	assert_int_equal(kdbx_db_save(db, path, NULL), 0);
	kdbx_db_free(&db);
}

/* Vault 1: PKCS#11 EC + soft key + YubiKey. */
static void test_multi__p11_soft_yk(void **state)
{
	(void)state;
	make_vault("v1.kdbx", D_P11 | D_SOFT | D_YK);
	assert_true(slot_flags("pkcs11") >= 0 && (slot_flags("pkcs11") & KDBX_SLOT_F_PUBKEY) != 0);
	assert_true(slot_flags("softkey") >= 0);
	assert_true(slot_flags("yubikey-hmac") >= 0);
	/* any one of them */
	assert_int_equal(try_open(D_P11), 0);
	assert_int_equal(try_open(D_SOFT), 0);
	assert_int_equal(try_open(D_YK), 0);
	assert_int_equal(try_open(D_P11 | D_SOFT | D_YK), 0);
	/* none, or only a wrong soft key: no slot matches */
	assert_int_equal(try_open(0), KDBX_EDEVICE);
	assert_int_equal(try_open(D_WRONG_SOFT), KDBX_EDEVICE);
	/* right device, wrong password */
	assert_int_equal(try_open_pw("nope", D_SOFT), KDBX_EAUTH);
	assert_int_equal(try_open_pw("nope", D_P11), KDBX_EAUTH);
	/* the YubiKey missing: the others still open it */
	assert_int_equal(lab_card_stop(), 0);
	assert_int_equal(try_open(D_YK), KDBX_EDEVICE);
	assert_int_equal(try_open(D_YK | D_SOFT), 0);
	assert_int_equal(lab_card(yk_opts), 0);
}

/* Vault 2: TPM + soft key + PKCS#11 EC. */
static void test_multi__tpm_soft_p11(void **state)
{
	tpm_lab lab = {{0}, {0}};

	(void)state;
	if (tpm_lab_start(&lab) != 0) {
		tpm_lab_clean(&lab);
		fail_msg("scripts/lab/swtpm start failed (swtpm missing?)");
	}
	tcti = lab.tcti;
	make_vault("v2.kdbx", D_TPM | D_SOFT | D_P11);
	assert_true(slot_flags("tpm2") >= 0);
	assert_int_equal(try_open(D_TPM), 0);
	assert_int_equal(try_open(D_SOFT), 0);
	assert_int_equal(try_open(D_P11), 0);
	assert_int_equal(try_open(0), KDBX_EDEVICE);
	assert_int_equal(try_open(D_WRONG_SOFT), KDBX_EDEVICE);
	assert_int_equal(try_open_pw("nope", D_TPM), KDBX_EAUTH);
	/* TPM gone: the soft key or the token still open it */
	tpm_lab_stop(&lab);
	assert_int_not_equal(try_open(D_TPM), 0);
	assert_int_equal(try_open(D_TPM | D_P11), 0);
	tpm_lab_clean(&lab);
	tcti = NULL;
}

/* Moves the SoftHSM token files away (absent) or back. */
static void token_present(int present)
{
	char cmd[800];

	snprintf(cmd, sizeof(cmd), present ? "mv %s/tokens.away %s/tokens" : "mv %s/tokens %s/tokens.away", p11_dir,
	         p11_dir);
	assert_int_equal(system(cmd), 0);
}

/* Revoking the soft key with the PKCS#11 token absent: the EC slot gets a
 * fresh secret from its public key alone; the YubiKey (symmetric) answers. */
static void test_multi__revoke_token_absent(void **state)
{
	kdbx_slot_open_options o = KDBX_SLOT_OPEN_OPTIONS_INIT;
	kdbx_slot_providers *set = set_of(D_SOFT);
	kdbx_key *k = tpm_pw_key("pw");
	kdbx_db *db = NULL;
	kdbx_slot_info *l = NULL;
	size_t n = 0;

	(void)state;
	make_vault("v3.kdbx", D_P11 | D_SOFT | D_YK);
	o.providers = set;
	assert_int_equal(kdbx_slots_open(&db, path, k, &o), 0);
	kdbx_slot_providers_free(&set);
	token_present(0);
	/* really absent: the token cannot open the vault now */
	assert_int_not_equal(try_open(D_P11), 0);
	set = set_of(D_P11 | D_YK);
	assert_int_equal(kdbx_slots_revoke(db, "Soft", set, 0, &p11_ia), 0);
	kdbx_slot_providers_free(&set);
	assert_int_equal(kdbx_db_save(db, path, NULL), 0);
	kdbx_db_free(&db);
	assert_int_equal(kdbx_slots_list_file(path, &l, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(l[i].label, "Soft");
	kdbx_slots_list_free(&l);
	/* the revoked key is out; the re-wrapped token slot and the YubiKey work */
	assert_int_equal(try_open(D_SOFT), KDBX_EDEVICE);
	assert_int_equal(try_open(D_YK), 0);
	token_present(1);
	assert_int_equal(try_open(D_P11), 0);
	kdbx_key_free(&k);
}

static int setup(void **state)
{
	FILE *f;

	(void)state;
	if (lab_setup() != 0)
		return -1;
	snprintf(wrong_file, sizeof(wrong_file), "%s/wrong", lab_dir);
	if ((f = fopen(wrong_file, "w")) == NULL)
		return -1;
	fputs("0123456789abcdef0123456789abcdef01234567\n", f);
	fclose(f);
	snprintf(yk_opts, sizeof(yk_opts), "--serial %u --slot2-file %s", LAB_SERIAL, lab_secret_file);
	if (lab_start(yk_opts) != 0) {
		lab_stop();
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lab_stop();
	lab_teardown();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_multi__p11_soft_yk),
		cmocka_unit_test(test_multi__tpm_soft_p11),
		cmocka_unit_test(test_multi__revoke_token_absent),
	};

	(void)lab_pin_calls;
	(void)tpm_pin;
	(void)tpm_lab_tool;
	setenv("TSS2_LOG", "all+none", 1); /* expected TCTI failures (swtpm stopped) */
	lab_prepare("multidev");
	return cmocka_run_group_tests_name("multi_device", tests, setup, teardown);
}
