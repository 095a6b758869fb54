/* Internal in-memory model shared by src/model (API) and src/format/xml_* (XML <-> model).
 * Fields may be added; do not rename or remove without telling the other side. */
#ifndef KDBX_MODEL_H
#define KDBX_MODEL_H

#include "core/core.h"
#include "crypto/crypto.h"
#include "format/container.h"
#include "kdbx/db.h"
#include "kdbx/entry.h"
#include "kdbx/group.h"
#include "kdbx/key.h"

/* Raw XML of an element we do not understand, written back verbatim
 * (at the end of its parent element). A string starting with a byte < 0x20
 * instead of '<' came from inside a sub-element of the owner (Times, AutoType,
 * History, CustomData, ...): see enum kdbx_xml_loc in format/xml_internal.h.
 * Copy such strings as they are. */
typedef struct kdbx_unknown {
	char **xml;
	size_t count;
} kdbx_unknown;

/* A CustomData item (Meta, group or entry). mtime 0 = absent. */
typedef struct kdbx_kv {
	char *key;
	char *value;
	kdbx_time mtime;
} kdbx_kv;

typedef struct kdbx_kvlist {
	kdbx_kv *items;
	size_t count;
} kdbx_kvlist;

typedef struct kdbx_times {
	kdbx_time creation, modification, access, expiry, location_changed;
	bool expires;
	int64_t usage_count;
} kdbx_times;

/* A string field. A protected value is kept masked (see mask.c): value holds
 * the masked bytes and nonce the per-field nonce; unprotected values are
 * plain NUL-terminated UTF-8. len excludes the NUL. */
typedef struct kdbx_field {
	char *name;
	char *value;
	size_t len;
	bool protect;
	bool pooled; /* value lives in db->arena: never free()d on its own */
	bool name_pooled; /* name belongs to the database (standard name or db->arena) */
	uint8_t nonce[12];
} kdbx_field;

/* Block allocator for field values of a loaded database (arena.c). */
typedef struct kdbx_arena {
	struct kdbx_arena_chunk *chunks;
	uint8_t *next;
	size_t left;
} kdbx_arena;

typedef struct kdbx_attachment {
	char *name;
	size_t bin; /* index into db->bins */
} kdbx_attachment;

typedef struct kdbx_assoc {
	char *window;
	char *sequence;
} kdbx_assoc;

/* A binary in the database pool (shared by attachments; refcount = users). */
typedef struct kdbx_bin {
	uint8_t *data;
	size_t len;
	bool protect; /* KDBX4 inner-header flag / KDBX3 Protected="True" */
	size_t refs;
} kdbx_bin;

struct kdbx_entry {
	kdbx_db *db;
	kdbx_group *parent; /* NULL for a history item */
	kdbx_uuid uuid;
	int icon;
	kdbx_uuid custom_icon;
	bool has_custom_icon;
	char *fg_color, *bg_color, *override_url, *tags;
	kdbx_times times;
	int quality_check; /* 1 default; 0 = excluded from reports (4.1) */
	kdbx_uuid prev_parent;
	bool has_prev_parent;
	kdbx_field *fields;
	size_t nfields;
	size_t fields_cap; /* slots allocated by field.c; 0 (or stale low) = exactly nfields */
	bool fields_pooled; /* fields lives in db->arena (loading): never free()d or realloc()ed */
	bool pooled; /* the entry itself lives in db->arena: never free()d on its own */
	kdbx_attachment *attachments;
	size_t nattachments;
	bool autotype_enabled;
	int autotype_obfuscation;
	char *autotype_sequence;
	kdbx_assoc *assocs;
	size_t nassocs;
	kdbx_kvlist custom_data;
	struct kdbx_entry **history;
	size_t nhistory;
	kdbx_unknown unknown;
};

