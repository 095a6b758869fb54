/* Whole-file container: dispatches on the header version to the KDBX 3 or KDBX 4 payload code.
 * Spec: ../shared/reference/keepassxc-notes.md section 3 (3.1-3.6). */
#include <stdlib.h>

#include "crypto/crypto.h"
#include "format/container.h"
#include "keys/keys.h"

/* AES-KDF rounds above INT32_MAX cannot be opened by KeePassXC (it keeps them in an int) and
 * would take hours; the other sanity caps live in kdbx_kdf__validate. */
#define LIMIT_AES_ROUNDS ((uint64_t)INT32_MAX)

void kdbx_container__free_binaries(kdbx_container *c)
{
	for (size_t i = 0; i < c->nbinaries && !c->binaries_borrowed; i++)
		kdbx_freezero(c->binaries[i].data, c->binaries[i].len);
	free(c->binaries);
	c->binaries = NULL;
	c->nbinaries = 0;
	c->binaries_borrowed = false;
}

void kdbx_container__drop_payload(kdbx_container *c)
{
	kdbx_gzip__stream_free(&c->xml_stream); /* before xml: it writes there */
	kdbx_container__free_binaries(c);
	kdbx_buf_free(&c->xml);
	c->xml_skip = 0;
}

void kdbx_container_free(kdbx_container *c)
{
	if (c == NULL)
		return;
	kdbx_container__drop_payload(c);
	free(c->public_custom_data);
	/* Seeds and the stream key are secret enough to wipe. */
	kdbx_memzero(c, sizeof(*c));
}

int kdbx_container_xml_wait(kdbx_container *c, const uint8_t *upto, bool *complete)
{
	size_t produced;
	int rc;

	*complete = true;
	if (c->xml_stream == NULL)
		return KDBX_OK;
	const uint8_t *out = kdbx_gzip__stream_out(c->xml_stream);
	size_t want = upto == NULL ? SIZE_MAX : upto > out ? (size_t)(upto - out) : 0;
	rc = kdbx_gzip__stream_wait(c->xml_stream, want, &produced, complete);
	/* the front of xml may have been released: its start moved up, the end did not */
	c->xml.len = (size_t)(out + produced - c->xml.data);
	return rc;
}

void kdbx_container_xml_release(kdbx_container *c, const uint8_t *upto)
{
	size_t n = upto > c->xml.data ? (size_t)(upto - c->xml.data) : 0;
	size_t moved = 0;

	if (c->xml_stream != NULL)
		moved = kdbx_gzip__stream_recycle(c->xml_stream, c->xml.data, n);
	if (moved == 0) {
		kdbx_buf_release_front(&c->xml, n);
		return;
	}
	/* the rest (under a huge page) goes with the next release */
	c->xml.data += moved;
	c->xml.len -= moved;
	c->xml.cap -= moved;
}

int kdbx_container__check_kdf_limits(const kdbx_kdf_params *p, const kdbx_open_options *opts)
{
	bool skip = opts != NULL && opts->skip_kdf_limits;
	int rc = kdbx_kdf__validate(p, skip ? KDBX_KDF_SKIP_LIMITS : 0);
	if (rc != KDBX_OK)
		return rc;
	if (!skip && (p->type == KDBX_KDF_AES_KDBX3 || p->type == KDBX_KDF_AES_KDBX4) &&
	    p->rounds > LIMIT_AES_ROUNDS)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "AES-KDF rounds above the limit");
	return KDBX_OK;
}

static int read_image(kdbx_container *out, const uint8_t *data, size_t len, kdbx_buf *owned,
                      const kdbx_key *key, const kdbx_open_options *opts, bool want_stream)
{
	uint8_t cipher_key[32], hmac_key[64];
	size_t hl = 0;
	int rc;

	if (out == NULL || (data == NULL && len > 0) || key == NULL)
		return kdbx_error__set(KDBX_EINVALID, "container_read: invalid argument");
	memset(out, 0, sizeof(*out));
	out->xml.secure = true;
	out->drop_input = owned;
	out->want_stream = want_stream;
	if ((rc = kdbx_header__parse(out, data, len, &hl)) != KDBX_OK)
		goto out;
	if ((rc = kdbx_sha256(data, hl, out->header_hash)) != KDBX_OK)
		goto out;
	bool v4 = out->version >= KDBX_VERSION_4_0;
	/* Cheap integrity checks before the deliberately slow key derivation. */
	if (v4 && (rc = kdbx_kdbx4__check_header_hash(data, hl, data + hl, len - hl)) != KDBX_OK)
		goto out;
	if ((rc = kdbx_container__check_kdf_limits(&out->kdf, opts)) != KDBX_OK)
		goto out;
	rc = kdbx_key__derive_ex(key, out->version, &out->kdf, out->master_seed, cipher_key,
	                         v4 ? hmac_key : NULL, opts != NULL ? opts->progress : NULL,
	                         opts != NULL ? opts->progress_data : NULL,
	                         opts != NULL && opts->skip_kdf_limits ? KDBX_KDF_SKIP_LIMITS : 0);
	if (rc != KDBX_OK)
		goto out;
	if (v4)
		rc = kdbx_kdbx4__read(out, data, hl, data + hl, len - hl, cipher_key, hmac_key);
	else
		rc = kdbx_kdbx3__read(out, data + hl, len - hl, cipher_key);
out:
	kdbx_memzero(cipher_key, sizeof(cipher_key));
	kdbx_memzero(hmac_key, sizeof(hmac_key));
	out->drop_input = NULL;
	if (rc != KDBX_OK)
		kdbx_container_free(out);
	return rc;
}

