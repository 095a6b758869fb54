/* Unit tests: KeePass XML write -> read round trips (all versions, with and without inner
 * stream), unknown element preservation at every level, protected value stream order,
 * attachment de-duplication (KDBX4 inner header, KDBX3 gzip pool), character stripping. */
#include "xml_fixture.h"
#include "format/xml_internal.h"

/* ---- structural equality ---- */

static void eq_str(const char *a, const char *b)
{
	assert_string_equal(a ? a : "", b ? b : "");
}

/* Same unknown elements at each location, in the same order per location (the writer
 * groups them by location, so the order across locations may change once). */
static void eq_unknown(const kdbx_unknown *a, const kdbx_unknown *b)
{
	assert_int_equal(a->count, b->count);
	for (int loc = 0; loc < KDBX_XML_LOC_COUNT; loc++) {
		size_t i = 0, k = 0;
		for (;;) {
			while (i < a->count && (a->xml[i][0] == '<' ? 0 : a->xml[i][0]) != loc)
				i++;
			while (k < b->count && (b->xml[k][0] == '<' ? 0 : b->xml[k][0]) != loc)
				k++;
			if (i == a->count || k == b->count)
				break;
			assert_string_equal(a->xml[i++], b->xml[k++]);
		}
		assert_true(i == a->count && k == b->count);
	}
}

static void eq_kv(const kdbx_kvlist *a, const kdbx_kvlist *b, bool mtimes)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		assert_string_equal(a->items[i].key, b->items[i].key);
		assert_string_equal(a->items[i].value, b->items[i].value);
		if (mtimes)
			assert_true(a->items[i].mtime == b->items[i].mtime);
	}
}

static void eq_times(const kdbx_times *a, const kdbx_times *b)
{
	assert_true(a->creation == b->creation);
	assert_true(a->modification == b->modification);
	assert_true(a->access == b->access);
	assert_true(a->expiry == b->expiry);
	assert_true(a->location_changed == b->location_changed);
	assert_int_equal(a->expires, b->expires);
	assert_true(a->usage_count == b->usage_count);
}

static void eq_entry(const kdbx_entry *a, const kdbx_entry *b, uint32_t v)
{
	assert_memory_equal(&a->uuid, &b->uuid, 16);
	assert_int_equal(a->icon, b->icon);
	assert_int_equal(a->has_custom_icon, b->has_custom_icon);
	eq_str(a->fg_color, b->fg_color);
	eq_str(a->bg_color, b->bg_color);
	eq_str(a->override_url, b->override_url);
	eq_str(a->tags, b->tags);
	eq_times(&a->times, &b->times);
	if (v >= KDBX_VERSION_4_1) {
		assert_int_equal(a->quality_check, b->quality_check);
		assert_int_equal(a->has_prev_parent, b->has_prev_parent);
	}
	assert_int_equal(a->nfields, b->nfields);
	for (size_t i = 0; i < a->nfields; i++) {
		assert_string_equal(a->fields[i].name, b->fields[i].name);
		assert_int_equal(a->fields[i].protect, b->fields[i].protect);
		char *x = xml_field(a, a->fields[i].name), *y = xml_field(b, b->fields[i].name);
		assert_non_null(x);
		assert_non_null(y);
		assert_string_equal(x, y);
		free(x);
		free(y);
	}
	assert_int_equal(a->nattachments, b->nattachments);
	for (size_t i = 0; i < a->nattachments; i++) {
		const kdbx_bin *x = &a->db->bins[a->attachments[i].bin];
		const kdbx_bin *y = &b->db->bins[b->attachments[i].bin];
		assert_string_equal(a->attachments[i].name, b->attachments[i].name);
		assert_int_equal(x->len, y->len);
		if (x->len)
			assert_memory_equal(x->data, y->data, x->len);
	}
	assert_int_equal(a->autotype_enabled, b->autotype_enabled);
	assert_int_equal(a->autotype_obfuscation, b->autotype_obfuscation);
	eq_str(a->autotype_sequence, b->autotype_sequence);
	assert_int_equal(a->nassocs, b->nassocs);
	for (size_t i = 0; i < a->nassocs; i++) {
		eq_str(a->assocs[i].window, b->assocs[i].window);
		eq_str(a->assocs[i].sequence, b->assocs[i].sequence);
	}
	if (v >= KDBX_VERSION_4_0)
		eq_kv(&a->custom_data, &b->custom_data, false);
	assert_int_equal(a->nhistory, b->nhistory);
	for (size_t i = 0; i < a->nhistory; i++)
		eq_entry(a->history[i], b->history[i], v);
	eq_unknown(&a->unknown, &b->unknown);
}