struct kdbx_group {
	kdbx_db *db;
	kdbx_group *parent;
	kdbx_uuid uuid;
	char *name, *notes, *tags;
	int icon;
	kdbx_uuid custom_icon;
	bool has_custom_icon;
	kdbx_times times;
	bool is_expanded;
	char *default_autotype_sequence;
	kdbx_tristate enable_autotype, enable_searching;
	kdbx_uuid last_top_visible_entry;
	kdbx_uuid prev_parent;
	bool has_prev_parent;
	kdbx_kvlist custom_data;
	kdbx_group **groups;
	size_t ngroups;
	kdbx_entry **entries;
	size_t nentries;
	kdbx_unknown unknown;
};

typedef struct kdbx_icon {
	kdbx_uuid uuid;
	uint8_t *data;
	size_t len;
	char *name;
	kdbx_time mtime;
} kdbx_icon;

typedef struct kdbx_deleted {
	kdbx_uuid uuid;
	kdbx_time when;
} kdbx_deleted;

typedef struct kdbx_meta {
	char *generator, *name, *description, *default_username, *color;
	kdbx_time name_changed, description_changed, default_username_changed, master_key_changed,
		recycle_bin_changed, entry_templates_group_changed, settings_changed;
	int maintenance_history_days;
	int64_t master_key_change_rec, master_key_change_force;
	bool master_key_change_force_once;
	unsigned int memory_protection; /* KDBX_PROTECT_* */
	bool recycle_bin_enabled;
	kdbx_uuid recycle_bin_uuid; /* all zero = none */
	kdbx_uuid entry_templates_group;
	kdbx_uuid last_selected_group, last_top_visible_group;
	int history_max_items;     /* -1 unlimited; default 10 */
	int64_t history_max_size;  /* -1 unlimited; default 6 MiB */
	kdbx_icon *icons;
	size_t nicons;
	kdbx_kvlist custom_data;
	kdbx_unknown unknown;
} kdbx_meta;

struct kdbx_db {
	/* file settings */
	uint32_t file_version; /* as read (0 for a new database) */
	kdbx_cipher cipher;
	kdbx_compression compression;
	kdbx_kdf_params kdf;
	uint8_t *public_custom_data; /* raw VariantDictionary of the outer header, kept */
	size_t public_custom_data_len;
	kdbx_key *key; /* copy used for saves */
	/* content */
	kdbx_meta meta;
	kdbx_group *root;
	kdbx_deleted *deleted;
	size_t ndeleted;
	kdbx_bin *bins;
	size_t nbins;
	kdbx_unknown unknown_root; /* unknown children of <Root> after the group */
	kdbx_unknown unknown_doc;  /* unknown children of <KeePassFile> */
	/* masking key for protected fields in memory (secure memory) */
	uint8_t *mask_key; /* 32 bytes */
	void *mask_ctx;        /* EVP_CIPHER_CTX keyed with mask_key, re-initialised per nonce */
	uint64_t mask_counter; /* nonce source: unique per masking under this key */
	kdbx_arena arena; /* field values, entries and field arrays of the loaded document */
	/* Bulk masking while loading (mask.c): one batch of keystream for many small values. */
	uint8_t *mask_ks;      /* secure, MASK_KS_LEN bytes; consumed part wiped */
	size_t mask_ks_off;    /* first unused byte, block-aligned */
	uint64_t mask_ks_id;   /* the batch's nonce (a mask_counter value) */
	/* KeePassXC KPXC_PUBLIC_UUID from the public custom data, if present */
	kdbx_uuid public_uuid;
	bool has_public_uuid;
	/* opened with kdbx_open_options.skip_history: the reader left the history items out,
	 * so the db must never be written (db_io.c refuses) */
	bool history_skipped;
};

