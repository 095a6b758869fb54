/* VariantDictionary: the typed key/value map of KDBX 4 (KDF parameters, public custom data).
 * Spec: ../shared/reference/keepassxc-notes.md section 3.2.
 * Layout: UInt16 version 0x0100, then entries type(1) | UInt32 nameLen | name | UInt32 valueLen |
 * value, terminated by a single 0x00 type byte. */
#include <stdlib.h>

#include "format/container.h"

#define VDICT_VERSION 0x0100u
#define VDICT_VERSION_MAJOR_MASK 0xFF00u

static bool vdict_type_valid(uint8_t type, size_t len)
{
	switch (type) {
	case 0x04: /* UInt32 */
	case 0x0C: /* Int32 */
		return len == 4;
	case 0x05: /* UInt64 */
	case 0x0D: /* Int64 */
		return len == 8;
	case 0x08: /* Bool */
		return len == 1;
	case 0x18: /* String */
	case 0x42: /* ByteArray */
		return true;
	default:
		return false;
	}
}

static void vdict_item_clear(kdbx_vdict_item *it)
{
	free(it->name);
	free(it->value);
	memset(it, 0, sizeof(*it));
}

void kdbx_vdict_free(kdbx_vdict *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->count; i++)
		vdict_item_clear(&d->items[i]);
	free(d->items);
	d->items = NULL;
	d->count = 0;
}

static kdbx_vdict_item *vdict_find(const kdbx_vdict *d, const char *name)
{
	for (size_t i = 0; i < d->count; i++) {
		if (strcmp(d->items[i].name, name) == 0)
			return &d->items[i];
	}
	return NULL;
}

const kdbx_vdict_item *kdbx_vdict_get(const kdbx_vdict *d, const char *name)
{
	if (d == NULL || name == NULL)
		return NULL;
	return vdict_find(d, name);
}

