/* Unit tests: the XML writer's text escaping against a byte-by-byte reference (values of
 * every length around the 8-byte scan and the 4096-byte chunk, with markup, controls, CR,
 * valid and malformed UTF-8), indentation beyond 16 levels, and read-back of the result. */
#include "xml_fixture.h"
#include "format/xml_internal.h"

/* ---- reference escaper (the rules of keepassxc-notes.md 3.7, one byte at a time) ---- */

static size_t ref_utf8_len(const uint8_t *s, size_t n)
{
	uint32_t cp;
	size_t l;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		l = 2;
		cp = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		l = 3;
		cp = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		l = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < l)
		return 0;
	for (size_t k = 1; k < l; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3F);
	}
	if ((l == 3 && cp < 0x800) || (l == 4 && cp < 0x10000) || cp > 0x10FFFF)
		return 0; /* overlong / out of range */
	if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
		return 0;
	return l;
}

/* escaped: as written in the XML; plain: what a reader gets back */
static void ref_escape(const uint8_t *s, size_t n, kdbx_buf *escaped, kdbx_buf *plain)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		if (c >= 0x80) {
			size_t l = ref_utf8_len(s + i, n - i);
			if (l) {
				assert_int_equal(kdbx_buf_append(escaped, s + i, l), KDBX_OK);
				assert_int_equal(kdbx_buf_append(plain, s + i, l), KDBX_OK);
				i += l;
			} else {
				i++;
			}
			continue;
		}
		i++;
		const char *rep = NULL;
		if (c == '<')
			rep = "&lt;";
		else if (c == '>')
			rep = "&gt;";
		else if (c == '&')
			rep = "&amp;";
		else if (c == '\r')
			rep = "&#13;";
		else if (c < 0x20 && c != '\t' && c != '\n')
			continue;
		if (rep)
			assert_int_equal(kdbx_buf_append_str(escaped, rep), KDBX_OK);
		else
			assert_int_equal(kdbx_buf_append_byte(escaped, c), KDBX_OK);
		assert_int_equal(kdbx_buf_append_byte(plain, c), KDBX_OK);
	}
}

/* ---- random text ---- */

static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static size_t rnd_text(uint8_t *out, size_t n)
{
	static const char *pieces[] = {
	    "a", "Z", " ", "9", "~", "<", ">", "&", "\r", "\n", "\t", "\x01", "\x1f", "\x7f",
	    "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x94\x91", "\xef\xbf\xbe", "\xef\xbf\xbd", "\xff",
	    "\xc0\xaf", "\x80", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80", "\xc3",
	};
	size_t len = 0;
	/* mostly plain runs, so that whole 8-byte words occur */
	while (len < n) {
		if (rnd(4)) {
			out[len++] = (uint8_t)(0x20 + rnd(0x5F));
			if (out[len - 1] == '<' || out[len - 1] == '>' || out[len - 1] == '&')
				out[len - 1] = 'x';
			continue;
		}
		const char *p = pieces[rnd(KDBX_ARRAY_LEN(pieces))];
		for (size_t k = 0; p[k] && len < n; k++)
			out[len++] = (uint8_t)p[k];
	}
	return len;
}

static const char base_xml[] =
    "<KeePassFile><Meta><Generator>t</Generator></Meta><Root><Group>"
    "<UUID>AAAAAAAAAAAAAAAAAAAAAQ==</UUID><Name>root</Name>"
    "<Entry><UUID>AAAAAAAAAAAAAAAAAAAAAg==</UUID></Entry>"
    "</Group></Root></KeePassFile>";

/* Text between "<Key>name</Key>\n<tabs><Value...>" and "</Value>"; "" for <Value/>. */
static bool find_value(const kdbx_buf *x, const char *name, const char **v, size_t *n)
{
	char key[64];
	snprintf(key, sizeof(key), "<Key>%s</Key>\n", name);
	size_t kl = strlen(key);
	const char *s = (const char *)x->data, *end = s + x->len;
	for (const char *p = s; p + kl <= end; p++) {
		if (memcmp(p, key, kl) != 0)
			continue;
		p += kl;
		while (p < end && *p == '\t')
			p++;
		const char *gt = memchr(p, '>', (size_t)(end - p));
		assert_non_null(gt);
		if (gt[-1] == '/') {
			*v = "";
			*n = 0;
			return true;
		}
		const char *close = strstr(gt, "</Value>\n"); /* the document is NUL-terminated */
		assert_non_null(close);
		*v = gt + 1;
		*n = (size_t)(close - (gt + 1));
		return true;
	}
	return false;
}

