/* Database: open, save, create, settings and metadata. */
#ifndef KDBX_DB_H
#define KDBX_DB_H

#include "common.h"

typedef enum kdbx_cipher {
	KDBX_CIPHER_AES256 = 0,
	KDBX_CIPHER_CHACHA20 = 1,
	KDBX_CIPHER_TWOFISH = 2,
	KDBX_CIPHER_AES128 = 3 /* read only */
} kdbx_cipher;

typedef enum kdbx_kdf_type {
	KDBX_KDF_AES_KDBX3 = 0, /* AES-KDF, KDBX 3 semantics (forces KDBX 3.1 on save) */
	KDBX_KDF_AES_KDBX4 = 1, /* AES-KDF, KDBX 4 semantics */
	KDBX_KDF_ARGON2D = 2,
	KDBX_KDF_ARGON2ID = 3
} kdbx_kdf_type;

typedef struct kdbx_kdf_params {
	kdbx_kdf_type type;
	uint64_t rounds;      /* AES-KDF */
	uint64_t iterations;  /* Argon2 */
	uint64_t memory;      /* Argon2, bytes */
	uint32_t parallelism; /* Argon2 */
	uint32_t version;     /* Argon2, 0x10 or 0x13 */
	uint8_t seed[32];     /* salt / AES seed (regenerated on every save) */
	size_t seed_len;
} kdbx_kdf_params;

typedef enum kdbx_compression {
	KDBX_COMPRESS_NONE = 0,
	KDBX_COMPRESS_GZIP = 1
} kdbx_compression;

/* Progress callback for key derivation: fraction 0..1; return non-zero to cancel. */
typedef int (*kdbx_progress_cb)(double fraction, void *userdata);

/* Version 1 ends after skip_kdf_limits; version 2 adds skip_history. */
#define KDBX_OPEN_OPTIONS_VERSION 2
typedef struct kdbx_open_options {
	unsigned int version;
	kdbx_progress_cb progress;
	void *progress_data;
	int skip_kdf_limits; /* allow huge KDF parameters without the sanity cap */
	/* For readers that never look at history (listing, showing, searching): history
	 * items are read past but not loaded, so the open takes less time and memory (with
	 * 2 items per entry: about 13% less time, a third less memory). The db is then
	 * read-only: kdbx_entry_history_count() is 0, and save and XML export fail with
	 * KDBX_EINVALID, as they would drop the history (kdbx_db_history_skipped() tells). */
	int skip_history;
} kdbx_open_options;
#define KDBX_OPEN_OPTIONS_INIT {KDBX_OPEN_OPTIONS_VERSION, NULL, NULL, 0, 0}

/* Opens and decrypts path. Expected: KDBX_EAUTH, KDBX_ECORRUPT, KDBX_EIO. */
KDBX_EXTERN int kdbx_db_open(kdbx_db **out, const char *path, const kdbx_key *key,
                             const kdbx_open_options *opts);
KDBX_EXTERN int kdbx_db_open_memory(kdbx_db **out, const void *data, size_t len,
                                    const kdbx_key *key, const kdbx_open_options *opts);
/* 1 when db was opened with skip_history (and so cannot be saved or exported), else 0. */
KDBX_EXTERN int kdbx_db_history_skipped(const kdbx_db *db);

/* A new empty database: root group named "Root" (or name), Argon2id with
 * default parameters, AES-256, gzip, recycle bin enabled. */
KDBX_EXTERN int kdbx_db_new(kdbx_db **out, const char *name);

/* Imports a KeePass XML (unencrypted export) document. */
KDBX_EXTERN int kdbx_db_import_xml(kdbx_db **out, const char *path);
/* Exports as KeePass XML with protected values in clear (ProtectInMemory="True"). */
KDBX_EXTERN int kdbx_db_export_xml(kdbx_db *db, const char *path);
KDBX_EXTERN int kdbx_db_export_xml_memory(kdbx_db *db, uint8_t **out, size_t *out_len);

KDBX_EXTERN void kdbx_db_free(kdbx_db **dbp);

/* Sets the key used by later saves (the open key is kept by default). */
KDBX_EXTERN int kdbx_db_set_key(kdbx_db *db, const kdbx_key *key);

/* Saves atomically (temp file in the same directory, fsync, rename; mode kept).
 * key NULL = the key set by open/set_key. New seeds and IV on every save. */
KDBX_EXTERN int kdbx_db_save(kdbx_db *db, const char *path, const kdbx_key *key);
KDBX_EXTERN int kdbx_db_save_memory(kdbx_db *db, const kdbx_key *key, uint8_t **out, size_t *out_len);
/* Frees a buffer returned by a *_memory function (wipes it). */
KDBX_EXTERN void kdbx_free(void *p, size_t len);

/* File format version read (0x00030001 ...) or that the next save will write. */
KDBX_EXTERN uint32_t kdbx_db_file_version(const kdbx_db *db);
KDBX_EXTERN uint32_t kdbx_db_save_version(const kdbx_db *db);

KDBX_EXTERN kdbx_cipher kdbx_db_cipher(const kdbx_db *db);
KDBX_EXTERN int kdbx_db_set_cipher(kdbx_db *db, kdbx_cipher c);
KDBX_EXTERN void kdbx_db_kdf(const kdbx_db *db, kdbx_kdf_params *out);
KDBX_EXTERN int kdbx_db_set_kdf(kdbx_db *db, const kdbx_kdf_params *p);
KDBX_EXTERN kdbx_compression kdbx_db_compression(const kdbx_db *db);
KDBX_EXTERN int kdbx_db_set_compression(kdbx_db *db, kdbx_compression c);

