/* Unit tests: entry fields (masking), attachments pool, history, properties. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "model/model.h"

static kdbx_db *db_with_entry(kdbx_entry **e)
{
	kdbx_db *db = NULL;

	assert_int_equal(kdbx_db_new(&db, NULL), KDBX_OK);
	*e = NULL;
	assert_int_equal(kdbx_entry_new(e, kdbx_db_root(db), "Title"), KDBX_OK);
	return db;
}

static void expect_reveal(const kdbx_entry *e, const char *name, const char *want)
{
	kdbx_secret *s = NULL;

	assert_int_equal(kdbx_entry_field_reveal(&s, e, name), KDBX_OK);
	assert_int_equal(kdbx_secret_len(s), strlen(want));
	assert_string_equal(kdbx_secret_str(s), want);
	kdbx_secret_free(&s);
	assert_null(s);
}

static void test_model_entry__fields(void **state)
{
	kdbx_entry *e;
	kdbx_db *db = db_with_entry(&e);

	(void)state;
	/* the five standard fields exist; Password is protected per MemoryProtection */
	assert_int_equal(kdbx_entry_field_count(e), 5);
	assert_string_equal(kdbx_entry_field_name(e, 0), "Title");
	assert_string_equal(kdbx_entry_title(e), "Title");
	assert_string_equal(kdbx_entry_field(e, KDBX_FIELD_USERNAME), "");
	assert_true(kdbx_entry_field_protected(e, KDBX_FIELD_PASSWORD));
	assert_false(kdbx_entry_field_protected(e, KDBX_FIELD_USERNAME));

	assert_int_equal(kdbx_entry_set_field(e, KDBX_FIELD_PASSWORD, "s3cret pass", 0), KDBX_OK);
	assert_true(kdbx_entry_field_protected(e, KDBX_FIELD_PASSWORD));
	assert_null(kdbx_entry_field(e, KDBX_FIELD_PASSWORD));
	expect_reveal(e, KDBX_FIELD_PASSWORD, "s3cret pass");

	/* masked in memory: the stored bytes are not the plaintext */
	{
		const kdbx_field *f = kdbx_entry__field(e, KDBX_FIELD_PASSWORD);
		assert_non_null(f);
		assert_int_equal(f->len, 11);
		assert_memory_not_equal(f->value, "s3cret pass", 11);
		/* and they are exactly ChaCha20(mask_key, counter 0, nonce) XOR plaintext */
		{
			EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
			uint8_t iv[16] = {0}, out[11];
			int outl = 0;
			memcpy(iv + 4, f->nonce, 12);
			assert_non_null(ctx);
			assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_chacha20(), NULL, db->mask_key, iv), 1);
			assert_int_equal(EVP_EncryptUpdate(ctx, out, &outl, (const uint8_t *)"s3cret pass", 11), 1);
			assert_int_equal(outl, 11);
			assert_memory_equal(out, f->value, 11);
			EVP_CIPHER_CTX_free(ctx);
		}
	}

	assert_int_equal(kdbx_entry_set_field(e, "PIN", "1234", 1), KDBX_OK);
	assert_int_equal(kdbx_entry_set_field(e, "Custom", "visible", 0), KDBX_OK);
	assert_int_equal(kdbx_entry_field_count(e), 7);
	assert_null(kdbx_entry_field(e, "PIN"));
	assert_string_equal(kdbx_entry_field(e, "Custom"), "visible");
	expect_reveal(e, "PIN", "1234");
	expect_reveal(e, "Custom", "visible");
	/* two protected fields with the same value are masked differently (fresh nonces) */
	assert_int_equal(kdbx_entry_set_field(e, "PIN2", "1234", 1), KDBX_OK);
	assert_memory_not_equal(kdbx_entry__field(e, "PIN")->value, kdbx_entry__field(e, "PIN2")->value, 4);
	expect_reveal(e, "PIN2", "1234");

	/* replace keeps position; unprotect works */
	assert_int_equal(kdbx_entry_set_field(e, "PIN", "5678", 0), KDBX_OK);
	assert_string_equal(kdbx_entry_field(e, "PIN"), "5678");
	assert_string_equal(kdbx_entry_field_name(e, 5), "PIN");
	/* empty protected value */
	assert_int_equal(kdbx_entry_set_field(e, "Empty", "", 1), KDBX_OK);
	expect_reveal(e, "Empty", "");

	assert_int_equal(kdbx_entry_remove_field(e, "Custom"), KDBX_OK);
	assert_false(kdbx_entry_has_field(e, "Custom"));
	assert_int_equal(kdbx_entry_remove_field(e, "Custom"), KDBX_ENOTFOUND);
	{
		kdbx_secret *s = NULL;
		assert_int_equal(kdbx_entry_field_reveal(&s, e, "Nope"), KDBX_ENOTFOUND);
		assert_null(s);
	}
	assert_int_equal(kdbx_entry_set_field(e, "Bad", "\xff\xfe", 0), KDBX_EINVALID);

	/* a protected Title still works for lookup, but not through kdbx_entry_title */
	assert_int_equal(kdbx_entry_set_field(e, KDBX_FIELD_TITLE, "Hidden title", 1), KDBX_OK);
	assert_string_equal(kdbx_entry_title(e), "");
	assert_ptr_equal(kdbx_db_find_entry(db, "/Hidden title"), e);
	kdbx_db_free(&db);
}

