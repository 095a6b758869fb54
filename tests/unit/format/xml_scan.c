/* The fast XML scanner (src/format/xml_scan.h): what it takes itself, where it hands off
 * to expat, and that the XML reader gives the same database either way. Equivalence with
 * expat on arbitrary input is the job of tests/fuzz/fuzz_xml_scan.c. */
#include "xml_fixture.h"

#include "format/xml_scan.h"

typedef struct rec {
	kdbx_buf ev;
	int stop;
	bool drop; /* drop_space: white space between elements is not wanted */
} rec;

static void r_start(void *ud, const char *name, size_t name_len, const char **attrs)
{
	rec *r = ud;
	assert_int_equal(name_len, strlen(name));
	assert_int_equal(kdbx_buf_append(&r->ev, "<", 1), KDBX_OK);
	assert_int_equal(kdbx_buf_append(&r->ev, name, name_len), KDBX_OK);
	for (size_t i = 0; attrs[i] != NULL; i += 2) {
		assert_int_equal(kdbx_buf_append(&r->ev, " ", 1), KDBX_OK);
		assert_int_equal(kdbx_buf_append(&r->ev, attrs[i], strlen(attrs[i])), KDBX_OK);
		assert_int_equal(kdbx_buf_append(&r->ev, "=[", 2), KDBX_OK);
		assert_int_equal(kdbx_buf_append(&r->ev, attrs[i + 1], strlen(attrs[i + 1])), KDBX_OK);
		assert_int_equal(kdbx_buf_append(&r->ev, "]", 1), KDBX_OK);
	}
	assert_int_equal(kdbx_buf_append(&r->ev, ">", 1), KDBX_OK);
}

static void r_text(void *ud, const char *s, int len)
{
	rec *r = ud;
	assert_int_equal(kdbx_buf_append(&r->ev, s, (size_t)len), KDBX_OK);
}

static void r_end(void *ud, const char *name)
{
	rec *r = ud;
	assert_int_equal(kdbx_buf_append(&r->ev, "</", 2), KDBX_OK);
	assert_int_equal(kdbx_buf_append(&r->ev, name, strlen(name)), KDBX_OK);
	assert_int_equal(kdbx_buf_append(&r->ev, ">", 1), KDBX_OK);
}

/* A source that reveals step more bytes per wait, whatever was asked: the driver must
 * cope with any cut, also one smaller than it asked for. */
typedef struct drip {
	size_t have, size, step;
} drip;

static int drip_wait(void *ud, size_t want, size_t *len, bool *complete)
{
	drip *d = ud;
	(void)want;
	d->have = d->size - d->have < d->step ? d->size : d->have + d->step;
	*len = d->have;
	*complete = d->have == d->size;
	return KDBX_OK;
}

/* Scans doc, whole (step 0) or through kdbx_xml_scan_stream with the document arriving
 * step bytes at a time; returns the scanner's result, events in events (NUL-terminated),
 * the resume offset and prefix. */
static int scan_drop(const char *doc, size_t step, bool drop, char **events, size_t *resume,
                     char **prefix)
{
	rec r;
	kdbx_xml_scan sc;
	kdbx_buf copy = KDBX_BUF_INIT, pre = KDBX_BUF_INIT;
	int rc;
	memset(&r, 0, sizeof(r));
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(kdbx_buf_append(&copy, doc, strlen(doc) + 1), KDBX_OK);
	r.drop = drop;
	const kdbx_xml_scan_handlers h = {&r, r_start, r_text, r_end, NULL, 0, &r.stop, &r.drop};
	*resume = 0;
	if (step == 0) {
		rc = kdbx_xml_scan_run(&sc, (char *)copy.data, strlen(doc), &h, resume);
	} else {
		drip d = {0, strlen(doc), step};
		const kdbx_xml_scan_source src = {&d, drip_wait};
		size_t len = 0;
		int err = -1;
		rc = kdbx_xml_scan_stream(&sc, (char *)copy.data, &src, &h, resume, &len, &err);
		assert_int_equal(err, KDBX_OK);
		assert_int_equal(len, strlen(doc));
	}
	assert_int_equal(kdbx_xml_scan_resume_prefix(&sc, &pre), KDBX_OK);
	assert_int_equal(kdbx_buf_append(&r.ev, "", 1), KDBX_OK);
	assert_int_equal(kdbx_buf_append(&pre, "", 1), KDBX_OK);
	*events = kdbx_strdup((const char *)r.ev.data);
	*prefix = kdbx_strdup((const char *)pre.data);
	kdbx_buf_free(&r.ev);
	kdbx_buf_free(&pre);
	kdbx_buf_free(&copy);
	kdbx_xml_scan_free(&sc);
	return rc;
}

