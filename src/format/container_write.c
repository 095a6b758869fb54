/* Save, step 2: key derivation, key-free payload (gzip, framing) and the sealing
 * (cipher, HMAC), and the overlapped save that runs the derivation on a worker
 * thread while the caller writes the XML (container.h). */
#include <stdio.h>

#include "crypto/crypto.h"
#include "format/container.h"
#include "keys/keys.h"

static bool is_v4(uint32_t version)
{
	return version >= KDBX_VERSION_4_0;
}

static int derive(const kdbx_key *key, uint32_t version, const kdbx_kdf_params *kdf,
                  const uint8_t master_seed[32], unsigned int kdf_flags, kdbx_progress_cb cb,
                  void *ud, kdbx_container_keys *out)
{
	return kdbx_key__derive_ex(key, version, kdf, master_seed, out->cipher_key,
	                           is_v4(version) ? out->hmac_key : NULL, cb, ud, kdf_flags);
}

int kdbx_container_derive_keys(const kdbx_container *c, const kdbx_key *key,
                               unsigned int kdf_flags, kdbx_progress_cb cb, void *ud,
                               kdbx_container_keys *out)
{
	if (c == NULL || key == NULL || out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "container_derive_keys: invalid argument");
	return derive(key, c->version, &c->kdf, c->master_seed, kdf_flags, cb, ud, out);
}

int kdbx_container__plain_begin(kdbx_plain_writer *pw, const kdbx_container *c, kdbx_buf *plain,
                                size_t xml_hint)
{
	memset(pw, 0, sizeof(*pw));
	pw->c = c;
	pw->plain = plain;
	pw->xml_hint = xml_hint;
	return is_v4(c->version) ? kdbx_kdbx4__plain_begin(pw) : kdbx_kdbx3__plain_begin(pw);
}

int kdbx_container__plain_feed(kdbx_plain_writer *pw, const uint8_t *xml, size_t n)
{
	return is_v4(pw->c->version) ? kdbx_kdbx4__plain_feed(pw, xml, n)
	                             : kdbx_kdbx3__plain_feed(pw, xml, n);
}

int kdbx_container__plain_end(kdbx_plain_writer *pw)
{
	return is_v4(pw->c->version) ? kdbx_kdbx4__plain_end(pw) : kdbx_kdbx3__plain_end(pw);
}

void kdbx_container__plain_free(kdbx_plain_writer *pw)
{
	kdbx_gzip__deflater_free(pw->z);
	kdbx_buf_free(&pw->pending);
	memset(pw, 0, sizeof(*pw));
}

/* The whole c->xml in 8 MiB slices; with xml_done (= c->xml), the pages each slice
 * leaves behind are given back (the deflater keeps its own copy of its window). */
#define XML_SLICE ((size_t)8 << 20)

static int write_plain(const kdbx_container *c, kdbx_buf *plain, kdbx_buf *xml_done)
{
	/* xml_skip: a container read from a KDBX4 file and written again. */
	const uint8_t *xml = c->xml_skip > 0 ? c->xml.data + c->xml_skip : c->xml.data;
	size_t n = c->xml.len - c->xml_skip;
	kdbx_plain_writer pw;
	int rc = kdbx_container__plain_begin(&pw, c, plain, n);

	for (size_t pos = 0, take; rc == KDBX_OK && pos < n; pos += take) {
		take = n - pos < XML_SLICE ? n - pos : XML_SLICE;
		rc = kdbx_container__plain_feed(&pw, xml + pos, take);
		if (rc == KDBX_OK)
			kdbx_buf_release_upto(xml_done, xml + pos + take);
	}
	if (rc == KDBX_OK)
		rc = kdbx_container__plain_end(&pw);
	kdbx_container__plain_free(&pw);
	return rc;
}

int kdbx_container_write_plain(const kdbx_container *c, kdbx_buf *plain)
{
	if (c == NULL || plain == NULL)
		return kdbx_error__set(KDBX_EINVALID, "container_write_plain: invalid argument");
	return write_plain(c, plain, NULL);
}

int kdbx_container__write_plain_consume(kdbx_container *c, kdbx_buf *plain)
{
	int rc;

	if (c == NULL || plain == NULL)
		return kdbx_error__set(KDBX_EINVALID, "container_write_plain: invalid argument");
	rc = write_plain(c, plain, &c->xml);
	kdbx_container__drop_payload(c);
	return rc;
}