static void test_model_entry__large_protected_value(void **state)
{
	kdbx_entry *e;
	kdbx_db *db = db_with_entry(&e);
	kdbx_secret *s = NULL;
	char *big = malloc(100001);
	size_t i;

	(void)state;
	assert_non_null(big);
	for (i = 0; i < 100000; i++)
		big[i] = (char)('a' + i % 26);
	big[100000] = '\0';
	assert_int_equal(kdbx_entry_set_field(e, "Big", big, 1), KDBX_OK);
	assert_int_equal(kdbx_entry_field_reveal(&s, e, "Big"), KDBX_OK);
	assert_int_equal(kdbx_secret_len(s), 100000);
	assert_memory_equal(kdbx_secret_data(s), big, 100000);
	kdbx_secret_free(&s);
	free(big);
	kdbx_db_free(&db);
}

static void test_model_entry__attachments_dedup(void **state)
{
	kdbx_entry *e, *f = NULL;
	kdbx_db *db = db_with_entry(&e);
	const uint8_t *data;
	size_t len;
	static const uint8_t a[] = "attachment bytes";
	static const uint8_t b[] = "other bytes";

	(void)state;
	assert_int_equal(kdbx_entry_new(&f, kdbx_db_root(db), "Second"), KDBX_OK);
	assert_int_equal(kdbx_entry_set_attachment(e, "a.txt", a, sizeof(a)), KDBX_OK);
	assert_int_equal(kdbx_entry_set_attachment(f, "copy.txt", a, sizeof(a)), KDBX_OK);
	/* identical content shares one pool slot */
	assert_int_equal(db->nbins, 1);
	assert_int_equal(db->bins[0].refs, 2);
	assert_int_equal(kdbx_entry_attachment(f, "copy.txt", &data, &len), KDBX_OK);
	assert_int_equal(len, sizeof(a));
	assert_memory_equal(data, a, sizeof(a));
	assert_int_equal(kdbx_entry_attachment_count(e), 1);
	assert_string_equal(kdbx_entry_attachment_name(e, 0), "a.txt");

	/* replacing content by name */
	assert_int_equal(kdbx_entry_set_attachment(e, "a.txt", b, sizeof(b)), KDBX_OK);
	assert_int_equal(kdbx_entry_attachment_count(e), 1);
	assert_int_equal(db->nbins, 2);
	assert_int_equal(db->bins[0].refs, 1);
	assert_int_equal(kdbx_entry_attachment(e, "a.txt", &data, &len), KDBX_OK);
	assert_memory_equal(data, b, sizeof(b));

	/* removal drops the reference and frees the unused content */
	assert_int_equal(kdbx_entry_remove_attachment(f, "copy.txt"), KDBX_OK);
	assert_int_equal(db->bins[0].refs, 0);
	assert_null(db->bins[0].data);
	assert_int_equal(kdbx_entry_remove_attachment(f, "copy.txt"), KDBX_ENOTFOUND);
	assert_int_equal(kdbx_entry_attachment(f, "copy.txt", &data, &len), KDBX_ENOTFOUND);

	/* empty attachments are allowed */
	assert_int_equal(kdbx_entry_set_attachment(f, "empty", NULL, 0), KDBX_OK);
	assert_int_equal(kdbx_entry_attachment(f, "empty", &data, &len), KDBX_OK);
	assert_int_equal(len, 0);
	kdbx_db_free(&db);
}

static void test_model_entry__history(void **state)
{
	kdbx_entry *e, *h;
	kdbx_db *db = db_with_entry(&e);
	char v[16];
	int i;
	static const uint8_t blob[1000] = {1};

	(void)state;
	assert_int_equal(kdbx_entry_set_attachment(e, "blob", blob, sizeof(blob)), KDBX_OK);
	for (i = 0; i < 12; i++) {
		snprintf(v, sizeof(v), "pw%d", i);
		assert_int_equal(kdbx_entry_backup(db, e), KDBX_OK);
		assert_int_equal(kdbx_entry_set_field(e, KDBX_FIELD_PASSWORD, v, 1), KDBX_OK);
	}
	/* 12 backups, at most 10 kept: the two oldest ("" and "pw0") are gone */
	assert_int_equal(kdbx_entry_history_count(e), 10);
	h = kdbx_entry_history_at(e, 0);
	assert_non_null(h);
	assert_null(kdbx_entry_group(h));
	assert_int_equal(kdbx_entry_history_count(h), 0);
	assert_memory_equal(kdbx_entry_uuid(h), kdbx_entry_uuid(e), 16);
	expect_reveal(h, KDBX_FIELD_PASSWORD, "pw1");
	expect_reveal(kdbx_entry_history_at(e, 9), KDBX_FIELD_PASSWORD, "pw10");
	expect_reveal(e, KDBX_FIELD_PASSWORD, "pw11");
	assert_null(kdbx_entry_history_at(e, 10));
	/* history items share the attachment content */
	assert_int_equal(db->nbins, 1);
	assert_int_equal(db->bins[0].refs, 11);
	/* history is not counted */
	assert_int_equal(kdbx_db_entry_count(db), 1);

	/* size limit: each item is ~1 KB, a 3.5 KB limit keeps 3 */
	assert_int_equal(kdbx_db_set_history_limits(db, -1, 3500), KDBX_OK);
	assert_int_equal(kdbx_entry_backup(db, e), KDBX_OK);
	assert_int_equal(kdbx_entry_history_count(e), 3);
	expect_reveal(kdbx_entry_history_at(e, 2), KDBX_FIELD_PASSWORD, "pw11");
	assert_int_equal(db->bins[0].refs, 4);
	/* limit 0 items: nothing is kept */
	assert_int_equal(kdbx_db_set_history_limits(db, 0, -1), KDBX_OK);
	assert_int_equal(kdbx_entry_backup(db, e), KDBX_OK);
	assert_int_equal(kdbx_entry_history_count(e), 0);
	assert_int_equal(db->bins[0].refs, 1);
	assert_int_equal(kdbx_db_set_history_limits(db, -2, 0), KDBX_EINVALID);
	kdbx_db_free(&db);
}