static int scan_steps(const char *doc, size_t step, char **events, size_t *resume, char **prefix)
{
	return scan_drop(doc, step, false, events, resume, prefix);
}

static int scan(const char *doc, char **events, size_t *resume, char **prefix)
{
	return scan_steps(doc, 0, events, resume, prefix);
}
static void test_format_xml_scan__keepass_documents_stay_fast(void **state)
{
	char *ev, *pre;
	size_t resume;
	(void)state;
	/* What KeePass apps write: BOM, declaration, CR LF (KeePass 2 on Windows), the predefined
	 * entities and character references, both quote styles, empty elements, UTF-8. */
	const char *doc = "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\r\n"
	                  "<KeePassFile>\r\n\t<Value Protected=\"True\" b='x&amp;y\r\nz'>a&lt;b&gt;&quot;"
	                  "&apos;&amp;\r\nl2\rl3 &#233;&#x1F511; caf\xC3\xA9</Value><Empty/>\r\n"
	                  "</KeePassFile>\r\n";
	assert_int_equal(scan(doc, &ev, &resume, &pre), KDBX_XML_SCAN_DONE);
	assert_string_equal(ev, "<KeePassFile>\n\t<Value Protected=[True] b=[x&y z]>a<b>\"'&\nl2\nl3 "
	                        "\xC3\xA9\xF0\x9F\x94\x91 caf\xC3\xA9</Value><Empty></Empty>\n</KeePassFile>");
	free(ev);
	free(pre);
}

