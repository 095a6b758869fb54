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
#include <zlib.h>

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
	kdbx_buf tmp;    /* gzip output */
} writer;

static void put(writer *w, const void *s, size_t n)
{
	if (!w->err && kdbx_buf_append(w->out, s, n))
		w->err = kdbx_error__set(KDBX_ENOMEM, "out of memory");
}

static void puts_(writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void indent(writer *w)
{
	static const char tabs[] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
	size_t d = w->depth;
	while (d > 16) {
		put(w, tabs, 16);
		d -= 16;
	}
	put(w, tabs, d);
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

/* Length of a well-formed UTF-8 sequence at s that is a valid XML character, 0 if not. */
static size_t utf8_xml_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	if (c >= 0xC2 && c <= 0xDF)
		return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
			return 0; /* overlong / surrogate */
		if (c == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF))
			return 0; /* U+FFFE, U+FFFF */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
			return 0;
		return 4;
	}
	return 0;
}

static void put_text(writer *w, const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0, run = 0;
	if (w->err)
		return;
	while (i < n) {
		uint8_t c = s[i];
		uint8_t k = cls_tab[c];
		if (k == 0) {
			i++;
			continue;
		}
		size_t skip = 1;
		if (k == 3) {
			size_t l = utf8_xml_len(s + i, n - i);
			if (l) {
				i += l;
				continue;
			}
		}
		if (i > run)
			put(w, s + run, i - run);
		if (k == 1)
			puts_(w, c == '<' ? "&lt;" : c == '>' ? "&gt;" : "&amp;");
		else if (c == '\r')
			put(w, "&#13;", 5);
		i += skip;
		run = i;
	}
	if (n > run)
		put(w, s + run, n - run);
}

static void open_el(writer *w, const char *name)
{
	indent(w);
	put(w, "<", 1);
	puts_(w, name);
	put(w, ">\n", 2);
	w->depth++;
}

static void close_el(writer *w, const char *name)
{
	w->depth--;
	indent(w);
	put(w, "</", 2);
	puts_(w, name);
	put(w, ">\n", 2);
}

static void empty_el(writer *w, const char *name)
{
	indent(w);
	put(w, "<", 1);
	puts_(w, name);
	put(w, "/>\n", 3);
}

static void leaf_raw(writer *w, const char *name, const char *v, size_t n)
{
	if (!n) {
		empty_el(w, name);
		return;
	}
	indent(w);
	put(w, "<", 1);
	puts_(w, name);
	put(w, ">", 1);
	put(w, v, n);
	put(w, "</", 2);
	puts_(w, name);
	put(w, ">\n", 2);
}

static void leaf_str(writer *w, const char *name, const char *v)
{
	size_t n = v ? strlen(v) : 0;
	if (!n) {
		empty_el(w, name);
		return;
	}
	indent(w);
	put(w, "<", 1);
	puts_(w, name);
	put(w, ">", 1);
	put_text(w, v, n);
	put(w, "</", 2);
	puts_(w, name);
	put(w, ">\n", 2);
}

static void leaf_bool(writer *w, const char *name, bool b)
{
	leaf_raw(w, name, b ? "True" : "False", b ? 4 : 5);
}

static void leaf_int(writer *w, const char *name, int64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
	leaf_raw(w, name, buf, (size_t)n);
}

static void leaf_time(writer *w, const char *name, kdbx_time t)
{
	char buf[24];
	if (w->version < KDBX_VERSION_4_0)
		kdbx_xml__format_iso(t, buf);
	else
		kdbx_xml__format_time_b64(t, buf);
	leaf_raw(w, name, buf, strlen(buf));
}

static void leaf_uuid(writer *w, const char *name, const kdbx_uuid *u)
{
	char buf[25];
	kdbx_xml__format_uuid(u, buf);
	leaf_raw(w, name, buf, 24);
}

static void leaf_b64(writer *w, const char *name, const uint8_t *d, size_t n)
{
	if (!n) {
		empty_el(w, name);
		return;
	}
	indent(w);
	put(w, "<", 1);
	puts_(w, name);
	put(w, ">", 1);
	if (!w->err && kdbx_base64_encode(w->out, d, n))
		w->err = kdbx_error__set(KDBX_ENOMEM, "out of memory");
	put(w, "</", 2);
	puts_(w, name);
	put(w, ">\n", 2);
}