/* ---- model internals (src/model) ---- */
int kdbx_db__alloc(kdbx_db **out);          /* empty db, defaults, no root */
int kdbx_group__alloc(kdbx_group **out, kdbx_db *db);
/* loading: the entry comes from db->arena (one of tens of thousands read at once) */
int kdbx_entry__alloc(kdbx_entry **out, kdbx_db *db, bool loading);
void kdbx_group__free(kdbx_group *g);       /* recursive */
void kdbx_entry__free(kdbx_entry *e);
int kdbx_group__append_group(kdbx_group *parent, kdbx_group *child);
int kdbx_group__append_entry(kdbx_group *parent, kdbx_entry *e);
int kdbx_entry__append_history(kdbx_entry *e, kdbx_entry *h);
/* Adds a field taking ownership of name; value is plain text of len bytes
 * (masked here when protect). name is freed on failure too; a second field
 * with the same name replaces the value of the first. */
int kdbx_entry__add_field(kdbx_entry *e, char *name, const char *value, size_t len, bool protect);
/* Loading: adds a field the caller knows e does not have yet (no lookup). name is
 * borrowed and must live as long as the database (kdbx_field__std_name or allocated
 * from db->arena): it is never freed, not even on failure. */
int kdbx_entry__append_field(kdbx_entry *e, char *name, const char *value, size_t len,
                             bool protect);
/* Field names: the five standard names are shared static strings, so a field name
 * is released with kdbx_field__name_free (NULL-safe), never free(). std_name gives
 * the shared copy of s[0..n) or NULL if it is not a standard name; name_dup the
 * shared copy or a strdup (NULL: out of memory). */
char *kdbx_field__std_name(const char *s, size_t n);
char *kdbx_field__name_dup(const char *name);
void kdbx_field__name_free(char *name);
/* Plain copy of a field value into a secure buffer (NUL-terminated). */
int kdbx_field__reveal(const kdbx_db *db, const kdbx_field *f, kdbx_buf *out);
int kdbx_entry__add_attachment(kdbx_entry *e, const char *name, size_t bin);
/* Adds a binary to the pool (takes ownership of data), returns its index. */
int kdbx_db__add_bin(kdbx_db *db, uint8_t *data, size_t len, bool protect, size_t *index);
int kdbx_kvlist_set(kdbx_kvlist *l, const char *key, const char *value, kdbx_time mtime);
void kdbx_kvlist_free(kdbx_kvlist *l);
int kdbx_unknown_add(kdbx_unknown *u, char *xml); /* takes ownership */
void kdbx_unknown_free(kdbx_unknown *u);
const kdbx_kv *kdbx_kvlist_get(const kdbx_kvlist *l, const char *key); /* NULL if absent */
int kdbx_kvlist_remove(kdbx_kvlist *l, const char *key);               /* KDBX_ENOTFOUND */
int kdbx_kvlist_copy(kdbx_kvlist *dst, const kdbx_kvlist *src);
kdbx_time kdbx_time_now(void);
int kdbx_uuid_generate(kdbx_uuid *out);
bool kdbx_uuid_is_zero(const kdbx_uuid *u);
/* Protected-value masking (mask.c): ChaCha20 under db->mask_key. */
int kdbx_mask__init(kdbx_db *db);
void kdbx_mask__free(kdbx_db *db);
/* Stores value[0..len) masked in f (new nonce; replaces f->value). */
int kdbx_mask__field(kdbx_db *db, kdbx_field *f, const char *value, size_t len);
/* The same with keystream taken from a shared batch and the bytes from db->arena: for
 * loading many values. */
