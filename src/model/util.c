/* Small model utilities: UUIDs, times, CustomData lists, unknown-XML lists. */
#include <stdlib.h>
#include <time.h>

#include "model/model.h"

/* Seconds from 0001-01-01T00:00:00Z to the Unix epoch (KDBX 4 time origin). */
#define KDBX_UNIX_EPOCH_OFFSET INT64_C(62135596800)

kdbx_time kdbx_time_now(void)
{
	return (kdbx_time)time(NULL) + KDBX_UNIX_EPOCH_OFFSET;
}

int kdbx_uuid_generate(kdbx_uuid *out)
{
	int rc;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_uuid_generate: NULL");
	if ((rc = kdbx_random(out->bytes, sizeof(out->bytes))) != KDBX_OK)
		return rc;
	/* RFC 4122 version 4 (random), as KeePass's Guid.NewGuid: never all zero. */
	out->bytes[6] = (uint8_t)((out->bytes[6] & 0x0F) | 0x40);
	out->bytes[8] = (uint8_t)((out->bytes[8] & 0x3F) | 0x80);
	return KDBX_OK;
}

bool kdbx_uuid_is_zero(const kdbx_uuid *u)
{
	size_t i;

	if (u == NULL)
		return true;
	for (i = 0; i < sizeof(u->bytes); i++)
		if (u->bytes[i] != 0)
			return false;
	return true;
}

/* ---- CustomData lists ---- */

const kdbx_kv *kdbx_kvlist_get(const kdbx_kvlist *l, const char *key)
{
	size_t i;

	if (l == NULL || key == NULL)
		return NULL;
	for (i = 0; i < l->count; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return &l->items[i];
	return NULL;
}

int kdbx_kvlist_set(kdbx_kvlist *l, const char *key, const char *value, kdbx_time mtime)
{
	kdbx_kv *items;
	char *k, *v;
	size_t i;

	if (l == NULL || key == NULL)
		return kdbx_error__set(KDBX_EINVALID, "custom data: NULL key");
	if (value == NULL) {
		int rc = kdbx_kvlist_remove(l, key);
		return rc == KDBX_ENOTFOUND ? KDBX_OK : rc;
	}
	if ((v = kdbx_strdup(value)) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	for (i = 0; i < l->count; i++) {
		if (strcmp(l->items[i].key, key) == 0) {
			free(l->items[i].value);
			l->items[i].value = v;
			l->items[i].mtime = mtime;
			return KDBX_OK;
		}
	}
	if ((k = kdbx_strdup(key)) == NULL) {
		free(v);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	items = realloc(l->items, (l->count + 1) * sizeof(*items));
	if (items == NULL) {
		free(k);
		free(v);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	l->items = items;
	items[l->count].key = k;
	items[l->count].value = v;
	items[l->count].mtime = mtime;
	l->count++;
	return KDBX_OK;
}

int kdbx_kvlist_remove(kdbx_kvlist *l, const char *key)
{
	size_t i;

	if (l == NULL || key == NULL)
		return kdbx_error__set(KDBX_EINVALID, "custom data: NULL key");
	for (i = 0; i < l->count; i++) {
		if (strcmp(l->items[i].key, key) == 0) {
			free(l->items[i].key);
			free(l->items[i].value);
			memmove(&l->items[i], &l->items[i + 1], (l->count - i - 1) * sizeof(*l->items));
			l->count--;
			return KDBX_OK;
		}
	}
	return KDBX_ENOTFOUND;
}

int kdbx_kvlist_copy(kdbx_kvlist *dst, const kdbx_kvlist *src)
{
	size_t i;
	int rc;

	for (i = 0; i < src->count; i++)
		if ((rc = kdbx_kvlist_set(dst, src->items[i].key, src->items[i].value,
		                          src->items[i].mtime)) != KDBX_OK)
			return rc;
	return KDBX_OK;
}

void kdbx_kvlist_free(kdbx_kvlist *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->count; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

/* ---- unknown XML kept for re-save ---- */

int kdbx_unknown_add(kdbx_unknown *u, char *xml)
{
	char **p;

	if (u == NULL || xml == NULL) {
		free(xml);
		return kdbx_error__set(KDBX_EINVALID, "unknown xml: NULL");
	}
	p = realloc(u->xml, (u->count + 1) * sizeof(*p));
	if (p == NULL) {
		free(xml);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	u->xml = p;
	u->xml[u->count++] = xml;
	return KDBX_OK;
}

void kdbx_unknown_free(kdbx_unknown *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->count; i++)
		free(u->xml[i]);
	free(u->xml);
	u->xml = NULL;
	u->count = 0;
}
