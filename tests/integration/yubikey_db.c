/* Databases protected by password + YubiKey (KeePassXC mode 1), end to end:
 *  - known-answer files from ../shared/interop (soft key with the published
 *    secret; a table-driven provider for the kdbxweb files whose secret is
 *    unknown but whose challenge/response pairs are in manifest.json);
 *  - KDBX 3.1 and KDBX 4 files created, saved and reopened through the
 *    emulated PC/SC key, and the typed failures (wrong secret, empty slot,
 *    key removed, touch timeout);
 *  - the real peer: keepassxc-cli 2.7.4 opens our files with -y 2:SERIAL and
 *    files it re-saved open here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

#include "kdbx.h"
#include "yubikey_lab.h"

static char shared_dir[512];
static char opts_default[700];
static char work_path[400];

/* ---- a provider answering from a fixed table (manifest.json pairs) ---- */
static const char *const table[][2] = {
	{"011ed85afa703341893596fba2da60b6cacabaa5468a0e9ea74698b901bc89ab",
	 "ae7244b336f3360e4669ec9eaf4ddc23785aef03"},
	{"0ba4bbdf2e44fe56b64136a5086ba3ab814130d8e3fe7ed0e869cc976af6c12a",
	 "18350f73193e1c89211921d3016bfe3ddfc54d3e"},
};

static int hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static int table_respond(kdbx_provider *self, const uint8_t *chal, size_t len, kdbx_secret **out)
{
	char hex[2 * 64 + 1];
	uint8_t resp[20];

	(void)self;
	if (len > 64)
		return KDBX_EINVALID;
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", chal[i]);
	hex[2 * len] = '\0';
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(hex, table[i][0]) != 0)
			continue;
		for (size_t j = 0; j < 20; j++)
			resp[j] = (uint8_t)(hexval(table[i][1][2 * j]) << 4 | hexval(table[i][1][2 * j + 1]));
		return kdbx_secret_new(out, resp, sizeof(resp));
	}
	return KDBX_ENOSLOT; /* unknown challenge: this "key" cannot answer */
}

static kdbx_provider table_provider = {KDBX_PROVIDER_VERSION, "table", NULL, table_respond, NULL,
                                       {NULL, NULL, NULL, NULL}};

static char *shared_path(const char *rel)
{
	static char p[700];

	snprintf(p, sizeof(p), "%s/interop/%s", shared_dir, rel);
	return p;
}

static kdbx_key *pw_key(const char *pw, kdbx_provider *p)
{
	kdbx_key *k = NULL;

	assert_int_equal(kdbx_key_new(&k), 0);
	assert_int_equal(kdbx_key_set_password(k, pw, strlen(pw)), 0);
	if (p != NULL)
		assert_int_equal(kdbx_key_add_challenge_response(k, p), 0);
	return k;
}

static int try_open(const char *path, const char *pw, kdbx_provider *p, kdbx_db **out)
{
	kdbx_key *k = pw_key(pw, p);
	kdbx_db *db = NULL;
	int rc = kdbx_db_open(&db, path, k, NULL);

	kdbx_key_free(&k);
	if (out != NULL)
		*out = db;
	else
		kdbx_db_free(&db);
	return rc;
}

static void test_yk_files__kdbxweb_table(void **state)
{
	(void)state;
	assert_int_equal(try_open(shared_path("kdbxweb/YubiKey4.kdbx"), "demo", &table_provider, NULL), 0);
	assert_int_equal(try_open(shared_path("kdbxweb/YubiKey3.kdbx"), "demo", &table_provider, NULL), 0);
	assert_int_equal(try_open(shared_path("kdbxweb/YubiKey4.kdbx"), "demo", NULL, NULL), KDBX_EAUTH);
	assert_int_equal(try_open(shared_path("kdbxweb/YubiKey3.kdbx"), "demo", NULL, NULL), KDBX_EAUTH);
}

