/* Unit tests: kdbx_buf (plain and secure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/core.h"

static void check_buf(bool secure)
{
	kdbx_buf b = KDBX_BUF_INIT;
	uint8_t *d;
	size_t len;

	b.secure = secure;
	assert_int_equal(kdbx_buf_append_str(&b, "ab"), KDBX_OK);
	assert_int_equal(kdbx_buf_append_byte(&b, 'c'), KDBX_OK);
	assert_int_equal(kdbx_buf_append_le16(&b, 0x0102), KDBX_OK);
	assert_int_equal(kdbx_buf_append_le32(&b, 0x03040506), KDBX_OK);
	assert_int_equal(kdbx_buf_append_le64(&b, 0x0708090a0b0c0d0eULL), KDBX_OK);
	assert_int_equal(b.len, 17);
	assert_memory_equal(b.data, "abc\x02\x01\x06\x05\x04\x03\x0e\x0d\x0c\x0b\x0a\x09\x08\x07", 17);
	assert_int_equal(kdbx_le16(b.data + 3), 0x0102);
	assert_int_equal(kdbx_le32(b.data + 5), 0x03040506);
	assert_true(kdbx_le64(b.data + 9) == 0x0708090a0b0c0d0eULL);
	/* growth keeps the content */
	for (int i = 0; i < 10000; i++)
		assert_int_equal(kdbx_buf_append_byte(&b, (uint8_t)i), KDBX_OK);
	assert_int_equal(b.len, 10017);
	assert_int_equal(b.data[10016], (uint8_t)9999);
	assert_memory_equal(b.data, "abc", 3);
	kdbx_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(kdbx_buf_append(&b, "xyz", 3), KDBX_OK);
	d = kdbx_buf_detach(&b, &len);
	assert_non_null(d);
	assert_int_equal(len, 3);
	assert_memory_equal(d, "xyz", 3);
	assert_null(b.data);
	kdbx_freezero(d, len);
	kdbx_buf_free(&b);
}

static void test_core_buf__plain(void **state)
{
	(void)state;
	check_buf(false);
}

static void test_core_buf__secure(void **state)
{
	(void)state;
	check_buf(true);
}

static void test_core_buf__overflow_rejected(void **state)
{
	kdbx_buf b = KDBX_BUF_INIT;

	(void)state;
	assert_int_equal(kdbx_buf_append_byte(&b, 1), KDBX_OK);
	assert_int_equal(kdbx_buf_reserve(&b, SIZE_MAX), KDBX_ENOMEM);
	assert_int_equal(b.len, 1);
	kdbx_buf_free(&b);
	kdbx_buf_free(&b); /* idempotent */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_buf__plain),
		cmocka_unit_test(test_core_buf__secure),
		cmocka_unit_test(test_core_buf__overflow_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