int kdbx_mask__field_bulk(kdbx_db *db, kdbx_field *f, const char *value, size_t len);
/* n bytes from the arena, or NULL (out of memory, or n too large: use malloc then). */
void *kdbx_arena__alloc(kdbx_arena *a, size_t n);
/* The same aligned for any type and zeroed (a record: an entry, a field array). */
void *kdbx_arena__zalloc(kdbx_arena *a, size_t n);
/* Wipes and releases every block. */
void kdbx_arena__free(kdbx_arena *a);
/* Drops one reference to a pool binary (frees its bytes at zero). */
void kdbx_db__bin_unref(kdbx_db *db, size_t index);
/* Deep copy of an entry without its history (attachments share pool bins). */
int kdbx_entry__clone(kdbx_entry **out, const kdbx_entry *e);
/* Applies Meta HistoryMaxItems / HistoryMaxSize (oldest removed first). */
void kdbx_entry__trim_history(const kdbx_db *db, kdbx_entry *e);
/* A field by name or NULL. */
kdbx_field *kdbx_entry__field(const kdbx_entry *e, const char *name);
/* Title comparison that also works for a protected Title. */
bool kdbx_entry__title_equals(const kdbx_entry *e, const char *title);
/* Pointer to one of the five times, NULL for an invalid f. */
kdbx_time *kdbx_times__field(kdbx_times *t, kdbx_time_field f);
/* Unlinks from the parent (not freed). */
void kdbx_entry__detach(kdbx_entry *e);
void kdbx_group__detach(kdbx_group *g);
/* true if g is ancestor or lies below it. */
bool kdbx_group__contains(const kdbx_group *ancestor, const kdbx_group *g);

/* Public custom data of the outer header (public_data.c). get appends the
 * value to out (KDBX_ENOTFOUND); set with value NULL and len 0 removes. */
int kdbx_db__public_get(const kdbx_db *db, const char *name, uint8_t *type, kdbx_buf *out);
int kdbx_db__public_set(kdbx_db *db, const char *name, uint8_t type, const void *value, size_t len);
/* Refreshes db->public_uuid from KPXC_PUBLIC_UUID. */
void kdbx_db__read_public_uuid(kdbx_db *db);

/* ---- XML layer (src/format/xml_read.c, xml_write.c) ---- */
/* Parses the KeePass XML in c->xml into db (which has no root yet), decrypting
 * protected values with the inner stream (stream may be NULL for a plain XML
 * import: then ProtectInMemory="True" marks protected values). KDBX4
 * attachments reference c->binaries (moved into db->bins). For KDBX 3.1 the
 * Meta/HeaderHash is checked against c->header_hash (mismatch -> KDBX_EAUTH is
 * wrong: it is KDBX_ECORRUPT "header hash mismatch"). The parsed part of a
 * secure c->xml is wiped and released while parsing (kdbx_buf_release_front):
 * c->xml is consumed; only kdbx_container_free may touch it afterwards. */
int kdbx_xml_read(kdbx_db *db, kdbx_container *c, kdbx_stream *stream);
/* Writes db as XML for format version `version` into out. stream NULL = plain
 * export (ProtectInMemory="True", values in clear). For KDBX3 writes
 * Meta/HeaderHash = header_hash (if not NULL) and the Meta/Binaries pool; for
 * KDBX4 fills c->binaries (de-duplicated, the db's bytes lent: c must not outlive
 * db) and references them by index. A plain export (stream NULL) or c NULL always uses the inline
 * Meta/Binaries pool so the document is self-contained. */
int kdbx_xml_write(kdbx_db *db, uint32_t version, const uint8_t header_hash[32],
                   kdbx_stream *stream, kdbx_container *c, kdbx_buf *out);
/* The same document handed to sink in pieces of about 4 MiB (at the end of an entry or an
 * attachment; the last piece may be empty), so it is never whole in memory. A sink's
 * error stops the write and is returned. c->binaries are final before the first piece. */
typedef int (*kdbx_xml_sink)(void *ud, const uint8_t *xml, size_t n);
int kdbx_xml_write_to(kdbx_db *db, uint32_t version, const uint8_t header_hash[32],
                      kdbx_stream *stream, kdbx_container *c, kdbx_xml_sink sink, void *ud);
/* test hook: the size at which kdbx_xml_write_to hands a piece over (0: 4 MiB) */
void kdbx_xml__write_flush_size(size_t n);
/* The version a save must write (KeePassXC rule, notes 3.8). */
uint32_t kdbx_db__required_version(const kdbx_db *db);

#endif