static void test_model_entry__properties(void **state)
{
	kdbx_entry *e;
	kdbx_db *db = db_with_entry(&e);
	const char *w, *s;

	(void)state;
	assert_int_equal(kdbx_entry_set_tags(e, "x;y"), KDBX_OK);
	assert_string_equal(kdbx_entry_tags(e), "x;y");
	assert_int_equal(kdbx_entry_set_icon(e, 12), KDBX_OK);
	assert_int_equal(kdbx_entry_icon(e), 12);
	assert_int_equal(kdbx_entry_set_foreground_color(e, "#FF0000"), KDBX_OK);
	assert_string_equal(kdbx_entry_foreground_color(e), "#FF0000");
	assert_string_equal(kdbx_entry_background_color(e), "");
	assert_int_equal(kdbx_entry_set_override_url(e, "cmd://x"), KDBX_OK);
	assert_string_equal(kdbx_entry_override_url(e), "cmd://x");
	assert_true(kdbx_entry_quality_check(e));
	assert_true(kdbx_entry_autotype_enabled(e));
	assert_int_equal(kdbx_entry_set_autotype_sequence(e, "{USERNAME}{TAB}"), KDBX_OK);
	assert_string_equal(kdbx_entry_autotype_sequence(e), "{USERNAME}{TAB}");
	assert_int_equal(kdbx_entry_add_autotype_assoc(e, "Firefox*", "{PASSWORD}"), KDBX_OK);
	assert_int_equal(kdbx_entry_autotype_assoc_count(e), 1);
	assert_int_equal(kdbx_entry_autotype_assoc(e, 0, &w, &s), KDBX_OK);
	assert_string_equal(w, "Firefox*");
	assert_string_equal(s, "{PASSWORD}");
	assert_int_equal(kdbx_entry_autotype_assoc(e, 1, &w, &s), KDBX_ENOTFOUND);
	assert_int_equal(kdbx_entry_set_time(e, KDBX_TIME_EXPIRY, 99), KDBX_OK);
	assert_true(kdbx_entry_time(e, KDBX_TIME_EXPIRY) == 99);
	assert_int_equal(kdbx_entry_set_custom_data(e, "k", "v"), KDBX_OK);
	assert_int_equal(kdbx_entry_set_custom_data(e, "k", "w"), KDBX_OK);
	assert_int_equal(kdbx_entry_custom_data_count(e), 1);
	assert_string_equal(kdbx_entry_custom_data(e, "k"), "w");
	assert_string_equal(kdbx_entry_custom_data_key(e, 0), "k");
	assert_null(kdbx_entry_custom_data(e, "nope"));
	kdbx_db_free(&db);
}

static void test_model_entry__masking_many_fields(void **state)
{
	kdbx_db *db = NULL;
	kdbx_entry *e = NULL;
	char name[32], val[32];
	int i;

	(void)state;
	/* the internal path the XML reader uses; 3000 fields stay cheap */
	assert_int_equal(kdbx_db__alloc(&db), KDBX_OK);
	assert_int_equal(kdbx_entry__alloc(&e, db, false), KDBX_OK);
	for (i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		snprintf(val, sizeof(val), "value-%d", i);
		assert_int_equal(kdbx_entry__add_field(e, kdbx_strdup(name), val, strlen(val), true), KDBX_OK);
	}
	for (i = 0; i < 3000; i += 499) {
		snprintf(name, sizeof(name), "f%d", i);
		snprintf(val, sizeof(val), "value-%d", i);
		expect_reveal(e, name, val);
	}
	kdbx_entry__free(e);
	kdbx_db_free(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_entry__fields),
		cmocka_unit_test(test_model_entry__large_protected_value),
		cmocka_unit_test(test_model_entry__attachments_dedup),
		cmocka_unit_test(test_model_entry__history),
		cmocka_unit_test(test_model_entry__properties),
		cmocka_unit_test(test_model_entry__masking_many_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
