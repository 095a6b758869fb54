/* Database open / save / XML import-export: glue between the container
 * (format/container.h), the inner stream (crypto) and the XML layer. */
#include <stdlib.h>

#include "crypto/crypto.h"
#include "keys/keys.h"
#include "model/model.h"

/* Wrong credentials on a multi-device file (src/slots/) opened without its
 * device: say how it opens (same code, a clearer message). */
static void slots_hint(const void *data, size_t len)
{
	kdbx_container h;
	kdbx_vdict d = {NULL, 0};
	size_t hl = 0;

	memset(&h, 0, sizeof(h));
	if (kdbx_header__parse(&h, data, len, &hl) == KDBX_OK && h.public_custom_data != NULL &&
	    kdbx_vdict_parse(&d, h.public_custom_data, h.public_custom_data_len) == KDBX_OK &&
	    (kdbx_vdict_get(&d, "KDBX_SLOTS") != NULL || kdbx_vdict_get(&d, "KDBXTOOL_CR_VERSION") != NULL))
		kdbx_error__set(KDBX_EAUTH, "wrong credentials: this database is protected by enrolled devices "
		                "(multi-device slots); open it with kdbx_slots_open and a device");
	else
		kdbx_error__set(KDBX_EAUTH, "wrong credentials");
	kdbx_vdict_free(&d);
	kdbx_container_free(&h);
}

/* file, when not NULL, holds data and is given up: freed as soon as it is decrypted. */
static int open_image(kdbx_db **out, const void *data, size_t len, kdbx_buf *file,
                      const kdbx_key *key, const kdbx_open_options *opts)
{
	kdbx_container c;
	kdbx_stream *s = NULL;
	kdbx_db *db = NULL;
	int rc;

	if (out == NULL || (data == NULL && len > 0) || key == NULL)
		return kdbx_error__set(KDBX_EINVALID, "open: invalid argument");
	*out = NULL;
	/* version 1 callers pass the shorter struct: skip_history is not read for them */
	if (opts != NULL && opts->version != 1 && opts->version != KDBX_OPEN_OPTIONS_VERSION)
		return kdbx_error__set(KDBX_EINVALID, "open: unknown options version %u", opts->version);
	memset(&c, 0, sizeof(c));
	/* The XML is parsed as it is inflated. */
	rc = kdbx_container_read_streamed(&c, data, len, file, key, opts);
	if (rc != KDBX_OK) {
		/* (a file image is only given up after the key was found right) */
		if (rc == KDBX_EAUTH && kdbx_key__get_kek(key, NULL) == 0 && (file == NULL || file->data != NULL))
			slots_hint(data, len);
		return rc;
	}
	if ((rc = kdbx_stream_new(&s, c.stream_id, c.stream_key, c.stream_key_len)) != KDBX_OK)
		goto out;
	if ((rc = kdbx_db__alloc(&db)) != KDBX_OK)
		goto out;
	db->history_skipped = opts != NULL && opts->version >= 2 && opts->skip_history;
	if ((rc = kdbx_xml_read(db, &c, s)) != KDBX_OK)
		goto out;
	if (db->root == NULL) {
		rc = kdbx_error__set(KDBX_ECORRUPT, "database has no root group");
		goto out;
	}
	db->file_version = c.version;
	db->cipher = c.cipher;
	db->compression = c.compression;
	db->kdf = c.kdf;
	/* Moved, not copied: the container no longer owns it. */
	db->public_custom_data = c.public_custom_data;
	db->public_custom_data_len = c.public_custom_data_len;
	c.public_custom_data = NULL;
	c.public_custom_data_len = 0;
	kdbx_db__read_public_uuid(db);
	if ((rc = kdbx_key__dup(&db->key, key)) != KDBX_OK)
		goto out;
	*out = db;
	db = NULL;
out:
	kdbx_stream_free(&s);
	kdbx_container_free(&c);
	kdbx_db_free(&db);
	return rc;
}

int kdbx_db_open_memory(kdbx_db **out, const void *data, size_t len, const kdbx_key *key,
                        const kdbx_open_options *opts)
{
	return open_image(out, data, len, NULL, key, opts);
}

