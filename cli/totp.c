/* TOTP (RFC 6238 over RFC 4226 HOTP) from an entry's "otp" field
 * (otpauth:// URI or KeeOTP "key=...&step=..." form) or KeePassXC's legacy
 * "TOTP Seed" + "TOTP Settings" ("30;6", "30;S" for Steam, "30;6;SHA256").
 * HMAC comes from OpenSSL. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cli.h"

#define TOTP_FIELD "otp"
#define SEED_FIELD "TOTP Seed"
#define SETTINGS_FIELD "TOTP Settings"

typedef struct totp_params {
	char secret[256]; /* base32 text */
	unsigned int period;
	unsigned int digits;
	int steam;
	const EVP_MD *md;
	const char *alg; /* "SHA1" ... */
} totp_params;

int cli_totp_present(const kdbx_entry *e)
{
	return kdbx_entry_has_field(e, TOTP_FIELD) || kdbx_entry_has_field(e, SEED_FIELD);
}

static void set_alg(totp_params *p, const char *name)
{
	if (strcasecmp(name, "SHA256") == 0 || strcasecmp(name, "HMAC-SHA-256") == 0) {
		p->md = EVP_sha256();
		p->alg = "SHA256";
	} else if (strcasecmp(name, "SHA512") == 0 || strcasecmp(name, "HMAC-SHA-512") == 0) {
		p->md = EVP_sha512();
		p->alg = "SHA512";
	} else {
		p->md = EVP_sha1();
		p->alg = "SHA1";
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes src[0..n) into dst (cap bytes, NUL-terminated). */
static void pct_decode(const char *src, size_t n, char *dst, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		if (src[i] == '%' && i + 2 < n + 0 && hexval(src[i + 1]) >= 0 && hexval(src[i + 2]) >= 0) {
			dst[o++] = (char)(hexval(src[i + 1]) * 16 + hexval(src[i + 2]));
			i += 2;
		} else if (src[i] == '+') {
			dst[o++] = ' ';
		} else {
			dst[o++] = src[i];
		}
	}
	dst[o] = '\0';
}

/* Parses "a=b&c=d" (the query of an otpauth URI or KeeOTP text). */
static int parse_query(const char *q, totp_params *p)
{
	int have_secret = 0;

	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		if (eq) {
			char key[32], val[256];
			size_t kl = (size_t)(eq - q);
			unsigned long long v;
			pct_decode(q, kl, key, sizeof(key));
			pct_decode(eq + 1, len - kl - 1, val, sizeof(val));
			if (strcasecmp(key, "secret") == 0 || strcasecmp(key, "key") == 0) {
				snprintf(p->secret, sizeof(p->secret), "%s", val);
				have_secret = 1;
			} else if ((strcasecmp(key, "period") == 0 || strcasecmp(key, "step") == 0) &&
			           cli_parse_uint(val, 1, 86400, &v) == 0) {
				p->period = (unsigned int)v;
			} else if ((strcasecmp(key, "digits") == 0 || strcasecmp(key, "size") == 0) &&
			           cli_parse_uint(val, 1, 10, &v) == 0) {
				p->digits = (unsigned int)v;
			} else if (strcasecmp(key, "algorithm") == 0 || strcasecmp(key, "otpHashMode") == 0) {
				set_alg(p, val);
			} else if (strcasecmp(key, "encoder") == 0 && strcasecmp(val, "steam") == 0) {
				p->steam = 1;
			}
		}
		q = amp ? amp + 1 : NULL;
	}
	return have_secret ? 0 : -1;
}

static int load_params(const kdbx_entry *e, totp_params *p)
{
	kdbx_secret *s = NULL;
	int rc;

	memset(p, 0, sizeof(*p));
	p->period = 30;
	p->digits = 6;
	set_alg(p, "SHA1");
	if (kdbx_entry_has_field(e, TOTP_FIELD)) {
		const char *v, *q;
		rc = kdbx_entry_field_reveal(&s, e, TOTP_FIELD);
		if (rc < 0)
			return rc;
		v = kdbx_secret_str(s);
		if (strncasecmp(v, "otpauth://", 10) == 0) {
			if (strncasecmp(v + 10, "totp/", 5) != 0 && strncasecmp(v + 10, "totp?", 5) != 0) {
				kdbx_secret_free(&s);
				return KDBX_EUNSUPPORTED;
			}
			if (strstr(v, "encoder=steam") || strncasecmp(v + 15, "Steam", 5) == 0)
				p->steam = 1;
			q = strchr(v, '?');
			rc = parse_query(q ? q + 1 : NULL, p);
		} else {
			rc = parse_query(v, p);
		}
		kdbx_secret_free(&s);
		if (p->steam)
			p->digits = 5;
		return rc < 0 ? KDBX_ECORRUPT : 0;
	}
	if (!kdbx_entry_has_field(e, SEED_FIELD))
		return KDBX_ENOTFOUND;
	rc = kdbx_entry_field_reveal(&s, e, SEED_FIELD);
	if (rc < 0)
		return rc;
	snprintf(p->secret, sizeof(p->secret), "%s", kdbx_secret_str(s));
	kdbx_secret_free(&s);
	if (kdbx_entry_has_field(e, SETTINGS_FIELD)) {
		char buf[64], *tok, *save = NULL;
		const char *set = kdbx_entry_field(e, SETTINGS_FIELD);
		unsigned long long v;
		int i = 0;
		snprintf(buf, sizeof(buf), "%s", set ? set : "");
		for (tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save), i++) {
			if (i == 0 && cli_parse_uint(tok, 1, 86400, &v) == 0)
				p->period = (unsigned int)v;
			else if (i == 1 && strcmp(tok, "S") == 0)
				p->steam = 1, p->digits = 5;
			else if (i == 1 && cli_parse_uint(tok, 1, 10, &v) == 0)
				p->digits = (unsigned int)v;
			else if (i == 2)
				set_alg(p, tok);
		}
	}
	return 0;
}

