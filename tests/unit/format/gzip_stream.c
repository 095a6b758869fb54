/* Inflating while the XML is parsed (src/format/gzip_stream.c): the bytes are the ones a
 * whole inflate gives, damage and a lying trailer are errors, stopping early is clean, and
 * a database opened streamed equals one opened the old way (KDBX 3.1 and 4 with inner-header
 * binaries), also when the scanner hands off to expat in the middle. All of it twice:
 * inflating inline and in a thread ahead of the reader. */
#include "xml_fixture.h"

#include "format/container.h"

enum { MODE_AUTO = 0, MODE_ALWAYS = 1, MODE_NEVER = 2 };

/* Compressible, not trivially: numbered lines. */
static void sample(kdbx_buf *b, size_t lines)
{
	char line[64];
	for (size_t i = 0; i < lines; i++) {
		int n = snprintf(line, sizeof(line), "<L n=\"%zu\">%zx-%zu</L>\n", i, i * 2654435761u, i % 97);
		assert_int_equal(kdbx_buf_append(b, line, (size_t)n), KDBX_OK);
	}
}

static void gzip_of(const kdbx_buf *plain, kdbx_buf *gz)
{
	gz->secure = true;
	assert_int_equal(kdbx_gzip__deflate(plain->data, plain->len, gz), KDBX_OK);
}

/* Streams gz, waiting in steps of step bytes; returns the wait error and the bytes in out. */
static int stream_all(const kdbx_buf *gz, size_t step, kdbx_buf *out)
{
	kdbx_gzip_stream *gs = NULL;
	kdbx_buf in = KDBX_BUF_INIT, xml = KDBX_BUF_INIT;
	size_t produced = 0;
	bool done = false;
	int rc = KDBX_OK;

	in.secure = xml.secure = true;
	assert_int_equal(kdbx_buf_append(&in, gz->data, gz->len), KDBX_OK);
	size_t isize = kdbx_le32(gz->data + gz->len - 4);
	assert_int_equal(kdbx_gzip__stream_start(&gs, &in, &xml, isize), KDBX_OK);
	assert_null(in.data); /* taken over */
	while (!done && rc == KDBX_OK)
		rc = kdbx_gzip__stream_wait(gs, produced + step, &produced, &done);
	if (rc == KDBX_OK)
		assert_int_equal(kdbx_buf_append(out, kdbx_gzip__stream_out(gs), produced), KDBX_OK);
	kdbx_gzip__stream_free(&gs);
	assert_null(gs);
	kdbx_buf_free(&xml);
	return rc;
}

static void test_format_gzip_stream__same_bytes(void **state)
{
	kdbx_buf plain = KDBX_BUF_INIT, gz = KDBX_BUF_INIT;
	(void)state;
	sample(&plain, 200000); /* ~5 MB: several inflate steps */
	gzip_of(&plain, &gz);
	const size_t steps[] = {1, 4096, (size_t)3 << 20, SIZE_MAX / 2};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		kdbx_buf out = KDBX_BUF_INIT;
		assert_int_equal(stream_all(&gz, steps[i], &out), KDBX_OK);
		assert_int_equal(out.len, plain.len);
		assert_memory_equal(out.data, plain.data, plain.len);
		kdbx_buf_free(&out);
	}
	kdbx_buf_free(&plain);
	kdbx_buf_free(&gz);
}

