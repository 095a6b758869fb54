/* Unit tests: save to memory / file, reopen, compare content (model + format + keys). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "model/model.h"
#include "unit/model/db_fixture.h"

static const uint8_t blob[] = {0, 1, 2, 3, 250, 251, 252, 253, 254, 255};

static void expect_field(const kdbx_entry *e, const char *name, const char *want, int prot)
{
	kdbx_secret *s = NULL;

	assert_int_equal(kdbx_entry_field_protected(e, name), prot);
	assert_int_equal(kdbx_entry_field_reveal(&s, e, name), KDBX_OK);
	assert_string_equal(kdbx_secret_str(s), want);
	kdbx_secret_free(&s);
}

static kdbx_db *build_db(bool v41)
{
	kdbx_db *db = NULL;
	kdbx_group *g = NULL, *sub = NULL;
	kdbx_entry *e = NULL, *f = NULL, *gone = NULL;

	assert_int_equal(kdbx_db_new(&db, "Round Trip"), KDBX_OK);
	assert_int_equal(kdbx_db_set_meta(db, KDBX_META_DESCRIPTION, "desc \xc3\xa9"), KDBX_OK);
	assert_int_equal(kdbx_group_add_group(&g, kdbx_db_root(db), "Internet"), KDBX_OK);
	assert_int_equal(kdbx_group_add_group(&sub, g, "Mail"), KDBX_OK);
	assert_int_equal(kdbx_entry_new(&e, sub, "Alice"), KDBX_OK);
	assert_int_equal(kdbx_entry_set_field(e, KDBX_FIELD_USERNAME, "alice", 0), KDBX_OK);
	assert_int_equal(kdbx_entry_set_field(e, KDBX_FIELD_PASSWORD, "old", 0), KDBX_OK);
	assert_int_equal(kdbx_entry_backup(db, e), KDBX_OK);
	assert_int_equal(kdbx_entry_set_field(e, KDBX_FIELD_PASSWORD, "p\xc3\xa4ss w0rd", 0), KDBX_OK);
	assert_int_equal(kdbx_entry_set_field(e, "OTP", "otpauth://x", 1), KDBX_OK);
	assert_int_equal(kdbx_entry_set_field(e, "Plain", "custom", 0), KDBX_OK);
	assert_int_equal(kdbx_entry_set_attachment(e, "bin.dat", blob, sizeof(blob)), KDBX_OK);
	assert_int_equal(kdbx_entry_set_tags(e, "mail;work"), KDBX_OK);
	assert_int_equal(kdbx_entry_new(&f, kdbx_db_root(db), "Second"), KDBX_OK);
	assert_int_equal(kdbx_entry_set_attachment(f, "same.dat", blob, sizeof(blob)), KDBX_OK);
	assert_int_equal(kdbx_entry_new(&gone, kdbx_db_root(db), "Gone"), KDBX_OK);
	assert_int_equal(kdbx_db_set_recycle_bin_enabled(db, 0), KDBX_OK);
	assert_int_equal(kdbx_entry_delete(db, gone), KDBX_OK);
	assert_int_equal(kdbx_db_set_recycle_bin_enabled(db, 1), KDBX_OK);
	if (v41)
		assert_int_equal(kdbx_group_set_tags(g, "t1"), KDBX_OK);
	return db;
}

static void check_db(kdbx_db *db, const kdbx_db *orig)
{
	kdbx_entry *e, *f, *h;
	const uint8_t *data;
	size_t len;
	kdbx_uuid u;

	assert_string_equal(kdbx_db_meta(db, KDBX_META_NAME), "Round Trip");
	assert_string_equal(kdbx_db_meta(db, KDBX_META_DESCRIPTION), "desc \xc3\xa9");
	assert_int_equal(kdbx_db_group_count(db), 3);
	assert_int_equal(kdbx_db_entry_count(db), 2);
	assert_memory_equal(kdbx_db_uuid(db), kdbx_db_uuid(orig), 16);
	e = kdbx_db_find_entry(db, "/Internet/Mail/Alice");
	assert_non_null(e);
	expect_field(e, KDBX_FIELD_USERNAME, "alice", 0);
	expect_field(e, KDBX_FIELD_PASSWORD, "p\xc3\xa4ss w0rd", 1);
	expect_field(e, "OTP", "otpauth://x", 1);
	expect_field(e, "Plain", "custom", 0);
	assert_null(kdbx_entry_field(e, "OTP"));
	assert_string_equal(kdbx_entry_tags(e), "mail;work");
	assert_int_equal(kdbx_entry_attachment(e, "bin.dat", &data, &len), KDBX_OK);
	assert_int_equal(len, sizeof(blob));
	assert_memory_equal(data, blob, sizeof(blob));
	assert_int_equal(kdbx_entry_history_count(e), 1);
	h = kdbx_entry_history_at(e, 0);
	expect_field(h, KDBX_FIELD_PASSWORD, "old", 1);
	f = kdbx_db_find_entry(db, "/Second");
	assert_non_null(f);
	assert_int_equal(kdbx_entry_attachment(f, "same.dat", &data, &len), KDBX_OK);
	assert_memory_equal(data, blob, sizeof(blob));
	assert_int_equal(kdbx_db_deleted_count(db), 1);
	assert_int_equal(kdbx_db_deleted(db, 0, &u, NULL), KDBX_OK);
	assert_null(kdbx_db_find_entry_uuid(db, &u));
}

static void roundtrip(kdbx_kdf_type kdf, bool v41, uint32_t want_version)
{
	kdbx_key *key = password_key("test"), *bad = password_key("wrong");
	kdbx_db *db = build_db(v41), *db2 = NULL, *db3 = NULL;
	uint8_t *out = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0;

	cheap_kdf(db, kdf);
	assert_int_equal(kdbx_db_save_version(db), want_version);
	assert_int_equal(kdbx_db_save_memory(db, key, &out, &len), KDBX_OK);
	assert_true(len > 100);
	assert_int_equal(kdbx_db_file_version(db), want_version);

	assert_int_equal(kdbx_db_open_memory(&db2, out, len, bad, NULL), KDBX_EAUTH);
	assert_null(db2);
	assert_int_equal(kdbx_db_open_memory(&db2, out, len, key, NULL), KDBX_OK);
	assert_int_equal(kdbx_db_file_version(db2), want_version);
	check_db(db2, db);

	/* re-save with the key kept from open: new seeds, same content */
	assert_int_equal(kdbx_db_save_memory(db2, NULL, &out2, &len2), KDBX_OK);
	assert_true(len2 != len || memcmp(out, out2, len) != 0);
	assert_int_equal(kdbx_db_open_memory(&db3, out2, len2, key, NULL), KDBX_OK);
	check_db(db3, db);

	kdbx_free(out, len);
	kdbx_free(out2, len2);
	kdbx_db_free(&db);
	kdbx_db_free(&db2);
	kdbx_db_free(&db3);
	kdbx_key_free(&key);
	kdbx_key_free(&bad);
}

