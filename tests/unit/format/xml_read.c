/* Unit tests: KeePass XML reader - the interop plain XML files, KeePassXC's broken
 * documents (non-strict behaviour), hostile input, and real containers (protected values,
 * KDBX 3.1 header hash, KDBX4 inner-header binaries). */
#include "xml_fixture.h"

static kdbx_entry *find_entry(kdbx_db *db, const char *title)
{
	kdbx_group *stack[64];
	size_t n = 0;
	stack[n++] = db->root;
	while (n) {
		kdbx_group *g = stack[--n];
		for (size_t i = 0; i < g->nentries; i++) {
			char *t = xml_field(g->entries[i], "Title");
			bool hit = t && strcmp(t, title) == 0;
			free(t);
			if (hit)
				return g->entries[i];
		}
		for (size_t i = 0; i < g->ngroups && n < 64; i++)
			stack[n++] = g->groups[i];
	}
	return NULL;
}

static size_t history_total(const kdbx_group *g)
{
	size_t n = 0;
	for (size_t i = 0; i < g->nentries; i++)
		n += g->entries[i]->nhistory;
	for (size_t i = 0; i < g->ngroups; i++)
		n += history_total(g->groups[i]);
	return n;
}

static void attachment_is(const kdbx_entry *e, const char *name, const char *want)
{
	const uint8_t *d = NULL;
	size_t len = 0;
	assert_int_equal(kdbx_entry_attachment(e, name, &d, &len), KDBX_OK);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(d, want, len);
}

static void test_format_xml_read__demo(void **state)
{
	kdbx_db *db = NULL;
	(void)state;
	assert_int_equal(xml_parse_file("kdbxweb/demo.xml", &db), KDBX_OK);
	assert_int_equal(kdbx_db_group_count(db), 8);
	assert_int_equal(kdbx_db_entry_count(db), 4);
	assert_int_equal(history_total(db->root), 2);
	assert_string_equal(db->meta.name, "demo");
	assert_string_equal(db->meta.description, "demo db");
	assert_string_equal(db->meta.default_username, "me");
	assert_string_equal(db->meta.color, "#FF0000");
	assert_string_equal(db->meta.generator, "KeePass");
	assert_int_equal(db->meta.memory_protection, KDBX_PROTECT_PASSWORD);
	assert_int_equal(db->meta.maintenance_history_days, 365);
	assert_true(db->meta.history_max_size == 6291456);
	assert_int_equal(db->meta.nicons, 1);
	assert_true(db->meta.icons[0].len > 100);
	assert_memory_equal(db->meta.icons[0].data, "\x89PNG", 4);
	assert_int_equal(db->ndeleted, 1);
	assert_false(kdbx_uuid_is_zero(&db->meta.recycle_bin_uuid));
	assert_string_equal(db->root->name, "sample");
	assert_int_equal(db->root->icon, 49);
	assert_int_equal(db->root->enable_autotype, KDBX_INHERIT);

	kdbx_entry *e = find_entry(db, "Sample Entry");
	assert_non_null(e);
	xml_assert_field(e, "UserName", "User Name", 0);
	xml_assert_field(e, "Password", "Password", 1); /* ProtectInMemory="True" */
	xml_assert_field(e, "URL", "http://keepass.info/", 0);
	assert_true(e->has_custom_icon);
	assert_int_equal(e->nassocs, 1);
	assert_string_equal(e->assocs[0].window, "Target Window");
	assert_true(e->times.usage_count == 1);
	assert_false(e->times.expires);
	/* 2015-08-16T14:45:23Z */
	assert_true(e->times.creation == INT64_C(62135596800) + INT64_C(1439736323));

	kdbx_entry *e2 = find_entry(db, "my entry");
	assert_non_null(e2);
	assert_int_equal(kdbx_entry_attachment_count(e2), 1);
	assert_int_equal(e2->nhistory, 1);
	assert_int_equal(kdbx_entry_attachment_count(e2->history[0]), 1);
	attachment_is(e2->history[0], "attachment", "some attachment");
	attachment_is(e2, "attachment", "some attachment"); /* Compressed="True" pool item */
	kdbx_db_free(&db);
}

