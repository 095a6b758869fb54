/* Unit tests: secure memory, kdbx_secret, constant-time compare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/core.h"
#include "kdbx.h"

static void test_core_secmem__alloc_is_zeroed_small_and_large(void **state)
{
	size_t sizes[] = {1, 31, 4095, 4096, 10000, 1 << 20};

	(void)state;
	for (size_t i = 0; i < KDBX_ARRAY_LEN(sizes); i++) {
		uint8_t *p = kdbx_secure_alloc(sizes[i]);
		assert_non_null(p);
		for (size_t k = 0; k < sizes[i]; k++)
			assert_int_equal(p[k], 0);
		memset(p, 0xA5, sizes[i]);
		kdbx_secure_free(p, sizes[i]);
	}
	kdbx_secure_free(NULL, 10); /* NULL-safe */
	kdbx_freezero(NULL, 10);
}

static void test_core_secmem__ct_equal(void **state)
{
	uint8_t a[33], b[33];

	(void)state;
	memset(a, 7, sizeof(a));
	memset(b, 7, sizeof(b));
	assert_true(kdbx_ct_equal(a, b, sizeof(a)));
	b[32] ^= 1;
	assert_false(kdbx_ct_equal(a, b, sizeof(a)));
	assert_true(kdbx_ct_equal(a, b, 32));
	assert_true(kdbx_ct_equal(a, b, 0));
}

static void test_core_secmem__memzero(void **state)
{
	uint8_t a[16];

	(void)state;
	memset(a, 0xFF, sizeof(a));
	kdbx_memzero(a, 8);
	assert_int_equal(a[0], 0);
	assert_int_equal(a[7], 0);
	assert_int_equal(a[8], 0xFF);
}

static void test_core_secret__roundtrip(void **state)
{
	kdbx_secret *s = NULL;

	(void)state;
	assert_int_equal(kdbx_secret_new(&s, "hunter2", 7), KDBX_OK);
	assert_int_equal(kdbx_secret_len(s), 7);
	assert_memory_equal(kdbx_secret_data(s), "hunter2", 7);
	assert_string_equal(kdbx_secret_str(s), "hunter2");
	kdbx_secret_free(&s);
	assert_null(s);
	kdbx_secret_free(&s); /* NULL-safe */

	assert_int_equal(kdbx_secret_new(&s, NULL, 0), KDBX_OK);
	assert_int_equal(kdbx_secret_len(s), 0);
	assert_string_equal(kdbx_secret_str(s), "");
	kdbx_secret_free(&s);

	assert_int_equal(kdbx_secret_new(&s, NULL, 3), KDBX_EINVALID);
	assert_null(s);
}

static void test_core_secret__large_with_nul(void **state)
{
	kdbx_secret *s = NULL;
	uint8_t data[9000];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	assert_int_equal(kdbx_secret_new(&s, data, sizeof(data)), KDBX_OK);
	assert_memory_equal(kdbx_secret_data(s), data, sizeof(data));
	assert_int_equal(kdbx_secret_data(s)[sizeof(data)], 0);
	kdbx_secret_free(&s);
}

static void test_core_secmem__harden_and_free(void **state)
{
	uint8_t *p;

	(void)state;
	kdbx_harden_process(); /* must not fail or abort */
	p = malloc(10);
	assert_non_null(p);
	kdbx_free(p, 10);
	kdbx_free(NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_secmem__alloc_is_zeroed_small_and_large),
		cmocka_unit_test(test_core_secmem__ct_equal),
		cmocka_unit_test(test_core_secmem__memzero),
		cmocka_unit_test(test_core_secret__roundtrip),
		cmocka_unit_test(test_core_secret__large_with_nul),
		cmocka_unit_test(test_core_secmem__harden_and_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