static void test_model_roundtrip__argon2_kdbx4(void **state)
{
	(void)state;
	roundtrip(KDBX_KDF_ARGON2ID, false, KDBX_VERSION_4_0);
}

static void test_model_roundtrip__argon2_kdbx41(void **state)
{
	(void)state;
	roundtrip(KDBX_KDF_ARGON2ID, true, KDBX_VERSION_4_1);
}

static void test_model_roundtrip__aes_kdbx31(void **state)
{
	(void)state;
	roundtrip(KDBX_KDF_AES_KDBX3, false, KDBX_VERSION_3_1);
}

static void test_model_roundtrip__aes_upgraded_to_kdbx41(void **state)
{
	kdbx_kdf_params k;
	kdbx_key *key = password_key("test");
	kdbx_db *db = build_db(true), *db2 = NULL;
	uint8_t *out = NULL;
	size_t len = 0;

	(void)state;
	cheap_kdf(db, KDBX_KDF_AES_KDBX3);
	assert_int_equal(kdbx_db_save_memory(db, key, &out, &len), KDBX_OK);
	kdbx_db_kdf(db, &k);
	assert_int_equal(k.type, KDBX_KDF_AES_KDBX4);
	assert_int_equal(kdbx_db_open_memory(&db2, out, len, key, NULL), KDBX_OK);
	assert_int_equal(kdbx_db_file_version(db2), KDBX_VERSION_4_1);
	check_db(db2, db);
	kdbx_free(out, len);
	kdbx_db_free(&db);
	kdbx_db_free(&db2);
	kdbx_key_free(&key);
}

