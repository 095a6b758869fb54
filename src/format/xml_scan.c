/* Fast scanner for the common subset of XML that KeePass apps write (see xml_scan.h).
 *
 * Rule that keeps it safe: a construct is checked completely before anything of it is
 * reported or written to; whatever the scanner does not fully understand is handed to
 * expat from the '<' (or the character) where it starts. So it never has to produce an
 * error message or decide a corner case of the XML specification: it only has to be
 * right about what it accepts, and tests/fuzz/fuzz_xml_scan.c compares that with expat. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format/xml_internal.h"
#include "format/xml_scan.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAX_ATTRS 32
#define MAX_TEXT_EVENT ((size_t)1 << 30) /* text callbacks take an int length */

/* Byte classes of character data. */
enum { T_PLAIN = 0, T_LT, T_AMP, T_CR, T_RBRACKET, T_BAD, T_HIGH };

#define B T_BAD
#define P T_PLAIN
#define H T_HIGH
static const uint8_t text_class[256] = {
	B, B, B, B, B, B, B, B, B, P, P, B, B, T_CR, B, B, /* 0x00: tab and LF are characters */
	B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
	P, P, P, P, P, P, T_AMP, P, P, P, P, P, P, P, P, P, /* 0x20 */
	P, P, P, P, P, P, P, P, P, P, P, P, T_LT, P, P, P,
	P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, /* 0x40 */
	P, P, P, P, P, P, P, P, P, P, P, P, P, T_RBRACKET, P, P,
	P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, /* 0x60 */
	P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0x80: UTF-8 sequences */
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
};
#undef B
#undef P
#undef H

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ASCII names only: anything else goes to expat. Bit 1: may start a name (letters, '_',
 * ':'), bit 2: may continue one (also digits, '-', '.'). Bytes >= 0x80 are 0. */
static const uint8_t name_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 0, 0, 0, 0, 0,
	0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 3,
	0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0,
};

static bool is_name_start(char c)
{
	return (name_class[(uint8_t)c] & 1) != 0;
}

static bool is_name_char(char c)
{
	return (name_class[(uint8_t)c] & 2) != 0;
}

/* Skips character data that needs no attention: everything but '<', '&', ']', CR,
 * control characters and non-ASCII bytes. Most of a KeePass document is such runs
 * (base64, names, numbers), so it goes 16 bytes at a time where SSE2 is there. */
static char *skip_plain(char *p, char *end)
{
#ifdef __SSE2__
	const __m128i lt = _mm_set1_epi8('<'), amp = _mm_set1_epi8('&'), rb = _mm_set1_epi8(']');
	const __m128i space = _mm_set1_epi8(0x20), tab = _mm_set1_epi8('\t'), lf = _mm_set1_epi8('\n');
	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* signed compare: bytes >= 0x80 count as below 0x20 too */
		__m128i ctl = _mm_cmplt_epi8(x, space);
		ctl = _mm_andnot_si128(_mm_or_si128(_mm_cmpeq_epi8(x, tab), _mm_cmpeq_epi8(x, lf)), ctl);
		__m128i hit = _mm_or_si128(_mm_or_si128(ctl, _mm_cmpeq_epi8(x, lt)),
		                           _mm_or_si128(_mm_cmpeq_epi8(x, amp), _mm_cmpeq_epi8(x, rb)));
		int mask = _mm_movemask_epi8(hit);
		if (mask != 0)
			return p + __builtin_ctz((unsigned)mask);
		p += 16;
	}
#endif
	while (p < end && text_class[(uint8_t)*p] == T_PLAIN)
		p++;
	return p;
}

/* Skips XML white space (space, tab, LF, CR): the indentation of a pretty-printed
 * document, a quarter of its bytes, in runs of a few to a few dozen. */
static char *skip_space(char *p, char *end)
{
#ifdef __SSE2__
	const __m128i space = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
	const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i ws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, space), _mm_cmpeq_epi8(x, tab)),
		                          _mm_or_si128(_mm_cmpeq_epi8(x, lf), _mm_cmpeq_epi8(x, cr)));
		unsigned other = ~(unsigned)_mm_movemask_epi8(ws) & 0xFFFFu;
		if (other != 0)
			return p + __builtin_ctz(other);
		p += 16;
	}
