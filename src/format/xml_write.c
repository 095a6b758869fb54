/* Model -> KeePass XML (keepassxc-notes.md 3.5-3.7), in the element order KeePassXC's
 * writer uses, appended into one kdbx_buf. Protected strings are XORed with the inner
 * stream in document order (or written in clear with ProtectInMemory="True" for a plain
 * export). Attachments are de-duplicated by content in first-use order: KDBX4 puts them
 * into c->binaries, KDBX3 and plain exports into Meta/Binaries. Unknown elements kept by
 * the reader go back at the end of the element they came from. Invalid XML 1.0 characters
 * (C0 controls other than tab/LF/CR, U+FFFE/U+FFFF, malformed UTF-8) are dropped; CR is
 * written as a character reference so it survives the parser's line-end normalisation. */
#include <stdio.h>
#include <stdlib.h>

#include "crypto/crypto.h"
#include "format/xml_internal.h"
#include "model/model.h"

typedef struct writer {
	kdbx_buf *out;
	kdbx_db *db;
	uint32_t version;
	kdbx_stream *stream;
	int err;
	size_t depth;
	bool inline_pool;
	size_t *binmap;  /* db->bins index -> Ref */
	size_t *outbins; /* Ref -> db->bins index */
	size_t nout;
	kdbx_buf sec;    /* revealed protected values (secure) */
	kdbx_buf tmp;    /* gzip output (secure) */
	kdbx_xml_sink sink; /* NULL: the whole document stays in out */
	void *sink_ud;
	/* last formatted time: an item's times are mostly equal */
	kdbx_time last_t;
	size_t last_tlen; /* 0: none yet */
	char last_tbuf[24];
} writer;

/* Output primitives. The XML is ~1.5 KB per entry made of short elements, so the cost is
 * per element, not per byte: each element reserves its bytes once (room) and is written
 * with plain stores. room's fast path is an inline capacity compare; the buffer is
 * reserved before the first element so data is never NULL. After a failed reservation
 * w->err is set and the caller stops; later elements that still fit may be written, which
 * is harmless because the caller discards the buffer on error. */
static uint8_t *room_slow(writer *w, size_t n)
{
	if (w->err)
		return NULL;
	if (kdbx_buf_reserve(w->out, n)) {
		w->err = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		return NULL;
	}
	return w->out->data + w->out->len;
}

/* Every reservation carries ROOM_SLACK spare bytes so indentation can be written as one
 * fixed-size block of tabs (only depth of them are kept). */
#define ROOM_SLACK 16

static inline uint8_t *room(writer *w, size_t n)
{
	kdbx_buf *b = w->out;
	if (b->cap - b->len >= n + ROOM_SLACK)
		return b->data + b->len;
	return room_slow(w, n + ROOM_SLACK);
}

static inline void commit(writer *w, const uint8_t *end)
{
	w->out->len = (size_t)(end - w->out->data);
}

static void put(writer *w, const void *s, size_t n)
{
	uint8_t *p = room(w, n);
	if (p) {
		memcpy(p, s, n);
		commit(w, p + n);
	}
}

static void puts_(writer *w, const char *s)
{
	put(w, s, strlen(s));
}

/* With a sink, out is handed over and emptied whenever it holds flush_size bytes at the
 * end of an entry or an attachment, so the document is never whole in memory. */
#define FLUSH_SIZE ((size_t)4 << 20)
static size_t flush_size = FLUSH_SIZE;

void kdbx_xml__write_flush_size(size_t n)
{
	flush_size = n > 0 ? n : FLUSH_SIZE;
}

static void flush(writer *w, bool all)
{
	if (w->sink == NULL || w->err || (!all && w->out->len < flush_size))
		return;
	int rc = w->sink(w->sink_ud, w->out->data, w->out->len);
	if (rc != KDBX_OK)
		w->err = rc;
	w->out->len = 0; /* secure: wiped when freed, overwritten before */
}

/* Element names are literals: NM("Name") passes the name with its length. */
#define NM(lit) lit, (sizeof(lit) - 1)

static const char tabs16[] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";

static inline uint8_t *put_indent(writer *w, uint8_t *p)
{
	if (w->depth <= ROOM_SLACK)
		memcpy(p, tabs16, ROOM_SLACK);
	else
		memset(p, '\t', w->depth);
	return p + w->depth;
}