static void test_format_gzip_stream__damage_is_an_error(void **state)
{
	kdbx_buf plain = KDBX_BUF_INIT, gz = KDBX_BUF_INIT;
	(void)state;
	sample(&plain, 100000);
	gzip_of(&plain, &gz);
	kdbx_buf out = KDBX_BUF_INIT, bad = KDBX_BUF_INIT;
	/* deflate data damaged in the middle */
	assert_int_equal(kdbx_buf_append(&bad, gz.data, gz.len), KDBX_OK);
	for (size_t i = gz.len / 2; i < gz.len / 2 + 64; i++)
		bad.data[i] ^= 0x5A;
	assert_int_equal(stream_all(&bad, 1 << 20, &out), KDBX_ECORRUPT);
	assert_non_null(strstr(kdbx_error_last(), "compressed payload"));
	/* a trailer that says less than there is */
	memcpy(bad.data, gz.data, gz.len);
	uint32_t lie = (uint32_t)(plain.len / 2);
	memcpy(bad.data + bad.len - 4, &lie, 4);
	assert_int_equal(stream_all(&bad, 1 << 20, &out), KDBX_ECORRUPT);
	assert_non_null(strstr(kdbx_error_last(), "larger than its gzip trailer says"));
	/* a wrong CRC-32, and a trailer that says more than there is */
	memcpy(bad.data, gz.data, gz.len);
	bad.data[bad.len - 8] ^= 1;
	assert_int_equal(stream_all(&bad, 1 << 20, &out), KDBX_ECORRUPT);
	assert_non_null(strstr(kdbx_error_last(), "compressed payload"));
	memcpy(bad.data, gz.data, gz.len);
	lie = (uint32_t)(plain.len + 1);
	memcpy(bad.data + bad.len - 4, &lie, 4);
	assert_int_equal(stream_all(&bad, 1 << 20, &out), KDBX_ECORRUPT);
	assert_int_equal(out.len, 0);
	/* cut short */
	bad.len = gz.len / 3;
	memcpy(bad.data + bad.len - 4, gz.data + gz.len - 4, 4);
	assert_int_equal(stream_all(&bad, 1 << 20, &out), KDBX_ECORRUPT);
	kdbx_buf_free(&bad);
	kdbx_buf_free(&out);
	kdbx_buf_free(&plain);
	kdbx_buf_free(&gz);
}

static void test_format_gzip_stream__stop_early(void **state)
{
	kdbx_buf plain = KDBX_BUF_INIT, gz = KDBX_BUF_INIT;
	(void)state;
	sample(&plain, 400000); /* ~10 MB: more than a thread inflates ahead (LAG + a step) */
	gzip_of(&plain, &gz);
	kdbx_gzip_stream *gs = NULL;
	kdbx_buf in = KDBX_BUF_INIT, xml = KDBX_BUF_INIT;
	size_t produced = 0;
	bool done = true;
	in.secure = xml.secure = true;
	assert_int_equal(kdbx_buf_append(&in, gz.data, gz.len), KDBX_OK);
	assert_int_equal(kdbx_gzip__stream_start(&gs, &in, &xml, plain.len), KDBX_OK);
	assert_int_equal(kdbx_gzip__stream_wait(gs, 1000, &produced, &done), KDBX_OK);
	assert_true(produced >= 1000);
	assert_false(done);
	assert_memory_equal(kdbx_gzip__stream_out(gs), plain.data, 1000);
	kdbx_gzip__stream_free(&gs); /* the rest is dropped */
	kdbx_buf_free(&xml);
	kdbx_buf_free(&plain);
	kdbx_buf_free(&gz);
}

/* What the reader has read moved ahead of the inflater, as kdbx_container_xml_release does
 * (kdbx_gzip__stream_recycle): every byte still comes out as a whole inflate gives it, and
 * the pages are reused, not just unmapped. */
static void test_format_gzip_stream__recycled_pages(void **state)
{
	kdbx_buf plain = KDBX_BUF_INIT, gz = KDBX_BUF_INIT, in = KDBX_BUF_INIT, xml = KDBX_BUF_INIT;
	kdbx_gzip_stream *gs = NULL;
	size_t produced = 0, checked = 0, moved_total = 0;
	bool done = false;
	(void)state;
	sample(&plain, 1000000); /* ~24 MB */
	gzip_of(&plain, &gz);
	in.secure = xml.secure = true;
	assert_int_equal(kdbx_buf_append(&in, gz.data, gz.len), KDBX_OK);
	assert_int_equal(kdbx_gzip__stream_start(&gs, &in, &xml, plain.len), KDBX_OK);
	const uint8_t *out = kdbx_gzip__stream_out(gs);
	while (!done) {
		assert_int_equal(kdbx_gzip__stream_wait(gs, produced + ((size_t)1 << 20), &produced, &done),
		                 KDBX_OK);
		assert_true(produced <= plain.len);
		/* The reader lags 3 MiB behind the output, and the bytes it has not read yet are
		 * checked after the move: pages must not land where output is waiting. */
		const size_t lag = (size_t)3 << 20;
		if (out + produced >= xml.data + lag) {
			size_t n = (size_t)(out + produced - lag - xml.data);
			size_t moved = kdbx_gzip__stream_recycle(gs, xml.data, n);
			assert_true(moved % KDBX_SECURE_HUGE == 0 && moved <= n);
			xml.data += moved;
			xml.cap -= moved;
			moved_total += moved;
		}
		size_t from = checked > lag ? checked - lag : 0;
		if ((size_t)(xml.data - out) > from)
			from = (size_t)(xml.data - out);
		assert_memory_equal(out + from, plain.data + from, produced - from);
		checked = produced;
	}
	assert_int_equal(checked, plain.len);
	assert_true(moved_total >= plain.len / 2);
	/* nothing left to move into once the output is complete */
	assert_int_equal(kdbx_gzip__stream_recycle(gs, xml.data, KDBX_SECURE_HUGE), 0);
	kdbx_gzip__stream_free(&gs);
	kdbx_buf_free(&xml);
	kdbx_buf_free(&plain);
	kdbx_buf_free(&gz);
}

