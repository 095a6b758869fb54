/* Unit tests: kdbx_open_options.skip_history. The db opened without its history items must
 * hold the same groups, entries, fields and attachments as a full open (so every protected
 * value after a left-out item took the right keystream), and must refuse to be written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <kdbx.h>
#include "unit/model/db_fixture.h"

static const uint8_t blob_old[] = {9, 8, 7, 6, 5};
static const uint8_t blob_new[] = {1, 2, 3, 4, 5, 6, 7};

/* Written by hand so that a history item carries unknown XML, with a Protected attribute
 * the reader must not treat as a value (the full read keeps it as unknown XML). */
static const char source_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<KeePassFile><Meta><Generator>test</Generator></Meta><Root><Group>"
	"<UUID>AAAAAAAAAAAAAAAAAAAAAQ==</UUID><Name>Root</Name>"
	"<Entry><UUID>AAAAAAAAAAAAAAAAAAAAAg==</UUID>"
	"<String><Key>Title</Key><Value>first</Value></String>"
	"<String><Key>Password</Key><Value ProtectInMemory=\"True\">now-1</Value></String>"
	"<History><Entry><UUID>AAAAAAAAAAAAAAAAAAAAAg==</UUID>"
	"<String><Key>Title</Key><Value>first</Value></String>"
	"<String><Key>Password</Key><Value ProtectInMemory=\"True\">old-1</Value></String>"
	"<String><Key>PIN</Key><Value ProtectInMemory=\"True\">0000</Value></String>"
	"<Unknown1><Value Protected=\"True\">QUJD</Value></Unknown1>"
	"</Entry></History></Entry>"
	"</Group></Root></KeePassFile>\n";

/* The imported document, then entries whose history has protected values and an attachment
 * only the history keeps, each followed by protected values of the next entry. */
