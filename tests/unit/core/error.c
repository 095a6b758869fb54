/* Unit tests: thread-local error slot and kdbx_strerror. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/core.h"
#include "kdbx.h"

static void test_core_error__set_returns_code_and_message(void **state)
{
	(void)state;
	kdbx_error_clear();
	assert_int_equal(kdbx_error_last_code(), KDBX_OK);
	assert_string_equal(kdbx_error_last(), "");
	assert_int_equal(kdbx_error__set(KDBX_ECORRUPT, "bad field %d", 7), KDBX_ECORRUPT);
	assert_int_equal(kdbx_error_last_code(), KDBX_ECORRUPT);
	assert_string_equal(kdbx_error_last(), "bad field 7");
	kdbx_error_clear();
	assert_int_equal(kdbx_error_last_code(), KDBX_OK);
}

static void *other_thread(void *arg)
{
	(void)arg;
	/* A fresh thread sees no error, and its error does not leak back. */
	if (kdbx_error_last_code() != KDBX_OK)
		return (void *)1;
	kdbx_error__set(KDBX_EIO, "thread");
	return NULL;
}

static void test_core_error__is_thread_local(void **state)
{
	pthread_t t;
	void *res = (void *)2;

	(void)state;
	kdbx_error__set(KDBX_EAUTH, "main");
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	pthread_join(t, &res);
	assert_null(res);
	assert_int_equal(kdbx_error_last_code(), KDBX_EAUTH);
	assert_string_equal(kdbx_error_last(), "main");
}

static void test_core_error__strerror_names_every_code(void **state)
{
	(void)state;
	for (int c = KDBX_EEXISTS; c <= KDBX_OK; c++) {
		const char *s = kdbx_strerror(c);
		assert_non_null(s);
		assert_string_not_equal(s, "unknown error");
		/* distinct names */
		for (int d = KDBX_EEXISTS; d < c; d++)
			assert_string_not_equal(s, kdbx_strerror(d));
	}
	assert_string_equal(kdbx_strerror(-1000), "unknown error");
	assert_string_equal(kdbx_strerror(KDBX_EAUTH), "wrong credentials");
}

static void test_core_error__long_message_truncated(void **state)
{
	char big[2000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	kdbx_error__set(KDBX_ERROR, "%s", big);
	assert_true(strlen(kdbx_error_last()) < sizeof(big) - 1);
	assert_true(strlen(kdbx_error_last()) > 100);
}

static void test_core_error__version(void **state)
{
	(void)state;
	assert_string_equal(kdbx_version(), KDBX_VERSION_STRING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_error__set_returns_code_and_message),
		cmocka_unit_test(test_core_error__is_thread_local),
		cmocka_unit_test(test_core_error__strerror_names_every_code),
		cmocka_unit_test(test_core_error__long_message_truncated),
		cmocka_unit_test(test_core_error__version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