/* n entries; KDBX 3.1 with AES_KDBX3, else 4.x (1 round: a fast test). */
static kdbx_db *many_entries(size_t n, kdbx_kdf_type kdf)
{
	kdbx_db *db = NULL;
	kdbx_kdf_params k;
	assert_int_equal(kdbx_db_new(&db, "stream"), KDBX_OK);
	kdbx_db_kdf(db, &k);
	k.type = kdf;
	k.rounds = 1;
	assert_int_equal(kdbx_db_set_kdf(db, &k), KDBX_OK);
	for (size_t i = 0; i < n; i++) {
		char title[32], pw[48];
		kdbx_entry *e = NULL;
		snprintf(title, sizeof(title), "entry %zu \xC3\xA9", i);
		snprintf(pw, sizeof(pw), "pw-%zu-&<\r\n]]>", i);
		assert_int_equal(kdbx_entry_new(&e, kdbx_db_root(db), title), KDBX_OK);
		assert_int_equal(kdbx_entry_set_field(e, "Password", pw, 1), KDBX_OK);
		assert_int_equal(kdbx_entry_set_field(e, "Notes", "line 1\r\nline 2", 0), KDBX_OK);
		if (i % 1000 == 0) /* KDBX4: binaries in the inner header, in front of the XML */
			assert_int_equal(kdbx_entry_set_attachment(e, "a.txt", (const uint8_t *)pw, strlen(pw)),
			                 KDBX_OK);
	}
	return db;
}

static void check_entries(kdbx_db *db, size_t n)
{
	kdbx_group *root = kdbx_db_root(db);
	assert_int_equal(kdbx_group_entry_count(root), n);
	for (size_t i = 0; i < n; i += 500) {
		char pw[48];
		snprintf(pw, sizeof(pw), "pw-%zu-&<\r\n]]>", i);
		xml_assert_field(kdbx_group_entry_at(root, i), "Password", pw, 1);
		if (i % 1000 == 0) {
			const uint8_t *a = NULL;
			size_t alen = 0;
			assert_int_equal(kdbx_entry_attachment(kdbx_group_entry_at(root, i), "a.txt", &a, &alen),
			                 KDBX_OK);
			assert_true(alen == strlen(pw) && memcmp(a, pw, alen) == 0);
		}
	}
}

/* A KDBX 3.1 file has no SettingsChanged: the opened db says "now", which may differ
 * between two opens by a second. */
static void blank_settings_changed(uint8_t *xml, size_t len)
{
	uint8_t *p = memmem(xml, len, "<SettingsChanged>", 17);
	if (p == NULL)
		return;
	for (p += 17; p < xml + len && *p != '<'; p++)
		*p = '-';
}

static void open_streamed_equals_whole(kdbx_kdf_type kdf, uint32_t version)
{
	const size_t n = 3000;
	kdbx_db *db = many_entries(n, kdf);
	kdbx_key *key = NULL;
	uint8_t *file = NULL;
	size_t len = 0;
	assert_int_equal(kdbx_key_new(&key), KDBX_OK);
	assert_int_equal(kdbx_key_set_password(key, "pw", 2), KDBX_OK);
	assert_int_equal(kdbx_db_save_memory(db, key, &file, &len), KDBX_OK);
	assert_int_equal(kdbx_db_file_version(db), version);
	kdbx_buf whole = KDBX_BUF_INIT;
	for (int mode = MODE_NEVER; mode >= MODE_ALWAYS; mode--) {
		kdbx_db *back = NULL;
		uint8_t *xml = NULL;
		size_t xml_len = 0;
		kdbx_gzip__stream_mode(mode);
		assert_int_equal(kdbx_db_open_memory(&back, file, len, key, NULL), KDBX_OK);
		kdbx_gzip__stream_mode(MODE_AUTO);
		check_entries(back, n);
		assert_int_equal(kdbx_db_export_xml_memory(back, &xml, &xml_len), KDBX_OK);
		blank_settings_changed(xml, xml_len);
		if (mode == MODE_NEVER)
			assert_int_equal(kdbx_buf_append(&whole, xml, xml_len), KDBX_OK);
		else
			assert_true(xml_len == whole.len && memcmp(xml, whole.data, xml_len) == 0);
		kdbx_free(xml, xml_len);
		kdbx_db_free(&back);
	}
	kdbx_buf_free(&whole);
	kdbx_free(file, len);
	kdbx_key_free(&key);
	kdbx_db_free(&db);
}

