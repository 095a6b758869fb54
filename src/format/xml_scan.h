/* A fast XML scanner for the documents KeePass apps write, in front of expat.
 *
 * expat is most of the time of opening a large vault. KeePass XML uses a small part of XML:
 * ASCII element names, a few attributes, text with the predefined entities and character
 * references. This scanner handles exactly that part, with expat's event semantics (same
 * names, attributes, character data after entity expansion and line-end normalisation),
 * straight from the caller's buffer. On anything else - a comment, CDATA, a processing
 * instruction, a DOCTYPE, a non-ASCII name, and every kind of malformed input - it stops
 * BEFORE that construct and says where: the caller hands the rest to expat (see
 * kdbx_xml_scan_resume_prefix), so unusual and broken documents get expat's behaviour
 * and error messages, and well-formed common documents never reach it.
 *
 * Events are only ever reported for input that is complete and well-formed up to the
 * stopping point, so "scanner events up to the stop + expat events after it" equals
 * "expat events for the whole document" (checked by tests/fuzz/fuzz_xml_scan.c). */
#ifndef KDBX_XML_SCAN_H
#define KDBX_XML_SCAN_H

#include "core/core.h"

typedef struct kdbx_xml_scan_handlers {
	void *ud;
	/* name and attribute strings are NUL-terminated and live until the handler returns;
	 * attrs is name, value, name, value, ..., NULL like expat's. name_len saves the
	 * handler a strlen per element. */
	void (*start)(void *ud, const char *name, size_t name_len, const char **attrs);
	void (*text)(void *ud, const char *s, int len);
	void (*end)(void *ud, const char *name);
	/* Called between tokens when at least release_step bytes were consumed since the last
	 * call: bytes before pos are no longer needed by the scanner. May be NULL. */
	void (*consumed)(void *ud, const char *pos);
	size_t release_step;
	/* Non-zero stops the scan after the current event (the handlers' error flag). */
	const int *stop;
	/* May be NULL. While true, white space running up to the next '<' is not reported:
	 * the handlers say they ignore it where they are (between the elements of a
	 * container), and such runs are most of a pretty-printed document's text events. */
	const bool *drop_space;
} kdbx_xml_scan_handlers;

enum {
	KDBX_XML_SCAN_DONE = 0,    /* the whole document was scanned */
	KDBX_XML_SCAN_STOPPED = 1, /* *h->stop became non-zero */
	KDBX_XML_SCAN_HANDOFF = 2, /* not for the scanner: resume with expat at *resume */
	KDBX_XML_SCAN_NOMEM = 3,
	KDBX_XML_SCAN_SOURCE = 4 /* kdbx_xml_scan_stream: the source failed */
};

typedef struct kdbx_xml_scan {
	/* Names of the elements open at the hand-off point, outermost first, each NUL-terminated,
	 * back to back (names_len bytes, depth names). */
	char *names;
	size_t names_len, names_cap, depth;
	size_t *offs; /* offs[i]: where the i-th open name starts in names */
	size_t offs_cap;
	bool root_done; /* the root element has been closed */
	bool started;   /* at least one event was reported */
	/* Set by the caller: more of the document may follow data + len (it is still being
	 * decompressed). The scanner then hands off where a construct might continue past
	 * len instead of deciding; kdbx_xml_scan_stream retries there with more data. */
	bool more;
	bool after_tag; /* the last thing scanned was a tag (drop_space applies) */
} kdbx_xml_scan;

/* Scans data[0..len). Without sc->more it is the whole document, else it is scanned up to
 * where a construct might continue after len. data is the document start unless an
 * event was already reported (sc->started): then it is where the previous call stopped. The buffer is modified in place (names, attribute values) before the
 * hand-off point, never after it. On KDBX_XML_SCAN_HANDOFF *resume is the offset of the
 * first byte not consumed. */
int kdbx_xml_scan_run(kdbx_xml_scan *sc, char *data, size_t len,
                      const kdbx_xml_scan_handlers *h, size_t *resume);

/* After a hand-off: the synthetic start of a document that puts expat in the scanner's
 * state (the open elements as bare start tags, or "<_></_>" when the root is
 * already closed). Events expat reports for these bytes must be dropped; the caller
 * then feeds data + resume. Empty (len 0) when nothing was reported yet: expat then
 * simply parses the whole document from offset 0. */
/* A document that is still arriving (the reader inflates it while it is parsed). */
typedef struct kdbx_xml_scan_source {
	void *ud;
	/* Blocks until at least want bytes of the document are there, or all of it
	 * (*complete); sets *len to the bytes there. KDBX_OK or an error (already set). */
	int (*wait)(void *ud, size_t want, size_t *len, bool *complete);
} kdbx_xml_scan_source;

/* kdbx_xml_scan_run over a document that arrives through src into data[0..): scans what
 * is there, waits for more where a construct is cut off, and so reports exactly the
 * events of one run over the whole document. It hands off only once the document is
 * complete (*len = its length, *resume as above). A wait error returns
 * KDBX_XML_SCAN_SOURCE with the code in *err. The handlers may release the bytes before
 * the consumed position (data is then only used for offsets). */
int kdbx_xml_scan_stream(kdbx_xml_scan *sc, char *data, const kdbx_xml_scan_source *src,
                         const kdbx_xml_scan_handlers *h, size_t *resume, size_t *len, int *err);

int kdbx_xml_scan_resume_prefix(const kdbx_xml_scan *sc, kdbx_buf *out);

void kdbx_xml_scan_free(kdbx_xml_scan *sc);

#endif
