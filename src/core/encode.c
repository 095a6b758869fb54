/* Base64 (RFC 4648, standard alphabet, padded), hex and UTF-8 validation.
 * Strict decoding: a corrupt header or XML value must not decode silently. */
#include "core/core.h"

static const char b64_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int kdbx_base64_encode(kdbx_buf *out, const uint8_t *in, size_t n)
{
	size_t i, olen;
	char *o;
	int rc;

	if (n > (SIZE_MAX / 4) * 3 - 3)
		return kdbx_error__set(KDBX_ENOMEM, "base64 input too large");
	olen = (n + 2) / 3 * 4;
	if ((rc = kdbx_buf_reserve(out, olen)) != KDBX_OK)
		return rc;
	o = (char *)out->data + out->len;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
		*o++ = b64_alpha[(v >> 18) & 63];
		*o++ = b64_alpha[(v >> 12) & 63];
		*o++ = b64_alpha[(v >> 6) & 63];
		*o++ = b64_alpha[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		*o++ = b64_alpha[(v >> 18) & 63];
		*o++ = b64_alpha[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64_alpha[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	out->len += olen;
	return KDBX_OK;
}

/* The value of each alphabet character, B64_BAD for every other byte ('=' too). */
#define B64_BAD 0x80
#define X B64_BAD
static const uint8_t b64_dec[256] = {
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
	X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
	X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
};
#undef X

static int b64_val(unsigned char c)
{
	return b64_dec[c] == B64_BAD ? -1 : b64_dec[c];
}

size_t kdbx_base64_decoded_max(size_t n)
{
	return n / 4 * 3 + 3;
}

int kdbx_base64_decode(kdbx_buf *out, const char *in, size_t n)
{
	size_t i, start = out->len;
	int rc;

	if (n % 4 != 0)
		return kdbx_error__set(KDBX_ECORRUPT, "invalid base64 length");
	if ((rc = kdbx_buf_reserve(out, n / 4 * 3)) != KDBX_OK)
		return rc;
	/* All quanta but the last have no padding: one table load per character and one
	 * check per quantum (an open decodes a UUID and a protected value per field). */
	const uint8_t *s = (const uint8_t *)in;
	uint8_t *o = out->data + out->len;
	for (i = 0; i + 4 < n; i += 4) {
		uint32_t a = b64_dec[s[i]], b = b64_dec[s[i + 1]], c = b64_dec[s[i + 2]], d = b64_dec[s[i + 3]];
		if (((a | b | c | d) & B64_BAD) != 0) {
			out->len = (size_t)(o - out->data);
			goto bad;
		}
		uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
		o[0] = (uint8_t)(v >> 16);
		o[1] = (uint8_t)(v >> 8);
		o[2] = (uint8_t)v;
		o += 3;
	}
	out->len = (size_t)(o - out->data);
	for (; i < n; i += 4) { /* the last quantum */
		int a = b64_val((unsigned char)in[i]), b = b64_val((unsigned char)in[i + 1]);
		int c = b64_val((unsigned char)in[i + 2]), d = b64_val((unsigned char)in[i + 3]);
		bool last = i + 4 == n;
		if (a < 0 || b < 0)
			goto bad;
		out->data[out->len++] = (uint8_t)((a << 2) | (b >> 4));
		if (c < 0) {
			/* "xx==": only in the last quantum, and unused bits must be zero. */
			if (!last || in[i + 2] != '=' || in[i + 3] != '=' || (b & 15) != 0)
				goto bad;
			break;
		}
		out->data[out->len++] = (uint8_t)(((b & 15) << 4) | (c >> 2));
		if (d < 0) {
			if (!last || in[i + 3] != '=' || (c & 3) != 0)
				goto bad;
			break;
		}
		out->data[out->len++] = (uint8_t)(((c & 3) << 6) | d);
	}
	return KDBX_OK;
bad:
	if (out->secure)
		kdbx_memzero(out->data + start, out->len - start);
	out->len = start;
	return kdbx_error__set(KDBX_ECORRUPT, "invalid base64 data");
}

int kdbx_hex_encode(char *out, const uint8_t *in, size_t n, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
	return KDBX_OK;
}

static int hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int kdbx_hex_decode(uint8_t *out, size_t outlen, const char *in, size_t n)
{
	if (outlen > SIZE_MAX / 2 || n != 2 * outlen)
		return kdbx_error__set(KDBX_ECORRUPT, "invalid hex length");
	for (size_t i = 0; i < outlen; i++) {
		int hi = hex_val((unsigned char)in[2 * i]), lo = hex_val((unsigned char)in[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			kdbx_memzero(out, outlen);
			return kdbx_error__set(KDBX_ECORRUPT, "invalid hex data");
		}
		out[i] = (uint8_t)((hi << 4) | lo);
	}
	return KDBX_OK;
}

bool kdbx_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t len;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2; cp = c & 0x1F; min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3; cp = c & 0x0F; min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4; cp = c & 0x07; min = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}