int kdbx_db_open(kdbx_db **out, const char *path, const kdbx_key *key, const kdbx_open_options *opts)
{
	kdbx_buf b = KDBX_BUF_INIT;
	int rc;

	if (out == NULL || path == NULL || key == NULL)
		return kdbx_error__set(KDBX_EINVALID, "open: invalid argument");
	*out = NULL;
	/* Ciphertext needs no wiping, but a secure buffer of a few MB sits on 2 MiB pages:
	 * a handful of page faults instead of one per 4 KiB. */
	b.secure = true;
	if ((rc = kdbx_file_read(path, &b)) != KDBX_OK)
		return rc;
	rc = open_image(out, b.data, b.len, &b, key, opts);
	kdbx_buf_free(&b);
	return rc;
}

int kdbx_db_history_skipped(const kdbx_db *db)
{
	return db != NULL && db->history_skipped;
}

int kdbx_db_set_key(kdbx_db *db, const kdbx_key *key)
{
	kdbx_key *k = NULL;
	int rc;

	if (db == NULL || key == NULL)
		return kdbx_error__set(KDBX_EINVALID, "set key: invalid argument");
	if ((rc = kdbx_key__dup(&k, key)) != KDBX_OK)
		return rc;
	/* A multi-device KEK (src/slots/) belongs to the file, not to the
	 * password: a new password keeps it, or the slots would stop opening. */
	if (kdbx_key__get_kek(k, NULL) == 0 && db->key != NULL) {
		uint8_t kek[32];
		int mode = kdbx_key__get_kek(db->key, kek);
		if (mode != 0)
			(void)kdbx_key__set_kek(k, mode, kek);
		kdbx_memzero(kek, sizeof(kek));
	}
	kdbx_key_free(&db->key);
	db->key = k;
	db->meta.master_key_changed = kdbx_time_now();
	return KDBX_OK;
}

/* The XML writer's pieces go straight into the payload (gzip, blocks): the document is
 * never whole in memory. The payload starts with the first piece, when the writer has
 * settled the container's binaries. */
typedef struct save_sink {
	kdbx_container *c;
	kdbx_plain_writer pw;
	kdbx_buf plain;
	bool begun;
} save_sink;

static int save_piece(void *ud, const uint8_t *xml, size_t n)
{
	save_sink *s = ud;
	int rc;

	if (!s->begun) {
		s->begun = true;
		if ((rc = kdbx_container__plain_begin(&s->pw, s->c, &s->plain, 0)) != KDBX_OK)
			return rc;
	}
	return kdbx_container__plain_feed(&s->pw, xml, n);
}