static void write_plain(kdbx_db *db, kdbx_buf *out)
{
	static const uint8_t no_hash[32];
	kdbx_buf_reset(out);
	assert_int_equal(kdbx_xml_write(db, KDBX_VERSION_4_0, no_hash, NULL, NULL, out), KDBX_OK);
	assert_int_equal(kdbx_buf_append_byte(out, 0), KDBX_OK);
	out->len--;
}

static void test_format_xml_write__escape_matches_reference(void **state)
{
	static const size_t lens[] = {0,  1,  2,  7,  8,   9,    15,   16,   17,   23,  24,
	                              25, 31, 64, 65, 100, 4095, 4096, 4097, 4099, 8195, 12000};
	enum { PER_LEN = 12 };
	(void)state;
	kdbx_db *db = NULL;
	assert_int_equal(xml_parse(base_xml, &db), KDBX_OK);
	kdbx_entry *e = db->root->entries[0];
	size_t nvals = KDBX_ARRAY_LEN(lens) * PER_LEN;
	uint8_t **vals = calloc(nvals, sizeof(*vals));
	size_t *vlens = calloc(nvals, sizeof(*vlens));
	assert_non_null(vals);
	assert_non_null(vlens);
	for (size_t i = 0; i < nvals; i++) {
		size_t want = lens[i / PER_LEN];
		vals[i] = malloc(want + 1);
		assert_non_null(vals[i]);
		vlens[i] = rnd_text(vals[i], want);
		vals[i][vlens[i]] = 0;
		char name[16];
		/* plain fields take leaf_text, protected ones (plain export) put_text */
		snprintf(name, sizeof(name), "F%03zu", i);
		assert_int_equal(kdbx_entry__add_field(e, kdbx_strdup(name), (const char *)vals[i],
		                                       vlens[i], false),
		                 KDBX_OK);
		snprintf(name, sizeof(name), "P%03zu", i);
		assert_int_equal(kdbx_entry__add_field(e, kdbx_strdup(name), (const char *)vals[i],
		                                       vlens[i], true),
		                 KDBX_OK);
	}
	kdbx_buf x = KDBX_BUF_INIT, esc = KDBX_BUF_INIT, plain = KDBX_BUF_INIT;
	write_plain(db, &x);
	kdbx_db *back = NULL;
	assert_int_equal(xml_parse_stream(x.data, x.len, NULL, KDBX_VERSION_4_0, NULL, &back), KDBX_OK);
	for (size_t i = 0; i < nvals; i++) {
		kdbx_buf_reset(&esc);
		kdbx_buf_reset(&plain);
		ref_escape(vals[i], vlens[i], &esc, &plain);
		assert_int_equal(kdbx_buf_append_byte(&plain, 0), KDBX_OK);
		for (int prot = 0; prot < 2; prot++) {
			char name[16];
			const char *v;
			size_t n;
			snprintf(name, sizeof(name), "%c%03zu", prot ? 'P' : 'F', i);
			assert_true(find_value(&x, name, &v, &n));
			assert_int_equal(n, esc.len);
			if (n)
				assert_memory_equal(v, esc.data, n);
			char *got = xml_field(back->root->entries[0], name);
			assert_non_null(got);
			assert_string_equal(got, (const char *)plain.data);
			free(got);
		}
	}
	for (size_t i = 0; i < nvals; i++)
		free(vals[i]);
	free(vals);
	free(vlens);
	kdbx_buf_free(&x);
	kdbx_buf_free(&esc);
	kdbx_buf_free(&plain);
	kdbx_db_free(&back);
	kdbx_db_free(&db);
}