static void leaf_tri(writer *w, const char *name, kdbx_tristate t)
{
	const char *v = t == KDBX_INHERIT ? "null" : t == KDBX_TRUE ? "true" : "false";
	leaf_raw(w, name, v, strlen(v));
}

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
		if (f->len) {
			indent(w);
			put(w, "<Value>", 7);
			put_text(w, f->value, f->len);
			put(w, "</Value>\n", 9);
		} else {
			empty_el(w, "Value");
		}
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
	const char *attr = w->stream ? "<Value Protected=\"True\"" : "<Value ProtectInMemory=\"True\"";
	indent(w);
	puts_(w, attr);
	if (!n) {
		put(w, "/>\n", 3);
	} else {
		put(w, ">", 1);
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
	for (size_t i = 0; i < g->nentries && !w->err; i++)
		put_entry(w, g->entries[i], false);
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

static int gzip_into(kdbx_buf *out, const uint8_t *d, size_t n)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	int rc = 0;
	size_t bound = deflateBound(&z, (uLong)n);
	if (n > UINT32_MAX || kdbx_buf_reserve(out, bound)) {
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		goto out;
	}
	z.next_in = (Bytef *)(uintptr_t)d;
	z.avail_in = (uInt)n;
	z.next_out = out->data + out->len;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		rc = kdbx_error__set(KDBX_ERROR, "gzip failed");
		goto out;
	}
	out->len += bound - z.avail_out;
out:
	deflateEnd(&z);
	return rc;
}

static void put_meta_binaries(writer *w)
{
	if (!w->nout) {
		empty_el(w, "Binaries");
		return;
	}
	open_el(w, "Binaries");
	bool gz = w->db->compression == KDBX_COMPRESS_GZIP;
	for (size_t i = 0; i < w->nout && !w->err; i++) {
		const kdbx_bin *b = &w->db->bins[w->outbins[i]];
		char buf[64];
		const uint8_t *d = b->data;
		size_t n = b->len;
		if (gz) {
			kdbx_buf_reset(&w->tmp);
			int rc = gzip_into(&w->tmp, b->data, b->len);
			if (rc) {
				w->err = rc;
				return;
			}
			d = w->tmp.data;
			n = w->tmp.len;
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
	}
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

static int fill_container_binaries(writer *w, kdbx_container *c)
{
	for (size_t i = 0; i < c->nbinaries; i++)
		kdbx_freezero(c->binaries[i].data, c->binaries[i].len);
	free(c->binaries);
	c->binaries = NULL;
	c->nbinaries = 0;
	if (!w->nout)
		return 0;
	c->binaries = calloc(w->nout, sizeof(*c->binaries));
	if (!c->binaries)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	for (size_t i = 0; i < w->nout; i++) {
		const kdbx_bin *b = &w->db->bins[w->outbins[i]];
		uint8_t *d = malloc(b->len ? b->len : 1);
		if (!d)
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		if (b->len)
			memcpy(d, b->data, b->len);
		c->binaries[i].data = d;
		c->binaries[i].len = b->len;
		c->binaries[i].flags = b->protect ? 1 : 0;
		c->nbinaries = i + 1;
	}
	return 0;
}

int kdbx_xml_write(kdbx_db *db, uint32_t version, const uint8_t header_hash[32],
                   kdbx_stream *stream, kdbx_container *c, kdbx_buf *out)
{
	if (!db || !out)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_xml_write: NULL argument");
	if (!db->root)
		return kdbx_error__set(KDBX_EINVALID, "database has no root group");
	writer w;
	memset(&w, 0, sizeof(w));
	w.out = out;
	w.db = db;
	w.version = version;
	w.stream = stream;
	w.sec.secure = true;
	/* A plain export (no stream) must carry its attachments itself. */
	w.inline_pool = version < KDBX_VERSION_4_0 || !stream || !c;
	int rc = build_pool(&w);
	if (rc)
		goto out;
	if (!w.inline_pool && (rc = fill_container_binaries(&w, c)))
		goto out;
	puts_(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n");
	open_el(&w, "KeePassFile");
	put_meta(&w, header_hash);
	put_root(&w);
	put_unknown(&w, &db->unknown_doc, KDBX_XML_LOC_SELF);
	close_el(&w, "KeePassFile");
	rc = w.err;
out:
	free(w.binmap);
	free(w.outbins);
	kdbx_buf_free(&w.sec);
	kdbx_buf_free(&w.tmp);
	return rc;
}
