/* Unit tests: database tree - groups, entries, paths, moves, deletion, search, counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "model/model.h"

static kdbx_db *new_db(void)
{
	kdbx_db *db = NULL;

	assert_int_equal(kdbx_db_new(&db, NULL), KDBX_OK);
	assert_non_null(db);
	return db;
}

static void test_model_tree__new_db_defaults(void **state)
{
	kdbx_db *db = new_db();
	kdbx_kdf_params k;

	(void)state;
	assert_string_equal(kdbx_group_name(kdbx_db_root(db)), "Root");
	assert_null(kdbx_group_parent(kdbx_db_root(db)));
	assert_string_equal(kdbx_db_meta(db, KDBX_META_GENERATOR), "libkdbx");
	assert_int_equal(kdbx_db_history_max_items(db), 10);
	assert_true(kdbx_db_history_max_size(db) == 6 * 1024 * 1024);
	assert_int_equal(kdbx_db_memory_protection(db), KDBX_PROTECT_PASSWORD);
	assert_true(kdbx_db_recycle_bin_enabled(db));
	assert_null(kdbx_db_recycle_bin(db));
	assert_int_equal(kdbx_db_cipher(db), KDBX_CIPHER_AES256);
	assert_int_equal(kdbx_db_compression(db), KDBX_COMPRESS_GZIP);
	kdbx_db_kdf(db, &k);
	assert_int_equal(k.type, KDBX_KDF_ARGON2ID);
	/* Argon2 forces KDBX 4.0; nothing forces 4.1. */
	assert_int_equal(kdbx_db_save_version(db), KDBX_VERSION_4_0);
	assert_memory_equal(kdbx_db_uuid(db), kdbx_group_uuid(kdbx_db_root(db)), 16);
	assert_int_equal(kdbx_db_group_count(db), 1);
	assert_int_equal(kdbx_db_entry_count(db), 0);
	kdbx_db_free(&db);
	assert_null(db);
	kdbx_db_free(&db); /* NULL-safe */

	assert_int_equal(kdbx_db_new(&db, "Vault"), KDBX_OK);
	assert_string_equal(kdbx_group_name(kdbx_db_root(db)), "Vault");
	assert_string_equal(kdbx_db_meta(db, KDBX_META_NAME), "Vault");
	kdbx_db_free(&db);
}

static void test_model_tree__paths_and_lookup(void **state)
{
	kdbx_db *db = new_db();
	kdbx_group *root = kdbx_db_root(db), *a = NULL, *b = NULL;
	kdbx_entry *e1 = NULL, *e2 = NULL;
	char *p;

	(void)state;
	assert_int_equal(kdbx_group_add_group(&a, root, "A"), KDBX_OK);
	assert_int_equal(kdbx_group_add_group(&b, a, "B"), KDBX_OK);
	assert_int_equal(kdbx_entry_new(&e1, root, "Top"), KDBX_OK);
	assert_int_equal(kdbx_entry_new(&e2, b, "Deep"), KDBX_OK);
	assert_false(kdbx_uuid_is_zero(kdbx_entry_uuid(e1)));
	assert_memory_not_equal(kdbx_entry_uuid(e1), kdbx_entry_uuid(e2), 16);
	assert_true(kdbx_entry_time(e1, KDBX_TIME_CREATION) > INT64_C(62135596800));

	p = kdbx_group_path(root);
	assert_string_equal(p, "/");
	free(p);
	p = kdbx_group_path(b);
	assert_string_equal(p, "/A/B");
	free(p);
	p = kdbx_entry_path(e1);
	assert_string_equal(p, "/Top");
	free(p);
	p = kdbx_entry_path(e2);
	assert_string_equal(p, "/A/B/Deep");
	free(p);

	assert_ptr_equal(kdbx_db_find_entry(db, "/Top"), e1);
	assert_ptr_equal(kdbx_db_find_entry(db, "Top"), e1);
	assert_ptr_equal(kdbx_db_find_entry(db, "/A/B/Deep"), e2);
	assert_null(kdbx_db_find_entry(db, "/A/Deep"));
	assert_null(kdbx_db_find_entry(db, "/A/B/"));
	assert_null(kdbx_db_find_entry(db, "/Nope/Deep"));
	assert_ptr_equal(kdbx_db_find_group(db, "/A/B"), b);
	assert_ptr_equal(kdbx_db_find_group(db, "/A/B/"), b);
	assert_ptr_equal(kdbx_db_find_group(db, "/"), root);
	assert_null(kdbx_db_find_group(db, "/B"));
	assert_ptr_equal(kdbx_db_find_entry_uuid(db, kdbx_entry_uuid(e2)), e2);
	assert_ptr_equal(kdbx_db_find_group_uuid(db, kdbx_group_uuid(b)), b);
	assert_ptr_equal(kdbx_group_find_group(root, "A"), a);
	assert_ptr_equal(kdbx_group_find_entry(b, "Deep"), e2);
	assert_ptr_equal(kdbx_entry_group(e2), b);

	assert_int_equal(kdbx_db_group_count(db), 3);
	assert_int_equal(kdbx_db_entry_count(db), 2);
	kdbx_db_free(&db);
}

