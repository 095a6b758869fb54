/* Internal helpers shared by the KeePass XML reader and writer (xml_read.c, xml_write.c):
 * value syntax of keepassxc-notes.md 3.7 (timestamps, UUIDs, booleans, tri-states, numbers)
 * and the location tags of unknown elements. */
#ifndef KDBX_XML_INTERNAL_H
#define KDBX_XML_INTERNAL_H

#include "core/core.h"
#include "kdbx/common.h"
#include "kdbx/group.h"

/* Seconds between 0001-01-01T00:00:00Z and the Unix epoch. */
#define KDBX_XML_UNIX_OFFSET INT64_C(62135596800)

/* Parses a timestamp in either form (KDBX4 base64 of LE int64 seconds since 0001-01-01, or
 * ISO-8601 "yyyy-MM-ddTHH:mm:ss[.fff][Z|+hh:mm]"), whatever the file version. An empty
 * string is base64 of nothing = 0001-01-01. Returns 0, or -1 when neither form matches. */
int kdbx_xml__parse_time(const char *s, size_t n, kdbx_time *out);
/* "yyyy-MM-ddTHH:mm:ssZ" (years clamped to 1..9999); out has room for 21 bytes. */
void kdbx_xml__format_iso(kdbx_time t, char out[21]);
/* Base64 of the LE int64; out has room for 13 bytes. */
void kdbx_xml__format_time_b64(kdbx_time t, char out[13]);
/* UUID: base64 of 16 bytes. Empty, undecodable or wrong length -> all-zero uuid and
 * return -1 (KeePassXC's non-strict mode treats those as null). */
int kdbx_xml__parse_uuid(const char *s, size_t n, kdbx_uuid *out);
void kdbx_xml__format_uuid(const kdbx_uuid *u, char out[25]);
/* "True"/"False" case-insensitive, empty = false; -1 otherwise. */
int kdbx_xml__parse_bool(const char *s, size_t n, bool *out);
/* "null"/"true"/"false" case-insensitive (empty = null); -1 otherwise. */
int kdbx_xml__parse_tristate(const char *s, size_t n, kdbx_tristate *out);
/* Decimal integer with optional sign and surrounding whitespace; empty = 0; -1 on junk
 * or overflow. */
int kdbx_xml__parse_int64(const char *s, size_t n, int64_t *out);
/* Attribute truth as KeePassXC: "true" (any case) or "1". */
bool kdbx_xml__attr_true(const char *v);

/* Length (2-4) of the well-formed UTF-8 sequence at s (n bytes left) if it encodes an XML
 * character, else 0 (also for ASCII, overlong forms, surrogates, U+FFFE, U+FFFF, truncation).
 * Inline: the writer's escaping and the reader's scanner call it per non-ASCII character. */
static inline size_t kdbx_xml__utf8_char(const uint8_t *s, size_t n)
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

/* Unknown elements inside a single-instance sub-container of an owner (entry, group, meta,
 * root) are stored in the owner's kdbx_unknown with this one-byte prefix (never valid as
 * the first byte of XML) so the writer puts them back inside that sub-container. Strings
 * without a prefix start with '<' and belong at the end of the owner's own element. */
enum kdbx_xml_loc {
	KDBX_XML_LOC_SELF = 0,
	KDBX_XML_LOC_TIMES = 1,        /* group, entry */
	KDBX_XML_LOC_AUTOTYPE = 2,     /* entry (also unknowns inside Association) */
	KDBX_XML_LOC_HISTORY = 3,      /* entry */
	KDBX_XML_LOC_CUSTOMDATA = 4,   /* meta, group, entry (also inside Item) */
	KDBX_XML_LOC_MEMPROT = 5,      /* meta */
	KDBX_XML_LOC_ICONS = 6,        /* meta (also inside Icon) */
	KDBX_XML_LOC_BINARIES = 7,     /* meta (KDBX3 pool; also inside Binary) */
	KDBX_XML_LOC_DELETED = 8,      /* root (also inside DeletedObject) */
	KDBX_XML_LOC_COUNT
};

#endif