static void eq_group(const kdbx_group *a, const kdbx_group *b, uint32_t v)
{
	assert_memory_equal(&a->uuid, &b->uuid, 16);
	eq_str(a->name, b->name);
	eq_str(a->notes, b->notes);
	eq_str(a->tags, b->tags);
	assert_int_equal(a->icon, b->icon);
	assert_int_equal(a->has_custom_icon, b->has_custom_icon);
	eq_times(&a->times, &b->times);
	assert_int_equal(a->is_expanded, b->is_expanded);
	eq_str(a->default_autotype_sequence, b->default_autotype_sequence);
	assert_int_equal(a->enable_autotype, b->enable_autotype);
	assert_int_equal(a->enable_searching, b->enable_searching);
	assert_memory_equal(&a->last_top_visible_entry, &b->last_top_visible_entry, 16);
	if (v >= KDBX_VERSION_4_1)
		assert_int_equal(a->has_prev_parent, b->has_prev_parent);
	if (v >= KDBX_VERSION_4_0)
		eq_kv(&a->custom_data, &b->custom_data, false);
	assert_int_equal(a->nentries, b->nentries);
	for (size_t i = 0; i < a->nentries; i++)
		eq_entry(a->entries[i], b->entries[i], v);
	assert_int_equal(a->ngroups, b->ngroups);
	for (size_t i = 0; i < a->ngroups; i++)
		eq_group(a->groups[i], b->groups[i], v);
	eq_unknown(&a->unknown, &b->unknown);
}

static void eq_db(const kdbx_db *a, const kdbx_db *b, uint32_t v)
{
	const kdbx_meta *x = &a->meta, *y = &b->meta;
	eq_str(x->generator, y->generator);
	eq_str(x->name, y->name);
	eq_str(x->description, y->description);
	eq_str(x->default_username, y->default_username);
	eq_str(x->color, y->color);
	assert_true(x->name_changed == y->name_changed);
	assert_true(x->master_key_changed == y->master_key_changed);
	assert_int_equal(x->maintenance_history_days, y->maintenance_history_days);
	assert_true(x->master_key_change_rec == y->master_key_change_rec);
	assert_true(x->master_key_change_force == y->master_key_change_force);
	assert_int_equal(x->memory_protection, y->memory_protection);
	assert_int_equal(x->recycle_bin_enabled, y->recycle_bin_enabled);
	assert_memory_equal(&x->recycle_bin_uuid, &y->recycle_bin_uuid, 16);
	assert_int_equal(x->history_max_items, y->history_max_items);
	assert_true(x->history_max_size == y->history_max_size);
	assert_int_equal(x->nicons, y->nicons);
	for (size_t i = 0; i < x->nicons; i++) {
		assert_memory_equal(&x->icons[i].uuid, &y->icons[i].uuid, 16);
		assert_int_equal(x->icons[i].len, y->icons[i].len);
		assert_memory_equal(x->icons[i].data, y->icons[i].data, x->icons[i].len);
		if (v >= KDBX_VERSION_4_1) {
			eq_str(x->icons[i].name, y->icons[i].name);
			assert_true(x->icons[i].mtime == y->icons[i].mtime);
		}
	}
	eq_kv(&x->custom_data, &y->custom_data, v >= KDBX_VERSION_4_1);
	eq_unknown(&x->unknown, &y->unknown);
	assert_int_equal(a->ndeleted, b->ndeleted);
	for (size_t i = 0; i < a->ndeleted; i++) {
		assert_memory_equal(&a->deleted[i].uuid, &b->deleted[i].uuid, 16);
		assert_true(a->deleted[i].when == b->deleted[i].when);
	}
	eq_unknown(&a->unknown_root, &b->unknown_root);
	eq_unknown(&a->unknown_doc, &b->unknown_doc);
	eq_group(a->root, b->root, v);
}

/* ---- helpers ---- */

static const uint8_t stream_key[32] = {0x11, 0x22, 0x33, 0x44, 5, 6, 7, 8, 9};