/* Takes ownership of name and value on success. */
static int vdict_put(kdbx_vdict *d, uint8_t type, char *name, uint8_t *value, size_t len)
{
	kdbx_vdict_item *it = vdict_find(d, name);
	if (it != NULL) {
		/* A repeated name replaces the earlier value, as KeePassXC's QMap does. */
		free(it->value);
		free(name);
		it->type = type;
		it->value = value;
		it->len = len;
		return KDBX_OK;
	}
	if (d->count >= SIZE_MAX / sizeof(*d->items) - 1)
		return kdbx_error__set(KDBX_ENOMEM, "variant dictionary too large");
	kdbx_vdict_item *items = realloc(d->items, (d->count + 1) * sizeof(*items));
	if (items == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	d->items = items;
	it = &d->items[d->count++];
	it->type = type;
	it->name = name;
	it->value = value;
	it->len = len;
	return KDBX_OK;
}

int kdbx_vdict_set(kdbx_vdict *d, uint8_t type, const char *name, const void *value, size_t len)
{
	if (d == NULL || name == NULL || (value == NULL && len > 0))
		return kdbx_error__set(KDBX_EINVALID, "vdict_set: invalid argument");
	if (!vdict_type_valid(type, len))
		return kdbx_error__set(KDBX_EINVALID, "vdict_set: bad type 0x%02x or length %zu", type,
		                       len);
	if (strlen(name) > UINT32_MAX || len > UINT32_MAX)
		return kdbx_error__set(KDBX_EINVALID, "vdict_set: item too large");
	char *n = kdbx_strdup(name);
	/* malloc(0) may return NULL; keep one byte so an empty value has a valid pointer. */
	uint8_t *v = malloc(len > 0 ? len : 1);
	if (n == NULL || v == NULL) {
		free(n);
		free(v);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	if (len > 0)
		memcpy(v, value, len);
	int rc = vdict_put(d, type, n, v, len);
	if (rc != KDBX_OK) {
		free(n);
		free(v);
	}
	return rc;
}

int kdbx_vdict_remove(kdbx_vdict *d, const char *name)
{
	if (d == NULL || name == NULL)
		return kdbx_error__set(KDBX_EINVALID, "vdict_remove: invalid argument");
	for (size_t i = 0; i < d->count; i++) {
		if (strcmp(d->items[i].name, name) == 0) {
			vdict_item_clear(&d->items[i]);
			memmove(&d->items[i], &d->items[i + 1], (d->count - i - 1) * sizeof(*d->items));
			d->count--;
			return KDBX_OK;
		}
	}
	return kdbx_error__set(KDBX_ENOTFOUND, "vdict_remove: no such item");
}

int kdbx_vdict_parse(kdbx_vdict *out, const uint8_t *data, size_t len)
{
	if (out == NULL || (data == NULL && len > 0))
		return kdbx_error__set(KDBX_EINVALID, "vdict_parse: invalid argument");
	memset(out, 0, sizeof(*out));
	if (len < 2)
		return kdbx_error__set(KDBX_ECORRUPT, "variant dictionary truncated");
	uint16_t version = kdbx_le16(data);
	if ((version & VDICT_VERSION_MAJOR_MASK) > (VDICT_VERSION & VDICT_VERSION_MAJOR_MASK))
		return kdbx_error__set(KDBX_EUNSUPPORTED, "variant dictionary version 0x%04x",
		                       version);
	size_t pos = 2;
	int rc = KDBX_OK;
	for (;;) {
		if (pos >= len) {
			rc = kdbx_error__set(KDBX_ECORRUPT, "variant dictionary: missing terminator");
			goto fail;
		}
		uint8_t type = data[pos++];
		if (type == 0)
			break; /* bytes after the terminator are ignored, as KeePassXC does */
		if (len - pos < 4) {
			rc = kdbx_error__set(KDBX_ECORRUPT, "variant dictionary truncated");
			goto fail;
		}
		uint32_t nlen = kdbx_le32(data + pos);
		pos += 4;
		if (nlen > len - pos) {
			rc = kdbx_error__set(KDBX_ECORRUPT, "variant dictionary: name too long");
			goto fail;
		}
		const uint8_t *name = data + pos;
		pos += nlen;
		if (len - pos < 4) {
			rc = kdbx_error__set(KDBX_ECORRUPT, "variant dictionary truncated");
			goto fail;
		}
		uint32_t vlen = kdbx_le32(data + pos);
		pos += 4;
		if (vlen > len - pos) {
			rc = kdbx_error__set(KDBX_ECORRUPT, "variant dictionary: value too long");
			goto fail;
		}
		const uint8_t *value = data + pos;
		pos += vlen;
		if (!vdict_type_valid(type, vlen)) {
			rc = kdbx_error__set(KDBX_ECORRUPT,
			                     "variant dictionary: bad type 0x%02x or length", type);
			goto fail;
		}
		/* Names are kept as C strings: an embedded NUL would make two names equal. */
		if (memchr(name, 0, nlen) != NULL || !kdbx_utf8_valid((const char *)name, nlen)) {
			rc = kdbx_error__set(KDBX_ECORRUPT, "variant dictionary: invalid name");
			goto fail;
		}
		char *n = kdbx_strndup((const char *)name, nlen);
		uint8_t *v = malloc(vlen > 0 ? vlen : 1);
		if (n == NULL || v == NULL) {
			free(n);
			free(v);
			rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
			goto fail;
		}
		if (vlen > 0)
			memcpy(v, value, vlen);
		rc = vdict_put(out, type, n, v, vlen);
		if (rc != KDBX_OK) {
			free(n);
			free(v);
			goto fail;
		}
	}
	return KDBX_OK;
fail:
	kdbx_vdict_free(out);
	return rc;
}

int kdbx_vdict_write(const kdbx_vdict *d, kdbx_buf *out)
{
	if (d == NULL || out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "vdict_write: invalid argument");
	int rc = kdbx_buf_append_le16(out, VDICT_VERSION);
	for (size_t i = 0; rc == KDBX_OK && i < d->count; i++) {
		const kdbx_vdict_item *it = &d->items[i];
		size_t nlen = strlen(it->name);
		if (nlen > UINT32_MAX || it->len > UINT32_MAX)
			return kdbx_error__set(KDBX_EINVALID, "vdict_write: item too large");
		rc = kdbx_buf_append_byte(out, it->type);
		if (rc == KDBX_OK)
			rc = kdbx_buf_append_le32(out, (uint32_t)nlen);
		if (rc == KDBX_OK)
			rc = kdbx_buf_append(out, it->name, nlen);
		if (rc == KDBX_OK)
			rc = kdbx_buf_append_le32(out, (uint32_t)it->len);
		if (rc == KDBX_OK)
			rc = kdbx_buf_append(out, it->value, it->len);
	}
	if (rc == KDBX_OK)
		rc = kdbx_buf_append_byte(out, 0);
	return rc;
}