/* Default parameters of a KDF (Argon2: 64 MiB, p = online CPUs, 10 iterations). */
KDBX_EXTERN int kdbx_kdf_defaults(kdbx_kdf_params *out, kdbx_kdf_type type);
/* Adjusts rounds/iterations so one derivation takes about ms milliseconds here. */
KDBX_EXTERN int kdbx_kdf_calibrate(kdbx_kdf_params *p, unsigned int ms);
/* Runs the KDF once on a dummy key (benchmarks). */
KDBX_EXTERN int kdbx_kdf_run(const kdbx_kdf_params *p, const uint8_t in[32], uint8_t out[32]);

KDBX_EXTERN const char *kdbx_cipher_name(kdbx_cipher c);   /* "AES-256" ... */
KDBX_EXTERN const char *kdbx_kdf_name(kdbx_kdf_type t);    /* "Argon2id" ... */

/* --- Metadata (strings are borrowed, valid until the next change) --- */
typedef enum kdbx_meta_field {
	KDBX_META_NAME = 0,
	KDBX_META_DESCRIPTION,
	KDBX_META_DEFAULT_USERNAME,
	KDBX_META_COLOR,
	KDBX_META_GENERATOR
} kdbx_meta_field;
KDBX_EXTERN const char *kdbx_db_meta(const kdbx_db *db, kdbx_meta_field f);
KDBX_EXTERN int kdbx_db_set_meta(kdbx_db *db, kdbx_meta_field f, const char *value);

/* Memory protection flags (which standard fields are protected on save). */
enum kdbx_protect_flags {
	KDBX_PROTECT_TITLE = 1,
	KDBX_PROTECT_USERNAME = 2,
	KDBX_PROTECT_PASSWORD = 4,
	KDBX_PROTECT_URL = 8,
	KDBX_PROTECT_NOTES = 16
};
KDBX_EXTERN unsigned int kdbx_db_memory_protection(const kdbx_db *db);
KDBX_EXTERN int kdbx_db_set_memory_protection(kdbx_db *db, unsigned int flags);

KDBX_EXTERN int kdbx_db_recycle_bin_enabled(const kdbx_db *db);
KDBX_EXTERN int kdbx_db_set_recycle_bin_enabled(kdbx_db *db, int enabled);
/* The recycle bin group or NULL if none exists yet. */
KDBX_EXTERN kdbx_group *kdbx_db_recycle_bin(kdbx_db *db);
KDBX_EXTERN int kdbx_db_history_max_items(const kdbx_db *db);  /* -1 = unlimited */
KDBX_EXTERN int64_t kdbx_db_history_max_size(const kdbx_db *db); /* bytes, -1 = unlimited */
KDBX_EXTERN int kdbx_db_set_history_limits(kdbx_db *db, int max_items, int64_t max_size);

KDBX_EXTERN const kdbx_uuid *kdbx_db_uuid(const kdbx_db *db); /* database identity */

/* Meta CustomData (and public custom data of the outer header for providers). */
KDBX_EXTERN const char *kdbx_db_custom_data(const kdbx_db *db, const char *key);
KDBX_EXTERN int kdbx_db_set_custom_data(kdbx_db *db, const char *key, const char *value);
KDBX_EXTERN size_t kdbx_db_custom_data_count(const kdbx_db *db);
KDBX_EXTERN const char *kdbx_db_custom_data_key(const kdbx_db *db, size_t i);

/* Custom icons */
KDBX_EXTERN size_t kdbx_db_custom_icon_count(const kdbx_db *db);
KDBX_EXTERN int kdbx_db_custom_icon(const kdbx_db *db, size_t i, kdbx_uuid *uuid,
                                    const uint8_t **data, size_t *len, const char **name);
KDBX_EXTERN int kdbx_db_add_custom_icon(kdbx_db *db, const uint8_t *png, size_t len,
                                        const char *name, kdbx_uuid *out_uuid);

/* Deleted objects */
KDBX_EXTERN size_t kdbx_db_deleted_count(const kdbx_db *db);
KDBX_EXTERN int kdbx_db_deleted(const kdbx_db *db, size_t i, kdbx_uuid *uuid, kdbx_time *when);

/* --- Tree --- */
KDBX_EXTERN kdbx_group *kdbx_db_root(kdbx_db *db);
/* Finds by path "/Group/Sub/Title" (leading "/" optional; root name not included). */
KDBX_EXTERN kdbx_entry *kdbx_db_find_entry(kdbx_db *db, const char *path);
KDBX_EXTERN kdbx_group *kdbx_db_find_group(kdbx_db *db, const char *path);
KDBX_EXTERN kdbx_entry *kdbx_db_find_entry_uuid(kdbx_db *db, const kdbx_uuid *uuid);
KDBX_EXTERN kdbx_group *kdbx_db_find_group_uuid(kdbx_db *db, const kdbx_uuid *uuid);

/* Search: terms separated by spaces, all must match (case-insensitive) in
 * title, username, url, notes or tags. Entries in the recycle bin and
 * history are not returned. Calls cb for each hit; stop when cb returns non-zero. */
typedef int (*kdbx_entry_cb)(kdbx_entry *e, void *userdata);
KDBX_EXTERN int kdbx_db_search(kdbx_db *db, const char *query, kdbx_entry_cb cb, void *userdata);

/* Counts as pykeepass: all groups incl. root, all entries in the tree (no history). */
KDBX_EXTERN size_t kdbx_db_group_count(kdbx_db *db);
KDBX_EXTERN size_t kdbx_db_entry_count(kdbx_db *db);

#endif
