/* libFuzzer harness: the fast XML scanner + expat hand-off (src/format/xml_scan.h) must
 * behave exactly like expat alone. For any input: both accept or both reject, and when
 * they accept they report the same events (start tags with attributes, merged character
 * data, end tags). DOCTYPE counts as a rejection, as in the XML reader. */
#include <expat.h>
#include <stdlib.h>

#include "format/xml_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct trace {
	kdbx_buf ev;
	bool in_text;
	bool rejected;
	XML_Parser p;
	XML_Index skip; /* events located before this byte are the synthetic prefix */
	int stop;
} trace;

static void put(trace *t, const char *s, size_t n)
{
	if (kdbx_buf_append(&t->ev, s, n) != KDBX_OK)
		abort();
}

static void ev_start(void *ud, const char *name, size_t name_len, const char **attrs)
{
	trace *t = ud;
	if (name_len != strlen(name))
		abort(); /* the scanner's length must be the name's */
	t->in_text = false;
	put(t, "<", 1);
	put(t, name, name_len + 1);
	for (size_t i = 0; attrs[i] != NULL; i += 2) {
		put(t, attrs[i], strlen(attrs[i]) + 1);
		put(t, attrs[i + 1], strlen(attrs[i + 1]) + 1);
	}
	put(t, ">", 1);
}

static void ev_text(void *ud, const char *s, int len)
{
	trace *t = ud;
	if (!t->in_text)
		put(t, "T", 1); /* consecutive pieces merge into one text event */
	t->in_text = true;
	put(t, s, (size_t)len);
}

static void ev_end(void *ud, const char *name)
{
	trace *t = ud;
	t->in_text = false;
	put(t, "/", 1);
	put(t, name, strlen(name) + 1);
}

static bool dropped(trace *t)
{
	return t->skip > 0 && XML_GetCurrentByteIndex(t->p) < t->skip;
}

static void XMLCALL x_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	if (!dropped(ud))
		ev_start(ud, name, strlen(name), attrs);
}

static void XMLCALL x_text(void *ud, const XML_Char *s, int len)
{
	if (!dropped(ud))
		ev_text(ud, s, len);
}

static void XMLCALL x_end(void *ud, const XML_Char *name)
{
	if (!dropped(ud))
		ev_end(ud, name);
}

static void XMLCALL x_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                              const XML_Char *pubid, int has_internal)
{
	trace *t = ud;
	(void)name; (void)sysid; (void)pubid; (void)has_internal;
	t->rejected = true;
	XML_StopParser(t->p, XML_FALSE);
}

/* expat over prefix + data; true when it accepts. */
static bool expat_run(trace *t, const kdbx_buf *prefix, const uint8_t *data, size_t size)
{
	bool ok = false;
	t->p = XML_ParserCreate("UTF-8");
	if (t->p == NULL)
		abort();
	XML_SetUserData(t->p, t);
	XML_SetElementHandler(t->p, x_start, x_end);
	XML_SetCharacterDataHandler(t->p, x_text);
	XML_SetStartDoctypeDeclHandler(t->p, x_doctype);
	XML_SetParamEntityParsing(t->p, XML_PARAM_ENTITY_PARSING_NEVER);
	t->skip = (XML_Index)prefix->len;
	if (prefix->len > 0 &&
	    XML_Parse(t->p, (const char *)prefix->data, (int)prefix->len, size == 0) != XML_STATUS_OK)
		goto out;
	if ((prefix->len == 0 || size > 0) &&
	    XML_Parse(t->p, (const char *)data, (int)size, 1) != XML_STATUS_OK)
		goto out;
	ok = !t->rejected;
out:
	XML_ParserFree(t->p);
	t->p = NULL;
	return ok;
}

/* The document arriving step bytes per wait (as the reader gets it from the inflater). */
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

/* kdbx_xml_scan_stream must report what one kdbx_xml_scan_run over the whole input did. */
static void check_streamed(const uint8_t *data, size_t size, int whole_rc, size_t whole_resume,
                           const kdbx_buf *whole_ev)
{
	trace t;
	kdbx_xml_scan sc;
	kdbx_buf copy = KDBX_BUF_INIT;
	uint32_t hsh = 2166136261u;
	size_t resume = 0, len = 0;
	int err = 0;

	for (size_t i = 0; i < size; i++)
		hsh = (hsh ^ data[i]) * 16777619u;
	drip d = {0, size, 1 + hsh % 61};
	const kdbx_xml_scan_source src = {&d, drip_wait};
	memset(&t, 0, sizeof(t));
	memset(&sc, 0, sizeof(sc));
	if (kdbx_buf_append(&copy, data, size) != KDBX_OK)
		abort();
	const kdbx_xml_scan_handlers h = {&t, ev_start, ev_text, ev_end, NULL, 0, &t.stop, NULL};
	int rc = kdbx_xml_scan_stream(&sc, (char *)copy.data, &src, &h, &resume, &len, &err);
	if (rc != whole_rc || err != KDBX_OK || len != size ||
	    (rc == KDBX_XML_SCAN_HANDOFF && resume != whole_resume) || t.ev.len != whole_ev->len ||
	    (t.ev.len > 0 && memcmp(t.ev.data, whole_ev->data, t.ev.len) != 0))
		abort();
	kdbx_xml_scan_free(&sc);
	kdbx_buf_free(&t.ev);
	kdbx_buf_free(&copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	trace ref, hyb;
	kdbx_buf none = KDBX_BUF_INIT, prefix = KDBX_BUF_INIT, copy = KDBX_BUF_INIT;
	kdbx_xml_scan sc;
	size_t resume = 0;
	bool ref_ok, hyb_ok;

	if (size > (1u << 20))
		return 0;
	memset(&ref, 0, sizeof(ref));
	memset(&hyb, 0, sizeof(hyb));
	memset(&sc, 0, sizeof(sc));
	ref_ok = expat_run(&ref, &none, data, size);

	/* The scanner writes into its input: give it a copy. */
	if (kdbx_buf_append(&copy, data, size) != KDBX_OK)
		abort();
	const kdbx_xml_scan_handlers h = {&hyb, ev_start, ev_text, ev_end, NULL, 0, &hyb.stop, NULL};
	int rc = kdbx_xml_scan_run(&sc, (char *)copy.data, copy.len, &h, &resume);
	check_streamed(data, size, rc, resume, &hyb.ev);
	if (rc == KDBX_XML_SCAN_DONE) {
		hyb_ok = true;
	} else if (rc == KDBX_XML_SCAN_HANDOFF) {
		if (resume > size || kdbx_xml_scan_resume_prefix(&sc, &prefix) != KDBX_OK)
			abort();
		/* expat resumes on the original bytes: the scanner must not have changed them. */
		if (size > resume && memcmp(copy.data + resume, data + resume, size - resume) != 0)
			abort();
		hyb_ok = expat_run(&hyb, &prefix, data + resume, size - resume);
	} else {
		abort(); /* no stop flag was raised and memory did not run out */
	}
	if (ref_ok != hyb_ok)
		abort();
	if (ref_ok && (ref.ev.len != hyb.ev.len ||
	               (ref.ev.len > 0 && memcmp(ref.ev.data, hyb.ev.data, ref.ev.len) != 0)))
		abort();
	kdbx_xml_scan_free(&sc);
	kdbx_buf_free(&ref.ev);
	kdbx_buf_free(&hyb.ev);
	kdbx_buf_free(&prefix);
	kdbx_buf_free(&copy);
	return 0;
}
