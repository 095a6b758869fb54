/* Unit tests: value syntax of the KeePass XML - timestamps (ISO and KDBX4 base64), UUIDs,
 * booleans, tri-states, numbers (keepassxc-notes.md 3.7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "format/xml_internal.h"

#define S(x) x, strlen(x)

static void test_format_xml_values__iso_times(void **state)
{
	kdbx_time t = -1;
	char buf[21];

	(void)state;
	/* Unix epoch = 62135596800 s after 0001-01-01. */
	assert_int_equal(kdbx_xml__parse_time(S("1970-01-01T00:00:00Z"), &t), 0);
	assert_true(t == INT64_C(62135596800));
	assert_int_equal(kdbx_xml__parse_time(S("0001-01-01T00:00:00Z"), &t), 0);
	assert_true(t == 0);
	assert_int_equal(kdbx_xml__parse_time(S("2015-08-16T14:45:23Z"), &t), 0);
	assert_true(t == INT64_C(62135596800) + INT64_C(1439736323));
	kdbx_xml__format_iso(t, buf);
	assert_string_equal(buf, "2015-08-16T14:45:23Z");
	/* leap day, fractional seconds, offsets, no zone */
	assert_int_equal(kdbx_xml__parse_time(S("2000-02-29T12:00:00.123Z"), &t), 0);
	kdbx_xml__format_iso(t, buf);
	assert_string_equal(buf, "2000-02-29T12:00:00Z");
	assert_int_equal(kdbx_xml__parse_time(S("2000-02-29T14:00:00+02:00"), &t), 0);
	kdbx_xml__format_iso(t, buf);
	assert_string_equal(buf, "2000-02-29T12:00:00Z");
	assert_int_equal(kdbx_xml__parse_time(S("2000-02-29T12:00:00"), &t), 0);
	kdbx_xml__format_iso(t, buf);
	assert_string_equal(buf, "2000-02-29T12:00:00Z");
	kdbx_xml__format_iso(INT64_C(315537897599), buf);
	assert_string_equal(buf, "9999-12-31T23:59:59Z");
	kdbx_xml__format_iso(INT64_MAX, buf); /* clamped, never garbage */
	assert_string_equal(buf, "9999-12-31T23:59:59Z");
	/* invalid */
	assert_int_equal(kdbx_xml__parse_time(S("2001-02-29T00:00:00Z"), &t), -1);
	assert_int_equal(kdbx_xml__parse_time(S("2001-13-01T00:00:00Z"), &t), -1);
	assert_int_equal(kdbx_xml__parse_time(S("2001-12-01T24:00:00Z"), &t), -1);
	assert_int_equal(kdbx_xml__parse_time(S("2001-12-01T00:00:00Zjunk"), &t), -1);
	assert_int_equal(kdbx_xml__parse_time(S("yesterday"), &t), -1);
}

static void test_format_xml_values__base64_times(void **state)
{
	kdbx_time t = -1;
	char buf[13];

	(void)state;
	/* 2015-08-16T14:45:23Z as KDBX4 writes it */
	kdbx_time ref = INT64_C(62135596800) + INT64_C(1439736323);
	kdbx_xml__format_time_b64(ref, buf);
	assert_int_equal(strlen(buf), 12);
	assert_int_equal(kdbx_xml__parse_time(buf, strlen(buf), &t), 0);
	assert_true(t == ref);
	/* known vector: 0x0000000E_D3E1D0E3 LE -> "49DhwOMOAAA=" style; check one byte value */
	assert_int_equal(kdbx_xml__parse_time(S("AQAAAAAAAAA="), &t), 0);
	assert_true(t == 1);
	/* shorter data is zero-padded, longer truncated to 8 bytes (KeePassXC) */
	assert_int_equal(kdbx_xml__parse_time(S("AQ=="), &t), 0);
	assert_true(t == 1);
	assert_int_equal(kdbx_xml__parse_time(S("AgAAAAAAAAD/////"), &t), 0);
	assert_true(t == 2);
	/* empty = base64 of nothing = 0001-01-01 */
	assert_int_equal(kdbx_xml__parse_time("", 0, &t), 0);
	assert_true(t == 0);
	/* any version: the ISO form is also accepted where base64 is expected and vice versa */
	assert_int_equal(kdbx_xml__parse_time(S("AQAAAAAAAA"), &t), -1); /* unpadded: not base64, not ISO */
}

