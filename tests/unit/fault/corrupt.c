/* Fault tests: every truncation and a bit flip at every offset of small files
 * written by libkdbx (KDBX 4 and KDBX 3.1) give a clean error from
 * kdbx_db_open_memory: a documented code, a message, no database, no crash
 * (CI runs this under ASan/UBSan). A KDF parameter blown up by a flip must
 * not hang the test: the progress callback cancels after a short time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <kdbx.h>

typedef struct fixture {
	uint8_t *file;
	size_t len;
	kdbx_key *key;
} fixture;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double open_started;

static int cancel_slow(double fraction, void *ud)
{
	(void)fraction;
	(void)ud;
	return now() - open_started > 0.5;
}

static void make_file(fixture *fx, kdbx_kdf_type kdf_type)
{
	kdbx_db *db = NULL;
	kdbx_entry *e = NULL;
	kdbx_kdf_params kdf;

	assert_int_equal(kdbx_db_new(&db, "Fault"), KDBX_OK);
	assert_int_equal(kdbx_kdf_defaults(&kdf, kdf_type), KDBX_OK);
	kdf.rounds = 50;
	kdf.iterations = 1;
	kdf.memory = 64 * 1024;
	kdf.parallelism = 1;
	assert_int_equal(kdbx_db_set_kdf(db, &kdf), KDBX_OK);
	assert_int_equal(kdbx_entry_new(&e, kdbx_db_root(db), "entry ✓"), KDBX_OK);
	assert_int_equal(kdbx_entry_set_field(e, KDBX_FIELD_PASSWORD, "secret", 1), KDBX_OK);
	assert_int_equal(kdbx_entry_set_attachment(e, "a.txt", (const uint8_t *)"attachment", 10),
	                 KDBX_OK);
	assert_int_equal(kdbx_key_new(&fx->key), KDBX_OK);
	assert_int_equal(kdbx_key_set_password(fx->key, "pw", 2), KDBX_OK);
	assert_int_equal(kdbx_db_save_memory(db, fx->key, &fx->file, &fx->len), KDBX_OK);
	assert_true(fx->len > 100);
	kdbx_db_free(&db);
}

static int clean_code(int rc)
{
	return rc == KDBX_EAUTH || rc == KDBX_ECORRUPT || rc == KDBX_EUNSUPPORTED ||
	       rc == KDBX_ECANCELLED;
}

/* Opens an exact-size copy (so ASan sees any over-read); returns the code. */
static int open_copy(const fixture *fx, const uint8_t *data, size_t len, kdbx_db **out)
{
	kdbx_open_options opts = KDBX_OPEN_OPTIONS_INIT;
	uint8_t *copy = malloc(len ? len : 1);
	int rc;
	assert_non_null(copy);
	if (len)
		memcpy(copy, data, len);
	opts.progress = cancel_slow;
	open_started = now();
	*out = NULL;
	rc = kdbx_db_open_memory(out, copy, len, fx->key, &opts);
	free(copy);
	return rc;
}

static void expect_clean_failure(const fixture *fx, const uint8_t *data, size_t len,
                                 const char *what, size_t offset)
{
	kdbx_db *db = NULL;
	int rc = open_copy(fx, data, len, &db);
	if (rc == KDBX_OK || !clean_code(rc) || db != NULL || kdbx_error_last()[0] == '\0') {
		fprintf(stderr, "%s at offset %zu of %zu: rc %d (%s) message '%s'\n", what, offset, fx->len,
		        rc, kdbx_strerror(rc), kdbx_error_last());
		kdbx_db_free(&db);
		fail();
	}
}

static void run_truncations(kdbx_kdf_type t)
{
	fixture fx = {0};
	kdbx_db *db = NULL;
	make_file(&fx, t);
	/* The intact file opens: the failures below are due to the damage. */
	assert_int_equal(open_copy(&fx, fx.file, fx.len, &db), KDBX_OK);
	kdbx_db_free(&db);
	for (size_t n = 0; n < fx.len; n++)
		expect_clean_failure(&fx, fx.file, n, "truncation", n);
	kdbx_free(fx.file, fx.len);
	kdbx_key_free(&fx.key);
}

static void run_bitflips(kdbx_kdf_type t, int must_fail)
{
	fixture fx = {0};
	uint8_t *buf;
	make_file(&fx, t);
	buf = malloc(fx.len);
	assert_non_null(buf);
	for (size_t i = 0; i < fx.len; i++) {
		/* Low and high bit: small and large changes of length/number fields. */
		for (int bit = 0; bit < 8; bit += 7) {
			kdbx_db *db = NULL;
			int rc;
			memcpy(buf, fx.file, fx.len);
			buf[i] ^= (uint8_t)(1u << bit);
			if (must_fail) {
				expect_clean_failure(&fx, buf, fx.len, "bit flip", i);
				continue;
			}
			/* KDBX 3.1 does not authenticate every header byte: an open
			 * is acceptable, a crash or an unclean error is not. */
			rc = open_copy(&fx, buf, fx.len, &db);
			if (rc != KDBX_OK && (!clean_code(rc) || db || kdbx_error_last()[0] == '\0')) {
				fprintf(stderr, "bit flip at %zu: rc %d '%s'\n", i, rc, kdbx_error_last());
				fail();
			}
			kdbx_db_free(&db);
		}
	}
	free(buf);
	kdbx_free(fx.file, fx.len);
	kdbx_key_free(&fx.key);
}

static void test_fault_corrupt__kdbx4_truncated(void **state)
{
	(void)state;
	run_truncations(KDBX_KDF_AES_KDBX4);
}

static void test_fault_corrupt__kdbx4_argon2_truncated(void **state)
{
	(void)state;
	run_truncations(KDBX_KDF_ARGON2ID);
}

static void test_fault_corrupt__kdbx3_truncated(void **state)
{
	(void)state;
	run_truncations(KDBX_KDF_AES_KDBX3);
}

static void test_fault_corrupt__kdbx4_bitflips_all_refused(void **state)
{
	(void)state;
	/* KDBX 4 authenticates every byte (header SHA-256 + HMAC, HMAC blocks). */
	run_bitflips(KDBX_KDF_AES_KDBX4, 1);
}

static void test_fault_corrupt__kdbx3_bitflips_clean(void **state)
{
	(void)state;
	run_bitflips(KDBX_KDF_AES_KDBX3, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_corrupt__kdbx4_truncated),
		cmocka_unit_test(test_fault_corrupt__kdbx4_argon2_truncated),
		cmocka_unit_test(test_fault_corrupt__kdbx3_truncated),
		cmocka_unit_test(test_fault_corrupt__kdbx4_bitflips_all_refused),
		cmocka_unit_test(test_fault_corrupt__kdbx3_bitflips_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