/* write db (version v, with or without Salsa20 stream) and read it back */
static kdbx_db *cycle(kdbx_db *db, uint32_t v, bool with_stream, kdbx_buf *xml_out)
{
	kdbx_stream *ws = NULL, *rs = NULL;
	kdbx_container c;
	kdbx_buf out = KDBX_BUF_INIT;
	kdbx_db *back = NULL;
	uint8_t hh[32];

	memset(&c, 0, sizeof(c));
	memset(hh, 0x5A, sizeof(hh));
	memcpy(c.header_hash, hh, 32);
	if (with_stream) {
		assert_int_equal(kdbx_stream_new(&ws, KDBX_STREAM_SALSA20, stream_key, 32), KDBX_OK);
		assert_int_equal(kdbx_stream_new(&rs, KDBX_STREAM_SALSA20, stream_key, 32), KDBX_OK);
	}
	assert_int_equal(kdbx_xml_write(db, v, hh, ws, &c, &out), KDBX_OK);
	assert_int_equal(xml_parse_stream(out.data, out.len, rs, v, &c, &back), KDBX_OK);
	if (xml_out) {
		kdbx_buf_reset(xml_out);
		assert_int_equal(kdbx_buf_append(xml_out, out.data, out.len), KDBX_OK);
	}
	kdbx_container_free(&c);
	kdbx_buf_free(&out);
	kdbx_stream_free(&ws);
	kdbx_stream_free(&rs);
	return back;
}

static size_t count(const kdbx_buf *b, const char *needle)
{
	size_t n = 0, l = strlen(needle);
	for (size_t i = 0; i + l <= b->len; i++)
		if (memcmp(b->data + i, needle, l) == 0)
			n++;
	return n;
}

static bool contains(const kdbx_buf *b, const char *needle)
{
	return count(b, needle) > 0;
}