static void test_format_xml_read__cyrillic(void **state)
{
	kdbx_db *db = NULL;
	(void)state;
	assert_int_equal(xml_parse_file("kdbxweb/cyrillic.xml", &db), KDBX_OK);
	assert_int_equal(kdbx_db_group_count(db), 7);
	assert_int_equal(kdbx_db_entry_count(db), 2);
	assert_string_equal(db->meta.name, "моя база паролей");
	kdbx_entry *e = find_entry(db, "моя запись");
	assert_non_null(e);
	xml_assert_field(e, "UserName", "пользователь", 0);
	xml_assert_field(e, "Password", "пароль", 1);
	kdbx_db_free(&db);
}

static void test_format_xml_read__empty_uuids_generated(void **state)
{
	kdbx_db *db = NULL;
	(void)state;
	assert_int_equal(xml_parse_file("kdbxweb/empty-uuid.xml", &db), KDBX_OK);
	assert_int_equal(kdbx_db_group_count(db), 8);
	assert_int_equal(kdbx_db_entry_count(db), 4);
	assert_false(kdbx_uuid_is_zero(&db->root->uuid));
	for (size_t i = 0; i < db->root->ngroups; i++) {
		assert_false(kdbx_uuid_is_zero(&db->root->groups[i]->uuid));
		assert_memory_not_equal(&db->root->groups[i]->uuid, &db->root->uuid, 16);
	}
	for (size_t i = 0; i < db->root->nentries; i++) {
		kdbx_entry *e = db->root->entries[i];
		assert_false(kdbx_uuid_is_zero(&e->uuid));
		for (size_t h = 0; h < e->nhistory; h++)
			assert_memory_equal(&e->history[h]->uuid, &e->uuid, 16);
	}
	kdbx_db_free(&db);

	assert_int_equal(xml_parse_file("keepassxc/EmptyUuids.xml", &db), KDBX_OK);
	assert_int_equal(kdbx_db_group_count(db), 1);
	assert_string_equal(db->meta.name, "ANAME");
	assert_int_equal(db->meta.maintenance_history_days, 127);
	assert_int_equal(db->meta.history_max_items, -1);
	assert_true(db->meta.master_key_change_rec == 101);
	assert_true(kdbx_uuid_is_zero(&db->meta.recycle_bin_uuid));
	assert_int_equal(db->meta.nicons, 0);
	kdbx_db_free(&db);
}

static void test_format_xml_read__new_database(void **state)
{
	kdbx_db *db = NULL;
	(void)state;
	if (!xml_shared_init())
		skip();
	assert_int_equal(xml_parse_file("keepassxc/NewDatabase.xml", &db), KDBX_OK);
	assert_int_equal(kdbx_db_group_count(db), 6);
	assert_int_equal(kdbx_db_entry_count(db), 4);
	assert_int_equal(history_total(db->root), 2);
	assert_int_equal(db->ndeleted, 2);
	assert_string_equal(db->meta.name, "ANAME");
	/* Ref="1" -> "abcdefghijk", Ref="0" -> "0123456789" (Compressed pool) */
	size_t n1 = 0, n0 = 0;
	for (size_t i = 0; i < db->nbins; i++) {
		if (db->bins[i].refs == 0)
			continue;
		if (db->bins[i].len == 11 && memcmp(db->bins[i].data, "abcdefghijk", 11) == 0)
			n1++;
		if (db->bins[i].len == 10 && memcmp(db->bins[i].data, "0123456789", 10) == 0)
			n0++;
	}
	assert_int_equal(n1, 1);
	assert_int_equal(n0, 1);
	kdbx_db_free(&db);
}

