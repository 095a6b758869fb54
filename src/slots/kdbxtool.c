/* Mode 2: the kdbxtool KEK format, byte-exact (kdbxtool-notes 1.2-1.4):
 * device entry = compact JSON {"type","label","id",...} + 0x00 + 64 bytes
 * nonce(16) || tag(16) || AES-256-GCM(HKDF-SHA256(resp, -, "kdbxtool-kek-wrap-v1"), KEK). */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "slots/slots_internal.h"

static int hkdf_key(const uint8_t *resp, size_t resp_len, uint8_t key[32])
{
	if (resp == NULL || resp_len < 16)
		return kdbx_error__set(KDBX_EDEVICE, "device response shorter than 16 bytes");
	return kdbx_hkdf_sha256(resp, resp_len, NULL, 0, (const uint8_t *)KDBXTOOL_HKDF_INFO,
	                        sizeof(KDBXTOOL_HKDF_INFO) - 1, key, 32);
}

/* kdbxtool uses PyCryptodome's default 16-byte GCM nonce; crypto/aead.c only
 * offers 12-byte nonces for encryption, so this one call goes to EVP. */
static int gcm16_encrypt(const uint8_t key[32], const uint8_t nonce[16], const uint8_t in[32],
                         uint8_t out[32], uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, ok;

	if (c == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	ok = EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 16, NULL) == 1 &&
	     EVP_EncryptInit_ex(c, NULL, NULL, key, nonce) == 1 &&
	     EVP_EncryptUpdate(c, out, &len, in, 32) == 1 && len == 32 &&
	     EVP_EncryptFinal_ex(c, out + 32, &len) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? KDBX_OK : kdbx_error__set(KDBX_ERROR, "AES-GCM encryption failed");
}

int kdbx_kdbxtool__wrap(const uint8_t kek[32], const uint8_t *resp, size_t resp_len,
                        const uint8_t nonce[16], uint8_t out[KDBXTOOL_WRAPPED_SIZE])
{
	uint8_t key[32];
	int rc;

	if ((rc = hkdf_key(resp, resp_len, key)) == KDBX_OK) {
		memcpy(out, nonce, 16);
		rc = gcm16_encrypt(key, nonce, kek, out + 32, out + 16);
	}
	kdbx_memzero(key, sizeof(key));
	return rc;
}

int kdbx_kdbxtool__unwrap(const uint8_t in[KDBXTOOL_WRAPPED_SIZE], const uint8_t *resp,
                          size_t resp_len, uint8_t kek[32])
{
	uint8_t key[32];
	int rc;

	if ((rc = hkdf_key(resp, resp_len, key)) == KDBX_OK)
		rc = kdbx_aes_gcm_decrypt(key, in, 16, NULL, 0, in + 32, 32, in + 16, kek);
	kdbx_memzero(key, sizeof(key));
	return rc;
}

/* ---- JSON as Python's json.dumps(separators=(",", ":")) writes it ---- */

static int json_string(kdbx_buf *out, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	char tmp[16];
	int rc = kdbx_buf_append_byte(out, '"');

	while (rc == KDBX_OK && *p != 0) {
		uint32_t cp = *p;
		size_t n = 1;

		if (cp >= 0x80) {
			/* ensure_ascii: every non-ASCII code point as \uXXXX (UTF-16). */
			if ((cp & 0xE0) == 0xC0)
				n = 2, cp &= 0x1F;
			else if ((cp & 0xF0) == 0xE0)
				n = 3, cp &= 0x0F;
			else if ((cp & 0xF8) == 0xF0)
				n = 4, cp &= 0x07;
			else
				return kdbx_error__set(KDBX_EINVALID, "label is not UTF-8");
			for (size_t i = 1; i < n; i++) {
				if ((p[i] & 0xC0) != 0x80)
					return kdbx_error__set(KDBX_EINVALID, "label is not UTF-8");
				cp = (cp << 6) | (p[i] & 0x3F);
			}
			if (cp >= 0x10000) {
				cp -= 0x10000;
				snprintf(tmp, sizeof(tmp), "\\u%04x\\u%04x", 0xD800 + (unsigned)(cp >> 10),
				         0xDC00 + (unsigned)(cp & 0x3FF));
			} else {
				snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)cp);
			}
			rc = kdbx_buf_append_str(out, tmp);
		} else if (cp == '"' || cp == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)cp;
			rc = kdbx_buf_append(out, tmp, 2);
		} else if (cp < 0x20) {
			const char *esc = cp == '\n' ? "\\n" : cp == '\r' ? "\\r" : cp == '\t' ? "\\t"
			                : cp == '\b' ? "\\b" : cp == '\f' ? "\\f" : NULL;
			if (esc == NULL) {
				snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)cp);
				esc = tmp;
			}
			rc = kdbx_buf_append_str(out, esc);
		} else {
			rc = kdbx_buf_append_byte(out, (uint8_t)cp);
		}
		p += n;
	}
	return rc == KDBX_OK ? kdbx_buf_append_byte(out, '"') : rc;
}