static void test_model_tree__move(void **state)
{
	kdbx_db *db = new_db();
	kdbx_group *root = kdbx_db_root(db), *a = NULL, *b = NULL;
	kdbx_entry *e = NULL;

	(void)state;
	assert_int_equal(kdbx_group_add_group(&a, root, "A"), KDBX_OK);
	assert_int_equal(kdbx_group_add_group(&b, root, "B"), KDBX_OK);
	assert_int_equal(kdbx_entry_new(&e, a, "E"), KDBX_OK);
	assert_null(kdbx_entry_previous_parent(e));
	assert_int_equal(kdbx_db_save_version(db), KDBX_VERSION_4_0);

	assert_int_equal(kdbx_entry_move(e, b), KDBX_OK);
	assert_ptr_equal(kdbx_entry_group(e), b);
	assert_int_equal(kdbx_group_entry_count(a), 0);
	assert_int_equal(kdbx_group_entry_count(b), 1);
	assert_non_null(kdbx_entry_previous_parent(e));
	assert_memory_equal(kdbx_entry_previous_parent(e), kdbx_group_uuid(a), 16);
	/* PreviousParentGroup is a KDBX 4.1 feature. */
	assert_int_equal(kdbx_db_save_version(db), KDBX_VERSION_4_1);

	assert_int_equal(kdbx_group_move(b, a), KDBX_OK);
	assert_ptr_equal(kdbx_group_parent(b), a);
	assert_int_equal(kdbx_group_group_count(root), 1);
	assert_memory_equal(kdbx_group_previous_parent(b), kdbx_group_uuid(root), 16);
	assert_ptr_equal(kdbx_db_find_entry(db, "/A/B/E"), e);
	/* cycles and root moves are refused */
	assert_int_equal(kdbx_group_move(a, b), KDBX_EINVALID);
	assert_int_equal(kdbx_group_move(a, a), KDBX_EINVALID);
	assert_int_equal(kdbx_group_move(root, a), KDBX_EINVALID);
	assert_ptr_equal(kdbx_group_parent(a), root);
	kdbx_db_free(&db);
}

static bool deleted_has(kdbx_db *db, const kdbx_uuid *u)
{
	kdbx_uuid d;
	kdbx_time when;
	size_t i;

	for (i = 0; i < kdbx_db_deleted_count(db); i++) {
		assert_int_equal(kdbx_db_deleted(db, i, &d, &when), KDBX_OK);
		if (memcmp(d.bytes, u->bytes, 16) == 0) {
			assert_true(when > INT64_C(62135596800));
			return true;
		}
	}
	return false;
}

