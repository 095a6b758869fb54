/* Unit tests: kdbx_file_read and kdbx_file_write_atomic, including a forced
 * failure at every step (the original file must survive steps 1-4). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/core.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/kdbx-file-test-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/db.kdbx", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;
	char p[512];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	free(f);
	kdbx_file__fail_step(0);
	return 0;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	if (d != NULL)
		closedir(d);
	return n;
}

static void assert_content(const char *path, const char *expect)
{
	kdbx_buf b = KDBX_BUF_INIT;

	assert_int_equal(kdbx_file_read(path, &b), KDBX_OK);
	assert_int_equal(b.len, strlen(expect));
	assert_memory_equal(b.data, expect, b.len);
	kdbx_buf_free(&b);
}

static void test_core_file__write_new_is_0600(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(kdbx_file_write_atomic(f->path, (const uint8_t *)"hello", 5), KDBX_OK);
	assert_content(f->path, "hello");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(count_entries(f->dir), 1);
}

static void test_core_file__replace_keeps_mode(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(kdbx_file_write_atomic(f->path, (const uint8_t *)"one", 3), KDBX_OK);
	assert_int_equal(chmod(f->path, 0640), 0);
	assert_int_equal(kdbx_file_write_atomic(f->path, (const uint8_t *)"second", 6), KDBX_OK);
	assert_content(f->path, "second");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(count_entries(f->dir), 1);
}

static void test_core_file__write_through_symlink(void **state)
{
	struct fixture *f = *state;
	char link[160];
	struct stat st;

	snprintf(link, sizeof(link), "%s/link.kdbx", f->dir);
	assert_int_equal(kdbx_file_write_atomic(f->path, (const uint8_t *)"target", 6), KDBX_OK);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(kdbx_file_write_atomic(link, (const uint8_t *)"via link", 8), KDBX_OK);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_content(f->path, "via link");
}

static void fail_at(void **state, int step)
{
	struct fixture *f = *state;
	int rc;

	assert_int_equal(kdbx_file_write_atomic(f->path, (const uint8_t *)"original", 8), KDBX_OK);
	kdbx_file__fail_step(step);
	rc = kdbx_file_write_atomic(f->path, (const uint8_t *)"replacement", 11);
	kdbx_file__fail_step(0);
	assert_int_equal(rc, KDBX_EIO);
	/* The message carries the OS reason (the injected ENOSPC). */
	assert_non_null(strstr(kdbx_error_last(), strerror(ENOSPC)));
	/* No temp file is left behind. */
	assert_int_equal(count_entries(f->dir), 1);
	if (step <= 4)
		assert_content(f->path, "original");
	else
		/* After the rename the new file is complete; only durability is unknown. */
		assert_content(f->path, "replacement");
}

static void test_core_file__fail_open(void **state) { fail_at(state, 1); }
static void test_core_file__fail_write(void **state) { fail_at(state, 2); }
static void test_core_file__fail_fsync(void **state) { fail_at(state, 3); }
static void test_core_file__fail_rename(void **state) { fail_at(state, 4); }
static void test_core_file__fail_dir_fsync(void **state) { fail_at(state, 5); }

static void test_core_file__read_errors(void **state)
{
	struct fixture *f = *state;
	kdbx_buf b = KDBX_BUF_INIT;
	char missing[160];

	snprintf(missing, sizeof(missing), "%s/missing", f->dir);
	assert_int_equal(kdbx_file_read(missing, &b), KDBX_ENOTFOUND);
	assert_int_equal(kdbx_file_read(f->dir, &b), KDBX_EIO);
	assert_int_equal(b.len, 0);
	kdbx_buf_free(&b);
}

static void test_core_file__read_appends_secure(void **state)
{
	struct fixture *f = *state;
	kdbx_buf b = KDBX_BUF_INIT;

	b.secure = true;
	assert_int_equal(kdbx_file_write_atomic(f->path, (const uint8_t *)"data", 4), KDBX_OK);
	assert_int_equal(kdbx_buf_append(&b, "pre", 3), KDBX_OK);
	assert_int_equal(kdbx_file_read(f->path, &b), KDBX_OK);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.data, "predata", 7);
	kdbx_buf_free(&b);
}

static void test_core_file__missing_dir(void **state)
{
	(void)state;
	assert_int_equal(kdbx_file_write_atomic("/nonexistent-dir-kdbx/x.kdbx", (const uint8_t *)"x", 1), KDBX_EIO);
	assert_int_equal(kdbx_file_write_atomic(NULL, (const uint8_t *)"x", 1), KDBX_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_core_file__write_new_is_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_file__replace_keeps_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_file__write_through_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_file__fail_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_file__fail_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_file__fail_fsync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_file__fail_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_file__fail_dir_fsync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_file__read_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_file__read_appends_secure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_core_file__missing_dir, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
