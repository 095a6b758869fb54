/* Unit tests: kdbx_buf (plain and secure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
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

/* Large secure buffers grow in place or by mremap (past the page and the
 * 1 MiB lock threshold) and can give back their consumed front. */
static void test_core_buf__secure_large_grow_and_release(void **state)
{
	kdbx_buf b = KDBX_BUF_INIT;
	const size_t n = (size_t)3 << 20;
	uint8_t chunk[4096];
	size_t i, before;

	(void)state;
	b.secure = true;
	for (i = 0; i < n / sizeof(chunk); i++) {
		memset(chunk, (int)(i & 0xff), sizeof(chunk));
		assert_int_equal(kdbx_buf_append(&b, chunk, sizeof(chunk)), KDBX_OK);
	}
	assert_int_equal(b.len, n);
	for (i = 0; i < n / sizeof(chunk); i++)
		assert_int_equal(b.data[i * sizeof(chunk) + 17], (uint8_t)(i & 0xff));
	/* Releasing more than len is refused; a small drop releases nothing. */
	before = b.len;
	kdbx_buf_release_front(&b, b.len + 1);
	assert_int_equal(b.len, before);
	kdbx_buf_release_front(&b, 100);
	assert_int_equal(b.len, before);
	/* 1 MiB + 100 consumed: whole pages go, the bytes after them stay. */
	kdbx_buf_release_front(&b, ((size_t)1 << 20) + 100);
	assert_true(b.len < before && b.len > before - ((size_t)1 << 20) - 100);
	assert_int_equal(b.data[b.len - 1], (uint8_t)((n / sizeof(chunk) - 1) & 0xff));
	assert_int_equal(b.data[0], (uint8_t)(((before - b.len) / sizeof(chunk)) & 0xff));
	/* Everything consumed: at least a page of the block stays so it can still be freed. */
	kdbx_buf_release_front(&b, b.len);
	assert_true(b.len < 4096 * 16 && b.cap >= 4096 && b.cap < ((size_t)2 << 20));
	assert_int_equal(kdbx_buf_append(&b, "tail", 4), KDBX_OK);
	assert_memory_equal(b.data + b.len - 4, "tail", 4);
	kdbx_buf_free(&b);
	/* Plain buffers are left alone. */
	assert_int_equal(kdbx_buf_append(&b, chunk, sizeof(chunk)), KDBX_OK);
	kdbx_buf_release_front(&b, sizeof(chunk));
	assert_int_equal(b.len, sizeof(chunk));
	kdbx_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_buf__plain),
		cmocka_unit_test(test_core_buf__secure),
		cmocka_unit_test(test_core_buf__overflow_rejected),
		cmocka_unit_test(test_core_buf__secure_large_grow_and_release),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