#endif
	while (p < end && is_space(*p))
		p++;
	return p;
}

/* Skips the characters that may continue a name (see name_class). Element names
 * are most of the bytes of a tag and mostly shorter than 16. */
static char *skip_name(char *p, char *end)
{
#ifdef __SSE2__
	/* Signed compares: bytes >= 0x80 are negative, so never in a range. */
	const __m128i case_bit = _mm_set1_epi8(0x20), before_a = _mm_set1_epi8('a' - 1);
	const __m128i after_z = _mm_set1_epi8('z' + 1), before_0 = _mm_set1_epi8('0' - 1);
	const __m128i after_colon = _mm_set1_epi8(':' + 1), under = _mm_set1_epi8('_');
	const __m128i dash = _mm_set1_epi8('-'), dot = _mm_set1_epi8('.');
	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i low = _mm_or_si128(x, case_bit); /* 'A'-'Z' -> 'a'-'z' */
		__m128i letter = _mm_and_si128(_mm_cmpgt_epi8(low, before_a), _mm_cmpgt_epi8(after_z, low));
		__m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, before_0), _mm_cmpgt_epi8(after_colon, x));
		__m128i punct = _mm_or_si128(_mm_cmpeq_epi8(x, under),
		                             _mm_or_si128(_mm_cmpeq_epi8(x, dash), _mm_cmpeq_epi8(x, dot)));
		__m128i ok = _mm_or_si128(letter, _mm_or_si128(digit, punct)); /* digit: also ':' */
		unsigned other = ~(unsigned)_mm_movemask_epi8(ok) & 0xFFFFu;
		if (other != 0)
			return p + __builtin_ctz(other);
		p += 16;
	}
#endif
	while (p < end && is_name_char(*p))
		p++;
	return p;
}

static bool is_xml_char(uint32_t v)
{
	return v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v <= 0xD7FF) ||
	       (v >= 0xE000 && v <= 0xFFFD) || (v >= 0x10000 && v <= 0x10FFFF);
}