int kdbx_container_read(kdbx_container *out, const uint8_t *data, size_t len, const kdbx_key *key,
                        const kdbx_open_options *opts)
{
	return read_image(out, data, len, NULL, key, opts, false);
}

int kdbx_container_read_buf(kdbx_container *out, kdbx_buf *file, const kdbx_key *key,
                            const kdbx_open_options *opts)
{
	if (file == NULL)
		return kdbx_error__set(KDBX_EINVALID, "container_read: invalid argument");
	return read_image(out, file->data, file->len, file, key, opts, false);
}

int kdbx_container_read_streamed(kdbx_container *out, const uint8_t *data, size_t len,
                                 kdbx_buf *file, const kdbx_key *key,
                                 const kdbx_open_options *opts)
{
	if (file != NULL) {
		data = file->data;
		len = file->len;
	}
	return read_image(out, data, len, file, key, opts, true);
}

int kdbx_container_write_header(kdbx_container *c, kdbx_buf *hdr)
{
	if (c == NULL || hdr == NULL)
		return kdbx_error__set(KDBX_EINVALID, "container_write_header: invalid argument");
	size_t start = hdr->len;
	int rc = kdbx_header__write(c, hdr);
	if (rc == KDBX_OK)
		rc = kdbx_sha256(hdr->data + start, hdr->len - start, c->header_hash);
	return rc;
}

int kdbx_container_write(const kdbx_container *c, const kdbx_buf *hdr, const kdbx_key *key,
                         kdbx_buf *out)
{
	kdbx_container_keys keys;
	kdbx_buf plain = KDBX_BUF_INIT;
	int rc;

	if (c == NULL || hdr == NULL || key == NULL || out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "container_write: invalid argument");
	/* The header must be the one written for this container's version. */
	if (hdr->len < 12 || kdbx_le32(hdr->data + 8) != c->version)
		return kdbx_error__set(KDBX_EINVALID, "header does not match the container");
	/* The three steps of container_write.c, in line (db_io.c overlaps them). */
	plain.secure = true;
	if ((rc = kdbx_container_derive_keys(c, key, 0, NULL, NULL, &keys)) == KDBX_OK &&
	    (rc = kdbx_container_write_plain(c, &plain)) == KDBX_OK)
		rc = kdbx_container_write_seal(c, hdr, &plain, &keys, out);
	kdbx_buf_free(&plain);
	kdbx_memzero(&keys, sizeof(keys));
	return rc;
}

int kdbx_container_new_seeds(kdbx_container *c)
{
	int rc;

	if (c == NULL)
		return kdbx_error__set(KDBX_EINVALID, "container_new_seeds: invalid argument");
	size_t iv_len = kdbx_cipher__iv_len(c->cipher);
	if (iv_len == 0 || iv_len > sizeof(c->iv))
		return kdbx_error__set(KDBX_EINVALID, "unknown cipher");
	if ((rc = kdbx_random(c->master_seed, 32)) != KDBX_OK ||
	    (rc = kdbx_random(c->iv, iv_len)) != KDBX_OK ||
	    (rc = kdbx_random(c->kdf.seed, 32)) != KDBX_OK)
		return rc;
	c->iv_len = iv_len;
	c->kdf.seed_len = 32;
	if (c->version >= KDBX_VERSION_4_0) {
		c->stream_id = KDBX_STREAM_CHACHA20;
		c->stream_key_len = 64;
		rc = kdbx_random(c->stream_key, 64);
	} else {
		c->stream_id = KDBX_STREAM_SALSA20;
		c->stream_key_len = 32;
		rc = kdbx_random(c->stream_key, 32);
		if (rc == KDBX_OK)
			rc = kdbx_random(c->stream_start, 32);
	}
	return rc;
}