static void test_format_xml_read__broken_documents(void **state)
{
	static const char *fail[] = {"BrokenNoRootGroup.xml", "BrokenTwoRoots.xml",
	                             "BrokenTwoRootGroups.xml"};
	char rel[128];
	kdbx_db *db = NULL;
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "keepassxc/%s", fail[i]);
		assert_int_equal(xml_parse_file(rel, &db), KDBX_ECORRUPT);
		assert_null(db);
	}
	/* non-strict KeePassXC: these open */
	assert_int_equal(xml_parse_file("keepassxc/BrokenNoGroupUuid.xml", &db), KDBX_OK);
	assert_false(kdbx_uuid_is_zero(&db->root->uuid));
	assert_string_equal(db->root->name, "Test");
	kdbx_db_free(&db);

	assert_int_equal(xml_parse_file("keepassxc/BrokenNoEntryUuid.xml", &db), KDBX_OK);
	assert_int_equal(db->root->nentries, 1);
	assert_false(kdbx_uuid_is_zero(&db->root->entries[0]->uuid));
	xml_assert_field(db->root->entries[0], "Title", "Sample Entry 1", 0);
	kdbx_db_free(&db);

	assert_int_equal(xml_parse_file("keepassxc/BrokenDifferentEntryHistoryUuid.xml", &db), KDBX_OK);
	kdbx_entry *e = db->root->entries[0];
	assert_int_equal(e->nhistory, 1);
	assert_memory_equal(&e->history[0]->uuid, &e->uuid, 16);
	assert_memory_equal(e->uuid.bytes, "1111111111111111", 16);
	kdbx_db_free(&db);

	assert_int_equal(xml_parse_file("keepassxc/BrokenGroupReference.xml", &db), KDBX_OK);
	assert_false(kdbx_uuid_is_zero(&db->meta.recycle_bin_uuid));
	kdbx_db_free(&db);

	/* null UUID and a missing object are dropped; an empty DeletionTime is 0001-01-01 */
	assert_int_equal(xml_parse_file("keepassxc/BrokenDeletedObjects.xml", &db), KDBX_OK);
	assert_int_equal(db->ndeleted, 1);
	assert_true(db->deleted[0].when == 0);
	kdbx_db_free(&db);
}

#define DOC_HEAD "<?xml version=\"1.0\" encoding=\"utf-8\"?><KeePassFile>"
#define ROOT_OPEN "<Root><Group><UUID>lmU+9n0aeESKZvcEze+bRg==</UUID><Name>R</Name>"
#define ROOT_CLOSE "</Group></Root></KeePassFile>"