static kdbx_db *build_db(const char *dir, kdbx_kdf_type kdf, int v41)
{
	char path[256];
	kdbx_db *db = NULL;
	kdbx_group *g = NULL;

	snprintf(path, sizeof(path), "%s/source.xml", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(source_xml, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(kdbx_db_import_xml(&db, path), KDBX_OK);
	cheap_kdf(db, kdf);
	assert_int_equal(kdbx_group_add_group(&g, kdbx_db_root(db), "more"), KDBX_OK);
	if (v41)
		assert_int_equal(kdbx_group_set_tags(g, "a 4.1 feature"), KDBX_OK);
	for (int i = 0; i < 50; i++) {
		char title[32], pw[32], token[32];
		kdbx_entry *e = NULL;
		snprintf(title, sizeof(title), "entry %d", i);
		snprintf(pw, sizeof(pw), "old-%d", i);
		snprintf(token, sizeof(token), "token-%d", i * 7919);
		assert_int_equal(kdbx_entry_new(&e, g, title), KDBX_OK);
		assert_int_equal(kdbx_entry_set_field(e, KDBX_FIELD_PASSWORD, pw, 1), KDBX_OK);
		assert_int_equal(kdbx_entry_set_field(e, "Token", token, 1), KDBX_OK);
		if (i % 5 == 0)
			assert_int_equal(kdbx_entry_set_attachment(e, "old.bin", blob_old, sizeof(blob_old)),
			                 KDBX_OK);
		assert_int_equal(kdbx_entry_backup(db, e), KDBX_OK);
		snprintf(pw, sizeof(pw), "new-%d", i);
		assert_int_equal(kdbx_entry_set_field(e, KDBX_FIELD_PASSWORD, pw, 1), KDBX_OK);
		if (i % 5 == 0) {
			assert_int_equal(kdbx_entry_remove_attachment(e, "old.bin"), KDBX_OK);
			assert_int_equal(kdbx_entry_set_attachment(e, "new.bin", blob_new, sizeof(blob_new)),
			                 KDBX_OK);
		}
	}
	return db;
}

static void same_entry(const kdbx_entry *a, const kdbx_entry *b)
{
	assert_memory_equal(kdbx_entry_uuid(a), kdbx_entry_uuid(b), sizeof(kdbx_uuid));
	assert_int_equal(kdbx_entry_field_count(a), kdbx_entry_field_count(b));
	for (size_t i = 0; i < kdbx_entry_field_count(a); i++) {
		const char *name = kdbx_entry_field_name(a, i);
		kdbx_secret *x = NULL, *y = NULL;
		assert_string_equal(name, kdbx_entry_field_name(b, i));
		assert_int_equal(kdbx_entry_field_protected(a, name), kdbx_entry_field_protected(b, name));
		assert_int_equal(kdbx_entry_field_reveal(&x, a, name), KDBX_OK);
		assert_int_equal(kdbx_entry_field_reveal(&y, b, name), KDBX_OK);
		assert_string_equal(kdbx_secret_str(x), kdbx_secret_str(y));
		kdbx_secret_free(&x);
		kdbx_secret_free(&y);
	}
	assert_int_equal(kdbx_entry_attachment_count(a), kdbx_entry_attachment_count(b));
	for (size_t i = 0; i < kdbx_entry_attachment_count(a); i++) {
		const char *name = kdbx_entry_attachment_name(a, i);
		const uint8_t *da = NULL, *db = NULL;
		size_t la = 0, lb = 0;
		assert_string_equal(name, kdbx_entry_attachment_name(b, i));
		assert_int_equal(kdbx_entry_attachment(a, name, &da, &la), KDBX_OK);
		assert_int_equal(kdbx_entry_attachment(b, name, &db, &lb), KDBX_OK);
		assert_int_equal(la, lb);
		assert_memory_equal(da, db, la);
	}
	assert_int_equal(kdbx_entry_history_count(b), 0);
}

/* Walks both trees in step; returns how many history items the full one has. */
static size_t same_group(const kdbx_group *a, const kdbx_group *b)
{
	size_t history = 0;

	assert_string_equal(kdbx_group_name(a), kdbx_group_name(b));
	assert_int_equal(kdbx_group_entry_count(a), kdbx_group_entry_count(b));
	for (size_t i = 0; i < kdbx_group_entry_count(a); i++) {
		same_entry(kdbx_group_entry_at(a, i), kdbx_group_entry_at(b, i));
		history += kdbx_entry_history_count(kdbx_group_entry_at(a, i));
	}
	assert_int_equal(kdbx_group_group_count(a), kdbx_group_group_count(b));
	for (size_t i = 0; i < kdbx_group_group_count(a); i++)
		history += same_group(kdbx_group_group_at(a, i), kdbx_group_group_at(b, i));
	return history;
}

static void expect_field(const kdbx_entry *e, const char *name, const char *want)
{
	kdbx_secret *s = NULL;

	assert_int_equal(kdbx_entry_field_reveal(&s, e, name), KDBX_OK);
	assert_string_equal(kdbx_secret_str(s), want);
	kdbx_secret_free(&s);
}

/* want_version: kdbx_db_file_version() of the saved file (major << 16 | minor) */
static void skip_history_in(kdbx_kdf_type kdf, int v41, uint32_t want_version)
{
	char dir[] = "/tmp/kdbx-skip-XXXXXX", path[256];
	kdbx_key *key = password_key("skip");
	kdbx_open_options opts = KDBX_OPEN_OPTIONS_INIT;
	kdbx_db *db = NULL, *full = NULL, *light = NULL;
	uint8_t *file = NULL, *out = NULL, *x = NULL;
	size_t file_len = 0, out_len = 0, x_len = 0;

	assert_non_null(mkdtemp(dir));
	db = build_db(dir, kdf, v41);
	assert_int_equal(kdbx_db_save_memory(db, key, &file, &file_len), KDBX_OK);
	assert_int_equal(kdbx_db_open_memory(&full, file, file_len, key, NULL), KDBX_OK);
	assert_int_equal(kdbx_db_file_version(full), want_version);
	opts.skip_history = 1;
	assert_int_equal(kdbx_db_open_memory(&light, file, file_len, key, &opts), KDBX_OK);

	/* the same content, history aside */
	assert_int_equal(kdbx_db_entry_count(light), kdbx_db_entry_count(full));
	assert_int_equal(same_group(kdbx_db_root(full), kdbx_db_root(light)), 51);
	kdbx_entry *last = kdbx_db_find_entry(light, "/more/entry 49");
	assert_non_null(last);
	expect_field(last, KDBX_FIELD_PASSWORD, "new-49");
	expect_field(last, "Token", "token-388031");
	/* the full open kept the history item's unknown XML */
	assert_int_equal(kdbx_db_export_xml_memory(full, &x, &x_len), KDBX_OK);
	assert_non_null(memmem(x, x_len, "<Unknown1>", 10));
	kdbx_free(x, x_len);
	x = NULL;

	/* read-only: nothing is written, an existing file stays as it was */
	assert_int_equal(kdbx_db_history_skipped(light), 1);
	assert_int_equal(kdbx_db_history_skipped(full), 0);
	assert_int_equal(kdbx_db_save_memory(light, key, &out, &out_len), KDBX_EINVALID);
	assert_null(out);
	assert_non_null(strstr(kdbx_error_last(), "history"));
	assert_int_equal(kdbx_db_export_xml_memory(light, &x, &x_len), KDBX_EINVALID);
	assert_null(x);
	snprintf(path, sizeof(path), "%s/db.kdbx", dir);
	assert_int_equal(kdbx_db_save(full, path, key), KDBX_OK);
	assert_int_equal(kdbx_db_save(light, path, key), KDBX_EINVALID);
	kdbx_db_free(&light);
	assert_int_equal(kdbx_db_open(&light, path, key, &opts), KDBX_OK);
	assert_int_equal(same_group(kdbx_db_root(full), kdbx_db_root(light)), 51);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/source.xml", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);

	kdbx_free(file, file_len);
	kdbx_db_free(&light);
	kdbx_db_free(&full);
	kdbx_db_free(&db);
	kdbx_key_free(&key);
}

static void test_model_skip_history__kdbx31(void **state)
{
	(void)state;
	skip_history_in(KDBX_KDF_AES_KDBX3, 0, 0x00030001u);
}

static void test_model_skip_history__kdbx40(void **state)
{
	(void)state;
	skip_history_in(KDBX_KDF_ARGON2ID, 0, 0x00040000u);
}

static void test_model_skip_history__kdbx41(void **state)
{
	(void)state;
	skip_history_in(KDBX_KDF_ARGON2ID, 1, 0x00040001u);
}

/* A caller built against version 1 of the options passes the shorter struct: it opens as
 * before, history included. An unknown version is refused. */
static void test_model_skip_history__options_versions(void **state)
{
	char dir[] = "/tmp/kdbx-skip-XXXXXX", path[256];
	kdbx_key *key = password_key("skip");
	kdbx_open_options opts = KDBX_OPEN_OPTIONS_INIT;
	kdbx_db *db = NULL, *back = NULL;
	uint8_t *file = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	db = build_db(dir, KDBX_KDF_AES_KDBX3, 0);
	assert_int_equal(kdbx_db_save_memory(db, key, &file, &len), KDBX_OK);
	opts.version = 1;
	opts.skip_history = 1; /* not part of version 1: not read */
	assert_int_equal(kdbx_db_open_memory(&back, file, len, key, &opts), KDBX_OK);
	assert_int_equal(kdbx_db_history_skipped(back), 0);
	assert_int_equal(kdbx_entry_history_count(kdbx_db_find_entry(back, "/more/entry 3")), 1);
	kdbx_db_free(&back);
	opts.version = 3;
	assert_int_equal(kdbx_db_open_memory(&back, file, len, key, &opts), KDBX_EINVALID);
	assert_null(back);
	snprintf(path, sizeof(path), "%s/source.xml", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	kdbx_free(file, len);
	kdbx_db_free(&db);
	kdbx_key_free(&key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_skip_history__kdbx31),
		cmocka_unit_test(test_model_skip_history__kdbx40),
		cmocka_unit_test(test_model_skip_history__kdbx41),
		cmocka_unit_test(test_model_skip_history__options_versions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