/* kdbx_xml__write_flush_size (format/xml_write.c): a save hands the XML to the payload in
 * pieces; 1 byte makes one piece per entry and per attachment. */
void kdbx_xml__write_flush_size(size_t n);

/* KDBX 3.1 has no SettingsChanged (KeePassXC writes it from 4.0 on), so a db opened from it
 * takes the time of the open: cut the element out of an exported document before comparing. */
static void drop_settings_changed(uint8_t *x, size_t *len)
{
	static const char open_tag[] = "<SettingsChanged>", close_tag[] = "</SettingsChanged>";
	uint8_t *from = memmem(x, *len, open_tag, sizeof(open_tag) - 1), *to = NULL;

	assert_non_null(from);
	to = memmem(from, (size_t)(x + *len - from), close_tag, sizeof(close_tag) - 1);
	assert_non_null(to);
	to += sizeof(close_tag) - 1;
	memmove(from, to, (size_t)(x + *len - to));
	*len -= (size_t)(to - from);
}

static void roundtrip_in_pieces(kdbx_kdf_type kdf, bool v41, uint32_t want, kdbx_compression comp)
{
	kdbx_key *key = password_key("test");
	kdbx_db *db = build_db(v41), *back = NULL;
	uint8_t *out = NULL, *x1 = NULL, *x2 = NULL;
	size_t len = 0, l1 = 0, l2 = 0;

	cheap_kdf(db, kdf);
	assert_int_equal(kdbx_db_set_compression(db, comp), KDBX_OK);
	/* 3000 more entries: uncompressed, the KDBX 3.1 payload spans several 1 MiB blocks */
	kdbx_group *bulk = NULL;
	assert_int_equal(kdbx_group_add_group(&bulk, kdbx_db_root(db), "bulk"), KDBX_OK);
	for (int i = 0; i < 3000; i++) {
		char title[32], pw[64], notes[400];
		kdbx_entry *e = NULL;
		snprintf(title, sizeof(title), "bulk %d", i);
		snprintf(pw, sizeof(pw), "pw-%d-%u", i, (unsigned)(i * 2654435761u));
		for (size_t k = 0; k + 1 < sizeof(notes); k++)
			notes[k] = (char)('a' + (unsigned)(i * 7 + (int)k * 13) % 26);
		notes[sizeof(notes) - 1] = 0;
		assert_int_equal(kdbx_entry_new(&e, bulk, title), KDBX_OK);
		assert_int_equal(kdbx_entry_set_field(e, "Password", pw, 1), KDBX_OK);
		assert_int_equal(kdbx_entry_set_field(e, "Notes", notes, 0), KDBX_OK);
	}
	kdbx_xml__write_flush_size(1);
	int rc = kdbx_db_save_memory(db, key, &out, &len);
	kdbx_xml__write_flush_size(0);
	assert_int_equal(rc, KDBX_OK);
	assert_int_equal(kdbx_db_open_memory(&back, out, len, key, NULL), KDBX_OK);
	assert_int_equal(kdbx_db_file_version(back), want);
	assert_int_equal(kdbx_db_compression(back), comp);
	assert_int_equal(kdbx_db_group_count(back), 4);
	assert_int_equal(kdbx_db_entry_count(back), 3002);
	kdbx_entry *last = kdbx_db_find_entry(back, "/bulk/bulk 2999");
	assert_non_null(last);
	expect_field(last, KDBX_FIELD_PASSWORD, "pw-2999-2078447751", 1);
	/* the same document, attachments and all, as the one written whole */
	assert_int_equal(kdbx_db_export_xml_memory(db, &x1, &l1), KDBX_OK);
	assert_int_equal(kdbx_db_export_xml_memory(back, &x2, &l2), KDBX_OK);
	if (want == KDBX_VERSION_3_1) {
		drop_settings_changed(x1, &l1);
		drop_settings_changed(x2, &l2);
	}
	assert_int_equal(l1, l2);
	assert_memory_equal(x1, x2, l1);
	kdbx_free(x1, l1);
	kdbx_free(x2, l2);
	kdbx_free(out, len);
	kdbx_db_free(&back);
	kdbx_db_free(&db);
	kdbx_key_free(&key);
}