static void test_format_xml_read__hostile_input(void **state)
{
	kdbx_db *db = NULL;
	(void)state;
	assert_int_equal(xml_parse("", &db), KDBX_ECORRUPT);
	assert_int_equal(xml_parse("garbage", &db), KDBX_ECORRUPT);
	assert_int_equal(xml_parse("<Other/>", &db), KDBX_ECORRUPT);
	assert_int_equal(xml_parse(DOC_HEAD ROOT_OPEN "</Group></Root>", &db), KDBX_ECORRUPT);
	/* DOCTYPE and entities are refused before any expansion */
	assert_int_equal(xml_parse("<?xml version=\"1.0\"?><!DOCTYPE KeePassFile [<!ENTITY a "
	                           "\"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><KeePassFile>&b;"
	                           "</KeePassFile>", &db),
	                 KDBX_ECORRUPT);
	assert_non_null(strstr(kdbx_error_last(), "DOCTYPE"));
	assert_int_equal(xml_parse("<!DOCTYPE KeePassFile SYSTEM \"file:///etc/passwd\"><KeePassFile/>",
	                           &db),
	                 KDBX_ECORRUPT);
	assert_int_equal(xml_parse(DOC_HEAD ROOT_OPEN "<Notes>&undefined;</Notes>" ROOT_CLOSE, &db),
	                 KDBX_ECORRUPT);
	/* deep nesting of unknown elements and of groups */
	kdbx_buf b = KDBX_BUF_INIT;
	assert_int_equal(kdbx_buf_append_str(&b, DOC_HEAD ROOT_OPEN), 0);
	for (int i = 0; i < 1200; i++)
		assert_int_equal(kdbx_buf_append_str(&b, "<X>"), 0);
	assert_int_equal(xml_parse_stream(b.data, b.len, NULL, 0, NULL, &db), KDBX_ECORRUPT);
	assert_non_null(strstr(kdbx_error_last(), "deep"));
	kdbx_buf_reset(&b);
	assert_int_equal(kdbx_buf_append_str(&b, DOC_HEAD "<Root>"), 0);
	for (int i = 0; i < 1200; i++)
		assert_int_equal(kdbx_buf_append_str(&b, "<Group>"), 0);
	assert_int_equal(xml_parse_stream(b.data, b.len, NULL, 0, NULL, &db), KDBX_ECORRUPT);
	kdbx_buf_free(&b);
	/* element inside a value, bad bool, bad number, history inside history */
	assert_int_equal(xml_parse(DOC_HEAD ROOT_OPEN "<Notes><b>x</b></Notes>" ROOT_CLOSE, &db),
	                 KDBX_ECORRUPT);
	assert_int_equal(xml_parse(DOC_HEAD ROOT_OPEN "<IsExpanded>maybe</IsExpanded>" ROOT_CLOSE, &db),
	                 KDBX_ECORRUPT);
	assert_int_equal(xml_parse(DOC_HEAD ROOT_OPEN "<IconID>4x</IconID>" ROOT_CLOSE, &db),
	                 KDBX_ECORRUPT);
	assert_int_equal(xml_parse(DOC_HEAD ROOT_OPEN "<Entry><History><Entry><History/></Entry>"
	                                              "</History></Entry>" ROOT_CLOSE, &db),
	                 KDBX_ECORRUPT);
	/* a protected value needs a stream */
	assert_int_equal(xml_parse(DOC_HEAD ROOT_OPEN "<Entry><String><Key>P</Key><Value "
	                                              "Protected=\"True\">AAAA</Value></String></Entry>"
	                                              ROOT_CLOSE, &db),
	                 KDBX_ECORRUPT);
	assert_null(db);
}

static void test_format_xml_read__protected_bad_base64(void **state)
{
	static const uint8_t key[32] = {7};
	kdbx_stream *s = NULL;
	kdbx_db *db = NULL;
	const char *xml = DOC_HEAD ROOT_OPEN "<Entry><String><Key>P</Key><Value Protected=\"True\">"
	                  "not base64!</Value></String></Entry>" ROOT_CLOSE;
	(void)state;
	assert_int_equal(kdbx_stream_new(&s, KDBX_STREAM_SALSA20, key, sizeof(key)), KDBX_OK);
	assert_int_equal(xml_parse_stream(xml, strlen(xml), s, KDBX_VERSION_3_1, NULL, &db),
	                 KDBX_ECORRUPT);
	kdbx_stream_free(&s);
}

static void test_format_xml_read__knownbad_and_quality(void **state)
{
	kdbx_db *db = NULL;
	(void)state;
	assert_int_equal(xml_parse(DOC_HEAD ROOT_OPEN
	                           "<Entry><UUID>AaUYVdXsI02h4T1RiAlgtg==</UUID><CustomData><Item>"
	                           "<Key>KnownBad</Key><Value>true</Value></Item><Item><Key>k</Key>"
	                           "<Value>v</Value></Item></CustomData></Entry>"
	                           "<Entry><QualityCheck>False</QualityCheck></Entry>"
	                           "<Entry><QualityCheck>true</QualityCheck></Entry>" ROOT_CLOSE,
	                           &db),
	                 KDBX_OK);
	assert_int_equal(db->root->nentries, 3);
	assert_int_equal(db->root->entries[0]->quality_check, 0);
	assert_int_equal(db->root->entries[0]->custom_data.count, 1); /* KnownBad migrated away */
	assert_string_equal(db->root->entries[0]->custom_data.items[0].key, "k");
	assert_int_equal(db->root->entries[1]->quality_check, 0);
	assert_int_equal(db->root->entries[2]->quality_check, 1);
	kdbx_db_free(&db);
}

/* ---- real containers ---- */

