/* Selecting a PKCS#11 token and key: RFC 7512 URIs parsed by p11-kit, merged
 * with the explicit options of kdbx_pkcs11_options (module, slot index, token
 * label/serial, key id/label). Everything ends up in one P11KitUri so token
 * and object matching use p11-kit's matchers. */
#include <stdio.h>
#include <stdlib.h>

#include "providers/pkcs11_int.h"

static const char *const mech_names[] = {"none", "hmac", "ecdh", "rsa-oaep", "rsa-pkcs",
                                         "rsa-pkcs-sign"};

const char *kdbx_pkcs11_mechanism_name(int mech)
{
	if (mech < 0 || (size_t)mech >= KDBX_ARRAY_LEN(mech_names))
		return "none";
	return mech_names[mech];
}

int kdbx_pkcs11_mechanism_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 1; i < KDBX_ARRAY_LEN(mech_names); i++)
		if (strcmp(name, mech_names[i]) == 0)
			return (int)i;
	if (strcmp(name, "hmac-sha256") == 0)
		return KDBX_PKCS11_MECH_HMAC_SHA256;
	return -1;
}

void kdbx_p11__fixed_str(char *dst, size_t dstlen, const unsigned char *src, size_t srclen)
{
	size_t n = srclen;

	if (dstlen == 0)
		return;
	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0'))
		n--;
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Writes s blank-padded into a fixed-width token-info field. */
static int set_fixed(unsigned char *dst, size_t dstlen, const char *s, const char *what)
{
	size_t n = strlen(s);

	if (n > dstlen)
		return kdbx_error__set(KDBX_EINVALID, "PKCS#11 %s longer than %zu bytes", what, dstlen);
	memset(dst, ' ', dstlen);
	memcpy(dst, s, n);
	return KDBX_OK;
}

int kdbx_p11__sel_add_uri(kdbx_p11_sel *s, const char *uri)
{
	P11KitUri *u;
	CK_TOKEN_INFO *ti, *mine;
	CK_ATTRIBUTE *attrs;
	CK_ULONG n = 0;
	const char *mod;
	int r;

	if (uri == NULL || *uri == '\0')
		return KDBX_OK;
	u = p11_kit_uri_new();
	if (u == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	r = p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, u);
	if (r != P11_KIT_URI_OK) {
		p11_kit_uri_free(u);
		/* The URI may hold a pin-value: never echo it. */
		return kdbx_error__set(KDBX_EINVALID, "invalid PKCS#11 URI: %s", p11_kit_uri_message(r));
	}
	/* Token fields: copy those the URI sets (non-blank / non-zero). */
	ti = p11_kit_uri_get_token_info(u);
	mine = p11_kit_uri_get_token_info(s->uri);
	if (ti->label[0] != 0)
		memcpy(mine->label, ti->label, sizeof(mine->label));
	if (ti->serialNumber[0] != 0)
		memcpy(mine->serialNumber, ti->serialNumber, sizeof(mine->serialNumber));
	if (ti->manufacturerID[0] != 0)
		memcpy(mine->manufacturerID, ti->manufacturerID, sizeof(mine->manufacturerID));
	if (ti->model[0] != 0)
		memcpy(mine->model, ti->model, sizeof(mine->model));
	if (p11_kit_uri_get_slot_id(u) != (CK_SLOT_ID)-1)
		p11_kit_uri_set_slot_id(s->uri, p11_kit_uri_get_slot_id(u));
	attrs = p11_kit_uri_get_attributes(u, &n);
	for (CK_ULONG i = 0; i < n; i++)
		p11_kit_uri_set_attribute(s->uri, &attrs[i]);
	if (p11_kit_uri_get_pin_value(u) != NULL)
		p11_kit_uri_set_pin_value(s->uri, p11_kit_uri_get_pin_value(u));
	mod = p11_kit_uri_get_module_path(u);
	if (mod == NULL)
		mod = p11_kit_uri_get_module_name(u);
	if (mod != NULL && s->module == NULL) {
		s->module = kdbx_strdup(mod);
		if (s->module == NULL) {
			p11_kit_uri_free(u);
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		}
	}
	p11_kit_uri_free(u);
	return KDBX_OK;
}

int kdbx_p11__sel_init(kdbx_p11_sel *s, const kdbx_pkcs11_options *o)
{
	CK_TOKEN_INFO *ti;
	int rc;

	memset(s, 0, sizeof(*s));
	s->slot_index = -1;
	s->uri = p11_kit_uri_new();
	if (s->uri == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	if (o == NULL)
		return KDBX_OK;
	if (o->version != KDBX_PKCS11_OPTIONS_VERSION) {
		kdbx_p11__sel_free(s);
		return kdbx_error__set(KDBX_EINVALID, "kdbx_pkcs11_options: unknown version %u", o->version);
	}
	if (o->module != NULL && *o->module != '\0') {
		s->module = kdbx_strdup(o->module);
		if (s->module == NULL) {
			rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
			goto fail;
		}
	}
	rc = kdbx_p11__sel_add_uri(s, o->uri);
	if (rc < 0)
		goto fail;
	ti = p11_kit_uri_get_token_info(s->uri);
	if (o->token_label != NULL &&
	    (rc = set_fixed(ti->label, sizeof(ti->label), o->token_label, "token label")) < 0)
		goto fail;
	if (o->token_serial != NULL &&
	    (rc = set_fixed(ti->serialNumber, sizeof(ti->serialNumber), o->token_serial,
	                    "token serial")) < 0)
		goto fail;
	if (o->key_id != NULL && o->key_id_len > 0) {
		CK_ATTRIBUTE a = {CKA_ID, (void *)o->key_id, o->key_id_len};

		p11_kit_uri_set_attribute(s->uri, &a);
	}
	if (o->key_label != NULL) {
		CK_ATTRIBUTE a = {CKA_LABEL, (void *)o->key_label, strlen(o->key_label)};

		p11_kit_uri_set_attribute(s->uri, &a);
	}
	if (o->slot_index >= 0)
		s->slot_index = o->slot_index;
	if (o->mechanism < 0 || o->mechanism > KDBX_PKCS11_MECH_RSA_SIGN) {
		rc = kdbx_error__set(KDBX_EINVALID, "unknown PKCS#11 mechanism %d", o->mechanism);
		goto fail;
	}
	s->mechanism = o->mechanism;
	if (o->interaction != NULL)
		s->ia = *o->interaction;
	return KDBX_OK;
fail:
	kdbx_p11__sel_free(s);
	return rc;
}

void kdbx_p11__sel_free(kdbx_p11_sel *s)
{
	if (s == NULL)
		return;
	if (s->uri != NULL)
		p11_kit_uri_free(s->uri); /* p11-kit wipes nothing; the pin-value is short-lived */
	free(s->module);
	memset(s, 0, sizeof(*s));
	s->slot_index = -1;
}

void kdbx_p11__sel_describe(const kdbx_p11_sel *s, char *buf, size_t len)
{
	CK_TOKEN_INFO *ti = p11_kit_uri_get_token_info(s->uri);
	CK_ATTRIBUTE *a;
	char label[33], serial[17], obj[128] = "", id[129] = "";
	size_t off = 0;

	kdbx_p11__fixed_str(label, sizeof(label), ti->label, sizeof(ti->label));
	kdbx_p11__fixed_str(serial, sizeof(serial), ti->serialNumber, sizeof(ti->serialNumber));
	a = p11_kit_uri_get_attribute(s->uri, CKA_LABEL);
	if (a != NULL && a->pValue != NULL)
		snprintf(obj, sizeof(obj), "%.*s", (int)(a->ulValueLen < 100 ? a->ulValueLen : 100),
		         (const char *)a->pValue);
	a = p11_kit_uri_get_attribute(s->uri, CKA_ID);
	if (a != NULL && a->pValue != NULL && a->ulValueLen <= 64)
		kdbx_hex_encode(id, a->pValue, a->ulValueLen, false);
	buf[0] = '\0';
#define ADD(...)                                                              \
	do {                                                                  \
		int w_ = snprintf(buf + off, len - off, __VA_ARGS__);         \
		if (w_ > 0)                                                   \
			off += (size_t)w_ < len - off ? (size_t)w_ : len - off - 1; \
	} while (0)
	if (label[0])
		ADD("token '%s' ", label);
	if (serial[0])
		ADD("serial %s ", serial);
	if (s->slot_index >= 0)
		ADD("slot #%d ", s->slot_index);
	if (obj[0])
		ADD("object '%s' ", obj);
	if (id[0])
		ADD("id %s ", id);
#undef ADD
	if (off == 0)
		snprintf(buf, len, "any token/key");
	else if (buf[off - 1] == ' ')
		buf[off - 1] = '\0';
}