static void test_format_xml_scan__hands_off_what_it_does_not_know(void **state)
{
	static const struct {
		const char *doc;
		size_t resume;    /* where expat takes over */
		const char *prefix;
	} cases[] = {
		/* nothing reported yet: expat parses the whole document */
		{"<!DOCTYPE a><a/>", 0, ""},
		{"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>", 0, ""},
		{"<?xml version=\"1.1\"?><a/>", 0, ""},
		{"<\xC3\xA9/>", 0, ""},
		{"", 0, ""},
		/* inside the document: from the construct on, with the open elements as prefix */
		{"<a><b>x<!-- c --></b></a>", 7, "<a><b>"},
		{"<a><b>x<![CDATA[y]]></b></a>", 7, "<a><b>"},
		{"<a><?pi x?></a>", 3, "<a>"},
		{"<a>x&nbsp;</a>", 4, "<a>"},
		{"<a>x]]>y</a>", 4, "<a>"},
		{"<a>x\x01</a>", 4, "<a>"},
		{"<a>x\xEF\xBF\xBE</a>", 4, "<a>"},
		{"<a><b x=\"1\" x=\"2\"/></a>", 3, "<a>"},
		{"<a><b></c></a>", 6, "<a><b>"},
		{"<a><b>", 6, "<a><b>"},
		/* after the root element */
		{"<a/><!-- c -->", 4, "<_></_>"},
		{"<a/><b/>", 4, "<_></_>"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *ev, *pre;
		size_t resume = 99;
		assert_int_equal(scan(cases[i].doc, &ev, &resume, &pre), KDBX_XML_SCAN_HANDOFF);
		if (resume != cases[i].resume || strcmp(pre, cases[i].prefix) != 0)
			fail_msg("case %zu: resume %zu prefix %s", i, resume, pre);
		free(ev);
		free(pre);
	}
}

static void test_format_xml_scan__streamed_equals_whole(void **state)
{
	/* Cuts inside every construct: CR LF, "]]" and "]]>", references, UTF-8, tags,
	 * attributes, the BOM and declaration, white space after the root, hand-offs. */
	static const char *const docs[] = {
		"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<K>\r\n\t<V P=\"True\" b='x&amp;y\r\nz'>"
		"a&lt;b&gt;&#233;&#x1F511;]]x]\r\nl2\rl3 caf\xC3\xA9\xF0\x9F\x94\x91</V><E/>\r\n</K>\r\n",
		"<a>x]]</a>", "<a>x]</a>", "<a>x\r</a>", "<a>\r\n</a>\r\n", "<a/>  \n",
		"<a><b>x<!-- c --></b></a>", "<a>x]]>y</a>", "<a>x&nbsp;</a>", "<a><b></c></a>",
		"<a/><!-- c -->", "<a><b>", "<a>x\xEF\xBF\xBE</a>", "<?xml version=\"1.1\"?><a/>",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		char *ev, *pre;
		size_t resume = 0;
		int want = scan(docs[i], &ev, &resume, &pre);
		for (size_t step = 1; step <= strlen(docs[i]); step++) {
			char *ev2, *pre2;
			size_t resume2 = 0;
			int got = scan_steps(docs[i], step, &ev2, &resume2, &pre2);
			if (got != want || strcmp(ev, ev2) != 0 || strcmp(pre, pre2) != 0 ||
			    (want == KDBX_XML_SCAN_HANDOFF && resume != resume2))
				fail_msg("doc %zu step %zu: rc %d/%d events [%s] / [%s] resume %zu/%zu", i,
				         step, want, got, ev, ev2, resume, resume2);
			free(ev2);
			free(pre2);
		}
		free(ev);
		free(pre);
	}
}

static kdbx_db *three_entries(void)
{
	kdbx_db *db = NULL;
	assert_int_equal(kdbx_db_new(&db, "scan"), KDBX_OK);
	for (int i = 0; i < 3; i++) {
		char title[16], pw[32];
		kdbx_entry *e = NULL;
		snprintf(title, sizeof(title), "e%d", i);
		snprintf(pw, sizeof(pw), "secret-%d-\xC3\xA9&<", i);
		assert_int_equal(kdbx_entry_new(&e, kdbx_db_root(db), title), KDBX_OK);
		assert_int_equal(kdbx_entry_set_field(e, "Password", pw, 1), KDBX_OK);
		assert_int_equal(kdbx_entry_set_field(e, "Notes", "n\r\nm", 0), KDBX_OK);
	}
	return db;
}

static kdbx_db *read_with_stream(const kdbx_buf *xml, int *rc)
{
	static const uint8_t key[32] = {7};
	kdbx_stream *s = NULL;
	kdbx_db *db = NULL;
	assert_int_equal(kdbx_stream_new(&s, KDBX_STREAM_SALSA20, key, 32), KDBX_OK);
	*rc = xml_parse_stream(xml->data, xml->len, s, KDBX_VERSION_3_1, NULL, &db);
	kdbx_stream_free(&s);
	return db;
}

/* Inserts what after the first occurrence of at. */
static void insert_after(kdbx_buf *b, const char *at, const char *what)
{
	kdbx_buf out = KDBX_BUF_INIT;
	const char *p = memmem(b->data, b->len, at, strlen(at));
	assert_non_null(p);
	size_t off = (size_t)(p - (const char *)b->data) + strlen(at);
	assert_int_equal(kdbx_buf_append(&out, b->data, off), KDBX_OK);
	assert_int_equal(kdbx_buf_append(&out, what, strlen(what)), KDBX_OK);
	assert_int_equal(kdbx_buf_append(&out, b->data + off, b->len - off), KDBX_OK);
	kdbx_buf_free(b);
	*b = out;
}

static void test_format_xml_scan__reader_same_after_hand_off(void **state)
{
	static const uint8_t key[32] = {7};
	kdbx_db *db = three_entries(), *back = NULL;
	kdbx_stream *s = NULL;
	kdbx_container c;
	kdbx_buf xml = KDBX_BUF_INIT;
	uint8_t hh[32] = {0};
	int rc;
	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(kdbx_stream_new(&s, KDBX_STREAM_SALSA20, key, 32), KDBX_OK);
	assert_int_equal(kdbx_xml_write(db, KDBX_VERSION_3_1, hh, s, &c, &xml), KDBX_OK);
	kdbx_stream_free(&s);
	/* A comment after the first entry: the scanner reads entry 0, expat the rest; the inner
	 * stream (protected values are decrypted in document order) must continue across. */
	insert_after(&xml, "</Entry>", "<!-- written by hand -->");
	back = read_with_stream(&xml, &rc);
	assert_int_equal(rc, KDBX_OK);
	kdbx_group *root = kdbx_db_root(back);
	assert_int_equal(kdbx_group_entry_count(root), 3);
	for (size_t i = 0; i < 3; i++) {
		char pw[32];
		kdbx_entry *e = kdbx_group_entry_at(root, i);
		snprintf(pw, sizeof(pw), "secret-%zu-\xC3\xA9&<", i);
		xml_assert_field(e, "Password", pw, 1);
		xml_assert_field(e, "Notes", "n\r\nm", 0); /* the writer keeps CR as &#13; */
	}
	kdbx_db_free(&back);

	/* A broken tag after the hand-off: expat's error, placed in the whole document. */
	insert_after(&xml, "<!-- written by hand -->", "<Broken></Entry>");
	back = read_with_stream(&xml, &rc);
	assert_int_equal(rc, KDBX_ECORRUPT);
	assert_null(back);
	assert_non_null(strstr(kdbx_error_last(), "mismatched tag"));
	assert_non_null(strstr(kdbx_error_last(), "at byte"));
	kdbx_buf_free(&xml);
	kdbx_container_free(&c);
	kdbx_db_free(&db);
}

/* drop_space: white space up to the next tag goes unreported while the handlers say so;
 * text with anything else in it stays whole, whole or streamed. */
static void test_format_xml_scan__drop_space(void **state)
{
	const char *doc = "<a>\n\t<b> x </b>\r\n\t<c>  </c> <d/>\n\t\t<e>\ty\n</e>\n</a>\n";
	const size_t steps[] = {0, 1, 3, 64};
	(void)state;
	for (size_t i = 0; i < KDBX_ARRAY_LEN(steps); i++) {
		char *ev, *pre;
		size_t resume;
		assert_int_equal(scan_drop(doc, steps[i], true, &ev, &resume, &pre), KDBX_XML_SCAN_DONE);
		assert_string_equal(ev, "<a><b> x </b><c></c><d></d><e>\ty\n</e></a>");
		free(ev);
		free(pre);
		assert_int_equal(scan_drop(doc, steps[i], false, &ev, &resume, &pre), KDBX_XML_SCAN_DONE);
		assert_string_equal(ev, "<a>\n\t<b> x </b>\n\t<c>  </c> <d></d>\n\t\t<e>\ty\n</e>\n</a>");
		free(ev);
		free(pre);
	}
}

/* The reader asks the scanner to drop white space only between the elements of a container:
 * values that are only white space and white space inside unknown elements survive. */
static void test_format_xml_scan__reader_keeps_meaningful_space(void **state)
{
	const char *doc =
	    "<KeePassFile><Meta><DatabaseName> </DatabaseName></Meta>\n<Root>\n\t<Group>"
	    "<UUID>AAAAAAAAAAAAAAAAAAAAAQ==</UUID><Name>g</Name>\n\t\t<Entry>\n"
	    "<UUID>AAAAAAAAAAAAAAAAAAAAAg==</UUID>\n\t\t\t<String><Key>Notes</Key>\n"
	    "<Value>  \n\t </Value></String>\n<String><Key>Title</Key><Value>t</Value></String>\n"
	    "\t\t\t<Mine>\n\t<x> 1 </x>\n</Mine>\n\t\t</Entry>\n\t</Group>\n</Root></KeePassFile>\n";
	kdbx_db *db = NULL;
	uint8_t *xml = NULL;
	size_t len = 0;
	(void)state;
	assert_int_equal(xml_parse(doc, &db), KDBX_OK);
	kdbx_entry *e = kdbx_group_entry_at(kdbx_db_root(db), 0);
	assert_non_null(e);
	xml_assert_field(e, "Notes", "  \n\t ", 0);
	xml_assert_field(e, "Title", "t", 0);
	assert_int_equal(kdbx_db_export_xml_memory(db, &xml, &len), KDBX_OK);
	assert_non_null(memmem(xml, len, "<Mine>\n\t<x> 1 </x>\n</Mine>", 26));
	assert_non_null(memmem(xml, len, "<DatabaseName> </DatabaseName>", 30));
	kdbx_free(xml, len);
	kdbx_db_free(&db);
}

/* Names and white-space runs of every length around the 16-byte steps of the scanner's
 * vector loops, with each kind of name character and each byte that ends a name. */
static void test_format_xml_scan__names_and_space_runs_of_any_length(void **state)
{
	static const char name_chars[] = "aZ_m9-x.Q:b0yA";
	static const char space_chars[] = " \t\n\r";
	(void)state;
	for (size_t n = 1; n <= 40; n++) {
		char name[48], doc[512], want[512], *ev, *pre;
		size_t resume;
		for (size_t i = 0; i < n; i++)
			name[i] = i == 0 ? 'n' : name_chars[i % (sizeof(name_chars) - 1)];
		name[n] = '\0';
		/* ended by '>', '/', white space before an attribute, and after the end tag by '>' */
		snprintf(doc, sizeof(doc), "<%s><%s/><%s k=\"v\"></%s ></%s>", name, name, name, name, name);
		snprintf(want, sizeof(want), "<%s><%s></%s><%s k=[v]></%s></%s>", name, name, name, name, name, name);
		assert_int_equal(scan(doc, &ev, &resume, &pre), KDBX_XML_SCAN_DONE);
		assert_string_equal(ev, want);
		free(ev);
		free(pre);
		/* an end tag that differs in any one byte, or is one shorter, is for expat */
		for (size_t i = 0; i <= n; i++) {
			char other[48];
			memcpy(other, name, n + 1);
			if (i < n)
				other[i] = other[i] == 'q' ? 'w' : 'q';
			else
				other[n - 1] = '\0';
			snprintf(doc, sizeof(doc), "<r><%s></%s></r>", name, other);
			assert_int_equal(scan(doc, &ev, &resume, &pre), KDBX_XML_SCAN_HANDOFF);
			assert_int_equal(resume, n + 5); /* at the "</" */
			free(ev);
			free(pre);
		}
		/* a non-ASCII byte right after the name is for expat */
		snprintf(doc, sizeof(doc), "<r><%s\xC3\xA9/></r>", name);
		assert_int_equal(scan(doc, &ev, &resume, &pre), KDBX_XML_SCAN_HANDOFF);
		assert_int_equal(resume, 3);
		free(ev);
		free(pre);
	}
	for (size_t n = 0; n <= 40; n++) {
		char run[48], doc[512], want[512], *ev, *pre;
		size_t resume;
		for (size_t i = 0; i < n; i++)
			run[i] = space_chars[(i * 7 + n) % 4];
		run[n] = '\0';
		/* white space only up to a tag is dropped; followed by text it is kept (CR -> LF) */
		snprintf(doc, sizeof(doc), "<a><b/>%s<c/>%sx</a>", run, run);
		size_t k = (size_t)snprintf(want, sizeof(want), "<a><b></b><c></c>");
		for (size_t i = 0; i < n; i++) {
			want[k++] = run[i] == '\r' ? '\n' : run[i];
			if (run[i] == '\r' && run[i + 1] == '\n')
				i++; /* CR LF -> LF */
		}
		snprintf(want + k, sizeof(want) - k, "x</a>");
		for (size_t step = 0; step <= 5; step += 5) {
			assert_int_equal(scan_drop(doc, step, true, &ev, &resume, &pre), KDBX_XML_SCAN_DONE);
			assert_string_equal(ev, want);
			free(ev);
			free(pre);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_xml_scan__keepass_documents_stay_fast),
		cmocka_unit_test(test_format_xml_scan__hands_off_what_it_does_not_know),
		cmocka_unit_test(test_format_xml_scan__streamed_equals_whole),
		cmocka_unit_test(test_format_xml_scan__reader_same_after_hand_off),
		cmocka_unit_test(test_format_xml_scan__drop_space),
		cmocka_unit_test(test_format_xml_scan__reader_keeps_meaningful_space),
		cmocka_unit_test(test_format_xml_scan__names_and_space_runs_of_any_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