static int open_container(const char *rel, const char *pw, kdbx_container *c)
{
	kdbx_buf data;
	kdbx_key *k = NULL;
	xml_load(rel, &data);
	assert_int_equal(kdbx_key_new(&k), KDBX_OK);
	assert_int_equal(kdbx_key_set_password(k, pw, strlen(pw)), KDBX_OK);
	int rc = kdbx_container_read(c, data.data, data.len, k, NULL);
	kdbx_key_free(&k);
	kdbx_buf_free(&data);
	return rc;
}

static int read_real(const char *rel, const char *pw, kdbx_db **out)
{
	kdbx_container c;
	kdbx_stream *s = NULL;
	kdbx_db *db = NULL;
	assert_int_equal(open_container(rel, pw, &c), KDBX_OK);
	/* KeePassXC: KDBX3 always uses Salsa20 */
	int id = c.version < KDBX_VERSION_4_0 ? KDBX_STREAM_SALSA20 : c.stream_id;
	assert_int_equal(kdbx_stream_new(&s, id, c.stream_key, c.stream_key_len), KDBX_OK);
	assert_int_equal(kdbx_db__alloc(&db), KDBX_OK);
	int rc = kdbx_xml_read(db, &c, s);
	kdbx_stream_free(&s);
	kdbx_container_free(&c);
	if (rc)
		kdbx_db_free(&db);
	*out = db;
	return rc;
}

static void test_format_xml_read__protected_strings_kdbx3(void **state)
{
	kdbx_db *db = NULL;
	(void)state;
	assert_int_equal(read_real("keepassxc/ProtectedStrings.kdbx", "masterpw", &db), KDBX_OK);
	assert_string_equal(db->meta.name, "Protected Strings Test");
	assert_int_equal(db->root->nentries, 1);
	kdbx_entry *e = db->root->entries[0];
	xml_assert_field(e, "UserName", "Protected User Name", 0);
	xml_assert_field(e, "Password", "ProtectedPassword", 1);
	xml_assert_field(e, "TestProtected", "ABC", 1);
	xml_assert_field(e, "TestUnprotected", "DEF", 0);
	kdbx_db_free(&db);
}

static void test_format_xml_read__header_hash(void **state)
{
	kdbx_db *db = NULL;
	(void)state;
	assert_int_equal(read_real("keepassxc/BrokenHeaderHash.kdbx", "", &db), KDBX_ECORRUPT);
	assert_non_null(strstr(kdbx_error_last(), "header hash mismatch"));
	/* a good 3.1 file with a HeaderHash passes */
	assert_int_equal(read_real("keepassxc/Compressed.kdbx", "", &db), KDBX_OK);
	assert_string_equal(db->meta.name, "Compressed");
	kdbx_db_free(&db);
}

static void test_format_xml_read__format400_binaries(void **state)
{
	kdbx_db *db = NULL;
	(void)state;
	assert_int_equal(read_real("keepassxc/Format400.kdbx", "t", &db), KDBX_OK);
	assert_string_equal(db->root->name, "Format400");
	kdbx_entry *e = find_entry(db, "Format400");
	assert_non_null(e);
	xml_assert_field(e, "UserName", "Format400", 0);
	xml_assert_field(e, "Format400", "Format400", 1);
	assert_int_equal(kdbx_entry_attachment_count(e), 1);
	attachment_is(e, "Format400", "Format400\n");
	kdbx_db_free(&db);
}

int main(void)
{
	if (!xml_shared_init())
		return 77;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_xml_read__demo),
		cmocka_unit_test(test_format_xml_read__cyrillic),
		cmocka_unit_test(test_format_xml_read__empty_uuids_generated),
		cmocka_unit_test(test_format_xml_read__new_database),
		cmocka_unit_test(test_format_xml_read__broken_documents),
		cmocka_unit_test(test_format_xml_read__hostile_input),
		cmocka_unit_test(test_format_xml_read__protected_bad_base64),
		cmocka_unit_test(test_format_xml_read__knownbad_and_quality),
		cmocka_unit_test(test_format_xml_read__protected_strings_kdbx3),
		cmocka_unit_test(test_format_xml_read__header_hash),
		cmocka_unit_test(test_format_xml_read__format400_binaries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