static inline uint8_t *cpy(uint8_t *p, const void *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* Indentation and "<name>" (room for w->depth + nl + 2 bytes at p). */
static inline uint8_t *put_open(writer *w, uint8_t *p, const char *name, size_t nl)
{
	p = put_indent(w, p);
	*p++ = '<';
	p = cpy(p, name, nl);
	*p++ = '>';
	return p;
}

/* "</name>\n" (room for nl + 4 bytes at p). */
static inline uint8_t *put_close(uint8_t *p, const char *name, size_t nl)
{
	*p++ = '<';
	*p++ = '/';
	p = cpy(p, name, nl);
	*p++ = '>';
	*p++ = '\n';
	return p;
}

/* "<name>\n" (open) or "</name>\n" (close) on an indented line. */
static void tag_line(writer *w, const char *name, size_t nl, bool close)
{
	uint8_t *p = room(w, w->depth + nl + 4);
	if (!p)
		return;
	p = put_indent(w, p);
	*p++ = '<';
	if (close)
		*p++ = '/';
	p = cpy(p, name, nl);
	*p++ = '>';
	*p++ = '\n';
	commit(w, p);
}

static void indent(writer *w)
{
	uint8_t *p = room(w, w->depth);
	if (p)
		commit(w, put_indent(w, p));
}

/* Byte classes for the escape loop: 0 copy, 1 markup, 2 C0 control, 3 UTF-8 lead/other. */
static const uint8_t cls_tab[256] = {
	2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

/* Bytes of x (loaded little-endian) that need attention get their high bit set in the
 * result: outside 0x20..0x7F, or '<', '>', '&'. A borrow can only set bits above a byte
 * that is really flagged, so the lowest set bit always marks the first such byte. */
static inline uint64_t flags8(uint64_t x)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
	uint64_t lt = (x - ones * 0x20) & ~x;
	uint64_t a = x ^ (ones * '<'), b = x ^ (ones * '>'), c = x ^ (ones * '&');
	uint64_t z = ((a - ones) & ~a) | ((b - ones) & ~b) | ((c - ones) & ~c);
	return (x | lt | z) & high;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WORD_SCAN 1
#else
#define WORD_SCAN 0
#endif

/* Escapes s[*ip..lim) into p, which has room for 5 bytes per input byte plus 3 (a UTF-8
 * sequence may run past lim) plus ROOM_SLACK. Plain bytes go 8 at a time: the word is
 * stored whole (the slack covers the bytes past the first flagged one, which are then
 * overwritten) and p advances to the first flagged byte. */
static uint8_t *escape_into(uint8_t *p, const uint8_t *s, size_t n, size_t *ip, size_t lim)
{
	size_t i = *ip;
	while (i < lim) {
		uint8_t c;
#if WORD_SCAN
		if (lim - i >= 8) {
			uint64_t x, m;
			memcpy(&x, s + i, 8);
			memcpy(p, &x, 8);
			m = flags8(x);
			if (!m) {
				p += 8;
				i += 8;
				continue;
			}
			size_t pos = (size_t)__builtin_ctzll(m) >> 3;
			p += pos;
			i += pos;
		}
#endif
		c = s[i];
		uint8_t k = cls_tab[c];
		if (k == 0) {
			*p++ = c; /* tab, LF, or a tail byte */
			i++;
			continue;
		}
		if (k == 3) {
			size_t l = kdbx_xml__utf8_char(s + i, n - i);
			if (l) {
				p = cpy(p, s + i, l);
				i += l;
				continue;
			}
		} else if (k == 1) {
			if (c == '<')
				p = cpy(p, "&lt;", 4);
			else if (c == '>')
				p = cpy(p, "&gt;", 4);
			else
				p = cpy(p, "&amp;", 5);
		} else if (c == '\r') {
			p = cpy(p, "&#13;", 5);
		}
		i++; /* dropped: invalid XML character or malformed UTF-8 byte */
	}
	*ip = i;
	return p;
}

/* Escaped text; worst case 5 output bytes per input byte, reserved per chunk so a huge
 * value does not reserve five times its size at once. */
#define TEXT_CHUNK 4096

static void put_text(writer *w, const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0;
	while (i < n) {
		size_t lim = n - i > TEXT_CHUNK ? i + TEXT_CHUNK : n;
		uint8_t *p = room(w, 5 * (lim - i) + 3);
		if (!p)
			return;
		commit(w, escape_into(p, s, n, &i, lim));
	}
}

/* <name>v</name> with v written as is; <name/> when empty. */
static void leaf_raw(writer *w, const char *name, size_t nl, const char *v, size_t n)
{
	uint8_t *p = room(w, w->depth + 2 * nl + n + 6);
	if (!p)
		return;
	p = put_indent(w, p);
	*p++ = '<';
	p = cpy(p, name, nl);
	if (!n) {
		p = cpy(p, "/>\n", 3);
	} else {
		*p++ = '>';
		p = cpy(p, v, n);
		p = put_close(p, name, nl);
	}
	commit(w, p);
}

/* Same with v escaped. Short values (nearly all) are done with one reservation. */
static void leaf_text(writer *w, const char *name, size_t nl, const char *v, size_t n)
{
	if (!n) {
		leaf_raw(w, name, nl, NULL, 0);
		return;
	}
	size_t tail = nl + 4;
	if (n <= TEXT_CHUNK) {
		uint8_t *p = room(w, w->depth + nl + 2 + 5 * n + 3 + tail);
		if (!p)
			return;
		size_t i = 0;
		p = put_open(w, p, name, nl);
		p = escape_into(p, (const uint8_t *)v, n, &i, n);
		p = put_close(p, name, nl);
		commit(w, p);
		return;
	}
	uint8_t *p = room(w, w->depth + nl + 2);
	if (!p)
		return;
	p = put_open(w, p, name, nl);
	commit(w, p);
	put_text(w, v, n);
	if (!(p = room(w, tail)))
		return;
	commit(w, put_close(p, name, nl));
}

static void open_el_n(writer *w, const char *name, size_t nl)
{
	tag_line(w, name, nl, false);
	w->depth++;
}

static void close_el_n(writer *w, const char *name, size_t nl)
{
	w->depth--;
	tag_line(w, name, nl, true);
}

static void leaf_str_n(writer *w, const char *name, size_t nl, const char *v)
{
	leaf_text(w, name, nl, v, v ? strlen(v) : 0);
}

static void leaf_bool_n(writer *w, const char *name, size_t nl, bool b)
{
	leaf_raw(w, name, nl, b ? "True" : "False", b ? 4 : 5);
}

/* Decimal without snprintf (same digits as "%lld"). */
static size_t fmt_int(char buf[24], int64_t v)
{
	char tmp[24];
	size_t n = 0, len = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[len++] = '-';
	while (n)
		buf[len++] = tmp[--n];
	return len;
}

static void leaf_int_n(writer *w, const char *name, size_t nl, int64_t v)
{
	char buf[24];
	leaf_raw(w, name, nl, buf, fmt_int(buf, v));
}

static void leaf_time_n(writer *w, const char *name, size_t nl, kdbx_time t)
{
	if (!w->last_tlen || t != w->last_t) {
		if (w->version < KDBX_VERSION_4_0)
			kdbx_xml__format_iso(t, w->last_tbuf);
		else
			kdbx_xml__format_time_b64(t, w->last_tbuf);
		w->last_t = t;
		w->last_tlen = strlen(w->last_tbuf);
	}
	leaf_raw(w, name, nl, w->last_tbuf, w->last_tlen);
}

static void leaf_uuid_n(writer *w, const char *name, size_t nl, const kdbx_uuid *u)
{
	char buf[25];
	kdbx_xml__format_uuid(u, buf);
	leaf_raw(w, name, nl, buf, 24);
}

static void leaf_b64_n(writer *w, const char *name, size_t nl, const uint8_t *d, size_t n)
{
	if (!n) {
		leaf_raw(w, name, nl, NULL, 0);
		return;
	}
	uint8_t *p = room(w, w->depth + nl + 2);
	if (!p)
		return;
	p = put_open(w, p, name, nl);
	commit(w, p);
	if (kdbx_base64_encode(w->out, d, n)) {
		w->err = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		return;
	}
	if (!(p = room(w, nl + 4)))
		return;
	commit(w, put_close(p, name, nl));
}

static void leaf_tri_n(writer *w, const char *name, size_t nl, kdbx_tristate t)
{
	if (t == KDBX_INHERIT)
		leaf_raw(w, name, nl, "null", 4);
	else if (t == KDBX_TRUE)
		leaf_raw(w, name, nl, "true", 4);
	else
		leaf_raw(w, name, nl, "false", 5);
}

#define open_el(w, name) open_el_n(w, NM(name))
#define close_el(w, name) close_el_n(w, NM(name))
#define empty_el(w, name) leaf_raw(w, NM(name), NULL, 0)
#define leaf_str(w, name, v) leaf_str_n(w, NM(name), v)
#define leaf_bool(w, name, b) leaf_bool_n(w, NM(name), b)
#define leaf_int(w, name, v) leaf_int_n(w, NM(name), v)
#define leaf_time(w, name, t) leaf_time_n(w, NM(name), t)
#define leaf_uuid(w, name, u) leaf_uuid_n(w, NM(name), u)
#define leaf_b64(w, name, d, n) leaf_b64_n(w, NM(name), d, n)
#define leaf_tri(w, name, t) leaf_tri_n(w, NM(name), t)

/* Unknown elements of an owner stored for location loc. */
static bool has_unknown(const kdbx_unknown *u, int loc)
{
	for (size_t i = 0; i < u->count; i++) {
		const char *x = u->xml[i];
		if (x && (loc == KDBX_XML_LOC_SELF ? x[0] == '<' : x[0] == (char)loc))
			return true;
	}
	return false;
}

static void put_unknown(writer *w, const kdbx_unknown *u, int loc)
{
	for (size_t i = 0; i < u->count; i++) {
		const char *x = u->xml[i];
		if (!x)
			continue;
		if (loc == KDBX_XML_LOC_SELF ? x[0] != '<' : x[0] != (char)loc)
			continue;
		if (loc != KDBX_XML_LOC_SELF)
			x++;
		indent(w);
		puts_(w, x);
		put(w, "\n", 1);
	}
}

static void put_times(writer *w, const kdbx_times *t, const kdbx_unknown *u)
{
	open_el(w, "Times");
	leaf_time(w, "LastModificationTime", t->modification);
	leaf_time(w, "CreationTime", t->creation);
	leaf_time(w, "LastAccessTime", t->access);
	leaf_time(w, "ExpiryTime", t->expiry);
	leaf_bool(w, "Expires", t->expires);
	leaf_int(w, "UsageCount", t->usage_count);
	leaf_time(w, "LocationChanged", t->location_changed);
	put_unknown(w, u, KDBX_XML_LOC_TIMES);
	close_el(w, "Times");
}

static void put_custom_data(writer *w, const kdbx_kvlist *l, const kdbx_unknown *u, bool mtimes)
{
	if (!l->count && !has_unknown(u, KDBX_XML_LOC_CUSTOMDATA))
		return;
	open_el(w, "CustomData");
	for (size_t i = 0; i < l->count; i++) {
		open_el(w, "Item");
		leaf_str(w, "Key", l->items[i].key);
		leaf_str(w, "Value", l->items[i].value);
		if (mtimes && w->version >= KDBX_VERSION_4_1 && l->items[i].mtime)
			leaf_time(w, "LastModificationTime", l->items[i].mtime);
		close_el(w, "Item");
	}
	put_unknown(w, u, KDBX_XML_LOC_CUSTOMDATA);
	close_el(w, "CustomData");
}

static void put_field(writer *w, const kdbx_field *f)
{
	open_el(w, "String");
	leaf_str(w, "Key", f->name);
	if (!f->protect) {
		leaf_text(w, NM("Value"), f->value, f->len);
		close_el(w, "String");
		return;
	}
	kdbx_buf_reset(&w->sec);
	size_t n = 0;
	if (f->len) {
		int rc = kdbx_field__reveal(w->db, f, &w->sec);
		if (rc) {
			if (!w->err)
				w->err = rc;
			return;
		}
		n = f->len <= w->sec.len ? f->len : w->sec.len;
	}
	static const char a_stream[] = "<Value Protected=\"True\"";
	static const char a_plain[] = "<Value ProtectInMemory=\"True\"";
	const char *attr = w->stream ? a_stream : a_plain;
	size_t al = w->stream ? sizeof(a_stream) - 1 : sizeof(a_plain) - 1;
	uint8_t *p = room(w, w->depth + al + 3);
	if (!p)
		goto out;
	p = put_indent(w, p);
	p = cpy(p, attr, al);
	if (!n) {
		commit(w, cpy(p, "/>\n", 3));
	} else {
		*p++ = '>';
		commit(w, p);
		if (w->stream) {
			/* one keystream, document order; empty values consume nothing */
			if (!w->err && kdbx_stream_xor(w->stream, w->sec.data, n))
				w->err = kdbx_error__set(KDBX_ERROR, "inner stream failure");
			if (!w->err && kdbx_base64_encode(w->out, w->sec.data, n))
				w->err = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		} else {
			put_text(w, (const char *)w->sec.data, n);
		}
		put(w, "</Value>\n", 9);
	}
out:
	kdbx_buf_reset(&w->sec);
	close_el(w, "String");
}

static void put_entry(writer *w, const kdbx_entry *e, bool history_item)
{
	open_el(w, "Entry");
	leaf_uuid(w, "UUID", &e->uuid);
	leaf_int(w, "IconID", e->icon);
	if (e->has_custom_icon && !kdbx_uuid_is_zero(&e->custom_icon))
		leaf_uuid(w, "CustomIconUUID", &e->custom_icon);
	leaf_str(w, "ForegroundColor", e->fg_color);
	leaf_str(w, "BackgroundColor", e->bg_color);
	leaf_str(w, "OverrideURL", e->override_url);
	leaf_str(w, "Tags", e->tags);
	put_times(w, &e->times, &e->unknown);
	if (w->version >= KDBX_VERSION_4_1) {
		if (e->quality_check == 0)
			leaf_bool(w, "QualityCheck", false);
		if (e->has_prev_parent && !kdbx_uuid_is_zero(&e->prev_parent))
			leaf_uuid(w, "PreviousParentGroup", &e->prev_parent);
	}
	for (size_t i = 0; i < e->nfields; i++)
		put_field(w, &e->fields[i]);
	for (size_t i = 0; i < e->nattachments; i++) {
		const kdbx_attachment *a = &e->attachments[i];
		char buf[48];
		if (a->bin >= w->db->nbins) {
			if (!w->err)
				w->err = kdbx_error__set(KDBX_EINVALID, "attachment without content");
			return;
		}
		open_el(w, "Binary");
		leaf_str(w, "Key", a->name);
		indent(w);
		int n = snprintf(buf, sizeof(buf), "<Value Ref=\"%zu\"/>\n", w->binmap[a->bin]);
		put(w, buf, (size_t)n);
		close_el(w, "Binary");
	}
	open_el(w, "AutoType");
	leaf_bool(w, "Enabled", e->autotype_enabled);
	leaf_int(w, "DataTransferObfuscation", e->autotype_obfuscation);
	leaf_str(w, "DefaultSequence", e->autotype_sequence);
	for (size_t i = 0; i < e->nassocs; i++) {
		open_el(w, "Association");
		leaf_str(w, "Window", e->assocs[i].window);
		leaf_str(w, "KeystrokeSequence", e->assocs[i].sequence);
		close_el(w, "Association");
	}
	put_unknown(w, &e->unknown, KDBX_XML_LOC_AUTOTYPE);
	close_el(w, "AutoType");
	if (w->version >= KDBX_VERSION_4_0)
		put_custom_data(w, &e->custom_data, &e->unknown, false);
	if (!history_item) {
		if (!e->nhistory && !has_unknown(&e->unknown, KDBX_XML_LOC_HISTORY)) {
			empty_el(w, "History");
		} else {
			open_el(w, "History");
			for (size_t i = 0; i < e->nhistory && !w->err; i++)
				put_entry(w, e->history[i], true);
			put_unknown(w, &e->unknown, KDBX_XML_LOC_HISTORY);
			close_el(w, "History");
		}
	}
	put_unknown(w, &e->unknown, KDBX_XML_LOC_SELF);
	close_el(w, "Entry");
}

static void put_group(writer *w, const kdbx_group *g)
{
	open_el(w, "Group");
	leaf_uuid(w, "UUID", &g->uuid);
	leaf_str(w, "Name", g->name);
	leaf_str(w, "Notes", g->notes);
	if (g->tags && *g->tags)
		leaf_str(w, "Tags", g->tags);
	leaf_int(w, "IconID", g->icon);
	if (g->has_custom_icon && !kdbx_uuid_is_zero(&g->custom_icon))
		leaf_uuid(w, "CustomIconUUID", &g->custom_icon);
	put_times(w, &g->times, &g->unknown);
	leaf_bool(w, "IsExpanded", g->is_expanded);
	leaf_str(w, "DefaultAutoTypeSequence", g->default_autotype_sequence);
	leaf_tri(w, "EnableAutoType", g->enable_autotype);
	leaf_tri(w, "EnableSearching", g->enable_searching);
	leaf_uuid(w, "LastTopVisibleEntry", &g->last_top_visible_entry);
	if (w->version >= KDBX_VERSION_4_0)
		put_custom_data(w, &g->custom_data, &g->unknown, false);
	if (w->version >= KDBX_VERSION_4_1 && g->has_prev_parent && !kdbx_uuid_is_zero(&g->prev_parent))
		leaf_uuid(w, "PreviousParentGroup", &g->prev_parent);
	for (size_t i = 0; i < g->nentries && !w->err; i++) {
		put_entry(w, g->entries[i], false);
		flush(w, false);
	}
	for (size_t i = 0; i < g->ngroups && !w->err; i++)
		put_group(w, g->groups[i]);
	put_unknown(w, &g->unknown, KDBX_XML_LOC_SELF);
	close_el(w, "Group");
}

/* ---- attachment pool: content de-duplication in first-use (= write) order ---- */

typedef struct dedup {
	writer *w;
	size_t *slots; /* hash table of Ref + 1, 0 = empty */
	size_t mask;
	uint64_t *hashes; /* per Ref */
} dedup;

static uint64_t fnv1a(const uint8_t *d, size_t n)
{
	uint64_t h = UINT64_C(1469598103934665603);
	for (size_t i = 0; i < n; i++) {
		h ^= d[i];
		h *= UINT64_C(1099511628211);
	}
	return h ^ n;
}

static int dedup_bin(dedup *dd, size_t bi)
{
	writer *w = dd->w;
	if (bi >= w->db->nbins)
		return kdbx_error__set(KDBX_EINVALID, "attachment without content");
	if (w->binmap[bi] != SIZE_MAX)
		return 0;
	const kdbx_bin *b = &w->db->bins[bi];
	uint64_t h = fnv1a(b->data, b->len);
	size_t s = (size_t)h & dd->mask;
	for (;; s = (s + 1) & dd->mask) {
		size_t ref = dd->slots[s];
		if (!ref)
			break;
		ref--;
		const kdbx_bin *o = &w->db->bins[w->outbins[ref]];
		if (dd->hashes[ref] == h && o->len == b->len && (!b->len || memcmp(o->data, b->data, b->len) == 0)) {
			w->binmap[bi] = ref;
			return 0;
		}
	}
	dd->slots[s] = w->nout + 1;
	dd->hashes[w->nout] = h;
	w->outbins[w->nout] = bi;
	w->binmap[bi] = w->nout++;
	return 0;
}

static int dedup_entry(dedup *dd, const kdbx_entry *e)
{
	for (size_t i = 0; i < e->nattachments; i++) {
		int rc = dedup_bin(dd, e->attachments[i].bin);
		if (rc)
			return rc;
	}
	return 0;
}

static int dedup_group(dedup *dd, const kdbx_group *g)
{
	int rc;
	for (size_t i = 0; i < g->nentries; i++) {
		const kdbx_entry *e = g->entries[i];
		if ((rc = dedup_entry(dd, e)))
			return rc;
		for (size_t k = 0; k < e->nhistory; k++)
			if ((rc = dedup_entry(dd, e->history[k])))
				return rc;
	}
	for (size_t i = 0; i < g->ngroups; i++)
		if ((rc = dedup_group(dd, g->groups[i])))
			return rc;
	return 0;
}

static int build_pool(writer *w)
{
	size_t n = w->db->nbins;
	if (!n)
		return 0;
	dedup dd = {w, NULL, 0, NULL};
	size_t cap = 16;
	while (cap < n * 2)
		cap *= 2;
	w->binmap = malloc(n * sizeof(size_t));
	w->outbins = malloc(n * sizeof(size_t));
	dd.slots = calloc(cap, sizeof(size_t));
	dd.hashes = malloc(n * sizeof(uint64_t));
	dd.mask = cap - 1;
	int rc;
	if (!w->binmap || !w->outbins || !dd.slots || !dd.hashes) {
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		w->binmap[i] = SIZE_MAX;
	rc = dedup_group(&dd, w->db->root);
out:
	free(dd.slots);
	free(dd.hashes);
	return rc;
}

static void put_meta_binaries(writer *w)
{
	if (!w->nout) {
		empty_el(w, "Binaries");
		return;
	}
	open_el(w, "Binaries");
	kdbx_gzip_deflater *z = NULL;
	if (w->db->compression == KDBX_COMPRESS_GZIP && (z = kdbx_gzip__deflater_new()) == NULL) {
		w->err = KDBX_ENOMEM;
		return;
	}
	for (size_t i = 0; i < w->nout && !w->err; i++) {
		const kdbx_bin *b = &w->db->bins[w->outbins[i]];
		char buf[64];
		const uint8_t *d = b->data;
		size_t n = b->len;
		bool gz = false;
		if (z != NULL && n > 0) {
			kdbx_buf_reset(&w->tmp);
			int rc = kdbx_gzip__deflate_with(z, b->data, b->len, &w->tmp);
			if (rc) {
				w->err = rc;
				break;
			}
			/* Compressed is per binary: one that does not shrink (an image, an archive)
			 * is written as it is, and readers skip inflating it. */
			if (w->tmp.len < n) {
				gz = true;
				d = w->tmp.data;
				n = w->tmp.len;
			}
		}
		/* Never Protected="True" here: some readers only decrypt <Value> elements, and a
		 * stream they do not advance would garble every later protected string. */
		indent(w);
		int l = snprintf(buf, sizeof(buf), "<Binary ID=\"%zu\"%s", i, gz ? " Compressed=\"True\"" : "");
		put(w, buf, (size_t)l);
		if (!n) {
			put(w, "/>\n", 3);
			continue;
		}
		put(w, ">", 1);
		if (!w->err && kdbx_base64_encode(w->out, d, n))
			w->err = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		put(w, "</Binary>\n", 10);
		flush(w, false);
	}
	kdbx_gzip__deflater_free(z);
	if (w->err)
		return;
	put_unknown(w, &w->db->meta.unknown, KDBX_XML_LOC_BINARIES);
	close_el(w, "Binaries");
}

static void put_meta(writer *w, const uint8_t *header_hash)
{
	const kdbx_meta *m = &w->db->meta;
	open_el(w, "Meta");
	leaf_str(w, "Generator", m->generator ? m->generator : "libkdbx");
	if (w->version < KDBX_VERSION_4_0 && header_hash)
		leaf_b64(w, "HeaderHash", header_hash, 32);
	leaf_str(w, "DatabaseName", m->name);
	leaf_time(w, "DatabaseNameChanged", m->name_changed);
	leaf_str(w, "DatabaseDescription", m->description);
	leaf_time(w, "DatabaseDescriptionChanged", m->description_changed);
	leaf_str(w, "DefaultUserName", m->default_username);
	leaf_time(w, "DefaultUserNameChanged", m->default_username_changed);
	leaf_int(w, "MaintenanceHistoryDays", m->maintenance_history_days);
	leaf_str(w, "Color", m->color);
	leaf_time(w, "MasterKeyChanged", m->master_key_changed);
	leaf_int(w, "MasterKeyChangeRec", m->master_key_change_rec);
	leaf_int(w, "MasterKeyChangeForce", m->master_key_change_force);
	if (m->master_key_change_force_once)
		leaf_bool(w, "MasterKeyChangeForceOnce", true);
	open_el(w, "MemoryProtection");
	leaf_bool(w, "ProtectTitle", m->memory_protection & KDBX_PROTECT_TITLE);
	leaf_bool(w, "ProtectUserName", m->memory_protection & KDBX_PROTECT_USERNAME);
	leaf_bool(w, "ProtectPassword", m->memory_protection & KDBX_PROTECT_PASSWORD);
	leaf_bool(w, "ProtectURL", m->memory_protection & KDBX_PROTECT_URL);
	leaf_bool(w, "ProtectNotes", m->memory_protection & KDBX_PROTECT_NOTES);
	put_unknown(w, &m->unknown, KDBX_XML_LOC_MEMPROT);
	close_el(w, "MemoryProtection");
	if (!m->nicons && !has_unknown(&m->unknown, KDBX_XML_LOC_ICONS)) {
		empty_el(w, "CustomIcons");
	} else {
		open_el(w, "CustomIcons");
		for (size_t i = 0; i < m->nicons; i++) {
			const kdbx_icon *ic = &m->icons[i];
			open_el(w, "Icon");
			leaf_uuid(w, "UUID", &ic->uuid);
			if (w->version >= KDBX_VERSION_4_1) {
				if (ic->name && *ic->name)
					leaf_str(w, "Name", ic->name);
				if (ic->mtime)
					leaf_time(w, "LastModificationTime", ic->mtime);
			}
			leaf_b64(w, "Data", ic->data, ic->len);
			close_el(w, "Icon");
		}
		put_unknown(w, &m->unknown, KDBX_XML_LOC_ICONS);
		close_el(w, "CustomIcons");
	}
	leaf_bool(w, "RecycleBinEnabled", m->recycle_bin_enabled);
	leaf_uuid(w, "RecycleBinUUID", &m->recycle_bin_uuid);
	leaf_time(w, "RecycleBinChanged", m->recycle_bin_changed);
	leaf_uuid(w, "EntryTemplatesGroup", &m->entry_templates_group);
	leaf_time(w, "EntryTemplatesGroupChanged", m->entry_templates_group_changed);
	leaf_uuid(w, "LastSelectedGroup", &m->last_selected_group);
	leaf_uuid(w, "LastTopVisibleGroup", &m->last_top_visible_group);
	leaf_int(w, "HistoryMaxItems", m->history_max_items);
	leaf_int(w, "HistoryMaxSize", m->history_max_size);
	if (w->version >= KDBX_VERSION_4_0)
		leaf_time(w, "SettingsChanged", m->settings_changed);
	if (w->inline_pool) {
		put_meta_binaries(w);
	} else if (has_unknown(&m->unknown, KDBX_XML_LOC_BINARIES)) {
		open_el(w, "Binaries");
		put_unknown(w, &m->unknown, KDBX_XML_LOC_BINARIES);
		close_el(w, "Binaries");
	}
	put_custom_data(w, &m->custom_data, &m->unknown, true);
	put_unknown(w, &m->unknown, KDBX_XML_LOC_SELF);
	close_el(w, "Meta");
}

static void put_root(writer *w)
{
	const kdbx_db *db = w->db;
	open_el(w, "Root");
	put_group(w, db->root);
	if (!db->ndeleted && !has_unknown(&db->unknown_root, KDBX_XML_LOC_DELETED)) {
		empty_el(w, "DeletedObjects");
	} else {
		open_el(w, "DeletedObjects");
		for (size_t i = 0; i < db->ndeleted; i++) {
			open_el(w, "DeletedObject");
			leaf_uuid(w, "UUID", &db->deleted[i].uuid);
			leaf_time(w, "DeletionTime", db->deleted[i].when);
			close_el(w, "DeletedObject");
		}
		put_unknown(w, &db->unknown_root, KDBX_XML_LOC_DELETED);
		close_el(w, "DeletedObjects");
	}
	put_unknown(w, &db->unknown_root, KDBX_XML_LOC_SELF);
	close_el(w, "Root");
}

/* The container borrows the attachments' bytes from the db (it lives only as long as
 * the save): a vault's attachments are not copied once more. */
static int fill_container_binaries(writer *w, kdbx_container *c)
{
	kdbx_binary *bins = NULL;
	if (w->nout && (bins = calloc(w->nout, sizeof(*bins))) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	kdbx_container__free_binaries(c);
	for (size_t i = 0; i < w->nout; i++) {
		const kdbx_bin *b = &w->db->bins[w->outbins[i]];
		bins[i].data = b->data;
		bins[i].len = b->len;
		bins[i].flags = b->protect ? 1 : 0;
	}
	c->binaries = bins;
	c->nbinaries = w->nout;
	c->binaries_borrowed = true;
	return 0;
}

/* ---- size estimate: the output buffer is reserved once, close to its final size ----
 * Writing the XML of a big vault was dominated by page faults on the growing output
 * buffer (one per 4 KiB, expensive under virtualisation). One reservation of about the
 * final size gets a single large secure mapping, which secmem.c populates or backs with
 * huge pages; if the estimate falls short the rest grows by mremap as before. The
 * constants are the fixed bytes of each construct (tags, newlines, indentation) on
 * typical output; escaping, custom data and unknown elements are covered by the margin
 * (a 10k-entry vault: within 1% of the actual size before the margin; small files
 * are overestimated by ~3 KiB). */

static size_t est_str(const char *s)
{
	return s ? strlen(s) : 0;
}

static size_t est_entry(const writer *w, const kdbx_entry *e, size_t d)
{
	/* 23 lines (Entry, 6 leaves, Times block, AutoType block, History); 5 or 8 times */
	size_t time_len = w->version < KDBX_VERSION_4_0 ? 20 : 12;
	/* Names and the short entry strings are counted as constants: reading them would
	 * cost a cache miss each, for bytes that the margin covers. */
	size_t n = 346 + 5 * (30 + time_len) + 23 * (d + 1);
	for (size_t i = 0; i < e->nfields; i++) {
		const kdbx_field *f = &e->fields[i];
		size_t v = f->len;
		if (f->protect)
			v = w->stream ? (v + 2) / 3 * 4 + 17 : v + 23;
		n += 47 + 7 + v + 4 * d + 6;
	}
	n += e->nattachments * (80 + 4 * d);
	for (size_t i = 0; i < e->nattachments; i++)
		n += est_str(e->attachments[i].name);
	for (size_t i = 0; i < e->nassocs; i++)
		n += 90 + 4 * d + est_str(e->assocs[i].window) + est_str(e->assocs[i].sequence);
	for (size_t i = 0; i < e->nhistory; i++)
		n += est_entry(w, e->history[i], d + 2) + 8;
	return n;
}

static size_t est_group(const writer *w, const kdbx_group *g, size_t d)
{
	size_t time_len = w->version < KDBX_VERSION_4_0 ? 20 : 12;
	size_t n = 480 + 5 * (30 + time_len) + 22 * (d + 1);
	n += est_str(g->name) + est_str(g->notes) + est_str(g->tags) +
	     est_str(g->default_autotype_sequence);
	for (size_t i = 0; i < g->nentries; i++)
		n += est_entry(w, g->entries[i], d + 1);
	for (size_t i = 0; i < g->ngroups; i++)
		n += est_group(w, g->groups[i], d + 1);
	return n;
}

static size_t est_doc(const writer *w)
{
	const kdbx_db *db = w->db;
	size_t n = 4096 + est_group(w, db->root, 2);
	for (size_t i = 0; i < db->meta.nicons; i++)
		n += 120 + db->meta.icons[i].len / 3 * 4;
	if (w->inline_pool) {
		/* gzip'd attachments are usually much smaller than their content */
		bool gz = db->compression == KDBX_COMPRESS_GZIP;
		for (size_t i = 0; i < w->nout; i++) {
			size_t len = db->bins[w->outbins[i]].len;
			n += 60 + (gz ? len / 4 : len / 3 * 4);
		}
	}
	n += db->ndeleted * 120;
	return n + n / 16;
}

static int write_doc(kdbx_db *db, uint32_t version, const uint8_t header_hash[32],
                     kdbx_stream *stream, kdbx_container *c, kdbx_buf *out, kdbx_xml_sink sink,
                     void *sink_ud)
{
	if (!db || !out)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_xml_write: NULL argument");
	if (!db->root)
		return kdbx_error__set(KDBX_EINVALID, "database has no root group");
	writer w;
	memset(&w, 0, sizeof(w));
	w.out = out;
	w.sink = sink;
	w.sink_ud = sink_ud;
	w.db = db;
	w.version = version;
	w.stream = stream;
	w.sec.secure = true;
	w.tmp.secure = true; /* a compressed attachment */
	/* A plain export (no stream) must carry its attachments itself. */
	w.inline_pool = version < KDBX_VERSION_4_0 || !stream || !c;
	int rc = build_pool(&w);
	if (rc)
		goto out;
	if (!w.inline_pool && (rc = fill_container_binaries(&w, c)))
		goto out;
	/* room() relies on a non-NULL buffer, and this reservation is most of the cost
	 * saving (see est_doc). With a sink, out holds one flush and the entry after it. */
	size_t est = est_doc(&w);
	if (sink != NULL && est > flush_size + flush_size / 2)
		est = flush_size + flush_size / 2;
	if (kdbx_buf_reserve(out, est)) {
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		goto out;
	}
	puts_(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n");
	open_el(&w, "KeePassFile");
	put_meta(&w, header_hash);
	put_root(&w);
	put_unknown(&w, &db->unknown_doc, KDBX_XML_LOC_SELF);
	close_el(&w, "KeePassFile");
	flush(&w, true);
	rc = w.err;
out:
	free(w.binmap);
	free(w.outbins);
	kdbx_buf_free(&w.sec);
	kdbx_buf_free(&w.tmp);
	return rc;
}

int kdbx_xml_write(kdbx_db *db, uint32_t version, const uint8_t header_hash[32],
                   kdbx_stream *stream, kdbx_container *c, kdbx_buf *out)
{
	return write_doc(db, version, header_hash, stream, c, out, NULL, NULL);
}

int kdbx_xml_write_to(kdbx_db *db, uint32_t version, const uint8_t header_hash[32],
                      kdbx_stream *stream, kdbx_container *c, kdbx_xml_sink sink, void *ud)
{
	kdbx_buf out = KDBX_BUF_INIT;
	out.secure = true;
	if (sink == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_xml_write_to: NULL sink");
	int rc = write_doc(db, version, header_hash, stream, c, &out, sink, ud);
	kdbx_buf_free(&out);
	return rc;
}