static void test_format_gzip_stream__open_streamed_equals_whole(void **state)
{
	(void)state;
	open_streamed_equals_whole(KDBX_KDF_AES_KDBX3, KDBX_VERSION_3_1);
	open_streamed_equals_whole(KDBX_KDF_AES_KDBX4, KDBX_VERSION_4_0);
}

/* The reader on a streamed container whose XML has a comment half-way: the scanner hands
 * off to expat only once the whole document is there, and the inner stream continues. */
static void test_format_gzip_stream__hand_off_mid_stream(void **state)
{
	static const uint8_t skey[32] = {9};
	const size_t n = 3000;
	kdbx_db *db = many_entries(n, KDBX_KDF_AES_KDBX3);
	kdbx_stream *s = NULL;
	kdbx_container w;
	kdbx_buf xml = KDBX_BUF_INIT, gz = KDBX_BUF_INIT, bad = KDBX_BUF_INIT;
	uint8_t hh[32] = {0};
	(void)state;
	memset(&w, 0, sizeof(w));
	assert_int_equal(kdbx_stream_new(&s, KDBX_STREAM_SALSA20, skey, 32), KDBX_OK);
	assert_int_equal(kdbx_xml_write(db, KDBX_VERSION_3_1, hh, s, &w, &xml), KDBX_OK);
	kdbx_stream_free(&s);
	kdbx_container_free(&w);
	/* a comment after the middle entry */
	size_t mid = xml.len / 2;
	const char *p = memmem(xml.data + mid, xml.len - mid, "</Entry>", 8);
	assert_non_null(p);
	size_t at = (size_t)(p - (const char *)xml.data) + 8;
	assert_int_equal(kdbx_buf_append(&bad, xml.data, at), KDBX_OK);
	assert_int_equal(kdbx_buf_append(&bad, "<!-- by hand -->", 16), KDBX_OK);
	assert_int_equal(kdbx_buf_append(&bad, xml.data + at, xml.len - at), KDBX_OK);
	gzip_of(&bad, &gz);
	kdbx_container c;
	kdbx_buf in = KDBX_BUF_INIT;
	kdbx_db *back = NULL;
	memset(&c, 0, sizeof(c));
	c.xml.secure = in.secure = true;
	assert_int_equal(kdbx_buf_append(&in, gz.data, gz.len), KDBX_OK);
	assert_int_equal(kdbx_gzip__stream_start(&c.xml_stream, &in, &c.xml, bad.len), KDBX_OK);
	assert_int_equal(kdbx_db__alloc(&back), KDBX_OK);
	assert_int_equal(kdbx_stream_new(&s, KDBX_STREAM_SALSA20, skey, 32), KDBX_OK);
	assert_int_equal(kdbx_xml_read(back, &c, s), KDBX_OK);
	check_entries(back, n);
	kdbx_stream_free(&s);
	kdbx_container_free(&c);
	kdbx_db_free(&back);
	kdbx_buf_free(&xml);
	kdbx_buf_free(&bad);
	kdbx_buf_free(&gz);
	kdbx_db_free(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_gzip_stream__same_bytes),
		cmocka_unit_test(test_format_gzip_stream__damage_is_an_error),
		cmocka_unit_test(test_format_gzip_stream__stop_early),
		cmocka_unit_test(test_format_gzip_stream__recycled_pages),
		cmocka_unit_test(test_format_gzip_stream__open_streamed_equals_whole),
		cmocka_unit_test(test_format_gzip_stream__hand_off_mid_stream),
	};
	int failed;
	kdbx_gzip__stream_thread_mode(2);
	failed = cmocka_run_group_tests_name("inflate inline", tests, NULL, NULL);
	kdbx_gzip__stream_thread_mode(1);
	failed += cmocka_run_group_tests_name("inflate in a thread", tests, NULL, NULL);
	return failed;
}