static void test_yk_files__keepassxc_softkey(void **state)
{
	kdbx_provider *soft = NULL;
	kdbx_db *db = NULL;
	const char *path = shared_path("keepassxc/YubiKeyProtectedPasswords.kdbx");

	(void)state;
	assert_int_equal(kdbx_softkey_new(&soft, KDBX_SOFTKEY_SHA1, lab_secret_file), 0);
	assert_int_equal(try_open(path, "a", soft, &db), 0);
	assert_non_null(kdbx_db_find_entry(db, "entry1"));
	assert_non_null(kdbx_db_find_entry(db, "entry2"));
	kdbx_db_free(&db);
	assert_int_equal(try_open(path, "a", NULL, NULL), KDBX_EAUTH);
	kdbx_provider_free(&soft);
	/* Another secret is wrong credentials too. */
	assert_int_equal(kdbx_softkey_new(&soft, KDBX_SOFTKEY_SHA1, lab_other_file), 0);
	assert_int_equal(try_open(path, "a", soft, NULL), KDBX_EAUTH);
	kdbx_provider_free(&soft);
}

/* ---- through the emulated key ---- */

static void make_db(const char *path, int kdbx4, kdbx_provider *p)
{
	kdbx_db *db = NULL;
	kdbx_entry *e = NULL;
	kdbx_kdf_params kp;
	kdbx_key *k;

	assert_int_equal(kdbx_db_new(&db, "yk test"), 0);
	if (kdbx4) {
		assert_int_equal(kdbx_kdf_defaults(&kp, KDBX_KDF_ARGON2ID), 0);
		kp.memory = 1024 * 1024;
		kp.iterations = 2;
		kp.parallelism = 1;
	} else {
		assert_int_equal(kdbx_kdf_defaults(&kp, KDBX_KDF_AES_KDBX3), 0);
		kp.rounds = 1000;
	}
	assert_int_equal(kdbx_db_set_kdf(db, &kp), 0);
	assert_int_equal(kdbx_entry_new(&e, kdbx_db_root(db), "hello"), 0);
	assert_int_equal(kdbx_entry_set_field(e, "UserName", "alice", 0), 0);
	k = pw_key("pw", p);
	assert_int_equal(kdbx_db_save(db, path, k), 0);
	assert_int_equal(kdbx_db_file_version(db) >= 0x00040000, kdbx4 ? 1 : 0);
	kdbx_key_free(&k);
	kdbx_db_free(&db);
}

static void expect_opens(const char *path, kdbx_provider *p, const char *entry)
{
	kdbx_db *db = NULL;

	assert_int_equal(try_open(path, "pw", p, &db), 0);
	assert_non_null(kdbx_db_find_entry(db, "hello"));
	if (entry != NULL)
		assert_non_null(kdbx_db_find_entry(db, entry));
	kdbx_db_free(&db);
}

static int kpxc(const char *sub, const char *path, const char *extra, const char *out_file)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "printf 'pw\\n' | keepassxc-cli %s -y 2:%u '%s' %s > '%s' 2>&1", sub,
	         LAB_SERIAL, path, extra, out_file);
	return system(cmd);
}

static int file_contains(const char *path, const char *needle)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void roundtrip(int kdbx4)
{
	kdbx_provider *yk = NULL, *soft = NULL;
	char out[420];

	snprintf(work_path, sizeof(work_path), "%s/db%d.kdbx", lab_dir, kdbx4 ? 4 : 3);
	snprintf(out, sizeof(out), "%s/kpxc.out", lab_dir);
	assert_int_equal(kdbx_yubikey_new(&yk, 2, LAB_SERIAL, NULL), 0);
	make_db(work_path, kdbx4, yk);
	expect_opens(work_path, yk, NULL);
	/* Recovery: the same secret in software opens it. */
	assert_int_equal(kdbx_softkey_new(&soft, KDBX_SOFTKEY_SHA1, lab_secret_file), 0);
	expect_opens(work_path, soft, NULL);
	assert_int_equal(try_open(work_path, "pw", NULL, NULL), KDBX_EAUTH);

	/* The real peer reads it through the same emulated key... */
	if (access("/usr/bin/keepassxc-cli", X_OK) == 0) {
		assert_int_equal(kpxc("ls", work_path, "", out), 0);
		assert_true(file_contains(out, "hello"));
		/* ...and what it re-saves opens here. */
		assert_int_equal(kpxc("add", work_path, "-u bob /from-kpxc", out), 0);
		expect_opens(work_path, yk, "from-kpxc");
		expect_opens(work_path, soft, "from-kpxc");
	} else {
		fail_msg("keepassxc-cli missing (scripts/install-deps)");
	}
	kdbx_provider_free(&soft);
	kdbx_provider_free(&yk);
}