int kdbx_kdbxtool__serialize(const char *type, const char *label, const char *id,
                             const uint8_t wrapped[KDBXTOOL_WRAPPED_SIZE], kdbx_buf *out)
{
	int rc;

	if ((rc = kdbx_buf_append_str(out, "{\"type\":")) != KDBX_OK || (rc = json_string(out, type)) != KDBX_OK ||
	    (rc = kdbx_buf_append_str(out, ",\"label\":")) != KDBX_OK || (rc = json_string(out, label)) != KDBX_OK ||
	    (rc = kdbx_buf_append_str(out, ",\"id\":")) != KDBX_OK || (rc = json_string(out, id)) != KDBX_OK ||
	    (rc = kdbx_buf_append_str(out, "}")) != KDBX_OK || (rc = kdbx_buf_append_byte(out, 0)) != KDBX_OK)
		return rc;
	return kdbx_buf_append(out, wrapped, KDBXTOOL_WRAPPED_SIZE);
}

/* ---- a small JSON reader: one flat object; string values decoded,
 * anything else skipped ---- */

typedef struct jp {
	const uint8_t *p, *end;
	int depth;
} jp;

static void ws(jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int hex4(jp *j, uint32_t *v)
{
	*v = 0;
	if (j->end - j->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		uint8_t c = *j->p++;
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static int put_utf8(kdbx_buf *b, uint32_t cp)
{
	uint8_t o[4];
	size_t n;

	if (cp < 0x80)
		o[0] = (uint8_t)cp, n = 1;
	else if (cp < 0x800)
		o[0] = (uint8_t)(0xC0 | (cp >> 6)), o[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
	else if (cp < 0x10000)
		o[0] = (uint8_t)(0xE0 | (cp >> 12)), o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)),
		o[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
	else
		o[0] = (uint8_t)(0xF0 | (cp >> 18)), o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F)),
		o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (uint8_t)(0x80 | (cp & 0x3F)), n = 4;
	return kdbx_buf_append(b, o, n);
}

/* Parses a string at j->p (opening quote included) into out (NUL-terminated
 * C string; a \u0000 makes it invalid for us). */
static int jstring(jp *j, char **out)
{
	kdbx_buf b = KDBX_BUF_INIT;

	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		uint8_t c = *j->p++;
		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			if (kdbx_buf_append_byte(&b, c) != KDBX_OK)
				goto bad;
			continue;
		}
		if (j->p >= j->end)
			goto bad;
		c = *j->p++;
		uint32_t cp;
		switch (c) {
		case '"': case '\\': case '/': cp = c; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'u':
			if (hex4(j, &cp) != 0)
				goto bad;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				uint32_t lo;
				if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u')
					goto bad;
				j->p += 2;
				if (hex4(j, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
					goto bad;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				goto bad;
			}
			if (cp == 0)
				goto bad;
			break;
		default:
			goto bad;
		}
		if (put_utf8(&b, cp) != KDBX_OK)
			goto bad;
	}
	if (j->p >= j->end)
		goto bad;
	j->p++;
	if (kdbx_buf_append_byte(&b, 0) != KDBX_OK)
		goto bad;
	*out = (char *)kdbx_buf_detach(&b, NULL);
	return 0;
bad:
	kdbx_buf_free(&b);
	kdbx_error_clear();
	return -1;
}