/* Serialises db into out with key (both checked by the callers). */
static int save_to_buf(kdbx_db *db, const kdbx_key *key, kdbx_buf *out)
{
	kdbx_container c;
	kdbx_container_writer w;
	kdbx_buf hdr = KDBX_BUF_INIT;
	kdbx_stream *s = NULL;
	uint32_t version;
	int rc;

	if (db->root == NULL)
		return kdbx_error__set(KDBX_EINVALID, "save: database has no root group");
	if (db->history_skipped)
		return kdbx_error__set(KDBX_EINVALID, "save: the database was opened without its "
		                                      "history (skip_history); saving it would lose the history");
	version = kdbx_db__required_version(db);
	memset(&c, 0, sizeof(c));
	c.version = version;
	c.cipher = db->cipher;
	c.compression = db->compression;
	c.kdf = db->kdf;
	/* Legacy AES-KDF cannot be written in a KDBX 4 header (challenge-response
	 * composition differs): switch to its KDBX 4 flavour, as KeePassXC does. */
	if (version >= KDBX_VERSION_4_0 && c.kdf.type == KDBX_KDF_AES_KDBX3)
		c.kdf.type = KDBX_KDF_AES_KDBX4;
	if (version >= KDBX_VERSION_4_0 && db->public_custom_data_len > 0) {
		if ((c.public_custom_data = malloc(db->public_custom_data_len)) == NULL) {
			rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(c.public_custom_data, db->public_custom_data, db->public_custom_data_len);
		c.public_custom_data_len = db->public_custom_data_len;
	}
	if ((rc = kdbx_container_new_seeds(&c)) != KDBX_OK ||
	    (rc = kdbx_container_write_header(&c, &hdr)) != KDBX_OK)
		goto out;
	/* The key derivation needs only the header's settings: it runs on a second
	 * core while this thread writes and compresses the XML; finish always joins. */
	kdbx_container_write_begin(&w, &c, key);
	save_sink sink = {.c = &c, .plain = {.secure = true}};
	if ((rc = kdbx_stream_new(&s, c.stream_id, c.stream_key, c.stream_key_len)) == KDBX_OK)
		rc = kdbx_xml_write_to(db, version, c.header_hash, s, &c, save_piece, &sink);
	if (rc == KDBX_OK) /* the writer hands over a last piece in any case: begun */
		rc = kdbx_container__plain_end(&sink.pw);
	kdbx_container__plain_free(&sink.pw);
	rc = kdbx_container_write_finish_plain(&w, &c, &hdr, rc, &sink.plain, out);
	if (rc != KDBX_OK)
		goto out;
	/* The file now carries these settings; the fresh KDF seed is the db's. */
	db->kdf.type = c.kdf.type;
	memcpy(db->kdf.seed, c.kdf.seed, sizeof(db->kdf.seed));
	db->kdf.seed_len = c.kdf.seed_len;
	db->file_version = version;
out:
	kdbx_stream_free(&s);
	kdbx_buf_free(&hdr);
	kdbx_container_free(&c);
	return rc;
}

/* The key for a save: the argument, else the one kept from open / set_key.
 * A new database saved with an explicit key keeps a copy for later saves. */
static int save_key(kdbx_db *db, const kdbx_key *key, const kdbx_key **use)
{
	*use = key != NULL ? key : db->key;
	if (*use == NULL)
		return kdbx_error__set(KDBX_EINVALID, "save: no key given and none set");
	return KDBX_OK;
}

/* A key given to save without the multi-device KEK the db holds (src/slots/)
 * would write a file its slots cannot open (kdbxtool-notes 1.9): *tmp = the
 * key plus the db's KEK, used instead. */
static int save_key_kek(kdbx_db *db, const kdbx_key **use, kdbx_key **tmp)
{
	uint8_t kek[32];
	int mode, rc;

	*tmp = NULL;
	if (*use == db->key || db->key == NULL || kdbx_key__get_kek(*use, NULL) != 0)
		return KDBX_OK;
	if ((mode = kdbx_key__get_kek(db->key, kek)) == 0)
		return KDBX_OK;
	if ((rc = kdbx_key__dup(tmp, *use)) == KDBX_OK && (rc = kdbx_key__set_kek(*tmp, mode, kek)) == KDBX_OK)
		*use = *tmp;
	else
		kdbx_key_free(tmp);
	kdbx_memzero(kek, sizeof(kek));
	return rc;
}

static void remember_key(kdbx_db *db, const kdbx_key *key)
{
	if (db->key == NULL && key != NULL && kdbx_key__dup(&db->key, key) != KDBX_OK)
		kdbx_error_clear(); /* only a convenience: later saves then need a key */
}

int kdbx_db_save_memory(kdbx_db *db, const kdbx_key *key, uint8_t **out, size_t *out_len)
{
	kdbx_buf b = KDBX_BUF_INIT;
	const kdbx_key *k;
	kdbx_key *tmp = NULL;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (db == NULL || out == NULL || out_len == NULL)
		return kdbx_error__set(KDBX_EINVALID, "save: invalid argument");
	if ((rc = save_key(db, key, &k)) != KDBX_OK || (rc = save_key_kek(db, &k, &tmp)) != KDBX_OK)
		return rc;
	rc = save_to_buf(db, k, &b);
	kdbx_key_free(&tmp);
	if (rc != KDBX_OK) {
		kdbx_buf_free(&b);
		return rc;
	}
	remember_key(db, key);
	*out = kdbx_buf_detach(&b, out_len);
	return KDBX_OK;
}

int kdbx_db_save(kdbx_db *db, const char *path, const kdbx_key *key)
{
	kdbx_buf b = KDBX_BUF_INIT;
	const kdbx_key *k;
	kdbx_key *tmp = NULL;
	int rc;

	if (db == NULL || path == NULL)
		return kdbx_error__set(KDBX_EINVALID, "save: invalid argument");
	if ((rc = save_key(db, key, &k)) != KDBX_OK || (rc = save_key_kek(db, &k, &tmp)) != KDBX_OK)
		return rc;
	rc = save_to_buf(db, k, &b);
	kdbx_key_free(&tmp);
	if (rc == KDBX_OK)
		rc = kdbx_file_write_atomic(path, b.data, b.len);
	kdbx_buf_free(&b);
	if (rc == KDBX_OK)
		remember_key(db, key);
	return rc;
}

/* ---- plain XML ---- */

int kdbx_db_import_xml(kdbx_db **out, const char *path)
{
	kdbx_container c;
	kdbx_db *db = NULL;
	int rc;

	if (out == NULL || path == NULL)
		return kdbx_error__set(KDBX_EINVALID, "import: invalid argument");
	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.xml.secure = true;
	if ((rc = kdbx_file_read(path, &c.xml)) != KDBX_OK)
		goto out;
	if ((rc = kdbx_db__alloc(&db)) != KDBX_OK)
		goto out;
	/* A new file: Argon2id like kdbx_db_new (the XML has no file settings). */
	if ((rc = kdbx_kdf_defaults(&db->kdf, KDBX_KDF_ARGON2ID)) != KDBX_OK)
		goto out;
	if ((rc = kdbx_xml_read(db, &c, NULL)) != KDBX_OK)
		goto out;
	if (db->root == NULL) {
		rc = kdbx_error__set(KDBX_ECORRUPT, "XML document has no root group");
		goto out;
	}
	*out = db;
	db = NULL;
out:
	kdbx_container_free(&c);
	kdbx_db_free(&db);
	return rc;
}

static int export_to_buf(kdbx_db *db, kdbx_buf *out)
{
	kdbx_container c;
	static const uint8_t no_hash[32];
	uint32_t version;
	int rc;

	if (db->root == NULL)
		return kdbx_error__set(KDBX_EINVALID, "export: database has no root group");
	if (db->history_skipped)
		return kdbx_error__set(KDBX_EINVALID, "export: the database was opened without its "
		                                      "history (skip_history); the export would lack it");
	/* At least 4.0 so times/UUID forms match KeePass 2.x exports; more if a
	 * 4.1 feature is present. The XML layer keeps attachments inline when
	 * stream is NULL. */
	version = kdbx_db__required_version(db);
	if (version < KDBX_VERSION_4_0)
		version = KDBX_VERSION_4_0;
	memset(&c, 0, sizeof(c));
	c.version = version;
	rc = kdbx_xml_write(db, version, no_hash, NULL, &c, out);
	kdbx_container_free(&c);
	return rc;
}

int kdbx_db_export_xml_memory(kdbx_db *db, uint8_t **out, size_t *out_len)
{
	kdbx_buf b = KDBX_BUF_INIT;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (db == NULL || out == NULL || out_len == NULL)
		return kdbx_error__set(KDBX_EINVALID, "export: invalid argument");
	/* Built in secure memory (no stray realloc copies of the plaintext), then
	 * handed over as one malloc block that kdbx_free wipes. */
	b.secure = true;
	if ((rc = export_to_buf(db, &b)) == KDBX_OK) {
		if ((*out = malloc(b.len > 0 ? b.len : 1)) == NULL) {
			rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		} else {
			if (b.len > 0)
				memcpy(*out, b.data, b.len);
			*out_len = b.len;
		}
	}
	kdbx_buf_free(&b);
	return rc;
}

int kdbx_db_export_xml(kdbx_db *db, const char *path)
{
	kdbx_buf b = KDBX_BUF_INIT;
	int rc;

	if (db == NULL || path == NULL)
		return kdbx_error__set(KDBX_EINVALID, "export: invalid argument");
	b.secure = true;
	if ((rc = export_to_buf(db, &b)) == KDBX_OK)
		rc = kdbx_file_write_atomic(path, b.data, b.len);
	kdbx_buf_free(&b);
	return rc;
}
