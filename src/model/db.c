/* Database object: allocation, settings, metadata, custom icons, deleted objects.
 * Opening and saving live in db_io.c. */
#include <stdlib.h>

#include "model/model.h"

/* KeePass / KeePassXC defaults for a new database's Meta. */
#define DEFAULT_HISTORY_MAX_ITEMS 10
#define DEFAULT_HISTORY_MAX_SIZE (INT64_C(6) * 1024 * 1024)
#define DEFAULT_MAINTENANCE_DAYS 365

int kdbx_db__alloc(kdbx_db **out)
{
	kdbx_db *db;
	kdbx_time now = kdbx_time_now();
	int rc;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "db alloc: NULL");
	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	db->cipher = KDBX_CIPHER_AES256;
	db->compression = KDBX_COMPRESS_GZIP;
	/* Argon2id as kdbx_kdf_defaults gives it; open replaces this from the header. */
	db->kdf.type = KDBX_KDF_ARGON2ID;
	db->kdf.iterations = 10;
	db->kdf.memory = UINT64_C(64) * 1024 * 1024;
	db->kdf.parallelism = 2;
	db->kdf.version = 0x13;
	db->kdf.seed_len = 32;
	db->meta.maintenance_history_days = DEFAULT_MAINTENANCE_DAYS;
	db->meta.master_key_change_rec = -1;
	db->meta.master_key_change_force = -1;
	db->meta.memory_protection = KDBX_PROTECT_PASSWORD;
	db->meta.recycle_bin_enabled = true;
	db->meta.history_max_items = DEFAULT_HISTORY_MAX_ITEMS;
	db->meta.history_max_size = DEFAULT_HISTORY_MAX_SIZE;
	db->meta.name_changed = db->meta.description_changed = now;
	db->meta.default_username_changed = db->meta.master_key_changed = now;
	db->meta.recycle_bin_changed = db->meta.entry_templates_group_changed = now;
	db->meta.settings_changed = now;
	if ((rc = kdbx_mask__init(db)) != KDBX_OK) {
		kdbx_db_free(&db);
		return rc;
	}
	*out = db;
	return KDBX_OK;
}

void kdbx_db_free(kdbx_db **dbp)
{
	kdbx_db *db;
	size_t i;

	if (dbp == NULL || *dbp == NULL)
		return;
	db = *dbp;
	/* The tree first: entries drop their references to the binary pool. */
	kdbx_group__free(db->root);
	kdbx_arena__free(&db->arena);
	for (i = 0; i < db->nbins; i++)
		kdbx_freezero(db->bins[i].data, db->bins[i].len);
	free(db->bins);
	free(db->deleted);
	free(db->meta.generator);
	free(db->meta.name);
	free(db->meta.description);
	free(db->meta.default_username);
	free(db->meta.color);
	for (i = 0; i < db->meta.nicons; i++) {
		free(db->meta.icons[i].data);
		free(db->meta.icons[i].name);
	}
	free(db->meta.icons);
	kdbx_kvlist_free(&db->meta.custom_data);
	kdbx_unknown_free(&db->meta.unknown);
	kdbx_unknown_free(&db->unknown_root);
	kdbx_unknown_free(&db->unknown_doc);
	free(db->public_custom_data);
	kdbx_key_free(&db->key);
	kdbx_mask__free(db);
	kdbx_memzero(db, sizeof(*db));
	free(db);
	*dbp = NULL;
}