static void test_model_roundtrip__xml_in_pieces(void **state)
{
	(void)state;
	roundtrip_in_pieces(KDBX_KDF_AES_KDBX3, false, KDBX_VERSION_3_1, KDBX_COMPRESS_GZIP);
	roundtrip_in_pieces(KDBX_KDF_AES_KDBX3, false, KDBX_VERSION_3_1, KDBX_COMPRESS_NONE);
	roundtrip_in_pieces(KDBX_KDF_ARGON2ID, false, KDBX_VERSION_4_0, KDBX_COMPRESS_GZIP);
	roundtrip_in_pieces(KDBX_KDF_ARGON2ID, true, KDBX_VERSION_4_1, KDBX_COMPRESS_NONE);
}

static void test_model_roundtrip__file_and_xml(void **state)
{
	char dir[] = "/tmp/kdbx-model-XXXXXX", path[64], xml[64];
	kdbx_key *key = password_key("test");
	kdbx_db *db = build_db(false), *db2 = NULL, *db3 = NULL;
	uint8_t *x = NULL;
	size_t xl = 0;

	(void)state;
	cheap_kdf(db, KDBX_KDF_ARGON2ID);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/db.kdbx", dir);
	snprintf(xml, sizeof(xml), "%s/db.xml", dir);
	assert_int_equal(kdbx_db_save(db, path, key), KDBX_OK);
	assert_int_equal(kdbx_db_open(&db2, path, key, NULL), KDBX_OK);
	check_db(db2, db);
	/* a new database saved with a key keeps it for the next save */
	assert_int_equal(kdbx_db_save(db, path, NULL), KDBX_OK);

	assert_int_equal(kdbx_db_export_xml_memory(db, &x, &xl), KDBX_OK);
	assert_non_null(x);
	assert_non_null(memmem(x, xl, "p\xc3\xa4ss w0rd", 10)); /* values in clear */
	assert_int_equal(kdbx_db_export_xml(db, xml), KDBX_OK);
	assert_int_equal(kdbx_db_import_xml(&db3, xml), KDBX_OK);
	check_db(db3, db);
	kdbx_free(x, xl);
	unlink(path);
	unlink(xml);
	rmdir(dir);
	kdbx_db_free(&db);
	kdbx_db_free(&db2);
	kdbx_db_free(&db3);
	kdbx_key_free(&key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_roundtrip__argon2_kdbx4),
		cmocka_unit_test(test_model_roundtrip__argon2_kdbx41),
		cmocka_unit_test(test_model_roundtrip__aes_kdbx31),
		cmocka_unit_test(test_model_roundtrip__aes_upgraded_to_kdbx41),
		cmocka_unit_test(test_model_roundtrip__xml_in_pieces),
		cmocka_unit_test(test_model_roundtrip__file_and_xml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