/* Every line is indented by its nesting level, also past the 16-tab fast path. */
static void test_format_xml_write__deep_indentation(void **state)
{
	enum { DEPTH = 24 };
	(void)state;
	kdbx_buf doc = KDBX_BUF_INIT;
	assert_int_equal(kdbx_buf_append_str(&doc, "<KeePassFile><Meta/><Root>"), KDBX_OK);
	for (int d = 0; d < DEPTH; d++) {
		char g[96];
		snprintf(g, sizeof(g), "<Group><UUID>AAAAAAAAAAAAAAAAAAAA%04d</UUID><Name>g%d</Name>", d, d);
		assert_int_equal(kdbx_buf_append_str(&doc, g), KDBX_OK);
	}
	assert_int_equal(kdbx_buf_append_str(&doc, "<Entry><UUID>AAAAAAAAAAAAAAAAAAAAAg==</UUID>"
	                                             "<String><Key>Title</Key><Value>deep &amp; far</Value>"
	                                             "</String></Entry>"),
	                 KDBX_OK);
	for (int d = 0; d < DEPTH; d++)
		assert_int_equal(kdbx_buf_append_str(&doc, "</Group>"), KDBX_OK);
	assert_int_equal(kdbx_buf_append_str(&doc, "</Root></KeePassFile>"), KDBX_OK);
	kdbx_db *db = NULL;
	assert_int_equal(xml_parse_stream(doc.data, doc.len, NULL, 0, NULL, &db), KDBX_OK);

	kdbx_buf x = KDBX_BUF_INIT;
	write_plain(db, &x);
	size_t level = 0, lines = 0, max_level = 0;
	const char *p = (const char *)x.data, *end = p + x.len;
	assert_true(x.len > 0 && end[-1] == '\n');
	p = strchr(p, '\n') + 1; /* XML declaration */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		size_t tabs = 0;
		while (p[tabs] == '\t')
			tabs++;
		const char *t = p + tabs;
		bool closing = t[1] == '/';
		if (closing)
			level--;
		assert_int_equal(tabs, level);
		/* an opening tag alone on its line opens a level */
		if (!closing && nl[-1] == '>' && nl[-2] != '/' && !memchr(t + 1, '<', (size_t)(nl - t - 1)))
			level++;
		if (level > max_level)
			max_level = level;
		lines++;
		p = nl + 1;
	}
	assert_int_equal(level, 0);
	assert_true(max_level > DEPTH + 2);
	assert_true(lines > 3 * DEPTH);

	kdbx_db *back = NULL;
	assert_int_equal(xml_parse_stream(x.data, x.len, NULL, 0, NULL, &back), KDBX_OK);
	kdbx_group *g = back->root;
	for (int d = 1; d < DEPTH; d++) {
		assert_int_equal(g->ngroups, 1);
		g = g->groups[0];
	}
	assert_int_equal(g->nentries, 1);
	xml_assert_field(g->entries[0], "Title", "deep & far", 0);
	kdbx_db_free(&back);
	kdbx_buf_free(&x);
	kdbx_buf_free(&doc);
	kdbx_db_free(&db);
}

/* A second write into a buffer that already holds data appends the same document. */
static void test_format_xml_write__appends_to_buffer(void **state)
{
	static const uint8_t no_hash[32];
	(void)state;
	kdbx_db *db = NULL;
	assert_int_equal(xml_parse(base_xml, &db), KDBX_OK);
	kdbx_buf a = KDBX_BUF_INIT, b = KDBX_BUF_INIT;
	assert_int_equal(kdbx_xml_write(db, KDBX_VERSION_3_1, no_hash, NULL, NULL, &a), KDBX_OK);
	assert_int_equal(kdbx_buf_append_str(&b, "prefix"), KDBX_OK);
	assert_int_equal(kdbx_xml_write(db, KDBX_VERSION_3_1, no_hash, NULL, NULL, &b), KDBX_OK);
	assert_int_equal(b.len, a.len + 6);
	assert_memory_equal(b.data, "prefix", 6);
	assert_memory_equal(b.data + 6, a.data, a.len);
	kdbx_buf_free(&a);
	kdbx_buf_free(&b);
	kdbx_db_free(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_xml_write__escape_matches_reference),
	    cmocka_unit_test(test_format_xml_write__deep_indentation),
	    cmocka_unit_test(test_format_xml_write__appends_to_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