static void test_yk_db__kdbx31(void **state)
{
	(void)state;
	roundtrip(0);
}

static void test_yk_db__kdbx4(void **state)
{
	(void)state;
	roundtrip(1);
}

static void test_yk_db__failures(void **state)
{
	kdbx_provider *yk = NULL, *yk1 = NULL;
	char opts[900];
	struct timespec t0, t1;
	double secs;

	(void)state;
	snprintf(work_path, sizeof(work_path), "%s/fail.kdbx", lab_dir);
	assert_int_equal(kdbx_yubikey_new(&yk, 2, LAB_SERIAL, NULL), 0);
	make_db(work_path, 1, yk);

	/* Slot 1 is not programmed. */
	assert_int_equal(kdbx_yubikey_new(&yk1, 1, LAB_SERIAL, NULL), 0);
	assert_int_equal(try_open(work_path, "pw", yk1, NULL), KDBX_ENOSLOT);
	kdbx_provider_free(&yk1);

	/* A key programmed with another secret: wrong credentials. */
	snprintf(opts, sizeof(opts), "--serial %u --slot2-file %s", LAB_SERIAL, lab_other_file);
	assert_int_equal(lab_card(opts), 0);
	assert_int_equal(try_open(work_path, "pw", yk, NULL), KDBX_EAUTH);

	/* Touch never given: bounded timeout. */
	snprintf(opts, sizeof(opts), "%s --touch -1", opts_default);
	assert_int_equal(lab_card(opts), 0);
	assert_int_equal(kdbx_yubikey_set_touch_timeout(yk, 1000), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(try_open(work_path, "pw", yk, NULL), KDBX_ETIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs < 5.0);

	/* Key removed. */
	assert_int_equal(lab_card_stop(), 0);
	assert_int_equal(try_open(work_path, "pw", yk, NULL), KDBX_EDEVICE);

	/* Back in: opens again. */
	assert_int_equal(lab_card(opts_default), 0);
	expect_opens(work_path, yk, NULL);
	kdbx_provider_free(&yk);
}

static int lab_setup(void **state)
{
	(void)state;
	snprintf(opts_default, sizeof(opts_default), "--serial %u --slot2-file %s", LAB_SERIAL,
	         lab_secret_file);
	if (lab_start(opts_default) != 0) {
		lab_stop();
		return -1;
	}
	return 0;
}

static int lab_teardown(void **state)
{
	(void)state;
	lab_stop();
	return 0;
}

int main(void)
{
	const char *sd = getenv("KDBX_SHARED_DIR");
	const struct CMUnitTest files[] = {
		cmocka_unit_test(test_yk_files__kdbxweb_table),
		cmocka_unit_test(test_yk_files__keepassxc_softkey),
	};
	const struct CMUnitTest lab[] = {
		cmocka_unit_test(test_yk_db__kdbx31),
		cmocka_unit_test(test_yk_db__kdbx4),
		cmocka_unit_test(test_yk_db__failures),
	};
	int failed;

	snprintf(shared_dir, sizeof(shared_dir), "%s", sd != NULL ? sd : "../shared");
	if (access(shared_path("manifest.json"), R_OK) != 0) {
		printf("skipped: ../shared absent\n");
		return 77;
	}
	lab_prepare("ykdb");
	failed = cmocka_run_group_tests_name("yubikey_files", files, NULL, NULL);
	failed += cmocka_run_group_tests_name("yubikey_lab", lab, lab_setup, lab_teardown);
	return failed;
}
