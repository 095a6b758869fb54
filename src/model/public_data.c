/* Public custom data of the KDBX 4 outer header (a VariantDictionary readable
 * without the key: KeePassXC's KPXC_PUBLIC_UUID, provider/slot parameters).
 * The raw bytes are kept in the db so unknown items survive a re-save; these
 * helpers parse, change and re-serialise them. */
#include <stdlib.h>

#include "model/model.h"

/* Picks up KeePassXC's database identity from the public custom data. */
void kdbx_db__read_public_uuid(kdbx_db *db)
{
	kdbx_vdict d = {NULL, 0};
	const kdbx_vdict_item *it;

	db->has_public_uuid = false;
	if (db->public_custom_data == NULL || db->public_custom_data_len == 0)
		return;
	if (kdbx_vdict_parse(&d, db->public_custom_data, db->public_custom_data_len) != KDBX_OK) {
		/* Kept verbatim for re-save; only the identity lookup is skipped. */
		kdbx_error_clear();
		return;
	}
	it = kdbx_vdict_get(&d, "KPXC_PUBLIC_UUID");
	if (it != NULL && it->type == 0x42 && it->len == 16) {
		memcpy(db->public_uuid.bytes, it->value, 16);
		db->has_public_uuid = true;
	}
	kdbx_vdict_free(&d);
}

static int parse(const kdbx_db *db, kdbx_vdict *d)
{
	d->items = NULL;
	d->count = 0;
	if (db->public_custom_data == NULL || db->public_custom_data_len == 0)
		return KDBX_OK;
	return kdbx_vdict_parse(d, db->public_custom_data, db->public_custom_data_len);
}

int kdbx_db__public_get(const kdbx_db *db, const char *name, uint8_t *type, kdbx_buf *out)
{
	kdbx_vdict d;
	const kdbx_vdict_item *it;
	int rc;

	if (db == NULL || name == NULL || out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "public custom data: invalid argument");
	if ((rc = parse(db, &d)) != KDBX_OK)
		return rc;
	if ((it = kdbx_vdict_get(&d, name)) == NULL) {
		rc = kdbx_error__set(KDBX_ENOTFOUND, "no public custom data item \"%s\"", name);
	} else {
		if (type != NULL)
			*type = it->type;
		rc = kdbx_buf_append(out, it->value, it->len);
	}
	kdbx_vdict_free(&d);
	return rc;
}

int kdbx_db__public_set(kdbx_db *db, const char *name, uint8_t type, const void *value, size_t len)
{
	kdbx_vdict d;
	kdbx_buf b = KDBX_BUF_INIT;
	int rc;

	if (db == NULL || name == NULL)
		return kdbx_error__set(KDBX_EINVALID, "public custom data: invalid argument");
	if ((rc = parse(db, &d)) != KDBX_OK)
		return rc;
	if (value == NULL && len == 0) {
		rc = kdbx_vdict_remove(&d, name);
		if (rc == KDBX_ENOTFOUND) {
			kdbx_error_clear();
			rc = KDBX_OK;
		}
	} else {
		rc = kdbx_vdict_set(&d, type, name, value, len);
	}
	if (rc == KDBX_OK && d.count > 0)
		rc = kdbx_vdict_write(&d, &b);
	if (rc == KDBX_OK) {
		free(db->public_custom_data);
		db->public_custom_data = d.count > 0 ? kdbx_buf_detach(&b, &db->public_custom_data_len) : NULL;
		if (d.count == 0)
			db->public_custom_data_len = 0;
		kdbx_db__read_public_uuid(db);
	}
	kdbx_buf_free(&b);
	kdbx_vdict_free(&d);
	return rc;
}
