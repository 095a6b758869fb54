/* One vault, three kinds of device: a FIDO2 authenticator (software CTAP2
 * through libfido2), a PKCS#11 token (SoftHSM2, EC key -> ECDH) and a YubiKey
 * (emulated over PC/SC). Each one alone opens it, and the devices that are
 * not asked are never touched. Needs scripts/lab/softhsm and
 * scripts/lab/yubikey-pcsc (exit 77 when they cannot run). */
#include "../unit/slots/helpers.h"

#include "fido2_lab.h"
#include "yubikey_lab.h"

static lab L;
static char p11_dir[256];

static int p11_pin(void *userdata, const char *prompt, int retries, char *buf, size_t len)
{
	(void)userdata;
	(void)prompt;
	(void)retries;
	snprintf(buf, len, "1234");
	return 0;
}

static const kdbx_interaction p11_cb = {NULL, p11_pin, NULL, NULL};

/* Private SoftHSM token (scripts/lab/softhsm prints its environment). */
static int p11_setup(void)
{
	const char *src = getenv("KDBX_SOURCE_DIR");
	char cmd[1024], line[512];
	FILE *f;

	snprintf(p11_dir, sizeof(p11_dir), "/tmp/kdbx-f2mix-p11-%ld", (long)getpid());
	snprintf(cmd, sizeof(cmd), "%s/scripts/lab/softhsm setup %s", src != NULL ? src : ".", p11_dir);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *eq = strchr(line, '=');
		line[strcspn(line, "\n")] = '\0';
		if (eq != NULL) {
			*eq = '\0';
			setenv(line, eq + 1, 1);
		}
	}
	return pclose(f) == 0 ? 0 : -1;
}

static void p11_clean(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p11_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", p11_dir);
}

static kdbx_slot_provider *p11_provider(const char *uri)
{
	kdbx_pkcs11_options o = KDBX_PKCS11_OPTIONS_INIT;
	kdbx_slot_provider *p = NULL;

	o.uri = uri;
	o.module = getenv("KDBX_SOFTHSM_MODULE") != NULL ? getenv("KDBX_SOFTHSM_MODULE")
	                                                   : "/usr/lib/softhsm/libsofthsm2.so";
	o.interaction = &p11_cb;
	assert_int_equal(kdbx_pkcs11_slot_provider_new(&p, &o), 0);
	return p;
}

static kdbx_slot_provider *fido2_provider(void)
{
	kdbx_fido2_options o = lab_options(&L);
	kdbx_slot_provider *p = NULL;

	assert_int_equal(kdbx_fido2_slot_provider_new(&p, &o), 0);
	return p;
}

static kdbx_slot_provider *yk_provider(uint32_t serial)
{
	kdbx_slot_provider *p = NULL;

	assert_int_equal(kdbx_yubikey_slot_provider_new(&p, 2, serial, NULL), 0);
	return p;
}

static void enrol(kdbx_db *db, kdbx_slot_provider *p, const char *label)
{
	kdbx_slot_enrol_options eo = KDBX_SLOT_ENROL_OPTIONS_INIT;
	uint32_t id = 0;

	eo.label = label;
	if (kdbx_slots_enrol(db, p, &eo, &id) != 0)
		fail_msg("enrol %s: %s", label, kdbx_error_last());
	kdbx_slot_provider_free(&p);
}

static void test_any_one_of_three(void **state)
{
	fido2_sim *s = lab_add(&L, NULL);
	kdbx_db *db = quick_db("pw"), *o = NULL;
	kdbx_key *k = pw_key("pw");
	kdbx_slot_providers *only_fido = set_of(fido2_provider(), NULL);
	kdbx_slot_providers *only_p11 = set_of(p11_provider(NULL), NULL);
	kdbx_slot_providers *only_yk = set_of(yk_provider(0), NULL);
	kdbx_slot_providers *all = set_of(fido2_provider(), p11_provider(NULL));
	kdbx_slot_info *l = NULL;
	uint8_t *img = NULL;
	size_t len = 0, n = 0;
	unsigned int waits;

	(void)state;
	assert_int_equal(kdbx_slot_providers_add(all, yk_provider(0)), 0);
	fido2_sim_set_pin(s, "2468");
	L.pin = "2468";
	enrol(db, fido2_provider(), "fido2 key");
	enrol(db, p11_provider("pkcs11:token=test;object=ec256"), "smart card");
	enrol(db, yk_provider(LAB_SERIAL), "yubikey");
	assert_int_equal(kdbx_slots_list(db, &l, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(l[0].type, "fido2");
	assert_string_equal(l[1].type, "pkcs11");
	assert_string_equal(l[2].type, "yubikey-hmac");
	kdbx_slots_list_free(&l);
	assert_int_equal(kdbx_db_save_memory(db, NULL, &img, &len), 0);

	/* each device alone */
	L.pin_calls = 0;
	if (open_img(img, len, k, only_fido, NULL, &o) != 0)
		fail_msg("fido2: %s", kdbx_error_last());
	assert_string_equal(first_title(o), "hello");
	assert_int_equal(L.pin_calls, 1);
	kdbx_db_free(&o);
	waits = fido2_sim_touch_waits(s);
	if (open_img(img, len, k, only_p11, NULL, &o) != 0)
		fail_msg("pkcs11: %s", kdbx_error_last());
	assert_string_equal(first_title(o), "hello");
	kdbx_db_free(&o);
	if (open_img(img, len, k, only_yk, NULL, &o) != 0)
		fail_msg("yubikey: %s", kdbx_error_last());
	assert_string_equal(first_title(o), "hello");
	kdbx_db_free(&o);
	assert_int_equal(fido2_sim_touch_waits(s), waits); /* FIDO2 key untouched */
	/* all offered, FIDO2 key unplugged: another device opens it, no PIN asked */
	L.n = 0;
	L.pin_calls = 0;
	if (open_img(img, len, k, all, NULL, &o) != 0)
		fail_msg("all without fido2: %s", kdbx_error_last());
	assert_int_equal(L.pin_calls, 0);
	kdbx_db_free(&o);
	L.n = 1;
	/* wrong password with a right device: refused */
	{
		kdbx_key *bad = pw_key("nope");
		assert_int_equal(open_img(img, len, bad, only_p11, NULL, &o), KDBX_EAUTH);
		kdbx_key_free(&bad);
	}
	kdbx_free(img, len);
	kdbx_slot_providers_free(&only_fido);
	kdbx_slot_providers_free(&only_p11);
	kdbx_slot_providers_free(&only_yk);
	kdbx_slot_providers_free(&all);
	kdbx_key_free(&k);
	kdbx_db_free(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_any_one_of_three)};
	char opts[600];
	int rc;

	(void)lab_card; /* yubikey_lab.h helpers this test does not need */
	(void)lab_card_stop;
	lab_prepare("f2mix"); /* exits 77 when the PC/SC lab cannot run */
	if (p11_setup() != 0) {
		printf("skipped: scripts/lab/softhsm setup failed (softhsm2/opensc missing?)\n");
		lab_stop();
		return 77;
	}
	snprintf(opts, sizeof(opts), "--serial %u --slot2-file %s", LAB_SERIAL, lab_secret_file);
	if (lab_start(opts) != 0) {
		printf("skipped: the emulated YubiKey did not start\n");
		lab_stop();
		p11_clean();
		return 77;
	}
	lab_init(&L);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	lab_free(&L);
	lab_stop();
	p11_clean();
	return rc;
}