/* A document exercising every element plus unknown ones at every level. */
static const char rich_xml[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\n"
	"<KeePassFile><Meta><Generator>Gen &amp; Co</Generator><DatabaseName>N</DatabaseName>"
	"<DatabaseNameChanged>2020-01-02T03:04:05Z</DatabaseNameChanged>"
	"<DatabaseDescription>line1&#13;\nline2</DatabaseDescription><DefaultUserName>me</DefaultUserName>"
	"<MaintenanceHistoryDays>100</MaintenanceHistoryDays><Color>#112233</Color>"
	"<MasterKeyChanged>2020-01-02T03:04:05Z</MasterKeyChanged><MasterKeyChangeRec>5</MasterKeyChangeRec>"
	"<MasterKeyChangeForce>-1</MasterKeyChangeForce>"
	"<MemoryProtection><ProtectTitle>True</ProtectTitle><ProtectPassword>True</ProtectPassword>"
	"<FutureProtect a=\"1\"/></MemoryProtection>"
	"<CustomIcons><Icon><UUID>rr3vZ1ozek+R4pAcLeqw5w==</UUID><Data>iVBORw0KGgo=</Data><Name>ico</Name>"
	"<LastModificationTime>AQAAAAAAAAA=</LastModificationTime><IconX>1</IconX></Icon></CustomIcons>"
	"<RecycleBinEnabled>False</RecycleBinEnabled><RecycleBinUUID>fZ7q9U4TBU+5VomeW3BZOQ==</RecycleBinUUID>"
	"<HistoryMaxItems>3</HistoryMaxItems><HistoryMaxSize>-1</HistoryMaxSize>"
	"<CustomData><Item><Key>mk</Key><Value>mv</Value><LastModificationTime>2021-01-01T00:00:00Z"
	"</LastModificationTime></Item><FutureItem/></CustomData>"
	"<MetaFuture x=\"&lt;&quot;&amp;\" xmlns:k=\"urn:k\"><k:Child>text &gt; here<![CDATA[<raw>]]></k:Child>"
	"<Empty/></MetaFuture></Meta>"
	"<Root><Group><UUID>lmU+9n0aeESKZvcEze+bRg==</UUID><Name>Root</Name><Notes>n</Notes><Tags>t1;t2</Tags>"
	"<IconID>48</IconID><Times><CreationTime>2020-01-02T03:04:05Z</CreationTime><Expires>True</Expires>"
	"<UsageCount>9</UsageCount><GroupTimeFuture/></Times><IsExpanded>False</IsExpanded>"
	"<EnableAutoType>false</EnableAutoType><EnableSearching>true</EnableSearching>"
	"<CustomData><Item><Key>gk</Key><Value>gv</Value></Item></CustomData>"
	"<PreviousParentGroup>AaUYVdXsI02h4T1RiAlgtg==</PreviousParentGroup>"
	"<Entry><UUID>MTExMTExMTExMTExMTExMQ==</UUID><IconID>3</IconID>"
	"<CustomIconUUID>rr3vZ1ozek+R4pAcLeqw5w==</CustomIconUUID><ForegroundColor>#FF0000</ForegroundColor>"
	"<OverrideURL>cmd://x</OverrideURL><Tags>a</Tags><Times><LastAccessTime>AgAAAAAAAAA=</LastAccessTime>"
	"<EntryTimeFuture>1</EntryTimeFuture></Times><QualityCheck>False</QualityCheck>"
	"<String><Key>Title</Key><Value ProtectInMemory=\"True\">T &lt;1&gt;</Value></String>"
	"<String><Key>Password</Key><Value ProtectInMemory=\"True\">pw \xe2\x82\xac</Value></String>"
	"<String><Key>Empty</Key><Value ProtectInMemory=\"True\"/></String>"
	"<String><Key>Plain</Key><Value>p</Value><StringFuture/></String>"
	"<Binary><Key>a.txt</Key><Value Ref=\"0\"/></Binary>"
	"<Binary><Key>b.txt</Key><Value Ref=\"1\"/></Binary>"
	"<AutoType><Enabled>False</Enabled><DataTransferObfuscation>1</DataTransferObfuscation>"
	"<DefaultSequence>{X}</DefaultSequence><Association><Window>W</Window>"
	"<KeystrokeSequence>S</KeystrokeSequence></Association><ATFuture/></AutoType>"
	"<CustomData><Item><Key>ek</Key><Value>ev</Value></Item></CustomData>"
	"<History><Entry><UUID>MTExMTExMTExMTExMTExMQ==</UUID>"
	"<String><Key>Password</Key><Value ProtectInMemory=\"True\">old</Value></String>"
	"<Binary><Key>a.txt</Key><Value Ref=\"0\"/></Binary><HistFuture>h</HistFuture></Entry>"
	"<HistoryListFuture/></History><EntryFuture><Deep><Deeper a=\"b\">x</Deeper></Deep></EntryFuture>"
	"</Entry>"
	"<Group><UUID>AaUYVdXsI02h4T1RiAlgtg==</UUID><Name>Sub</Name><SubFuture/></Group>"
	"<GroupFuture/></Group>"
	"<DeletedObjects><DeletedObject><UUID>5K/bzWCSmkCv5OZxYl4N/w==</UUID>"
	"<DeletionTime>2010-08-25T16:14:12Z</DeletionTime></DeletedObject><DelFuture/></DeletedObjects>"
	"<RootFuture/></Root><DocFuture>d</DocFuture></KeePassFile>\n";

static kdbx_db *rich_db(void)
{
	kdbx_db *db = NULL;
	kdbx_container c;
	memset(&c, 0, sizeof(c));
	/* two inner-header binaries with equal content + one different: dedup on write */
	c.nbinaries = 2;
	c.binaries = calloc(2, sizeof(*c.binaries));
	assert_non_null(c.binaries);
	c.binaries[0].data = (uint8_t *)kdbx_strdup("first attachment");
	c.binaries[0].len = 16;
	c.binaries[0].flags = 1;
	c.binaries[1].data = (uint8_t *)kdbx_strdup("second");
	c.binaries[1].len = 6;
	assert_int_equal(xml_parse_stream(rich_xml, strlen(rich_xml), NULL, KDBX_VERSION_4_1, &c, &db),
	                 KDBX_OK);
	kdbx_container_free(&c);
	return db;
}

static void test_format_xml_roundtrip__unknown_elements_kept(void **state)
{
	kdbx_buf x1 = KDBX_BUF_INIT, x2 = KDBX_BUF_INIT;
	(void)state;
	kdbx_db *db = rich_db();
	assert_int_equal(db->unknown_doc.count, 1);
	assert_string_equal(db->unknown_doc.xml[0], "<DocFuture>d</DocFuture>");
	assert_int_equal(db->unknown_root.count, 2); /* DelFuture (in DeletedObjects) + RootFuture */
	assert_int_equal(db->meta.unknown.count, 4);
	/* attributes, namespaces, CDATA, markup characters re-escaped */
	bool found = false;
	for (size_t i = 0; i < db->meta.unknown.count; i++)
		if (strcmp(db->meta.unknown.xml[i],
		           "<MetaFuture x=\"&lt;&quot;&amp;\" xmlns:k=\"urn:k\"><k:Child>text &gt; "
		           "here&lt;raw&gt;</k:Child><Empty/></MetaFuture>") == 0)
			found = true;
	assert_true(found);
	kdbx_entry *e = db->root->entries[0];
	assert_int_equal(e->unknown.count, 5); /* Times, String, AutoType, History, self */
	assert_int_equal(e->history[0]->unknown.count, 1);
	assert_int_equal(db->root->unknown.count, 2); /* Times + GroupFuture */
	assert_int_equal(db->root->groups[0]->unknown.count, 1);
	assert_string_equal(db->meta.description, "line1\r\nline2");

	for (int pass = 0; pass < 3; pass++) {
		static const uint32_t versions[] = {KDBX_VERSION_4_1, KDBX_VERSION_4_0, KDBX_VERSION_3_1};
		uint32_t v = versions[pass];
		kdbx_db *back = cycle(db, v, pass != 1, &x1);
		eq_db(db, back, v);
		/* the unknown ones are back inside the element they came from */
		assert_true(contains(&x1, "<GroupTimeFuture/>\n\t\t\t</Times>"));
		assert_true(contains(&x1, "<ATFuture/>\n\t\t\t\t</AutoType>"));
		assert_true(contains(&x1, "<HistoryListFuture/>\n\t\t\t\t</History>"));
		assert_true(contains(&x1, "<DelFuture/>\n\t\t</DeletedObjects>"));
		assert_true(contains(&x1, "<FutureProtect a=\"1\"/>\n\t\t</MemoryProtection>"));
		assert_true(contains(&x1, "<IconX>1</IconX>\n\t\t</CustomIcons>"));
		assert_true(contains(&x1, "<DocFuture>d</DocFuture>\n</KeePassFile>"));
		assert_true(contains(&x1, "line1&#13;\nline2"));
		/* idempotent: a second cycle writes the same bytes */
		kdbx_db *again = cycle(back, v, pass != 1, &x2);
		if (pass == 1) {
			assert_int_equal(x1.len, x2.len);
			assert_memory_equal(x1.data, x2.data, x1.len);
		}
		eq_db(back, again, v);
		kdbx_db_free(&again);
		kdbx_db_free(&back);
	}
	kdbx_buf_free(&x1);
	kdbx_buf_free(&x2);
	kdbx_db_free(&db);
}

static void test_format_xml_roundtrip__version_specific_output(void **state)
{
	kdbx_buf x = KDBX_BUF_INIT;
	(void)state;
	kdbx_db *db = rich_db();
	kdbx_db *b = cycle(db, KDBX_VERSION_3_1, true, &x);
	assert_true(contains(&x, "<HeaderHash>WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=</HeaderHash>"));
	assert_true(contains(&x, "<DatabaseNameChanged>2020-01-02T03:04:05Z</DatabaseNameChanged>"));
	/* 16 and 6 bytes do not shrink in a gzip member: written as they are */
	assert_true(contains(&x, "<Binary ID=\"0\">"));
	assert_true(contains(&x, "<Binary ID=\"1\">"));
	assert_false(contains(&x, "<Binary ID=\"2\""));
	assert_false(contains(&x, "SettingsChanged"));
	assert_false(contains(&x, "QualityCheck"));
	assert_false(contains(&x, "PreviousParentGroup"));
	assert_false(contains(&x, "<Key>ek</Key>"));                /* entry CustomData is KDBX4 */
	assert_true(contains(&x, "<Key>mk</Key>"));                 /* Meta CustomData always */
	assert_false(contains(&x, "<LastModificationTime>2021")); /* item mtime is 4.1 */
	assert_int_equal(count(&x, "Protected=\"True\""), 4); /* Title, Password, Empty, history pw */
	assert_false(contains(&x, "ProtectInMemory"));
	assert_false(contains(&x, "pw \xe2\x82\xac"));
	kdbx_db_free(&b);

	b = cycle(db, KDBX_VERSION_4_1, false, &x);
	assert_false(contains(&x, "HeaderHash"));
	assert_true(contains(&x, "SettingsChanged"));
	assert_true(contains(&x, "<QualityCheck>False</QualityCheck>"));
	assert_true(contains(&x, "<PreviousParentGroup>AaUYVdXsI02h4T1RiAlgtg==</PreviousParentGroup>"));
	assert_true(contains(&x, "<Name>ico</Name>"));
	assert_true(contains(&x, "<DatabaseNameChanged>"));
	assert_false(contains(&x, "2020-01-02T03:04:05Z")); /* base64 times */
	/* plain export: values in clear, pool inline */
	assert_int_equal(count(&x, "ProtectInMemory=\"True\""), 4);
	assert_true(contains(&x, "<Value ProtectInMemory=\"True\">pw \xe2\x82\xac</Value>"));
	assert_true(contains(&x, "<Value ProtectInMemory=\"True\">T &lt;1&gt;</Value>"));
	assert_true(contains(&x, "<Binaries>"));
	kdbx_db_free(&b);

	b = cycle(db, KDBX_VERSION_4_0, true, &x);
	assert_false(contains(&x, "QualityCheck"));
	assert_false(contains(&x, "<Name>ico</Name>"));
	assert_false(contains(&x, "<Binaries>"));
	assert_true(contains(&x, "<Key>ek</Key>"));
	kdbx_db_free(&b);
	kdbx_buf_free(&x);
	kdbx_db_free(&db);
}

static void test_format_xml_roundtrip__kdbx4_binaries_dedup(void **state)
{
	kdbx_container c;
	kdbx_buf out = KDBX_BUF_INIT;
	kdbx_stream *s = NULL;
	size_t i1, i2, i3;
	(void)state;
	kdbx_db *db = rich_db();
	/* a third entry attachment with the content of the first, in its own pool slot */
	assert_int_equal(kdbx_db__add_bin(db, (uint8_t *)kdbx_strdup("second"), 6, false, &i1), KDBX_OK);
	assert_int_equal(kdbx_db__add_bin(db, (uint8_t *)kdbx_strdup("unused"), 6, false, &i2), KDBX_OK);
	assert_int_equal(kdbx_db__add_bin(db, NULL, 0, false, &i3), KDBX_OK);
	kdbx_entry *ne = NULL;
	assert_int_equal(kdbx_entry__alloc(&ne, db, false), KDBX_OK);
	assert_int_equal(kdbx_group__append_entry(db->root->groups[0], ne), KDBX_OK);
	assert_int_equal(kdbx_uuid_generate(&ne->uuid), KDBX_OK);
	assert_int_equal(kdbx_entry__add_attachment(ne, "dup", i1), KDBX_OK);
	assert_int_equal(kdbx_entry__add_attachment(ne, "empty", i3), KDBX_OK);

	memset(&c, 0, sizeof(c));
	assert_int_equal(kdbx_stream_new(&s, KDBX_STREAM_CHACHA20, stream_key, 32), KDBX_OK);
	assert_int_equal(kdbx_xml_write(db, KDBX_VERSION_4_0, NULL, s, &c, &out), KDBX_OK);
	kdbx_stream_free(&s);
	/* first use order: "first attachment" (a.txt), "second" (b.txt, dup), ""; the bytes
	 * are the db's own, lent for the save */
	assert_int_equal(c.nbinaries, 3);
	assert_true(c.binaries_borrowed);
	for (size_t k = 0; k < c.nbinaries; k++) {
		bool lent = false;
		for (size_t j = 0; j < db->nbins; j++)
			lent |= c.binaries[k].data == db->bins[j].data;
		assert_true(lent);
	}
	assert_int_equal(c.binaries[0].len, 16);
	assert_memory_equal(c.binaries[0].data, "first attachment", 16);
	assert_int_equal(c.binaries[0].flags, 1);
	assert_int_equal(c.binaries[1].len, 6);
	assert_memory_equal(c.binaries[1].data, "second", 6);
	assert_int_equal(c.binaries[1].flags, 0);
	assert_int_equal(c.binaries[2].len, 0);
	assert_int_equal(count(&out, "<Value Ref=\"1\"/>"), 2);
	assert_int_equal(count(&out, "<Value Ref=\"0\"/>"), 2);
	assert_int_equal(count(&out, "<Value Ref=\"2\"/>"), 1);

	kdbx_db *back = NULL;
	assert_int_equal(kdbx_stream_new(&s, KDBX_STREAM_CHACHA20, stream_key, 32), KDBX_OK);
	assert_int_equal(xml_parse_stream(out.data, out.len, s, KDBX_VERSION_4_0, &c, &back), KDBX_OK);
	kdbx_stream_free(&s);
	eq_db(db, back, KDBX_VERSION_4_0);
	/* the reader copied the lent binaries into its own pool: both dbs own their bytes */
	assert_non_null(c.binaries[0].data);
	const kdbx_bin *first = &back->bins[back->root->entries[0]->attachments[0].bin];
	assert_true(first->protect);
	assert_true(first->data != c.binaries[0].data);
	assert_memory_equal(first->data, "first attachment", 16);
	kdbx_db_free(&back);
	kdbx_container_free(&c);
	kdbx_buf_free(&out);
	kdbx_db_free(&db);
}

/* KDBX 3.1 Meta/Binaries: an attachment that shrinks is written Compressed="True", one that
 * does not (random bytes, as in an image or an archive) as it is; both come back byte for
 * byte. A compressed one whose gzip is damaged is an error, not an empty attachment. */
static void test_format_xml_roundtrip__kdbx3_binaries_compressed_when_smaller(void **state)
{
	enum { TEXT_LEN = 64 * 1024, RAND_LEN = 4096 };
	kdbx_buf x = KDBX_BUF_INIT;
	size_t it, ir;
	(void)state;
	kdbx_db *db = rich_db();
	uint8_t *text = malloc(TEXT_LEN), *rnd = malloc(RAND_LEN);
	assert_non_null(text);
	assert_non_null(rnd);
	for (size_t i = 0; i < TEXT_LEN; i++)
		text[i] = (uint8_t)("line of a log file\n"[i % 19]);
	assert_int_equal(kdbx_random(rnd, RAND_LEN), KDBX_OK);
	assert_int_equal(kdbx_db__add_bin(db, text, TEXT_LEN, false, &it), KDBX_OK);
	assert_int_equal(kdbx_db__add_bin(db, rnd, RAND_LEN, false, &ir), KDBX_OK);
	kdbx_entry *e = db->root->entries[0];
	assert_int_equal(kdbx_entry__add_attachment(e, "log.txt", it), KDBX_OK);
	assert_int_equal(kdbx_entry__add_attachment(e, "photo.jpg", ir), KDBX_OK);

	kdbx_db *back = cycle(db, KDBX_VERSION_3_1, true, &x);
	eq_db(db, back, KDBX_VERSION_3_1); /* compares every attachment's bytes */
	assert_int_equal(count(&x, "Compressed=\"True\""), 1);
	/* the text went in compressed: its base64 is far shorter than 4/3 of 64 KiB */
	assert_true(x.len < (size_t)RAND_LEN * 4 / 3 + TEXT_LEN / 4);
	kdbx_db_free(&back);
	kdbx_buf_free(&x);
	kdbx_db_free(&db);

	static const char intact[] =
	    "<KeePassFile><Meta><Binaries><Binary ID=\"0\" Compressed=\"True\">"
	    "H4sIAAAAAAAAA8tIzcnJBwCGphA2BQAAAA==</Binary></Binaries></Meta>"
	    "<Root><Group><Name>r</Name><Entry><UUID>AAAAAAAAAAAAAAAAAAAAAQ==</UUID>"
	    "<Binary><Key>h</Key><Value Ref=\"0\"/></Binary></Entry></Group></Root></KeePassFile>";
	char *bad = kdbx_strdup(intact);
	assert_non_null(bad);
	char *crc = strstr(bad, "phA2BQ"); /* in the trailer's CRC-32 */
	assert_non_null(crc);
	crc[3] = '3';
	assert_int_equal(xml_parse(intact, &back), KDBX_OK);
	const kdbx_bin *hello = &back->bins[back->root->entries[0]->attachments[0].bin];
	assert_int_equal(hello->len, 5);
	assert_memory_equal(hello->data, "hello", 5);
	kdbx_db_free(&back);
	assert_int_equal(xml_parse(bad, &back), KDBX_ECORRUPT);
	assert_null(back);
	free(bad);
}

static void test_format_xml_roundtrip__stream_order(void **state)
{
	kdbx_buf x = KDBX_BUF_INIT;
	kdbx_stream *s = NULL;
	(void)state;
	kdbx_db *db = rich_db();
	kdbx_db *b = cycle(db, KDBX_VERSION_3_1, true, &x);
	kdbx_db_free(&b);
	/* Decrypt the Protected values by hand, in document order, with one fresh stream. */
	const char *want[] = {"T <1>", "pw \xe2\x82\xac", "old"};
	assert_int_equal(kdbx_stream_new(&s, KDBX_STREAM_SALSA20, stream_key, 32), KDBX_OK);
	const char *p = (const char *)x.data, *end = p + x.len;
	for (size_t i = 0; i < 3; i++) {
		const char *tag = "<Value Protected=\"True\">";
		const char *hit = memmem(p, (size_t)(end - p), tag, strlen(tag));
		assert_non_null(hit);
		hit += strlen(tag);
		const char *close = memchr(hit, '<', (size_t)(end - hit));
		assert_non_null(close);
		kdbx_buf plain = KDBX_BUF_INIT;
		assert_int_equal(kdbx_base64_decode(&plain, hit, (size_t)(close - hit)), KDBX_OK);
		assert_int_equal(plain.len, strlen(want[i]));
		assert_int_equal(kdbx_stream_xor(s, plain.data, plain.len), KDBX_OK);
		assert_memory_equal(plain.data, want[i], plain.len);
		kdbx_buf_free(&plain);
		p = close;
	}
	/* the empty protected value is written without content and consumed nothing */
	assert_true(contains(&x, "<Value Protected=\"True\"/>"));
	kdbx_stream_free(&s);

	/* reading with a stream at a different position garbles values (order matters) */
	kdbx_db *garbled = NULL;
	uint8_t skip[1] = {0};
	assert_int_equal(kdbx_stream_new(&s, KDBX_STREAM_SALSA20, stream_key, 32), KDBX_OK);
	assert_int_equal(kdbx_stream_xor(s, skip, 1), KDBX_OK);
	/* (as 4.0 so the test's dummy HeaderHash is not checked) */
	assert_int_equal(xml_parse_stream(x.data, x.len, s, KDBX_VERSION_4_0, NULL, &garbled), KDBX_OK);
	char *pw = xml_field(garbled->root->entries[0], "Password");
	assert_string_not_equal(pw, "pw \xe2\x82\xac");
	free(pw);
	kdbx_db_free(&garbled);
	kdbx_stream_free(&s);
	kdbx_buf_free(&x);
	kdbx_db_free(&db);
}

static void test_format_xml_roundtrip__invalid_chars_stripped(void **state)
{
	kdbx_buf x = KDBX_BUF_INIT;
	(void)state;
	kdbx_db *db = rich_db();
	kdbx_entry *e = db->root->entries[0];
	static const char dirty[] = "a\x01" "b\xef\xbf\xbe" "c\xff" "d\xed\xa0\x80" "e\r\n\tf\xc3\xa9";
	assert_int_equal(kdbx_entry__add_field(e, kdbx_strdup("Dirty"), dirty, sizeof(dirty) - 1, false),
	                 KDBX_OK);
	assert_int_equal(kdbx_entry__add_field(e, kdbx_strdup("DirtyP"), dirty, sizeof(dirty) - 1, true),
	                 KDBX_OK);
	free(db->root->name);
	db->root->name = kdbx_strdup("x\x02y");
	for (int ws = 0; ws < 2; ws++) {
		kdbx_db *b = cycle(db, KDBX_VERSION_4_1, ws, &x);
		assert_false(contains(&x, "\x01"));
		assert_false(contains(&x, "\x02"));
		assert_false(contains(&x, "\xef\xbf\xbe"));
		assert_false(contains(&x, "\xff"));
		char *v = xml_field(b->root->entries[0], "Dirty");
		assert_string_equal(v, "abcde\r\n\tf\xc3\xa9");
		free(v);
		v = xml_field(b->root->entries[0], "DirtyP");
		/* through the stream the exact bytes survive; in clear they are stripped */
		if (ws)
			assert_memory_equal(v, dirty, sizeof(dirty) - 1);
		else
			assert_string_equal(v, "abcde\r\n\tf\xc3\xa9");
		free(v);
		assert_string_equal(b->root->name, "xy");
		kdbx_db_free(&b);
	}
	kdbx_buf_free(&x);
	kdbx_db_free(&db);
}

static void test_format_xml_roundtrip__interop_files(void **state)
{
	static const char *files[] = {"kdbxweb/demo.xml", "kdbxweb/cyrillic.xml",
	                              "keepassxc/NewDatabase.xml", "keepassxc/EmptyUuids.xml"};
	static const uint32_t versions[] = {KDBX_VERSION_3_1, KDBX_VERSION_4_0, KDBX_VERSION_4_1};
	(void)state;
	for (size_t f = 0; f < 4; f++) {
		kdbx_db *db = NULL;
		assert_int_equal(xml_parse_file(files[f], &db), KDBX_OK);
		for (size_t v = 0; v < 3; v++) {
			for (int ws = 0; ws < 2; ws++) {
				kdbx_db *b = cycle(db, versions[v], ws, NULL);
				eq_db(db, b, versions[v]);
				kdbx_db_free(&b);
			}
		}
		kdbx_db_free(&db);
	}
}

int main(void)
{
	if (!xml_shared_init())
		return 77;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_xml_roundtrip__unknown_elements_kept),
		cmocka_unit_test(test_format_xml_roundtrip__version_specific_output),
		cmocka_unit_test(test_format_xml_roundtrip__kdbx4_binaries_dedup),
		cmocka_unit_test(test_format_xml_roundtrip__kdbx3_binaries_compressed_when_smaller),
		cmocka_unit_test(test_format_xml_roundtrip__stream_order),
		cmocka_unit_test(test_format_xml_roundtrip__invalid_chars_stripped),
		cmocka_unit_test(test_format_xml_roundtrip__interop_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
