/* Fault tests: a save that fails at any step of the atomic write
 * (kdbx_file__fail_step: 1 open, 2 write, 3 fsync, 4 rename, 5 dir fsync)
 * reports an error and leaves the original file readable. Up to the rename
 * the old content must be intact; after it (step 5) the file must be either
 * the complete old or the complete new database. No temporary file is left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kdbx.h>

#include "core/core.h"

static kdbx_key *make_key(void)
{
	kdbx_key *k = NULL;
	assert_int_equal(kdbx_key_new(&k), KDBX_OK);
	assert_int_equal(kdbx_key_set_password(k, "pw", 2), KDBX_OK);
	return k;
}

static void cheap_kdf(kdbx_db *db)
{
	kdbx_kdf_params kdf;
	assert_int_equal(kdbx_kdf_defaults(&kdf, KDBX_KDF_ARGON2ID), KDBX_OK);
	kdf.iterations = 1;
	kdf.memory = 64 * 1024;
	kdf.parallelism = 1;
	assert_int_equal(kdbx_db_set_kdf(db, &kdf), KDBX_OK);
}

static size_t entries_in(const char *path, const kdbx_key *key)
{
	kdbx_db *db = NULL;
	size_t n;
	int rc = kdbx_db_open(&db, path, key, NULL);
	if (rc != KDBX_OK) {
		fprintf(stderr, "cannot reopen %s: %s (%s)\n", path, kdbx_strerror(rc), kdbx_error_last());
		fail();
	}
	n = kdbx_db_entry_count(db);
	kdbx_db_free(&db);
	return n;
}

static int files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void test_fault_save__each_step_keeps_original(void **state)
{
	char dir[] = "/tmp/kdbx-fault-XXXXXX";
	char path[256];
	kdbx_key *key = make_key();
	kdbx_db *db = NULL;
	kdbx_entry *e = NULL;
	struct stat st;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vault.kdbx", dir);

	/* The original: one entry, mode 0640 (kept by the atomic save). */
	assert_int_equal(kdbx_db_new(&db, NULL), KDBX_OK);
	cheap_kdf(db);
	assert_int_equal(kdbx_entry_new(&e, kdbx_db_root(db), "old"), KDBX_OK);
	assert_int_equal(kdbx_db_save(db, path, key), KDBX_OK);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(entries_in(path, key), 1);

	/* The change that the interrupted saves try to write. */
	assert_int_equal(kdbx_entry_new(&e, kdbx_db_root(db), "new"), KDBX_OK);
	for (int step = 1; step <= 5; step++) {
		kdbx_file__fail_step(step);
		int rc = kdbx_db_save(db, path, key);
		kdbx_file__fail_step(0);
		if (rc == KDBX_OK) {
			fprintf(stderr, "save reported success although step %d failed\n", step);
			fail();
		}
		assert_true(kdbx_error_last()[0] != '\0');
		size_t n = entries_in(path, key);
		if (step <= 4 && n != 1) {
			fprintf(stderr, "step %d: file has %zu entries, the original had 1\n", step, n);
			fail();
		}
		assert_true(n == 1 || n == 2);
		if (files_in(dir) != 1) {
			fprintf(stderr, "step %d: %d files left in %s (temporary file not removed)\n", step,
			        files_in(dir), dir);
			fail();
		}
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0640);
	}
	/* Without injected faults the save goes through. */
	assert_int_equal(kdbx_db_save(db, path, key), KDBX_OK);
	assert_int_equal(entries_in(path, key), 2);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);

	kdbx_db_free(&db);
	kdbx_key_free(&key);
	unlink(path);
	rmdir(dir);
}

static void test_fault_save__new_file_not_created_on_failure(void **state)
{
	char dir[] = "/tmp/kdbx-fault-XXXXXX";
	char path[256];
	kdbx_key *key = make_key();
	kdbx_db *db = NULL;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fresh.kdbx", dir);
	assert_int_equal(kdbx_db_new(&db, NULL), KDBX_OK);
	cheap_kdf(db);
	for (int step = 1; step <= 4; step++) {
		kdbx_file__fail_step(step);
		int rc = kdbx_db_save(db, path, key);
		kdbx_file__fail_step(0);
		assert_int_not_equal(rc, KDBX_OK);
		if (access(path, F_OK) == 0 || files_in(dir) != 0) {
			fprintf(stderr, "step %d: a file was left behind\n", step);
			fail();
		}
	}
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_save__each_step_keeps_original),
		cmocka_unit_test(test_fault_save__new_file_not_created_on_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