int kdbx_db_new(kdbx_db **out, const char *name)
{
	kdbx_db *db = NULL;
	kdbx_group *root = NULL;
	kdbx_time now;
	int rc;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "db new: NULL out");
	*out = NULL;
	if (name != NULL && !kdbx_utf8_valid(name, strlen(name)))
		return kdbx_error__set(KDBX_EINVALID, "database name is not valid UTF-8");
	if ((rc = kdbx_db__alloc(&db)) != KDBX_OK)
		return rc;
	if ((rc = kdbx_kdf_defaults(&db->kdf, KDBX_KDF_ARGON2ID)) != KDBX_OK)
		goto fail;
	if ((db->meta.generator = kdbx_strdup("libkdbx")) == NULL ||
	    (name != NULL && name[0] != '\0' && (db->meta.name = kdbx_strdup(name)) == NULL)) {
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = kdbx_group__alloc(&root, db)) != KDBX_OK)
		goto fail;
	db->root = root;
	if ((rc = kdbx_uuid_generate(&root->uuid)) != KDBX_OK)
		goto fail;
	if ((root->name = kdbx_strdup(name != NULL && name[0] != '\0' ? name : "Root")) == NULL) {
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		goto fail;
	}
	now = kdbx_time_now();
	root->times.creation = root->times.modification = root->times.access = now;
	root->times.location_changed = now;
	*out = db;
	return KDBX_OK;
fail:
	kdbx_db_free(&db);
	return rc;
}

/* ---- settings ---- */

kdbx_cipher kdbx_db_cipher(const kdbx_db *db) { return db != NULL ? db->cipher : KDBX_CIPHER_AES256; }

int kdbx_db_set_cipher(kdbx_db *db, kdbx_cipher c)
{
	if (db == NULL)
		return kdbx_error__set(KDBX_EINVALID, "set cipher: NULL db");
	if (c == KDBX_CIPHER_AES128)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "AES-128 is supported for reading only");
	if (c != KDBX_CIPHER_AES256 && c != KDBX_CIPHER_CHACHA20 && c != KDBX_CIPHER_TWOFISH)
		return kdbx_error__set(KDBX_EINVALID, "unknown cipher %d", (int)c);
	db->cipher = c;
	return KDBX_OK;
}

void kdbx_db_kdf(const kdbx_db *db, kdbx_kdf_params *out)
{
	if (db == NULL || out == NULL)
		return;
	*out = db->kdf;
}

int kdbx_db_set_kdf(kdbx_db *db, const kdbx_kdf_params *p)
{
	kdbx_kdf_params k;

	if (db == NULL || p == NULL)
		return kdbx_error__set(KDBX_EINVALID, "set kdf: NULL argument");
	k = *p;
	switch (k.type) {
	case KDBX_KDF_AES_KDBX3:
	case KDBX_KDF_AES_KDBX4:
		/* KeePassXC keeps rounds in a C int (notes 3.1). */
		if (k.rounds < 1 || k.rounds >= INT32_MAX)
			return kdbx_error__set(KDBX_EINVALID, "AES-KDF rounds must be 1..2^31-2");
		break;
	case KDBX_KDF_ARGON2D:
	case KDBX_KDF_ARGON2ID:
		if (k.iterations < 1 || k.parallelism < 1 || k.memory < 8 * 1024 ||
		    k.memory / 1024 >= UINT64_C(1) << 32)
			return kdbx_error__set(KDBX_EINVALID, "invalid Argon2 parameters");
		if (k.version == 0)
			k.version = 0x13;
		if (k.version != 0x10 && k.version != 0x13)
			return kdbx_error__set(KDBX_EINVALID, "Argon2 version must be 0x10 or 0x13");
		break;
	default:
		return kdbx_error__set(KDBX_EINVALID, "unknown KDF %d", (int)k.type);
	}
	/* The seed is drawn afresh on every save; keep a valid length meanwhile. */
	if (k.seed_len == 0 || k.seed_len > sizeof(k.seed))
		k.seed_len = sizeof(k.seed);
	db->kdf = k;
	return KDBX_OK;
}

kdbx_compression kdbx_db_compression(const kdbx_db *db)
{
	return db != NULL ? db->compression : KDBX_COMPRESS_GZIP;
}

int kdbx_db_set_compression(kdbx_db *db, kdbx_compression c)
{
	if (db == NULL || (c != KDBX_COMPRESS_NONE && c != KDBX_COMPRESS_GZIP))
		return kdbx_error__set(KDBX_EINVALID, "invalid compression");
	db->compression = c;
	return KDBX_OK;
}