static size_t utf8_put(uint32_t v, char *out)
{
	if (v < 0x80) {
		out[0] = (char)v;
		return 1;
	}
	if (v < 0x800) {
		out[0] = (char)(0xC0 | (v >> 6));
		out[1] = (char)(0x80 | (v & 0x3F));
		return 2;
	}
	if (v < 0x10000) {
		out[0] = (char)(0xE0 | (v >> 12));
		out[1] = (char)(0x80 | ((v >> 6) & 0x3F));
		out[2] = (char)(0x80 | (v & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (v >> 18));
	out[1] = (char)(0x80 | ((v >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((v >> 6) & 0x3F));
	out[3] = (char)(0x80 | (v & 0x3F));
	return 4;
}

/* A reference at p ('&') ending before end: the predefined entities and character
 * references. Writes its UTF-8 to out (4 bytes) and returns the number of input bytes,
 * or 0 when expat has to decide (unknown entity, bad number, not a character). */
static size_t reference(const char *p, const char *end, char *out, size_t *out_len)
{
	static const struct { const char *name; size_t len; char c; } predefined[] = {
		{"&lt;", 4, '<'}, {"&gt;", 4, '>'}, {"&amp;", 5, '&'}, {"&quot;", 6, '"'}, {"&apos;", 6, '\''},
	};
	size_t left = (size_t)(end - p);

	if (left < 4) /* the shortest is "&lt;" or "&#9;" */
		return 0;
	if (p[1] != '#') {
		for (size_t i = 0; i < sizeof(predefined) / sizeof(predefined[0]); i++)
			if (left >= predefined[i].len && memcmp(p, predefined[i].name, predefined[i].len) == 0) {
				out[0] = predefined[i].c;
				*out_len = 1;
				return predefined[i].len;
			}
		return 0;
	}
	bool hex = p[2] == 'x';
	const char *q = p + (hex ? 3 : 2), *digits = q;
	uint32_t v = 0;
	for (; q < end && q - digits < 8; q++) {
		int d;
		if (*q >= '0' && *q <= '9')
			d = *q - '0';
		else if (hex && *q >= 'a' && *q <= 'f')
			d = *q - 'a' + 10;
		else if (hex && *q >= 'A' && *q <= 'F')
			d = *q - 'A' + 10;
		else
			break;
		v = v * (hex ? 16u : 10u) + (uint32_t)d;
	}
	if (q == digits || q >= end || *q != ';' || !is_xml_char(v))
		return 0;
	*out_len = utf8_put(v, out);
	return (size_t)(q + 1 - p);
}

typedef struct span {
	char *name;
	size_t name_len;
	char *val, *val_end; /* between the quotes */
} span;

typedef struct scan_state {
	kdbx_xml_scan *sc;
	const kdbx_xml_scan_handlers *h;
	char *released;
} scan_state;

static bool stopped(const scan_state *st)
{
	return st->h->stop != NULL && *st->h->stop != 0;
}

static void emit_text(scan_state *st, const char *s, size_t n)
{
	while (n > 0 && !stopped(st)) {
		size_t k = n > MAX_TEXT_EVENT ? MAX_TEXT_EVENT : n;
		st->h->text(st->h->ud, s, (int)k);
		s += k;
		n -= k;
	}
}

static int push_name(kdbx_xml_scan *sc, const char *name, size_t n)
{
	if (sc->depth == sc->offs_cap) {
		size_t cap = sc->offs_cap ? sc->offs_cap * 2 : 64;
		size_t *o = realloc(sc->offs, cap * sizeof(*o));
		if (o == NULL)
			return -1;
		sc->offs = o;
		sc->offs_cap = cap;
	}
	sc->offs[sc->depth] = sc->names_len;
	if (sc->names_cap - sc->names_len < n + 1) {
		size_t cap = sc->names_cap ? sc->names_cap * 2 : 256;
		while (cap - sc->names_len < n + 1)
			cap *= 2;
		char *p = realloc(sc->names, cap);
		if (p == NULL)
			return -1;
		sc->names = p;
		sc->names_cap = cap;
	}
	memcpy(sc->names + sc->names_len, name, n);
	sc->names[sc->names_len + n] = '\0';
	sc->names_len += n + 1;
	sc->depth++;
	return 0;
}

/* memcmp for the short element names of an end tag, inlined (the call was 2% of a parse),
 * with overlapping word loads for the tail instead of a byte loop (another 2%). */
static bool same_name(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	uint32_t u, v;
	uint16_t s, t;

	if (n >= 8) {
		for (; n > 8; a += 8, b += 8, n -= 8) {
			memcpy(&x, a, 8);
			memcpy(&y, b, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + n - 8, 8); /* the last 8 bytes, overlapping what was compared */
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		x = u ^ v;
		memcpy(&u, a + n - 4, 4);
		memcpy(&v, b + n - 4, 4);
		return (x | (u ^ v)) == 0;
	}
	if (n >= 2) {
		memcpy(&s, a, 2);
		memcpy(&t, b, 2);
		x = (uint16_t)(s ^ t);
		memcpy(&s, a + n - 2, 2);
		memcpy(&t, b + n - 2, 2);
		return (x | (uint16_t)(s ^ t)) == 0;
	}
	return n == 0 || a[0] == b[0];
}

/* The innermost open name (depth > 0) and its length. */
static const char *top_name(const kdbx_xml_scan *sc, size_t *n)
{
	size_t off = sc->offs[sc->depth - 1];
	*n = sc->names_len - off - 1;
	return sc->names + off;
}

/* Checks an attribute value (no '<', references the scanner knows, valid characters). */
static bool value_ok(const char *v, const char *e)
{
	char tmp[4];
	size_t n;
	while (v < e) {
		switch (text_class[(uint8_t)*v]) {
		case T_PLAIN:
		case T_CR:
		case T_RBRACKET: v++; break;
		case T_AMP:
			if ((n = reference(v, e, tmp, &n)) == 0)
				return false;
			v += n;
			break;
		case T_HIGH:
			if ((n = kdbx_xml__utf8_char((const uint8_t *)v, (size_t)(e - v))) == 0)
				return false;
			v += n;
			break;
		default: return false; /* '<', control characters */
		}
	}
	return true;
}

/* Normalises a checked attribute value in place (references, whitespace -> space, CR LF
 * -> one space) and NUL-terminates it. */
static void value_normalise(char *v, char *e)
{
	char *w = v;
	while (v < e) {
		char c = *v;
		if (c == '&') {
			size_t n, k;
			char tmp[4];
			n = reference(v, e, tmp, &k);
			memcpy(w, tmp, k);
			w += k;
			v += n;
		} else if (c == '\r') {
			*w++ = ' ';
			v += (v + 1 < e && v[1] == '\n') ? 2 : 1;
		} else {
			*w++ = (c == '\t' || c == '\n') ? ' ' : c;
			v++;
		}
	}
	*w = '\0';
}

/* After an attribute name at q: S? '=' S? and a quoted value. Returns the value's first
 * byte and sets *close to its closing quote, or NULL when that is not what follows. */
static char *eq_quoted(char *q, char *end, char **close)
{
	while (q < end && is_space(*q))
		q++;
	if (q >= end || *q != '=')
		return NULL;
	q++;
	while (q < end && is_space(*q))
		q++;
	if (q >= end || (*q != '"' && *q != '\''))
		return NULL;
	*close = memchr(q + 1, *q, (size_t)(end - q - 1));
	return *close != NULL ? q + 1 : NULL;
}

/* A start tag at p; returns the byte after it, or NULL to hand off at p. Reports the
 * start (and end for an empty element). */
static char *start_tag(scan_state *st, char *p, char *end, int *rc)
{
	span at[MAX_ATTRS];
	size_t nat = 0;
	char *name = p + 1, *q = skip_name(name, end);
	bool empty = false;

	size_t name_len = (size_t)(q - name);
	/* Pass 1: check the whole tag, touching nothing. */
	for (;;) {
		bool space = false;
		while (q < end && is_space(*q)) {
			q++;
			space = true;
		}
		if (q >= end)
			return NULL;
		if (*q == '>') {
			q++;
			break;
		}
		if (*q == '/') {
			if (q + 1 >= end || q[1] != '>')
				return NULL;
			q += 2;
			empty = true;
			break;
		}
		if (!space || !is_name_start(*q) || nat == MAX_ATTRS)
			return NULL;
		span *a = &at[nat];
		a->name = q;
		q = skip_name(q, end);
		a->name_len = (size_t)(q - a->name);
		char *close;
		if ((a->val = eq_quoted(q, end, &close)) == NULL || !value_ok(a->val, close))
			return NULL;
		a->val_end = close;
		for (size_t i = 0; i < nat; i++)
			if (at[i].name_len == a->name_len && memcmp(at[i].name, a->name, a->name_len) == 0)
				return NULL; /* duplicate attribute: expat's error */
		nat++;
		q = close + 1;
	}
	if (st->sc->root_done) /* a second root element: expat's error */
		return NULL;
	/* Pass 2: the tag is good; terminate the strings in place and report it. */
	const char *attrs[2 * MAX_ATTRS + 1];
	if (push_name(st->sc, name, name_len) != 0) {
		*rc = KDBX_XML_SCAN_NOMEM;
		return NULL;
	}
	name[name_len] = '\0';
	for (size_t i = 0; i < nat; i++) {
		at[i].name[at[i].name_len] = '\0';
		value_normalise(at[i].val, at[i].val_end);
		attrs[2 * i] = at[i].name;
		attrs[2 * i + 1] = at[i].val;
	}
	attrs[2 * nat] = NULL;
	st->sc->started = true;
	st->h->start(st->h->ud, name, name_len, attrs);
	if (empty && !stopped(st)) {
		st->h->end(st->h->ud, name);
		st->sc->names_len -= name_len + 1;
		if (--st->sc->depth == 0)
			st->sc->root_done = true;
	}
	return q;
}

/* An end tag at p ("</"); returns the byte after it, or NULL to hand off at p. */
static char *end_tag(scan_state *st, char *p, char *end)
{
	kdbx_xml_scan *sc = st->sc;
	size_t n;

	if (sc->depth == 0)
		return NULL;
	const char *name = top_name(sc, &n);
	char *q = p + 2;
	if ((size_t)(end - q) <= n || !same_name(q, name, n) || is_name_char(q[n]))
		return NULL;
	q += n;
	while (q < end && is_space(*q))
		q++;
	if (q >= end || *q != '>')
		return NULL;
	st->h->end(st->h->ud, name);
	sc->names_len -= n + 1;
	if (--sc->depth == 0)
		sc->root_done = true;
	return q + 1;
}

/* Character data from p up to the next '<' (or the end). Returns where it stopped; sets
 * *handoff when a character there is for expat. */
static char *text_run(scan_state *st, char *p, char *end, bool *handoff)
{
	char *seg = p;
	char ref[4];
	size_t n, k;

	for (;;) {
		p = skip_plain(p, end);
		if (p >= end)
			break;
		switch (text_class[(uint8_t)*p]) {
		case T_LT: goto done;
		case T_HIGH:
			if ((n = kdbx_xml__utf8_char((const uint8_t *)p, (size_t)(end - p))) == 0)
				goto hand_off;
			p += n;
			continue;
		case T_RBRACKET:
			if (st->sc->more && end - p < 3)
				goto hand_off; /* "]]>" may be cut off: wait for more */
			if (p + 2 < end && p[1] == ']' && p[2] == '>')
				goto hand_off; /* "]]>" is not allowed in text */
			p++;
			continue;
		case T_CR:
			if (st->sc->more && p + 1 == end)
				goto hand_off; /* CR LF may be cut off */
			emit_text(st, seg, (size_t)(p - seg));
			emit_text(st, "\n", 1); /* line ends are normalised to LF */
			p += (p + 1 < end && p[1] == '\n') ? 2 : 1;
			seg = p;
			continue;
		case T_AMP:
			if ((n = reference(p, end, ref, &k)) == 0)
				goto hand_off;
			emit_text(st, seg, (size_t)(p - seg));
			emit_text(st, ref, k);
			kdbx_memzero(ref, sizeof(ref));
			p += n;
			seg = p;
			continue;
		default: goto hand_off;
		}
	}
done:
	emit_text(st, seg, (size_t)(p - seg));
	return p;
hand_off:
	emit_text(st, seg, (size_t)(p - seg));
	*handoff = true;
	return p;
}

/* "<?xml version="1.0" [encoding="UTF-8"] [standalone="yes|no"]?>" exactly; else NULL. */
static char *xml_decl(char *p, char *end)
{
	static const char *const names[] = {"version", "encoding", "standalone"};
	char *q = p + 5;
	int next = 0;

	for (;;) {
		bool space = false;
		while (q < end && is_space(*q)) {
			q++;
			space = true;
		}
		if (end - q >= 2 && q[0] == '?' && q[1] == '>')
			return next > 0 ? q + 2 : NULL;
		if (!space)
			return NULL;
		int which = -1;
		for (int i = next; i < 3 && which < 0; i++)
			if ((size_t)(end - q) > strlen(names[i]) && memcmp(q, names[i], strlen(names[i])) == 0)
				which = i;
		if (which < 0 || (next == 0 && which != 0))
			return NULL;
		char *close;
		const char *v = eq_quoted(q + strlen(names[which]), end, &close);
		if (v == NULL)
			return NULL;
		size_t n = (size_t)(close - v);
		bool ok = which == 0   ? (n == 3 && memcmp(v, "1.0", 3) == 0)
		          : which == 1 ? (n == 5 && strncasecmp(v, "utf-8", 5) == 0)
		                       : ((n == 3 && memcmp(v, "yes", 3) == 0) || (n == 2 && memcmp(v, "no", 2) == 0));
		if (!ok)
			return NULL;
		next = which + 1;
		q = close + 1;
	}
}

int kdbx_xml_scan_run(kdbx_xml_scan *sc, char *data, size_t len,
                      const kdbx_xml_scan_handlers *h, size_t *resume)
{
	*resume = 0;
	if (len == 0) /* expat's error ("no element found") */
		return KDBX_XML_SCAN_HANDOFF;
	scan_state st = {sc, h, data};
	char *p = data, *end = data + len;
	int rc = KDBX_XML_SCAN_HANDOFF;

	/* The document start (nothing reported yet): BOM and XML declaration. */
	if (!sc->started && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	if (!sc->started && end - p >= 6 && memcmp(p, "<?xml", 5) == 0 && is_space(p[5]) &&
	    (p = xml_decl(p, end)) == NULL)
		goto handoff;
	while (p < end) {
		if (stopped(&st))
			return KDBX_XML_SCAN_STOPPED;
		if (*p != '<') {
			if (sc->depth == 0) { /* outside the root: only white space */
				if (!is_space(*p))
					goto handoff;
				p++;
				continue;
			}
			if (sc->after_tag && h->drop_space != NULL && *h->drop_space) {
				char *q = skip_space(p, end);
				if (q < end && *q == '<') { /* white space only: not reported */
					p = q;
					continue;
				}
				if (q == end && sc->more)
					goto handoff; /* the run may go on: decide with more data */
			}
			bool off = false;
			sc->after_tag = false;
			p = text_run(&st, p, end, &off);
			if (stopped(&st))
				return KDBX_XML_SCAN_STOPPED;
			if (off)
				goto handoff;
			continue;
		}
		char *next = NULL;
		if (end - p >= 2 && p[1] == '/')
			next = end_tag(&st, p, end);
		else if (end - p >= 2 && is_name_start(p[1]))
			next = start_tag(&st, p, end, &rc);
		if (rc == KDBX_XML_SCAN_NOMEM)
			return rc;
		if (next == NULL)
			goto handoff;
		p = next;
		sc->after_tag = true;
		if (h->consumed != NULL && (size_t)(p - st.released) >= h->release_step) {
			h->consumed(h->ud, p);
			st.released = p;
		}
	}
	if (stopped(&st))
		return KDBX_XML_SCAN_STOPPED;
	if (sc->root_done && !sc->more)
		return KDBX_XML_SCAN_DONE;
handoff:
	/* Nothing reported yet: expat takes the whole document (BOM, declaration and all). */
	*resume = sc->started ? (size_t)(p - data) : 0;
	return KDBX_XML_SCAN_HANDOFF;
}

/* Below this much new data a retry is not worth a scan. */
#define STREAM_STEP ((size_t)1 << 20)

int kdbx_xml_scan_stream(kdbx_xml_scan *sc, char *data, const kdbx_xml_scan_source *src,
                         const kdbx_xml_scan_handlers *h, size_t *resume, size_t *len, int *err)
{
	size_t pos = 0, at, have = 0, released = 0;
	bool complete = false;
	int rc;

	*resume = 0;
	*err = KDBX_OK;
	if ((*err = src->wait(src->ud, STREAM_STEP, &have, &complete)) != KDBX_OK)
		return KDBX_XML_SCAN_SOURCE;
	for (;;) {
		sc->more = !complete;
		rc = kdbx_xml_scan_run(sc, data + pos, have - pos, h, &at);
		if (rc != KDBX_XML_SCAN_HANDOFF)
			break;
		at = sc->started ? pos + at : 0;
		if (complete) {
			*resume = at;
			break;
		}
		/* Cut off at `at`, or a real hand-off that only the whole document settles:
		 * wait for at least as much again as was there after it (so a long token is
		 * rescanned O(log n) times), then go on from there. */
		size_t tail = have - at, want = have + (tail > STREAM_STEP ? tail : STREAM_STEP);
		if ((*err = src->wait(src->ud, want, &have, &complete)) != KDBX_OK) {
			rc = KDBX_XML_SCAN_SOURCE;
			break;
		}
		pos = at;
		/* Each run counts release_step from its own start: count across runs here. */
		if (h->consumed != NULL && pos - released >= h->release_step) {
			h->consumed(h->ud, data + pos);
			released = pos;
		}
	}
	sc->more = false;
	*len = have;
	return rc;
}

int kdbx_xml_scan_resume_prefix(const kdbx_xml_scan *sc, kdbx_buf *out)
{
	if (!sc->started)
		return KDBX_OK;
	if (sc->root_done)
		return kdbx_buf_append(out, "<_></_>", 7);
	for (size_t off = 0; off < sc->names_len;) {
		size_t n = strlen(sc->names + off);
		if (kdbx_buf_append_byte(out, '<') || kdbx_buf_append(out, sc->names + off, n) ||
		    kdbx_buf_append_byte(out, '>'))
			return KDBX_ENOMEM;
		off += n + 1;
	}
	return KDBX_OK;
}

void kdbx_xml_scan_free(kdbx_xml_scan *sc)
{
	free(sc->names);
	free(sc->offs);
	memset(sc, 0, sizeof(*sc));
}
