/* Finding the key: C_FindObjectsInit -> C_FindObjects -> C_FindObjectsFinal
 * (Final on every path), secret and private keys only (a URI naming a public
 * key or certificate selects its private key, as systemd does), exactly one
 * match or an error listing the candidates. hwdesign-notes.md 5.6. */
#include <stdio.h>
#include <stdlib.h>

#include "providers/pkcs11_int.h"

#define MAX_KEYS 256

int kdbx_p11__attr(kdbx_p11_session *ss, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, kdbx_buf *out)
{
	CK_ATTRIBUTE a = {type, NULL, 0};
	CK_RV rv;

	rv = ss->tok.fl->C_GetAttributeValue(ss->h, o, &a, 1);
	if (rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return KDBX_ENOTFOUND; /* absent or sensitive: the caller decides */
	if (a.ulValueLen > 1u << 20)
		return kdbx_error__set(KDBX_EDEVICE, "PKCS#11 attribute too large");
	if (kdbx_buf_reserve(out, a.ulValueLen + 1) < 0)
		return KDBX_ENOMEM;
	a.pValue = out->data + out->len;
	rv = ss->tok.fl->C_GetAttributeValue(ss->h, o, &a, 1);
	if (rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return KDBX_ENOTFOUND;
	out->len += a.ulValueLen;
	return KDBX_OK;
}

static int attr_bool(kdbx_p11_session *ss, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
	CK_BBOOL b = CK_FALSE;
	CK_ATTRIBUTE a = {t, &b, sizeof(b)};

	if (ss->tok.fl->C_GetAttributeValue(ss->h, o, &a, 1) != CKR_OK || a.ulValueLen != sizeof(b))
		return 0;
	return b == CK_TRUE;
}

static CK_ULONG attr_ulong(kdbx_p11_session *ss, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
                           CK_ULONG dflt)
{
	CK_ULONG v = 0;
	CK_ATTRIBUTE a = {t, &v, sizeof(v)};

	if (ss->tok.fl->C_GetAttributeValue(ss->h, o, &a, 1) != CKR_OK || a.ulValueLen != sizeof(v))
		return dflt;
	return v;
}

/* DER OIDs of the named curves we know (content bytes after 06 len). */
static unsigned long ec_bits(const uint8_t *p, size_t n)
{
	static const uint8_t p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	static const uint8_t p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
	static const uint8_t p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};

	if (n == sizeof(p256) && memcmp(p, p256, n) == 0)
		return 256;
	if (n == sizeof(p384) && memcmp(p, p384, n) == 0)
		return 384;
	if (n == sizeof(p521) && memcmp(p, p521, n) == 0)
		return 521;
	return 0;
}

static void read_key(kdbx_p11_session *ss, CK_OBJECT_HANDLE o, CK_OBJECT_CLASS cls, kdbx_p11_key *k)
{
	kdbx_buf b = KDBX_BUF_INIT;

	memset(k, 0, sizeof(*k));
	k->h = o;
	k->cls = cls;
	k->type = attr_ulong(ss, o, CKA_KEY_TYPE, (CK_ULONG)-1);
	k->can_sign = attr_bool(ss, o, CKA_SIGN);
	k->can_decrypt = attr_bool(ss, o, CKA_DECRYPT);
	k->can_derive = attr_bool(ss, o, CKA_DERIVE);
	k->always_auth = attr_bool(ss, o, CKA_ALWAYS_AUTHENTICATE);
	if (kdbx_p11__attr(ss, o, CKA_LABEL, &b) == KDBX_OK) {
		size_t n = b.len < sizeof(k->label) - 1 ? b.len : sizeof(k->label) - 1;

		memcpy(k->label, b.data, n);
		k->label[n] = '\0';
	}
	b.len = 0;
	if (kdbx_p11__attr(ss, o, CKA_ID, &b) == KDBX_OK && b.len <= sizeof(k->id)) {
		memcpy(k->id, b.data, b.len);
		k->id_len = b.len;
	}
	b.len = 0;
	if (cls == CKO_SECRET_KEY) {
		CK_ULONG vl = attr_ulong(ss, o, CKA_VALUE_LEN, 0);

		k->bits = vl * 8;
	} else if (k->type == CKK_RSA) {
		if (kdbx_p11__attr(ss, o, CKA_MODULUS, &b) == KDBX_OK) {
			size_t n = b.len, i = 0;

			while (i < n && b.data[i] == 0)
				i++;
			k->bits = (unsigned long)(n - i) * 8;
		} else {
			k->bits = attr_ulong(ss, o, CKA_MODULUS_BITS, 0);
		}
	} else if (k->type == CKK_EC) {
		if (kdbx_p11__attr(ss, o, CKA_EC_PARAMS, &b) == KDBX_OK)
			k->bits = ec_bits(b.data, b.len);
	}
	kdbx_buf_free(&b);
}

void kdbx_p11__key_type_str(const kdbx_p11_key *k, char *buf, size_t len)
{
	if (k->cls == CKO_SECRET_KEY) {
		const char *t = k->type == CKK_GENERIC_SECRET ? "generic-secret"
		                : k->type == CKK_SHA256_HMAC  ? "sha256-hmac"
		                : k->type == CKK_AES          ? "aes"
		                                              : "secret";
		if (k->bits)
			snprintf(buf, len, "%s-%lu", t, k->bits / 8);
		else
			snprintf(buf, len, "%s", t);
	} else if (k->type == CKK_RSA) {
		snprintf(buf, len, "rsa-%lu", k->bits);
	} else if (k->type == CKK_EC) {
		if (k->bits == 521 || k->bits == 384 || k->bits == 256)
			snprintf(buf, len, "ec-p%lu", k->bits);
		else
			snprintf(buf, len, "ec-other");
	} else if (k->type == CKK_EC_EDWARDS) {
		snprintf(buf, len, "eddsa");
	} else {
		snprintf(buf, len, "type-0x%lx", (unsigned long)k->type);
	}
}

/* Template = URI attributes (minus CKA_CLASS) + the class. */
static int search(kdbx_p11_session *ss, const kdbx_p11_sel *s, CK_OBJECT_CLASS cls,
                  kdbx_p11_key *keys, size_t *n, size_t max)
{
	CK_ATTRIBUTE tmpl[16];
	CK_ULONG nattr = 0, nt = 0, got = 0;
	CK_ATTRIBUTE *attrs = p11_kit_uri_get_attributes(s->uri, &nattr);
	CK_OBJECT_HANDLE h[32];
	CK_RV rv;

	for (CK_ULONG i = 0; i < nattr && nt < KDBX_ARRAY_LEN(tmpl) - 1; i++)
		if (attrs[i].type != CKA_CLASS)
			tmpl[nt++] = attrs[i];
	tmpl[nt].type = CKA_CLASS;
	tmpl[nt].pValue = &cls;
	tmpl[nt].ulValueLen = sizeof(cls);
	nt++;
	rv = ss->tok.fl->C_FindObjectsInit(ss->h, tmpl, nt);
	if (rv != CKR_OK)
		return kdbx_p11__fail(rv, "C_FindObjectsInit");
	for (;;) {
		rv = ss->tok.fl->C_FindObjects(ss->h, h, KDBX_ARRAY_LEN(h), &got);
		if (rv != CKR_OK || got == 0)
			break;
		for (CK_ULONG i = 0; i < got && *n < max; i++)
			keys[(*n)++].h = h[i];
		if (*n >= max)
			break;
	}
	/* Always ends the search, even after an error. */
	ss->tok.fl->C_FindObjectsFinal(ss->h);
	if (rv != CKR_OK)
		return kdbx_p11__fail(rv, "C_FindObjects");
	return KDBX_OK;
}

int kdbx_p11__list_keys(kdbx_p11_session *ss, const kdbx_p11_sel *s, kdbx_p11_key **out,
                        size_t *n)
{
	CK_OBJECT_CLASS classes[2] = {CKO_SECRET_KEY, CKO_PRIVATE_KEY};
	size_t nclasses = 2;
	CK_ATTRIBUTE *ca = p11_kit_uri_get_attribute(s->uri, CKA_CLASS);
	kdbx_p11_key *keys;
	size_t cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (ca != NULL && ca->pValue != NULL && ca->ulValueLen == sizeof(CK_OBJECT_CLASS)) {
		CK_OBJECT_CLASS c;

		memcpy(&c, ca->pValue, sizeof(c));
		if (c == CKO_SECRET_KEY) {
			nclasses = 1;
		} else if (c == CKO_PRIVATE_KEY || c == CKO_PUBLIC_KEY || c == CKO_CERTIFICATE) {
			classes[0] = CKO_PRIVATE_KEY;
			nclasses = 1;
		} else {
			return kdbx_error__set(KDBX_EINVALID, "the PKCS#11 URI names an object of a type "
			                                      "that is not a key (use type=private or "
			                                      "type=secret-key)");
		}
	}
	keys = calloc(MAX_KEYS, sizeof(*keys));
	if (keys == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	for (size_t c = 0; c < nclasses; c++) {
		size_t before = cnt;

		rc = search(ss, s, classes[c], keys, &cnt, MAX_KEYS);
		if (rc < 0) {
			free(keys);
			return rc;
		}
		for (size_t i = before; i < cnt; i++)
			read_key(ss, keys[i].h, classes[c], &keys[i]);
	}
	*out = keys;
	*n = cnt;
	return KDBX_OK;
}

int kdbx_p11__find_key(kdbx_p11_session *ss, const kdbx_p11_sel *s, kdbx_p11_key *out)
{
	kdbx_p11_key *keys = NULL;
	size_t n = 0;
	char want[256];
	int rc;

	rc = kdbx_p11__list_keys(ss, s, &keys, &n);
	if (rc < 0)
		return rc;
	kdbx_p11__sel_describe(s, want, sizeof(want));
	if (n == 1) {
		*out = keys[0];
		rc = KDBX_OK;
	} else if (n == 0) {
		rc = kdbx_error__set(KDBX_ENOSLOT, "no secret or private key on PKCS#11 token '%s' "
		                                   "matches %s", ss->tok.label, want);
	} else {
		kdbx_buf b = KDBX_BUF_INIT;

		for (size_t i = 0; i < n && i < 16; i++) {
			char line[400], id[129] = "", type[32];

			kdbx_hex_encode(id, keys[i].id, keys[i].id_len, false);
			kdbx_p11__key_type_str(&keys[i], type, sizeof(type));
			snprintf(line, sizeof(line), "%s'%s' (id %s, %s)", i ? ", " : "", keys[i].label,
			         id[0] ? id : "-", type);
			kdbx_buf_append_str(&b, line);
		}
		kdbx_buf_append_byte(&b, 0);
		rc = kdbx_error__set(KDBX_EINVALID,
		                     "%zu keys on PKCS#11 token '%s' match %s: %s; add object= or id= "
		                     "to the URI", n, ss->tok.label, want,
		                     b.data != NULL ? (const char *)b.data : "");
		kdbx_buf_free(&b);
	}
	free(keys);
	return rc;
}