/* RFC 4648 base32, case-insensitive; spaces, dashes and padding ignored. */
static long base32_decode(const char *in, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *in; in++) {
		int c = toupper((unsigned char)*in), v;
		if (c == ' ' || c == '=' || c == '-')
			continue;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return -1;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			if (n >= cap)
				return -1;
			out[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return (long)n;
}

int cli_totp_code(const kdbx_entry *e, long long unix_time, char *out, size_t outlen)
{
	static const char steam_chars[] = "23456789BCDFGHJKMNPQRTVWXY";
	totp_params p;
	uint8_t key[160], msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	uint64_t counter;
	uint32_t bin;
	long klen;
	int rc = load_params(e, &p);

	if (rc < 0)
		return rc;
	klen = base32_decode(p.secret, key, sizeof(key));
	explicit_bzero(p.secret, sizeof(p.secret));
	if (klen <= 0 || outlen < 16) {
		explicit_bzero(key, sizeof(key));
		return KDBX_ECORRUPT;
	}
	counter = (uint64_t)(unix_time / (long long)p.period);
	for (int i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)(counter & 0xff);
		counter >>= 8;
	}
	if (!HMAC(p.md, key, (int)klen, msg, sizeof(msg), mac, &maclen)) {
		explicit_bzero(key, sizeof(key));
		return KDBX_ERROR;
	}
	explicit_bzero(key, sizeof(key));
	{
		unsigned int off = mac[maclen - 1] & 0x0f;
		bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
		      ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	}
	explicit_bzero(mac, sizeof(mac));
	if (p.steam) {
		for (unsigned int i = 0; i < p.digits; i++) {
			out[i] = steam_chars[bin % 26];
			bin /= 26;
		}
		out[p.digits] = '\0';
	} else {
		uint64_t mod = 1;
		for (unsigned int i = 0; i < p.digits; i++)
			mod *= 10;
		snprintf(out, outlen, "%0*llu", (int)p.digits, (unsigned long long)(bin % mod));
	}
	return 0;
}

/* Percent-encodes everything but RFC 3986 unreserved characters (as Qt's
 * QUrl::toPercentEncoding, which KeePassXC uses). */
static void pct_encode(const char *s, char *dst, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (; *s && o + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '%';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
}

char *cli_totp_uri(const kdbx_entry *e)
{
	totp_params p;
	kdbx_secret *s = NULL;
	char title[768], user[768], *uri;
	const char *t, *u;
	size_t cap;

	if (kdbx_entry_has_field(e, TOTP_FIELD)) {
		char *r;
		if (kdbx_entry_field_reveal(&s, e, TOTP_FIELD) < 0)
			return NULL;
		r = strdup(kdbx_secret_str(s));
		kdbx_secret_free(&s);
		return r;
	}
	if (!kdbx_entry_has_field(e, SEED_FIELD) || load_params(e, &p) < 0)
		return NULL;
	t = kdbx_entry_field(e, KDBX_FIELD_TITLE);
	u = kdbx_entry_field(e, KDBX_FIELD_USERNAME);
	pct_encode(t && *t ? t : "KeePassXC", title, sizeof(title));
	pct_encode(u && *u ? u : "none", user, sizeof(user));
	cap = strlen(title) * 2 + strlen(user) + strlen(p.secret) + 128;
	uri = malloc(cap);
	if (uri) {
		/* KeePassXC drops spaces and padding from the secret. */
		char secret[256];
		size_t o = 0;
		for (const char *c = p.secret; *c && o + 1 < sizeof(secret); c++)
			if (*c != ' ' && *c != '=')
				secret[o++] = (char)toupper((unsigned char)*c);
		secret[o] = '\0';
		snprintf(uri, cap, "otpauth://totp/%s:%s?secret=%s&period=%u&digits=%u&issuer=%s", title, user,
		         secret, p.period, p.digits, title);
		if (p.steam)
			snprintf(uri + strlen(uri), cap - strlen(uri), "&encoder=steam");
		else if (strcmp(p.alg, "SHA1") != 0)
			snprintf(uri + strlen(uri), cap - strlen(uri), "&algorithm=%s", p.alg);
		explicit_bzero(secret, sizeof(secret));
	}
	explicit_bzero(p.secret, sizeof(p.secret));
	return uri;
}