int kdbx_container_write_seal(const kdbx_container *c, const kdbx_buf *hdr, kdbx_buf *plain,
                              const kdbx_container_keys *keys, kdbx_buf *out)
{
	int rc;

	if (c == NULL || hdr == NULL || plain == NULL || keys == NULL || out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "container_write_seal: invalid argument");
	/* The header must be the one written for this container's version. */
	if (hdr->len < 12 || kdbx_le32(hdr->data + 8) != c->version)
		return kdbx_error__set(KDBX_EINVALID, "header does not match the container");
	if ((rc = kdbx_buf_append(out, hdr->data, hdr->len)) != KDBX_OK)
		return rc;
	if (is_v4(c->version))
		return kdbx_kdbx4__write_seal(c, hdr->data, hdr->len, plain, keys->cipher_key,
		                              keys->hmac_key, out);
	return kdbx_kdbx3__write_seal(c, plain, keys->cipher_key, out);
}

/* ---- the overlapped save ---- */

/* The derivation's progress callback: a non-zero return makes AES-KDF stop
 * (KDBX_ECANCELLED) at its next check, every few milliseconds. */
static int worker_progress(double fraction, void *ud)
{
	kdbx_container_writer *w = ud;
	(void)fraction;
	return atomic_load(&w->cancel);
}

static void *worker_run(void *arg)
{
	kdbx_container_writer *w = arg;
	/* One core: the caller's serialiser keeps the other busy. */
	w->rc = derive(w->key, w->version, &w->kdf, w->master_seed, KDBX_KDF_ONE_CORE,
	               worker_progress, w, &w->keys);
	/* Errors are thread-local: keep the message for finish (never secret). */
	if (w->rc != KDBX_OK)
		snprintf(w->msg, sizeof(w->msg), "%s", kdbx_error_last());
	return NULL;
}

void kdbx_container_write_begin(kdbx_container_writer *w, const kdbx_container *c,
                                const kdbx_key *key)
{
	if (w == NULL)
		return;
	memset(w, 0, sizeof(*w));
	atomic_init(&w->cancel, 0);
	w->key = key;
	if (c == NULL || key == NULL)
		return; /* finish reports the bad argument */
	w->version = c->version;
	w->kdf = c->kdf;
	memcpy(w->master_seed, c->master_seed, sizeof(w->master_seed));
	/* Providers may prompt or call back into the application: keep them on its thread. */
	if (kdbx_cpu_count() < 2 || kdbx_key_has_challenge_response(key))
		return;
	w->threaded = pthread_create(&w->thread, NULL, worker_run, w) == 0;
}

/* built: a payload the caller made with the plain writer, or NULL to make it from c->xml. */
static int finish(kdbx_container_writer *w, kdbx_container *c, const kdbx_buf *hdr, int rc,
                  kdbx_buf *built, kdbx_buf *out)
{
	kdbx_buf own = KDBX_BUF_INIT;
	kdbx_buf *plain = built != NULL ? built : &own;

	own.secure = true;
	if (rc == KDBX_OK && (c == NULL || hdr == NULL || out == NULL || w->key == NULL))
		rc = kdbx_error__set(KDBX_EINVALID, "container_write: invalid argument");
	else if (rc == KDBX_OK && (hdr->len < 12 || kdbx_le32(hdr->data + 8) != c->version))
		rc = kdbx_error__set(KDBX_EINVALID, "header does not match the container");
	if (rc == KDBX_OK && built == NULL)
		rc = kdbx_container__write_plain_consume(c, plain);
	if (w->threaded) {
		if (rc != KDBX_OK)
			atomic_store(&w->cancel, 1);
		pthread_join(w->thread, NULL);
		/* Our own error (already set on this thread) came first: the worker's
		 * KDBX_ECANCELLED only follows from it. */
		if (rc == KDBX_OK && w->rc != KDBX_OK)
			rc = kdbx_error__set(w->rc, "%s", w->msg);
	} else if (rc == KDBX_OK) {
		rc = derive(w->key, w->version, &w->kdf, w->master_seed, 0, NULL, NULL, &w->keys);
	}
	if (rc == KDBX_OK)
		rc = kdbx_container_write_seal(c, hdr, plain, &w->keys, out);
	kdbx_buf_free(plain);
	kdbx_memzero(w, sizeof(*w));
	return rc;
}

int kdbx_container_write_finish(kdbx_container_writer *w, kdbx_container *c,
                                const kdbx_buf *hdr, int caller_rc, kdbx_buf *out)
{
	if (w == NULL)
		return kdbx_error__set(KDBX_EINVALID, "container_write_finish: invalid argument");
	return finish(w, c, hdr, caller_rc, NULL, out);
}

int kdbx_container_write_finish_plain(kdbx_container_writer *w, kdbx_container *c,
                                      const kdbx_buf *hdr, int caller_rc, kdbx_buf *plain,
                                      kdbx_buf *out)
{
	if (w == NULL || plain == NULL) {
		if (plain != NULL)
			kdbx_buf_free(plain);
		return kdbx_error__set(KDBX_EINVALID, "container_write_finish: invalid argument");
	}
	return finish(w, c, hdr, caller_rc, plain, out);
}
