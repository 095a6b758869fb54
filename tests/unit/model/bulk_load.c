/* Unit tests: the loading path of fields (kdbx_entry__append_field): batch masking,
 * arena values, borrowed names; and their interplay with the ordinary API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "model/model.h"

static void expect_reveal(const kdbx_entry *e, const char *name, const char *want, size_t len)
{
	kdbx_secret *s = NULL;

	assert_int_equal(kdbx_entry_field_reveal(&s, e, name), KDBX_OK);
	assert_int_equal(kdbx_secret_len(s), len);
	if (len > 0)
		assert_memory_equal(kdbx_secret_data(s), want, len);
	kdbx_secret_free(&s);
}

/* The keystream a field's nonce names: ChaCha20 block (nonce[8..12) LE) of the 64-bit
 * counter value nonce[0..8). */
static void expect_keystream(const kdbx_db *db, const kdbx_field *f, const char *plain)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t iv[16] = {0}, out[64];
	int outl = 0;

	assert_non_null(ctx);
	assert_true(f->len <= sizeof(out));
	memcpy(iv, f->nonce + 8, 4);
	memcpy(iv + 4, f->nonce, 8);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_chacha20(), NULL, db->mask_key, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, out, &outl, (const uint8_t *)plain, (int)f->len), 1);
	assert_memory_equal(out, f->value, f->len);
	EVP_CIPHER_CTX_free(ctx);
}

static void test_model_bulk_load__masked_values(void **state)
{
	kdbx_db *db = NULL;
	kdbx_entry *e = NULL;
	char *names[400], val[64];
	static char big[6000];
	size_t i, j;

	(void)state;
	assert_int_equal(kdbx_db__alloc(&db), KDBX_OK);
	assert_int_equal(kdbx_entry__alloc(&e, db, true), KDBX_OK);
	assert_true(e->pooled);
	/* lengths 0..63 cross many 4 KiB batches; names borrowed from the arena */
	for (i = 0; i < 400; i++) {
		char n[16];
		size_t len = i % 64;
		snprintf(n, sizeof(n), "p%zu", i);
		names[i] = kdbx_arena__alloc(&db->arena, strlen(n) + 1);
		assert_non_null(names[i]);
		memcpy(names[i], n, strlen(n) + 1);
		for (j = 0; j < len; j++)
			val[j] = (char)('A' + (i + j) % 26);
		assert_int_equal(kdbx_entry__append_field(e, names[i], val, len, true), KDBX_OK);
	}
	/* a value larger than a batch is masked on its own */
	memset(big, 'z', sizeof(big));
	assert_int_equal(kdbx_entry__append_field(e, kdbx_field__std_name("Notes", 5), big, sizeof(big), true),
	                 KDBX_OK);
	assert_int_equal(e->nfields, 401);
	assert_false(e->fields_pooled); /* the arena array of 8 was copied to the heap to grow */
	for (i = 0; i < 400; i++) {
		size_t len = i % 64;
		const kdbx_field *f = &e->fields[i];
		for (j = 0; j < len; j++)
			val[j] = (char)('A' + (i + j) % 26);
		assert_true(f->protect);
		assert_true(f->name_pooled);
		if (len >= 8) /* (shorter ones may match the plaintext by chance) */
			assert_memory_not_equal(f->value, val, len);
		if (len > 0)
			expect_keystream(db, f, val);
		expect_reveal(e, names[i], val, len);
		/* no two non-empty values share keystream (counter value, block) */
		for (j = 0; j < i; j++)
			if (len > 0 && e->fields[j].len > 0)
				assert_memory_not_equal(f->nonce, e->fields[j].nonce, 12);
	}
	expect_reveal(e, "Notes", big, sizeof(big));
	/* every used block of the current batch is wiped */
	for (i = 0; i < db->mask_ks_off; i++)
		assert_int_equal(db->mask_ks[i], 0);
	kdbx_entry__free(e);
	kdbx_db_free(&db);
}

static void test_model_bulk_load__api_after_load(void **state)
{
	kdbx_db *db = NULL;
	kdbx_entry *e = NULL;
	char *custom;

	(void)state;
	assert_int_equal(kdbx_db__alloc(&db), KDBX_OK);
	assert_int_equal(kdbx_entry__alloc(&e, db, true), KDBX_OK);
	custom = kdbx_arena__alloc(&db->arena, 4);
	assert_non_null(custom);
	memcpy(custom, "PIN", 4);
	assert_int_equal(kdbx_entry__append_field(e, kdbx_field__std_name("Title", 5), "t", 1, false), KDBX_OK);
	assert_int_equal(kdbx_entry__append_field(e, custom, "1234", 4, true), KDBX_OK);
	assert_int_equal(kdbx_entry__append_field(e, kdbx_field__std_name("URL", 3), "", 0, false), KDBX_OK);
	assert_true(e->fields[0].pooled);
	assert_true(e->fields_pooled);
	assert_string_equal(kdbx_entry_field(e, "Title"), "t");
	/* the API grows a loaded (arena) field array: the fields move to the heap intact */
	for (int k = 0; k < 10; k++) {
		char name[8], value[8];
		snprintf(name, sizeof(name), "c%d", k);
		snprintf(value, sizeof(value), "v%d", k);
		assert_int_equal(kdbx_entry_set_field(e, name, value, 0), KDBX_OK);
	}
	assert_false(e->fields_pooled);
	assert_int_equal(kdbx_entry_field_count(e), 13);
	assert_string_equal(kdbx_entry_field(e, "c9"), "v9");
	expect_reveal(e, "PIN", "1234", 4);
	for (int k = 0; k < 10; k++) {
		char name[8];
		snprintf(name, sizeof(name), "c%d", k);
		assert_int_equal(kdbx_entry_remove_field(e, name), KDBX_OK);
	}
	/* replacing and removing loaded (arena) values and names go through the API */
	assert_int_equal(kdbx_entry_set_field(e, "Title", "new title", 0), KDBX_OK);
	assert_false(e->fields[0].pooled);
	assert_string_equal(kdbx_entry_field(e, "Title"), "new title");
	assert_int_equal(kdbx_entry_set_field(e, "PIN", "9999", 1), KDBX_OK);
	expect_reveal(e, "PIN", "9999", 4);
	assert_int_equal(kdbx_entry_remove_field(e, "URL"), KDBX_OK);
	assert_int_equal(kdbx_entry_remove_field(e, "PIN"), KDBX_OK);
	assert_int_equal(kdbx_entry_field_count(e), 1);
	/* standard names are shared, other names are not */
	assert_ptr_equal(kdbx_field__std_name("Password", 8), kdbx_field__std_name("Password", 8));
	assert_null(kdbx_field__std_name("Passwort", 8));
	assert_null(kdbx_field__std_name("Titles", 6));
	kdbx_entry__free(e);
	kdbx_db_free(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_bulk_load__masked_values),
		cmocka_unit_test(test_model_bulk_load__api_after_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