static void test_format_xml_values__uuids(void **state)
{
	kdbx_uuid u;
	char buf[25];

	(void)state;
	assert_int_equal(kdbx_xml__parse_uuid(S("lmU+9n0aeESKZvcEze+bRg=="), &u), 0);
	assert_int_equal(u.bytes[0], 0x96);
	assert_int_equal(u.bytes[15], 0x46);
	kdbx_xml__format_uuid(&u, buf);
	assert_string_equal(buf, "lmU+9n0aeESKZvcEze+bRg==");
	/* null / bad -> all zero, reported */
	memset(&u, 0xAA, sizeof(u));
	assert_int_equal(kdbx_xml__parse_uuid("", 0, &u), -1);
	assert_true(u.bytes[0] == 0 && u.bytes[15] == 0);
	assert_int_equal(kdbx_xml__parse_uuid(S("AAAA"), &u), -1);
	assert_int_equal(kdbx_xml__parse_uuid(S("lmU+9n0aeESKZvcEze+bR!=="), &u), -1);
	assert_int_equal(kdbx_xml__parse_uuid(S("AAAAAAAAAAAAAAAAAAAAAA=="), &u), 0);
	memset(&u, 0, sizeof(u));
	kdbx_xml__format_uuid(&u, buf);
	assert_string_equal(buf, "AAAAAAAAAAAAAAAAAAAAAA==");
}

static void test_format_xml_values__bools_and_numbers(void **state)
{
	bool b = true;
	kdbx_tristate t = KDBX_TRUE;
	int64_t v = 7;

	(void)state;
	assert_int_equal(kdbx_xml__parse_bool(S("True"), &b), 0);
	assert_true(b);
	assert_int_equal(kdbx_xml__parse_bool(S("FALSE"), &b), 0);
	assert_false(b);
	assert_int_equal(kdbx_xml__parse_bool(S("tRuE"), &b), 0);
	assert_true(b);
	assert_int_equal(kdbx_xml__parse_bool("", 0, &b), 0);
	assert_false(b);
	assert_int_equal(kdbx_xml__parse_bool(S("yes"), &b), -1);
	assert_int_equal(kdbx_xml__parse_bool(S("1"), &b), -1);
	assert_true(kdbx_xml__attr_true("True"));
	assert_true(kdbx_xml__attr_true("1"));
	assert_false(kdbx_xml__attr_true("False"));
	assert_false(kdbx_xml__attr_true(NULL));

	assert_int_equal(kdbx_xml__parse_tristate(S("null"), &t), 0);
	assert_int_equal(t, KDBX_INHERIT);
	assert_int_equal(kdbx_xml__parse_tristate(S("TRUE"), &t), 0);
	assert_int_equal(t, KDBX_TRUE);
	assert_int_equal(kdbx_xml__parse_tristate(S("false"), &t), 0);
	assert_int_equal(t, KDBX_FALSE);
	assert_int_equal(kdbx_xml__parse_tristate(S("maybe"), &t), -1);

	assert_int_equal(kdbx_xml__parse_int64(S("-1"), &v), 0);
	assert_true(v == -1);
	assert_int_equal(kdbx_xml__parse_int64(S(" 6291456 "), &v), 0);
	assert_true(v == 6291456);
	assert_int_equal(kdbx_xml__parse_int64(S("9223372036854775807"), &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(kdbx_xml__parse_int64(S("-9223372036854775808"), &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(kdbx_xml__parse_int64(S("9223372036854775808"), &v), -1);
	assert_int_equal(kdbx_xml__parse_int64(S("12a"), &v), -1);
	assert_int_equal(kdbx_xml__parse_int64(S("-"), &v), -1);
	assert_int_equal(kdbx_xml__parse_int64("", 0, &v), 0);
	assert_true(v == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_xml_values__iso_times),
		cmocka_unit_test(test_format_xml_values__base64_times),
		cmocka_unit_test(test_format_xml_values__uuids),
		cmocka_unit_test(test_format_xml_values__bools_and_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