static void test_model_tree__delete_recycle_bin(void **state)
{
	kdbx_db *db = new_db();
	kdbx_group *root = kdbx_db_root(db), *a = NULL, *sub = NULL, *bin;
	kdbx_entry *e = NULL, *f = NULL;
	kdbx_uuid eu, au, subu, fu;

	(void)state;
	assert_int_equal(kdbx_entry_new(&e, root, "E"), KDBX_OK);
	eu = *kdbx_entry_uuid(e);
	assert_int_equal(kdbx_entry_delete(db, e), KDBX_OK);
	bin = kdbx_db_recycle_bin(db);
	assert_non_null(bin);
	assert_string_equal(kdbx_group_name(bin), "Recycle Bin");
	assert_int_equal(kdbx_group_icon(bin), 43);
	assert_int_equal(kdbx_group_enable_autotype(bin), KDBX_FALSE);
	assert_int_equal(kdbx_group_enable_searching(bin), KDBX_FALSE);
	assert_ptr_equal(kdbx_group_parent(bin), root);
	assert_ptr_equal(kdbx_entry_group(e), bin);
	assert_int_equal(kdbx_db_deleted_count(db), 0);
	assert_int_equal(kdbx_db_entry_count(db), 1);
	assert_int_equal(kdbx_db_group_count(db), 2);

	/* second delete: for good */
	assert_int_equal(kdbx_entry_delete(db, e), KDBX_OK);
	assert_int_equal(kdbx_db_entry_count(db), 0);
	assert_int_equal(kdbx_db_deleted_count(db), 1);
	assert_true(deleted_has(db, &eu));
	assert_null(kdbx_db_find_entry_uuid(db, &eu));

	/* a group with content goes to the bin, then away with everything in it */
	assert_int_equal(kdbx_group_add_group(&a, root, "A"), KDBX_OK);
	assert_int_equal(kdbx_group_add_group(&sub, a, "Sub"), KDBX_OK);
	assert_int_equal(kdbx_entry_new(&f, sub, "F"), KDBX_OK);
	au = *kdbx_group_uuid(a);
	subu = *kdbx_group_uuid(sub);
	fu = *kdbx_entry_uuid(f);
	assert_int_equal(kdbx_group_delete(db, a), KDBX_OK);
	assert_ptr_equal(kdbx_group_parent(a), bin);
	assert_memory_equal(kdbx_group_previous_parent(a), kdbx_group_uuid(root), 16);
	assert_int_equal(kdbx_group_delete(db, a), KDBX_OK);
	assert_int_equal(kdbx_db_deleted_count(db), 4);
	assert_true(deleted_has(db, &au));
	assert_true(deleted_has(db, &subu));
	assert_true(deleted_has(db, &fu));
	assert_int_equal(kdbx_db_group_count(db), 2);

	/* root cannot be deleted; the bin itself is deleted for good */
	assert_int_equal(kdbx_group_delete(db, root), KDBX_EINVALID);
	assert_int_equal(kdbx_group_delete(db, bin), KDBX_OK);
	assert_null(kdbx_db_recycle_bin(db));
	assert_int_equal(kdbx_db_group_count(db), 1);
	kdbx_db_free(&db);
}

static void test_model_tree__delete_without_bin(void **state)
{
	kdbx_db *db = new_db();
	kdbx_entry *e = NULL;

	(void)state;
	assert_int_equal(kdbx_db_set_recycle_bin_enabled(db, 0), KDBX_OK);
	assert_int_equal(kdbx_entry_new(&e, kdbx_db_root(db), "E"), KDBX_OK);
	assert_int_equal(kdbx_entry_delete(db, e), KDBX_OK);
	assert_null(kdbx_db_recycle_bin(db));
	assert_int_equal(kdbx_db_deleted_count(db), 1);
	assert_int_equal(kdbx_db_entry_count(db), 0);
	kdbx_db_free(&db);
}

static int collect(kdbx_entry *e, void *ud)
{
	kdbx_entry **hits = ud;
	size_t i = 0;

	while (hits[i] != NULL)
		i++;
	hits[i] = e;
	return 0;
}

static int stop_first(kdbx_entry *e, void *ud)
{
	(void)e;
	(*(int *)ud)++;
	return 1;
}

