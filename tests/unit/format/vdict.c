/* VariantDictionary parse/write (keepassxc-notes 3.2). */
#include "unit/format/fixture.h"

/* version 0x0100, UInt32 "P"=2, UInt64 "R"=6000, Bool "b"=1, ByteArray "S"=01 02 03, end */
static const uint8_t sample[] = {
	0x00, 0x01,
	0x04, 0x01, 0x00, 0x00, 0x00, 'P', 0x04, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x05, 0x01, 0x00, 0x00, 0x00, 'R', 0x08, 0x00, 0x00, 0x00, 0x70, 0x17, 0, 0, 0, 0, 0, 0,
	0x08, 0x01, 0x00, 0x00, 0x00, 'b', 0x01, 0x00, 0x00, 0x00, 0x01,
	0x42, 0x01, 0x00, 0x00, 0x00, 'S', 0x03, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03,
	0x00};

static void test_format_vdict__parse_known(void **state)
{
	(void)state;
	kdbx_vdict d;
	assert_int_equal(kdbx_vdict_parse(&d, sample, sizeof(sample)), KDBX_OK);
	assert_int_equal(d.count, 4);
	const kdbx_vdict_item *it = kdbx_vdict_get(&d, "R");
	assert_non_null(it);
	assert_int_equal(it->type, 0x05);
	assert_int_equal(kdbx_le64(it->value), 6000);
	it = kdbx_vdict_get(&d, "S");
	assert_non_null(it);
	assert_int_equal(it->len, 3);
	assert_memory_equal(it->value, "\x01\x02\x03", 3);
	assert_null(kdbx_vdict_get(&d, "missing"));
	kdbx_vdict_free(&d);
	assert_int_equal(d.count, 0);
}

static void test_format_vdict__write_is_byte_exact(void **state)
{
	(void)state;
	kdbx_vdict d;
	kdbx_buf out = KDBX_BUF_INIT;
	assert_int_equal(kdbx_vdict_parse(&d, sample, sizeof(sample)), KDBX_OK);
	assert_int_equal(kdbx_vdict_write(&d, &out), KDBX_OK);
	assert_int_equal(out.len, sizeof(sample));
	assert_memory_equal(out.data, sample, sizeof(sample));
	kdbx_buf_free(&out);
	kdbx_vdict_free(&d);
}

static void test_format_vdict__set_replace_remove(void **state)
{
	(void)state;
	kdbx_vdict d = {NULL, 0};
	uint8_t v4[4] = {1, 0, 0, 0}, v8[8] = {9, 0, 0, 0, 0, 0, 0, 0};
	assert_int_equal(kdbx_vdict_set(&d, 0x04, "a", v4, 4), KDBX_OK);
	assert_int_equal(kdbx_vdict_set(&d, 0x18, "s", "hi", 2), KDBX_OK);
	assert_int_equal(kdbx_vdict_set(&d, 0x42, "empty", NULL, 0), KDBX_OK);
	assert_int_equal(kdbx_vdict_set(&d, 0x05, "a", v8, 8), KDBX_OK); /* replaces */
	assert_int_equal(d.count, 3);
	assert_int_equal(kdbx_vdict_get(&d, "a")->type, 0x05);
	/* wrong lengths for fixed-size types are refused */
	assert_int_equal(kdbx_vdict_set(&d, 0x04, "x", v8, 8), KDBX_EINVALID);
	assert_int_equal(kdbx_vdict_set(&d, 0x08, "x", v8, 2), KDBX_EINVALID);
	assert_int_equal(kdbx_vdict_set(&d, 0x99, "x", v8, 1), KDBX_EINVALID);
	assert_int_equal(kdbx_vdict_remove(&d, "s"), KDBX_OK);
	assert_int_equal(kdbx_vdict_remove(&d, "s"), KDBX_ENOTFOUND);
	assert_int_equal(d.count, 2);
	assert_string_equal(d.items[0].name, "a");
	assert_string_equal(d.items[1].name, "empty");

	kdbx_buf out = KDBX_BUF_INIT;
	kdbx_vdict back;
	assert_int_equal(kdbx_vdict_write(&d, &out), KDBX_OK);
	assert_int_equal(kdbx_vdict_parse(&back, out.data, out.len), KDBX_OK);
	assert_int_equal(back.count, 2);
	assert_int_equal(kdbx_le64(kdbx_vdict_get(&back, "a")->value), 9);
	assert_int_equal(kdbx_vdict_get(&back, "empty")->len, 0);
	kdbx_vdict_free(&back);
	kdbx_buf_free(&out);
	kdbx_vdict_free(&d);
}

static void test_format_vdict__truncated_everywhere(void **state)
{
	(void)state;
	for (size_t n = 0; n < sizeof(sample); n++) {
		kdbx_vdict d;
		int rc = kdbx_vdict_parse(&d, sample, n);
		assert_int_equal(rc, KDBX_ECORRUPT);
		assert_null(d.items);
	}
}

static void test_format_vdict__rejects_bad_input(void **state)
{
	(void)state;
	kdbx_vdict d;
	uint8_t buf[sizeof(sample)];

	/* newer major version */
	memcpy(buf, sample, sizeof(buf));
	buf[1] = 0x02;
	assert_int_equal(kdbx_vdict_parse(&d, buf, sizeof(buf)), KDBX_EUNSUPPORTED);
	/* minor version bumps are accepted */
	buf[1] = 0x01;
	buf[0] = 0x05;
	assert_int_equal(kdbx_vdict_parse(&d, buf, sizeof(buf)), KDBX_OK);
	kdbx_vdict_free(&d);
	/* UInt32 with a 5-byte value: change length field of "P" */
	memcpy(buf, sample, sizeof(buf));
	buf[2 + 1 + 4 + 1] = 0x05;
	assert_int_equal(kdbx_vdict_parse(&d, buf, sizeof(buf)), KDBX_ECORRUPT);
	/* unknown type */
	memcpy(buf, sample, sizeof(buf));
	buf[2] = 0x33;
	assert_int_equal(kdbx_vdict_parse(&d, buf, sizeof(buf)), KDBX_ECORRUPT);
	/* name with an embedded NUL */
	memcpy(buf, sample, sizeof(buf));
	buf[2 + 1 + 4] = 0x00;
	assert_int_equal(kdbx_vdict_parse(&d, buf, sizeof(buf)), KDBX_ECORRUPT);
	/* huge name length must not allocate or read out of bounds */
	memcpy(buf, sample, sizeof(buf));
	buf[2 + 1 + 3] = 0xFF;
	assert_int_equal(kdbx_vdict_parse(&d, buf, sizeof(buf)), KDBX_ECORRUPT);
}

static void test_format_vdict__every_bit_flip_is_safe(void **state)
{
	(void)state;
	uint8_t buf[sizeof(sample)];
	for (size_t i = 0; i < sizeof(sample) * 8; i++) {
		kdbx_vdict d;
		memcpy(buf, sample, sizeof(buf));
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		int rc = kdbx_vdict_parse(&d, buf, sizeof(buf));
		assert_true(rc == KDBX_OK || rc == KDBX_ECORRUPT || rc == KDBX_EUNSUPPORTED);
		if (rc == KDBX_OK)
			kdbx_vdict_free(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_vdict__parse_known),
		cmocka_unit_test(test_format_vdict__write_is_byte_exact),
		cmocka_unit_test(test_format_vdict__set_replace_remove),
		cmocka_unit_test(test_format_vdict__truncated_everywhere),
		cmocka_unit_test(test_format_vdict__rejects_bad_input),
		cmocka_unit_test(test_format_vdict__every_bit_flip_is_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