static int jskip(jp *j)
{
	ws(j);
	if (j->p >= j->end || ++j->depth > 32)
		return -1;
	int rc = 0;
	if (*j->p == '"') {
		char *s = NULL;
		rc = jstring(j, &s);
		free(s);
	} else if (*j->p == '{' || *j->p == '[') {
		uint8_t close = *j->p == '{' ? '}' : ']';
		bool obj = close == '}';
		j->p++;
		ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
		} else {
			for (;;) {
				if (obj) {
					char *k = NULL;
					ws(j);
					if (jstring(j, &k) != 0)
						return -1;
					free(k);
					ws(j);
					if (j->p >= j->end || *j->p++ != ':')
						return -1;
				}
				if (jskip(j) != 0)
					return -1;
				ws(j);
				if (j->p >= j->end)
					return -1;
				if (*j->p == ',') {
					j->p++;
					continue;
				}
				if (*j->p++ != close)
					return -1;
				break;
			}
		}
	} else {
		const uint8_t *s = j->p;
		while (j->p < j->end && (strchr("+-.eE", *j->p) != NULL || (*j->p >= '0' && *j->p <= '9') ||
		                         (*j->p >= 'a' && *j->p <= 'z')))
			j->p++;
		if (j->p == s)
			rc = -1;
	}
	j->depth--;
	return rc;
}

void kdbx_kdbxtool__device_free(kdbxtool_device *d)
{
	if (d == NULL)
		return;
	free(d->type);
	free(d->label);
	free(d->id);
	d->type = d->label = d->id = NULL;
}

int kdbx_kdbxtool__parse_device(const uint8_t *v, size_t n, kdbxtool_device *out)
{
	const uint8_t *nul = v != NULL ? memchr(v, 0, n) : NULL;
	jp j;

	memset(out, 0, sizeof(*out));
	if (nul == NULL || (size_t)(v + n - (nul + 1)) != KDBXTOOL_WRAPPED_SIZE)
		return kdbx_error__set(KDBX_ECORRUPT, "kdbxtool device entry damaged");
	memcpy(out->wrapped, nul + 1, KDBXTOOL_WRAPPED_SIZE);
	j.p = v;
	j.end = nul;
	j.depth = 0;
	ws(&j);
	if (j.p >= j.end || *j.p++ != '{')
		goto bad;
	ws(&j);
	if (j.p < j.end && *j.p == '}') {
		j.p++;
	} else {
		for (;;) {
			char *k = NULL;
			ws(&j);
			if (jstring(&j, &k) != 0)
				goto bad;
			ws(&j);
			if (j.p >= j.end || *j.p++ != ':') {
				free(k);
				goto bad;
			}
			ws(&j);
			char **dst = strcmp(k, "type") == 0 ? &out->type : strcmp(k, "label") == 0 ? &out->label
			           : strcmp(k, "id") == 0 ? &out->id : NULL;
			free(k);
			if (dst != NULL && j.p < j.end && *j.p == '"') {
				free(*dst);
				*dst = NULL;
				if (jstring(&j, dst) != 0)
					goto bad;
			} else if (jskip(&j) != 0) {
				goto bad;
			}
			ws(&j);
			if (j.p >= j.end)
				goto bad;
			if (*j.p == ',') {
				j.p++;
				continue;
			}
			if (*j.p++ != '}')
				goto bad;
			break;
		}
	}
	ws(&j);
	if (j.p != j.end || out->type == NULL || out->label == NULL || out->id == NULL)
		goto bad;
	return KDBX_OK;
bad:
	kdbx_kdbxtool__device_free(out);
	return kdbx_error__set(KDBX_ECORRUPT, "kdbxtool device entry: bad JSON or missing type/label/id");
}