static void test_model_tree__search(void **state)
{
	kdbx_db *db = new_db();
	kdbx_group *root = kdbx_db_root(db), *hidden = NULL, *shown = NULL;
	kdbx_entry *mail = NULL, *bank = NULL, *secret = NULL, *again = NULL, *gone = NULL;
	kdbx_entry *hits[8];
	int n = 0;

	(void)state;
	assert_int_equal(kdbx_entry_new(&mail, root, "Mail Account"), KDBX_OK);
	assert_int_equal(kdbx_entry_set_field(mail, KDBX_FIELD_USERNAME, "alice@example.org", 0), KDBX_OK);
	assert_int_equal(kdbx_entry_set_field(mail, KDBX_FIELD_URL, "https://mail.example.org", 0), KDBX_OK);
	assert_int_equal(kdbx_entry_new(&bank, root, "Bank"), KDBX_OK);
	assert_int_equal(kdbx_entry_set_field(bank, KDBX_FIELD_NOTES, "PIN in the safe", 0), KDBX_OK);
	assert_int_equal(kdbx_entry_set_tags(bank, "finance;important"), KDBX_OK);
	/* passwords are not searched */
	assert_int_equal(kdbx_entry_set_field(bank, KDBX_FIELD_PASSWORD, "example", 1), KDBX_OK);
	assert_int_equal(kdbx_group_add_group(&hidden, root, "Hidden"), KDBX_OK);
	assert_int_equal(kdbx_group_set_enable_searching(hidden, KDBX_FALSE), KDBX_OK);
	assert_int_equal(kdbx_entry_new(&secret, hidden, "Mail hidden"), KDBX_OK);
	/* an explicit TRUE below a FALSE group is searchable again (KeePass inheritance) */
	assert_int_equal(kdbx_group_add_group(&shown, hidden, "Shown"), KDBX_OK);
	assert_int_equal(kdbx_group_set_enable_searching(shown, KDBX_TRUE), KDBX_OK);
	assert_int_equal(kdbx_entry_new(&again, shown, "mail shown"), KDBX_OK);
	assert_int_equal(kdbx_entry_new(&gone, root, "Mail old"), KDBX_OK);
	assert_int_equal(kdbx_entry_delete(db, gone), KDBX_OK);

	memset(hits, 0, sizeof(hits));
	assert_int_equal(kdbx_db_search(db, "MAIL", collect, hits), KDBX_OK);
	assert_ptr_equal(hits[0], mail);
	assert_ptr_equal(hits[1], again);
	assert_null(hits[2]);

	memset(hits, 0, sizeof(hits));
	assert_int_equal(kdbx_db_search(db, "  example.org   alice ", collect, hits), KDBX_OK);
	assert_ptr_equal(hits[0], mail);
	assert_null(hits[1]);

	memset(hits, 0, sizeof(hits));
	assert_int_equal(kdbx_db_search(db, "safe IMPORTANT", collect, hits), KDBX_OK);
	assert_ptr_equal(hits[0], bank);
	assert_null(hits[1]);

	memset(hits, 0, sizeof(hits));
	assert_int_equal(kdbx_db_search(db, "mail bank", collect, hits), KDBX_OK);
	assert_null(hits[0]);
	memset(hits, 0, sizeof(hits));
	assert_int_equal(kdbx_db_search(db, "example", collect, hits), KDBX_OK);
	assert_ptr_equal(hits[0], mail); /* not bank: its password is not searched */
	assert_null(hits[1]);

	assert_int_equal(kdbx_db_search(db, "", stop_first, &n), KDBX_OK);
	assert_int_equal(n, 1);
	kdbx_db_free(&db);
}

static void test_model_tree__group_properties(void **state)
{
	kdbx_db *db = new_db();
	kdbx_group *g = NULL;
	kdbx_uuid icon;
	static const uint8_t png[] = {0x89, 'P', 'N', 'G'};

	(void)state;
	assert_int_equal(kdbx_group_add_group(&g, kdbx_db_root(db), "G"), KDBX_OK);
	assert_int_equal(kdbx_group_set_notes(g, "n"), KDBX_OK);
	assert_string_equal(kdbx_group_notes(g), "n");
	assert_int_equal(kdbx_group_set_icon(g, 5), KDBX_OK);
	assert_int_equal(kdbx_group_icon(g), 5);
	assert_int_equal(kdbx_group_set_time(g, KDBX_TIME_EXPIRY, 1234), KDBX_OK);
	assert_true(kdbx_group_time(g, KDBX_TIME_EXPIRY) == 1234);
	assert_int_equal(kdbx_group_set_expires(g, 1), KDBX_OK);
	assert_true(kdbx_group_expires(g));
	assert_int_equal(kdbx_group_set_custom_data(g, "k", "v"), KDBX_OK);
	assert_string_equal(kdbx_group_custom_data(g, "k"), "v");
	assert_int_equal(kdbx_group_custom_data_count(g), 1);
	assert_string_equal(kdbx_group_custom_data_key(g, 0), "k");
	assert_int_equal(kdbx_group_set_custom_data(g, "k", NULL), KDBX_OK);
	assert_int_equal(kdbx_group_custom_data_count(g), 0);
	assert_int_equal(kdbx_db_save_version(db), KDBX_VERSION_4_0);
	assert_int_equal(kdbx_group_set_tags(g, "a;b"), KDBX_OK);
	assert_string_equal(kdbx_group_tags(g), "a;b");
	assert_int_equal(kdbx_db_save_version(db), KDBX_VERSION_4_1);
	assert_int_equal(kdbx_group_set_tags(g, ""), KDBX_OK);
	assert_int_equal(kdbx_db_save_version(db), KDBX_VERSION_4_0);

	assert_int_equal(kdbx_db_add_custom_icon(db, png, sizeof(png), NULL, &icon), KDBX_OK);
	assert_int_equal(kdbx_db_custom_icon_count(db), 1);
	assert_int_equal(kdbx_group_set_custom_icon(g, &icon), KDBX_OK);
	assert_memory_equal(kdbx_group_custom_icon(g), &icon, 16);
	assert_int_equal(kdbx_db_save_version(db), KDBX_VERSION_4_0);
	/* a named icon needs 4.1 */
	assert_int_equal(kdbx_db_add_custom_icon(db, png, sizeof(png), "logo", NULL), KDBX_OK);
	assert_int_equal(kdbx_db_save_version(db), KDBX_VERSION_4_1);
	kdbx_db_free(&db);
}

