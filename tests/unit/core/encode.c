/* Unit tests: base64 (RFC 4648 section 10 vectors), hex, UTF-8 validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/core.h"

static const char *b64_plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *b64_enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

static void test_core_encode__base64_rfc4648(void **state)
{
	(void)state;
	for (size_t i = 0; i < KDBX_ARRAY_LEN(b64_plain); i++) {
		kdbx_buf e = KDBX_BUF_INIT, d = KDBX_BUF_INIT;
		assert_int_equal(kdbx_base64_encode(&e, (const uint8_t *)b64_plain[i], strlen(b64_plain[i])), KDBX_OK);
		assert_int_equal(e.len, strlen(b64_enc[i]));
		if (e.len)
			assert_memory_equal(e.data, b64_enc[i], e.len);
		assert_int_equal(kdbx_base64_decode(&d, b64_enc[i], strlen(b64_enc[i])), KDBX_OK);
		assert_int_equal(d.len, strlen(b64_plain[i]));
		if (d.len)
			assert_memory_equal(d.data, b64_plain[i], d.len);
		assert_true(kdbx_base64_decoded_max(strlen(b64_enc[i])) >= d.len);
		kdbx_buf_free(&e);
		kdbx_buf_free(&d);
	}
}

static void test_core_encode__base64_binary_roundtrip(void **state)
{
	uint8_t in[256];
	kdbx_buf e = KDBX_BUF_INIT, d = KDBX_BUF_INIT;

	(void)state;
	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)(255 - i);
	assert_int_equal(kdbx_base64_encode(&e, in, sizeof(in)), KDBX_OK);
	assert_int_equal(kdbx_base64_decode(&d, (const char *)e.data, e.len), KDBX_OK);
	assert_int_equal(d.len, 256);
	assert_memory_equal(d.data, in, 256);
	kdbx_buf_free(&e);
	kdbx_buf_free(&d);
}

static void test_core_encode__base64_rejects_invalid(void **state)
{
	const char *bad[] = {"yy", "Zg=", "Z===", "Zg==Zg==", "Zm9v!A==", "Zm 9", "Zh==", "Zm9=", "=AAA",
	                     "Zm9vYm!yYmF6", "Zm9=YmFy", "Zm9vYm\xC3\xA9YmF6"};
	kdbx_buf d = KDBX_BUF_INIT;

	(void)state;
	assert_int_equal(kdbx_buf_append(&d, "keep", 4), KDBX_OK);
	for (size_t i = 0; i < KDBX_ARRAY_LEN(bad); i++) {
		assert_int_equal(kdbx_base64_decode(&d, bad[i], strlen(bad[i])), KDBX_ECORRUPT);
		assert_int_equal(d.len, 4); /* nothing appended on failure */
	}
	kdbx_buf_free(&d);
}

static void test_core_encode__hex(void **state)
{
	const uint8_t in[] = {0x00, 0x7f, 0xab, 0xff};
	uint8_t out[4];
	char s[9];

	(void)state;
	kdbx_hex_encode(s, in, 4, false);
	assert_string_equal(s, "007fabff");
	kdbx_hex_encode(s, in, 4, true);
	assert_string_equal(s, "007FABFF");
	assert_int_equal(kdbx_hex_decode(out, 4, "007FabFf", 8), KDBX_OK);
	assert_memory_equal(out, in, 4);
	assert_int_equal(kdbx_hex_decode(out, 4, "007Fab", 6), KDBX_ECORRUPT);
	assert_int_equal(kdbx_hex_decode(out, 4, "X07FabFf", 8), KDBX_ECORRUPT);
}

static void test_core_encode__utf8(void **state)
{
	(void)state;
	assert_true(kdbx_utf8_valid("", 0));
	assert_true(kdbx_utf8_valid("plain", 5));
	assert_true(kdbx_utf8_valid("\xce\x94\xc3\xb6\xd8\xb6", 6));  /* the NonAscii password */
	assert_true(kdbx_utf8_valid("\xf0\x9f\x9a\x97", 4));          /* U+1F697 */
	assert_false(kdbx_utf8_valid("\xc0\xaf", 2));                 /* overlong */
	assert_false(kdbx_utf8_valid("\xed\xa0\x80", 3));             /* surrogate */
	assert_false(kdbx_utf8_valid("\xf4\x90\x80\x80", 4));         /* > U+10FFFF */
	assert_false(kdbx_utf8_valid("\xe2\x82", 2));                 /* truncated */
	assert_false(kdbx_utf8_valid("\xff", 1));
	assert_false(kdbx_utf8_valid("a\x80", 2));
}

static void test_core_str__dup(void **state)
{
	char *a = kdbx_strdup("hello"), *b = kdbx_strndup("hello", 3);

	(void)state;
	assert_string_equal(a, "hello");
	assert_string_equal(b, "hel");
	assert_null(kdbx_strdup(NULL));
	free(a);
	free(b);
}

static void test_core_random__fills(void **state)
{
	uint8_t a[64] = {0}, b[64] = {0};

	(void)state;
	assert_int_equal(kdbx_random(a, sizeof(a)), KDBX_OK);
	assert_int_equal(kdbx_random(b, sizeof(b)), KDBX_OK);
	assert_memory_not_equal(a, b, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_encode__base64_rfc4648),
		cmocka_unit_test(test_core_encode__base64_binary_roundtrip),
		cmocka_unit_test(test_core_encode__base64_rejects_invalid),
		cmocka_unit_test(test_core_encode__hex),
		cmocka_unit_test(test_core_encode__utf8),
		cmocka_unit_test(test_core_str__dup),
		cmocka_unit_test(test_core_random__fills),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