uint32_t kdbx_db_file_version(const kdbx_db *db) { return db != NULL ? db->file_version : 0; }

uint32_t kdbx_db_save_version(const kdbx_db *db)
{
	return db != NULL ? kdbx_db__required_version(db) : 0;
}

/* ---- Meta ---- */

static char **meta_slot(kdbx_db *db, kdbx_meta_field f, kdbx_time **changed)
{
	*changed = NULL;
	switch (f) {
	case KDBX_META_NAME: *changed = &db->meta.name_changed; return &db->meta.name;
	case KDBX_META_DESCRIPTION: *changed = &db->meta.description_changed; return &db->meta.description;
	case KDBX_META_DEFAULT_USERNAME:
		*changed = &db->meta.default_username_changed;
		return &db->meta.default_username;
	case KDBX_META_COLOR: return &db->meta.color;
	case KDBX_META_GENERATOR: return &db->meta.generator;
	}
	return NULL;
}

const char *kdbx_db_meta(const kdbx_db *db, kdbx_meta_field f)
{
	kdbx_time *changed;
	char **slot;

	if (db == NULL || (slot = meta_slot((kdbx_db *)db, f, &changed)) == NULL)
		return NULL;
	return *slot != NULL ? *slot : "";
}

int kdbx_db_set_meta(kdbx_db *db, kdbx_meta_field f, const char *value)
{
	kdbx_time *changed;
	char **slot, *v = NULL;

	if (db == NULL || (slot = meta_slot(db, f, &changed)) == NULL)
		return kdbx_error__set(KDBX_EINVALID, "set meta: invalid field");
	if (value != NULL && value[0] != '\0') {
		if (!kdbx_utf8_valid(value, strlen(value)))
			return kdbx_error__set(KDBX_EINVALID, "meta value is not valid UTF-8");
		if ((v = kdbx_strdup(value)) == NULL)
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	free(*slot);
	*slot = v;
	if (changed != NULL)
		*changed = kdbx_time_now();
	return KDBX_OK;
}

unsigned int kdbx_db_memory_protection(const kdbx_db *db)
{
	return db != NULL ? db->meta.memory_protection : 0;
}

int kdbx_db_set_memory_protection(kdbx_db *db, unsigned int flags)
{
	if (db == NULL || (flags & ~31u) != 0)
		return kdbx_error__set(KDBX_EINVALID, "invalid memory protection flags");
	db->meta.memory_protection = flags;
	db->meta.settings_changed = kdbx_time_now();
	return KDBX_OK;
}

int kdbx_db_recycle_bin_enabled(const kdbx_db *db) { return db != NULL && db->meta.recycle_bin_enabled; }

int kdbx_db_set_recycle_bin_enabled(kdbx_db *db, int enabled)
{
	if (db == NULL)
		return kdbx_error__set(KDBX_EINVALID, "NULL db");
	db->meta.recycle_bin_enabled = enabled != 0;
	db->meta.settings_changed = kdbx_time_now();
	return KDBX_OK;
}

int kdbx_db_history_max_items(const kdbx_db *db) { return db != NULL ? db->meta.history_max_items : -1; }

int64_t kdbx_db_history_max_size(const kdbx_db *db)
{
	return db != NULL ? db->meta.history_max_size : -1;
}

int kdbx_db_set_history_limits(kdbx_db *db, int max_items, int64_t max_size)
{
	if (db == NULL || max_items < -1 || max_size < -1)
		return kdbx_error__set(KDBX_EINVALID, "invalid history limits");
	db->meta.history_max_items = max_items;
	db->meta.history_max_size = max_size;
	db->meta.settings_changed = kdbx_time_now();
	return KDBX_OK;
}

/* Identity: KeePassXC's KPXC_PUBLIC_UUID when the file has one (read at open),
 * otherwise the root group's UUID, which KeePass never changes. */
const kdbx_uuid *kdbx_db_uuid(const kdbx_db *db)
{
	if (db == NULL)
		return NULL;
	if (db->has_public_uuid)
		return &db->public_uuid;
	return db->root != NULL ? &db->root->uuid : NULL;
}

/* ---- Meta CustomData ---- */

const char *kdbx_db_custom_data(const kdbx_db *db, const char *key)
{
	const kdbx_kv *kv = db != NULL ? kdbx_kvlist_get(&db->meta.custom_data, key) : NULL;

	return kv != NULL ? kv->value : NULL;
}

int kdbx_db_set_custom_data(kdbx_db *db, const char *key, const char *value)
{
	if (db == NULL || key == NULL || key[0] == '\0')
		return kdbx_error__set(KDBX_EINVALID, "custom data: invalid argument");
	return kdbx_kvlist_set(&db->meta.custom_data, key, value, kdbx_time_now());
}

size_t kdbx_db_custom_data_count(const kdbx_db *db) { return db != NULL ? db->meta.custom_data.count : 0; }

const char *kdbx_db_custom_data_key(const kdbx_db *db, size_t i)
{
	if (db == NULL || i >= db->meta.custom_data.count)
		return NULL;
	return db->meta.custom_data.items[i].key;
}

/* ---- custom icons ---- */

size_t kdbx_db_custom_icon_count(const kdbx_db *db) { return db != NULL ? db->meta.nicons : 0; }

int kdbx_db_custom_icon(const kdbx_db *db, size_t i, kdbx_uuid *uuid, const uint8_t **data,
                        size_t *len, const char **name)
{
	const kdbx_icon *ic;

	if (db == NULL || i >= db->meta.nicons)
		return kdbx_error__set(KDBX_ENOTFOUND, "no custom icon %zu", i);
	ic = &db->meta.icons[i];
	if (uuid != NULL)
		*uuid = ic->uuid;
	if (data != NULL)
		*data = ic->data;
	if (len != NULL)
		*len = ic->len;
	if (name != NULL)
		*name = ic->name != NULL ? ic->name : "";
	return KDBX_OK;
}

int kdbx_db_add_custom_icon(kdbx_db *db, const uint8_t *png, size_t len, const char *name,
                            kdbx_uuid *out_uuid)
{
	kdbx_icon *icons, ic;
	int rc;

	if (db == NULL || png == NULL || len == 0)
		return kdbx_error__set(KDBX_EINVALID, "add custom icon: invalid argument");
	memset(&ic, 0, sizeof(ic));
	if ((rc = kdbx_uuid_generate(&ic.uuid)) != KDBX_OK)
		return rc;
	ic.data = malloc(len);
	ic.name = (name != NULL && name[0] != '\0') ? kdbx_strdup(name) : NULL;
	icons = realloc(db->meta.icons, (db->meta.nicons + 1) * sizeof(*icons));
	if (ic.data == NULL || icons == NULL || (name != NULL && name[0] != '\0' && ic.name == NULL)) {
		if (icons != NULL)
			db->meta.icons = icons;
		free(ic.data);
		free(ic.name);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	memcpy(ic.data, png, len);
	ic.len = len;
	/* Only a named icon carries a modification time: either one forces KDBX 4.1. */
	ic.mtime = ic.name != NULL ? kdbx_time_now() : 0;
	db->meta.icons = icons;
	icons[db->meta.nicons++] = ic;
	if (out_uuid != NULL)
		*out_uuid = ic.uuid;
	return KDBX_OK;
}

/* ---- deleted objects, tree root ---- */

size_t kdbx_db_deleted_count(const kdbx_db *db) { return db != NULL ? db->ndeleted : 0; }

int kdbx_db_deleted(const kdbx_db *db, size_t i, kdbx_uuid *uuid, kdbx_time *when)
{
	if (db == NULL || i >= db->ndeleted)
		return kdbx_error__set(KDBX_ENOTFOUND, "no deleted object %zu", i);
	if (uuid != NULL)
		*uuid = db->deleted[i].uuid;
	if (when != NULL)
		*when = db->deleted[i].when;
	return KDBX_OK;
}

kdbx_group *kdbx_db_root(kdbx_db *db) { return db != NULL ? db->root : NULL; }