static void test_model_tree__required_version_aes(void **state)
{
	kdbx_db *db = new_db();
	kdbx_kdf_params k;
	kdbx_entry *e = NULL;

	(void)state;
	kdbx_db_kdf(db, &k);
	k.type = KDBX_KDF_AES_KDBX3;
	k.rounds = 1;
	assert_int_equal(kdbx_db_set_kdf(db, &k), KDBX_OK);
	assert_int_equal(kdbx_db_save_version(db), KDBX_VERSION_3_1);
	/* Meta CustomData does not force 4.0 ... */
	assert_int_equal(kdbx_db_set_custom_data(db, "x", "y"), KDBX_OK);
	assert_string_equal(kdbx_db_custom_data(db, "x"), "y");
	assert_int_equal(kdbx_db_save_version(db), KDBX_VERSION_3_1);
	/* public custom data forces 4.0; KPXC_PUBLIC_UUID becomes the identity */
	{
		static const uint8_t pu[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
		kdbx_buf b = KDBX_BUF_INIT;
		uint8_t type = 0;
		assert_int_equal(kdbx_db__public_set(db, "KPXC_PUBLIC_UUID", 0x42, pu, 16), KDBX_OK);
		assert_int_equal(kdbx_db__public_set(db, "other", 0x18, "x", 1), KDBX_OK);
		assert_memory_equal(kdbx_db_uuid(db), pu, 16);
		assert_int_equal(kdbx_db_save_version(db), KDBX_VERSION_4_0);
		assert_int_equal(kdbx_db__public_get(db, "other", &type, &b), KDBX_OK);
		assert_int_equal(type, 0x18);
		assert_int_equal(b.len, 1);
		kdbx_buf_free(&b);
		assert_int_equal(kdbx_db__public_get(db, "nope", &type, &b), KDBX_ENOTFOUND);
		assert_int_equal(kdbx_db__public_set(db, "KPXC_PUBLIC_UUID", 0, NULL, 0), KDBX_OK);
		assert_int_equal(kdbx_db__public_set(db, "other", 0, NULL, 0), KDBX_OK);
		assert_memory_equal(kdbx_db_uuid(db), kdbx_group_uuid(kdbx_db_root(db)), 16);
		assert_int_equal(db->public_custom_data_len, 0);
		assert_int_equal(kdbx_db_save_version(db), KDBX_VERSION_3_1);
	}
	/* ... entry CustomData does, QualityCheck=0 needs 4.1 */
	assert_int_equal(kdbx_entry_new(&e, kdbx_db_root(db), "E"), KDBX_OK);
	assert_int_equal(kdbx_entry_set_custom_data(e, "c", "d"), KDBX_OK);
	assert_int_equal(kdbx_db_save_version(db), KDBX_VERSION_4_0);
	assert_int_equal(kdbx_entry_set_quality_check(e, 0), KDBX_OK);
	assert_int_equal(kdbx_db_save_version(db), KDBX_VERSION_4_1);
	/* invalid parameters are refused */
	k.rounds = 0;
	assert_int_equal(kdbx_db_set_kdf(db, &k), KDBX_EINVALID);
	assert_int_equal(kdbx_db_set_cipher(db, KDBX_CIPHER_AES128), KDBX_EUNSUPPORTED);
	assert_int_equal(kdbx_db_set_cipher(db, KDBX_CIPHER_CHACHA20), KDBX_OK);
	assert_int_equal(kdbx_db_cipher(db), KDBX_CIPHER_CHACHA20);
	kdbx_db_free(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_tree__new_db_defaults),
		cmocka_unit_test(test_model_tree__paths_and_lookup),
		cmocka_unit_test(test_model_tree__move),
		cmocka_unit_test(test_model_tree__delete_recycle_bin),
		cmocka_unit_test(test_model_tree__delete_without_bin),
		cmocka_unit_test(test_model_tree__search),
		cmocka_unit_test(test_model_tree__group_properties),
		cmocka_unit_test(test_model_tree__required_version_aes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
