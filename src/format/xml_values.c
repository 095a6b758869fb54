/* Value syntax of the KeePass XML (keepassxc-notes.md 3.7): timestamps in both forms,
 * base64 UUIDs, booleans, tri-states and numbers. These run for every element of a large
 * document, so they decode into stack buffers and never allocate. */
#include "format/xml_internal.h"

#include <limits.h>

static const signed char b64_val[256] = {
	['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,
	['H'] = 8,  ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
	['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
	['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
	['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
	['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
	['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
	['/'] = 64,
};
static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Strict padded base64 of a short value (the regex KeePassXC uses to tell a KDBX4
 * timestamp from an ISO one). Returns the decoded length or -1. */
static int b64_small(const char *s, size_t n, uint8_t *out, size_t cap)
{
	if (n % 4 != 0 || n / 4 * 3 > cap + 2)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char ch = (unsigned char)s[i + (size_t)k];
			if (ch == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad || b64_val[ch] == 0)
				return -1;
			v[k] = b64_val[ch] - 1;
		}
		uint32_t w = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) |
		             (uint32_t)v[3];
		uint8_t b[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
		for (int k = 0; k < 3 - pad; k++) {
			if (o >= cap)
				return -1;
			out[o++] = b[k];
		}
	}
	return (int)o;
}

static void b64_small_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			w |= in[i + 2];
		out[o++] = b64_chars[(w >> 18) & 63];
		out[o++] = b64_chars[(w >> 12) & 63];
		out[o++] = i + 1 < n ? b64_chars[(w >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64_chars[w & 63] : '=';
	}
	out[o] = '\0';
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, size_t n, size_t at, size_t cnt, unsigned *out)
{
	unsigned v = 0;
	if (at + cnt > n)
		return -1;
	for (size_t i = 0; i < cnt; i++) {
		char ch = s[at + i];
		if (ch < '0' || ch > '9')
			return -1;
		v = v * 10 + (unsigned)(ch - '0');
	}
	*out = v;
	return 0;
}

static bool is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int parse_iso(const char *s, size_t n, kdbx_time *out)
{
	static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h = 0, mi = 0, se = 0;
	if (digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' || digits(s, n, 5, 2, &mo) ||
	    s[7] != '-' || digits(s, n, 8, 2, &d))
		return -1;
	size_t p = 10;
	if (p < n && (s[p] == 'T' || s[p] == ' ')) {
		if (digits(s, n, p + 1, 2, &h) || p + 3 >= n || s[p + 3] != ':' ||
		    digits(s, n, p + 4, 2, &mi))
			return -1;
		p += 6;
		if (p < n && s[p] == ':') {
			if (digits(s, n, p + 1, 2, &se))
				return -1;
			p += 3;
			if (p < n && (s[p] == '.' || s[p] == ',')) {
				p++;
				size_t start = p;
				while (p < n && s[p] >= '0' && s[p] <= '9')
					p++;
				if (p == start)
					return -1;
			}
		}
	}
	int64_t offset = 0;
	if (p < n && s[p] == 'Z') {
		p++;
	} else if (p < n && (s[p] == '+' || s[p] == '-')) {
		unsigned oh, om = 0;
		int sign = s[p] == '-' ? -1 : 1;
		if (digits(s, n, p + 1, 2, &oh))
			return -1;
		p += 3;
		if (p < n && s[p] == ':')
			p++;
		if (p < n) {
			if (digits(s, n, p, 2, &om))
				return -1;
			p += 2;
		}
		if (oh > 14 || om > 59)
			return -1;
		offset = sign * (int64_t)(oh * 3600 + om * 60);
	}
	if (p != n || y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
		return -1;
	unsigned md = mdays[mo - 1] + (mo == 2 && is_leap(y));
	if (d > md)
		return -1;
	int64_t days = days_from_civil(y, mo, d);
	*out = days * 86400 + (int64_t)h * 3600 + mi * 60 + se + KDBX_XML_UNIX_OFFSET - offset;
	return 0;
}

/* The form KeePassXC and we write, "YYYY-MM-DDTHH:MM:SSZ", without the general parser's
 * per-field calls. -1: not in exactly this form (the caller falls back). */
static int parse_iso_z(const char *s, kdbx_time *out)
{
	static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	static const unsigned char pos[14] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
	unsigned v[14], bad = 0;
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != 'Z')
		return -1;
	for (size_t i = 0; i < sizeof(pos); i++) {
		v[i] = (unsigned)(unsigned char)s[pos[i]] - '0';
		bad |= v[i] > 9;
	}
	if (bad)
		return -1;
	unsigned y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3], mo = v[4] * 10 + v[5],
	         d = v[6] * 10 + v[7], h = v[8] * 10 + v[9], mi = v[10] * 10 + v[11],
	         se = v[12] * 10 + v[13];
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59 ||
	    d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + mi * 60 + se +
	       KDBX_XML_UNIX_OFFSET;
	return 0;
}

int kdbx_xml__parse_time(const char *s, size_t n, kdbx_time *out)
{
	uint8_t b[64];
	/* '-' is no base64 character: an ISO time never passes the base64 test below. */
	if (n == 20 && parse_iso_z(s, out) == 0)
		return 0;
	/* Same order as KeePassXC: base64 first (pad or truncate to 8 bytes), then ISO. */
	int len = n <= 84 ? b64_small(s, n, b, sizeof(b)) : -1;
	if (len >= 0) {
		uint8_t v[8] = {0};
		memcpy(v, b, len < 8 ? (size_t)len : 8);
		*out = (kdbx_time)kdbx_le64(v);
		return 0;
	}
	return parse_iso(s, n, out);
}

void kdbx_xml__format_iso(kdbx_time t, char out[21])
{
	static const kdbx_time max = INT64_C(315537897599); /* 9999-12-31T23:59:59Z */
	if (t < 0)
		t = 0;
	if (t > max)
		t = max;
	int64_t days = t / 86400 - 719162;
	int64_t secs = t % 86400;
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	unsigned hh = (unsigned)(secs / 3600), mm = (unsigned)(secs / 60 % 60), ss = (unsigned)(secs % 60);
	unsigned yy = (unsigned)y;
	char *p = out;
	*p++ = (char)('0' + yy / 1000);
	*p++ = (char)('0' + yy / 100 % 10);
	*p++ = (char)('0' + yy / 10 % 10);
	*p++ = (char)('0' + yy % 10);
	*p++ = '-';
	*p++ = (char)('0' + m / 10);
	*p++ = (char)('0' + m % 10);
	*p++ = '-';
	*p++ = (char)('0' + d / 10);
	*p++ = (char)('0' + d % 10);
	*p++ = 'T';
	*p++ = (char)('0' + hh / 10);
	*p++ = (char)('0' + hh % 10);
	*p++ = ':';
	*p++ = (char)('0' + mm / 10);
	*p++ = (char)('0' + mm % 10);
	*p++ = ':';
	*p++ = (char)('0' + ss / 10);
	*p++ = (char)('0' + ss % 10);
	*p++ = 'Z';
	*p = '\0';
}

void kdbx_xml__format_time_b64(kdbx_time t, char out[13])
{
	uint8_t v[8];
	kdbx_put_le64(v, (uint64_t)t);
	b64_small_encode(v, 8, out);
}

int kdbx_xml__parse_uuid(const char *s, size_t n, kdbx_uuid *out)
{
	uint8_t b[18];
	memset(out, 0, sizeof(*out));
	if (n != 24)
		return -1;
	if (s[22] == '=' && s[23] == '=') {
		/* 16 bytes = 5 full groups + "xx==": what b64_small accepts, unrolled */
		uint32_t w = 0;
		for (size_t i = 0; i < 22; i++) {
			int v = b64_val[(unsigned char)s[i]];
			if (v == 0)
				return -1;
			w = (w << 6) | (uint32_t)(v - 1);
			if (i % 4 == 3) {
				b[i / 4 * 3] = (uint8_t)(w >> 16);
				b[i / 4 * 3 + 1] = (uint8_t)(w >> 8);
				b[i / 4 * 3 + 2] = (uint8_t)w;
				w = 0;
			}
		}
		b[15] = (uint8_t)(w >> 4);
		memcpy(out->bytes, b, 16);
		return 0;
	}
	if (b64_small(s, n, b, sizeof(b)) != 16)
		return -1;
	memcpy(out->bytes, b, 16);
	return 0;
}

void kdbx_xml__format_uuid(const kdbx_uuid *u, char out[25])
{
	b64_small_encode(u->bytes, 16, out);
}

static bool eq_nocase(const char *s, size_t n, const char *lit)
{
	size_t i = 0;
	for (; i < n && lit[i]; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lit[i])
			return false;
	}
	return i == n && lit[i] == '\0';
}

int kdbx_xml__parse_bool(const char *s, size_t n, bool *out)
{
	if (n == 0 || eq_nocase(s, n, "false")) {
		*out = false;
		return 0;
	}
	if (eq_nocase(s, n, "true")) {
		*out = true;
		return 0;
	}
	return -1;
}

int kdbx_xml__parse_tristate(const char *s, size_t n, kdbx_tristate *out)
{
	if (n == 0 || eq_nocase(s, n, "null"))
		*out = KDBX_INHERIT;
	else if (eq_nocase(s, n, "true"))
		*out = KDBX_TRUE;
	else if (eq_nocase(s, n, "false"))
		*out = KDBX_FALSE;
	else
		return -1;
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int kdbx_xml__parse_int64(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	while (i < n && is_space(s[i]))
		i++;
	while (n > i && is_space(s[n - 1]))
		n--;
	if (i == n) {
		*out = 0;
		return 0;
	}
	bool neg = false;
	if (s[i] == '-' || s[i] == '+')
		neg = s[i++] == '-';
	if (i == n)
		return -1;
	uint64_t v = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > (uint64_t)INT64_MAX + neg)
			return -1;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

bool kdbx_xml__attr_true(const char *v)
{
	return v && (eq_nocase(v, strlen(v), "true") || strcmp(v, "1") == 0);
}
