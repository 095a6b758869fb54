/* KDBX 4.x payload: SHA-256(header) | HMAC-SHA-256(header) | HMAC block stream ->
 * cipher -> gzip -> inner header (stream id, stream key, binaries) + XML.
 * Spec: ../shared/reference/keepassxc-notes.md sections 3.3, 3.6. */
#include <stdlib.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "format/container.h"

#define HMB_HEADER (32 + 4) /* HMAC, length */
#define HEADER_HMAC_INDEX UINT64_MAX

enum { IH_END = 0, IH_STREAM_ID = 1, IH_STREAM_KEY = 2, IH_BINARY = 3 };

/* key_i = SHA-512(LE64(i) || K) */
static int block_key(uint64_t index, const uint8_t hmac_key[64], uint8_t out[64])
{
	uint8_t le[8];
	kdbx_put_le64(le, index);
	kdbx_iov v[2] = {{le, 8}, {hmac_key, 64}};
	return kdbx_sha512_v(v, 2, out);
}

static int block_mac(uint64_t index, const uint8_t hmac_key[64], const uint8_t *data,
                     uint32_t len, uint8_t out[32])
{
	uint8_t key[64], le[12];
	int rc = block_key(index, hmac_key, key);
	if (rc == KDBX_OK) {
		kdbx_put_le64(le, index);
		kdbx_put_le32(le + 8, len);
		kdbx_iov v[2] = {{le, 12}, {data, len}};
		rc = kdbx_hmac_sha256_v(key, 64, v, 2, out);
	}
	kdbx_memzero(key, sizeof(key));
	return rc;
}

int kdbx_kdbx4__header_mac(const uint8_t *hdr, size_t hdr_len, const uint8_t hmac_key[64],
                           uint8_t out[32])
{
	uint8_t key[64];
	int rc = block_key(HEADER_HMAC_INDEX, hmac_key, key);
	if (rc == KDBX_OK)
		rc = kdbx_hmac_sha256(key, 64, hdr, hdr_len, out);
	kdbx_memzero(key, sizeof(key));
	return rc;
}

int kdbx_kdbx4__check_header_hash(const uint8_t *hdr, size_t hdr_len, const uint8_t *rest,
                                  size_t n)
{
	uint8_t hash[32];
	int rc;
	if (n < 64)
		return kdbx_error__set(KDBX_ECORRUPT, "file truncated after the header");
	if ((rc = kdbx_sha256(hdr, hdr_len, hash)) != KDBX_OK)
		return rc;
	if (!kdbx_ct_equal(hash, rest, 32))
		return kdbx_error__set(KDBX_ECORRUPT, "header checksum mismatch");
	return KDBX_OK;
}

int kdbx_kdbx4__hmac_blocks_read(const uint8_t *in, size_t n, const uint8_t hmac_key[64],
                                 kdbx_buf *out)
{
	size_t pos = 0;
	uint8_t mac[32];
	int rc;

	for (uint64_t index = 0;; index++) {
		if (n - pos < HMB_HEADER)
			return kdbx_error__set(KDBX_ECORRUPT, "HMAC block stream truncated");
		const uint8_t *want = in + pos;
		uint32_t blen = kdbx_le32(in + pos + 32);
		pos += HMB_HEADER;
		if (blen > INT32_MAX || blen > n - pos)
			return kdbx_error__set(KDBX_ECORRUPT, "HMAC block length invalid");
		if ((rc = block_mac(index, hmac_key, in + pos, blen, mac)) != KDBX_OK)
			return rc;
		/* The header HMAC already proved the key: a bad block is damage. */
		if (!kdbx_ct_equal(mac, want, 32))
			return kdbx_error__set(KDBX_ECORRUPT, "HMAC block %llu mismatch",
			                       (unsigned long long)index);
		if (blen == 0)
			return KDBX_OK; /* authenticated final block */
		if ((rc = kdbx_buf_append(out, in + pos, blen)) != KDBX_OK)
			return rc;
		pos += blen;
	}
}

/* consume: NULL, or the secure buffer holding in, whose pages are given back block by block */
static int hmac_blocks(const uint8_t *in, size_t n, size_t block_size, const uint8_t hmac_key[64],
                       kdbx_buf *out, kdbx_buf *consume)
{
	size_t pos = 0;
	uint64_t index = 0;
	uint8_t mac[32];
	int rc;

	if (block_size == 0 || block_size > INT32_MAX)
		return kdbx_error__set(KDBX_EINVALID, "bad block size");
	for (;;) {
		size_t blen = n - pos < block_size ? n - pos : block_size;
		const uint8_t *p = blen > 0 ? in + pos : NULL; /* no arithmetic on a NULL in */
		if ((rc = block_mac(index, hmac_key, p, (uint32_t)blen, mac)) != KDBX_OK ||
		    (rc = kdbx_buf_append(out, mac, 32)) != KDBX_OK ||
		    (rc = kdbx_buf_append_le32(out, (uint32_t)blen)) != KDBX_OK ||
		    (rc = kdbx_buf_append(out, p, blen)) != KDBX_OK)
			return rc;
		if (blen == 0)
			return KDBX_OK;
		pos += blen;
		index++;
		kdbx_buf_release_upto(consume, in + pos);
	}
}

int kdbx_kdbx4__hmac_blocks_write(const uint8_t *in, size_t n, size_t block_size,
                                  const uint8_t hmac_key[64], kdbx_buf *out)
{
	return hmac_blocks(in, n, block_size, hmac_key, out, NULL);
}

static int add_binary(kdbx_container *c, const uint8_t *f, size_t n)
{
	if (n < 1)
		return kdbx_error__set(KDBX_ECORRUPT, "inner header binary without flag byte");
	if (c->nbinaries >= SIZE_MAX / sizeof(*c->binaries) - 1)
		return kdbx_error__set(KDBX_ENOMEM, "too many binaries");
	kdbx_binary *b = realloc(c->binaries, (c->nbinaries + 1) * sizeof(*b));
	if (b == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	c->binaries = b;
	uint8_t *data = malloc(n > 1 ? n - 1 : 1);
	if (data == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	memcpy(data, f + 1, n - 1);
	b[c->nbinaries].flags = f[0];
	b[c->nbinaries].data = data;
	b[c->nbinaries].len = n - 1;
	c->nbinaries++;
	return KDBX_OK;
}

/* Parses the inner header at the start of p; *used = its size. */
static int inner_header_read(kdbx_container *c, const uint8_t *p, size_t n, size_t *used)
{
	size_t pos = 0;
	bool have_id = false, have_key = false;
	int rc;

	for (;;) {
		if (n - pos < 5)
			return kdbx_error__set(KDBX_ECORRUPT, "inner header truncated");
		uint8_t id = p[pos];
		uint32_t flen = kdbx_le32(p + pos + 1);
		pos += 5;
		if (flen > n - pos)
			return kdbx_error__set(KDBX_ECORRUPT, "inner header field truncated");
		const uint8_t *f = p + pos;
		pos += flen;
		switch (id) {
		case IH_END:
			if (!have_id || !have_key)
				return kdbx_error__set(KDBX_ECORRUPT, "inner header misses the stream key");
			*used = pos;
			return KDBX_OK;
		case IH_STREAM_ID: {
			if (flen != 4)
				return kdbx_error__set(KDBX_ECORRUPT, "bad inner stream id field");
			uint32_t v = kdbx_le32(f);
			if (v == KDBX_STREAM_ARC4)
				return kdbx_error__set(KDBX_EUNSUPPORTED, "ArcFour inner stream");
			if (v != KDBX_STREAM_SALSA20 && v != KDBX_STREAM_CHACHA20)
				return kdbx_error__set(KDBX_ECORRUPT, "invalid inner stream id %u", v);
			c->stream_id = (int)v;
			have_id = true;
			break;
		}
		case IH_STREAM_KEY:
			if (flen == 0 || flen > sizeof(c->stream_key))
				return kdbx_error__set(KDBX_ECORRUPT, "bad inner stream key length");
			memcpy(c->stream_key, f, flen);
			c->stream_key_len = flen;
			have_key = true;
			break;
		case IH_BINARY:
			if ((rc = add_binary(c, f, flen)) != KDBX_OK)
				return rc;
			break;
		default:
			break; /* unknown inner fields are skipped */
		}
	}
}

/* A streamed read: waits until the whole inner header is in c->xml (or the stream ended;
 * inner_header_read then says what is missing). */
static int inner_header_wait(kdbx_container *c)
{
	const uint8_t *p = c->xml.data;
	size_t pos = 0;
	bool done = false;
	int rc;

	for (;;) {
		if ((rc = kdbx_container_xml_wait(c, p + pos + 5, &done)) != KDBX_OK)
			return rc;
		if (c->xml.len < pos + 5)
			return KDBX_OK;
		uint8_t id = p[pos];
		size_t flen = kdbx_le32(p + pos + 1);
		pos += 5 + flen;
		if ((rc = kdbx_container_xml_wait(c, p + pos, &done)) != KDBX_OK)
			return rc;
		if (id == IH_END || c->xml.len < pos)
			return KDBX_OK;
	}
}

/* Drops the inner header (used bytes) from the front of b; returns the bytes
 * left in front of the XML (c->xml_skip). A large secure buffer is a mapping:
 * its whole pages are unmapped and the < 1 page remainder is wiped and
 * skipped, so the document is not copied. Otherwise the XML is moved down. */
static size_t xml_after_inner_header(kdbx_buf *b, size_t used)
{
	if (b->secure) {
		const uint8_t *before = b->data;
		kdbx_buf_release_front(b, used);
		size_t dropped = (size_t)(b->data - before);
		if (dropped > 0 || b->cap >= (size_t)sysconf(_SC_PAGESIZE)) {
			used -= dropped;
			kdbx_memzero(b->data, used);
			return used;
		}
	}
	memmove(b->data, b->data + used, b->len - used);
	kdbx_memzero(b->data + (b->len - used), used);
	b->len -= used;
	return 0;
}

int kdbx_kdbx4__read(kdbx_container *c, const uint8_t *hdr, size_t hdr_len,
                     const uint8_t *rest, size_t n, const uint8_t cipher_key[32],
                     const uint8_t hmac_key[64])
{
	kdbx_buf enc = KDBX_BUF_INIT, plain = KDBX_BUF_INIT, gz = KDBX_BUF_INIT;
	kdbx_buf *inner = &plain;
	uint8_t mac[32];
	size_t used = 0;
	int rc;

	plain.secure = gz.secure = true;
	if ((rc = kdbx_kdbx4__check_header_hash(hdr, hdr_len, rest, n)) != KDBX_OK)
		goto out;
	if ((rc = kdbx_kdbx4__header_mac(hdr, hdr_len, hmac_key, mac)) != KDBX_OK)
		goto out;
	if (!kdbx_ct_equal(mac, rest + 32, 32)) {
		rc = kdbx_error__set(KDBX_EAUTH, "wrong credentials");
		goto out;
	}
	/* Ciphertext needs no wiping, but a secure buffer of whole 2 MiB pages
	 * takes a few page faults instead of one per 4 KiB. */
	enc.secure = true;
	if ((rc = kdbx_buf_reserve(&enc, kdbx_secure_round(n - 64))) != KDBX_OK ||
	    (rc = kdbx_kdbx4__hmac_blocks_read(rest + 64, n - 64, hmac_key, &enc)) != KDBX_OK)
		goto out;
	if (c->drop_input != NULL) { /* authenticated and copied: the file image is done */
		kdbx_buf_free(c->drop_input);
		hdr = rest = NULL;
	}
	if (c->cipher != KDBX_CIPHER_CHACHA20 && (enc.len == 0 || enc.len % 16 != 0)) {
		rc = kdbx_error__set(KDBX_ECORRUPT, "encrypted payload has a partial block");
		goto out;
	}
	/* decrypt reserves len + 32 (padding slack) itself; whole huge pages here. */
	if ((rc = kdbx_buf_reserve(&plain, kdbx_secure_round(enc.len + 32))) != KDBX_OK)
		goto out;
	rc = kdbx_cipher_decrypt(c->cipher, cipher_key, c->iv, enc.data, enc.len, &plain);
	if (rc != KDBX_OK) {
		/* Authenticated ciphertext with bad padding is damage, not a wrong key. */
		if (rc == KDBX_EAUTH)
			rc = kdbx_error__set(KDBX_ECORRUPT, "payload padding invalid");
		goto out;
	}
	kdbx_buf_free(&enc);
	size_t isize = c->compression == KDBX_COMPRESS_GZIP
	                   ? kdbx_gzip__size_hint(plain.data, plain.len, KDBX_GZIP_MAX_OUT)
	                   : 0;
	if (c->want_stream && isize > 0 && kdbx_gzip__stream_wanted(isize)) {
		/* The XML reader takes it as it is inflated; the inner header is read here. */
		kdbx_buf_free(&c->xml);
		c->xml.secure = true;
		if ((rc = kdbx_gzip__stream_start(&c->xml_stream, &plain, &c->xml, isize)) != KDBX_OK ||
		    (rc = inner_header_wait(c)) != KDBX_OK ||
		    (rc = inner_header_read(c, c->xml.data, c->xml.len, &used)) != KDBX_OK)
			goto out;
		c->xml_skip = xml_after_inner_header(&c->xml, used);
		goto out;
	}
	if (c->compression == KDBX_COMPRESS_GZIP) {
		if ((rc = kdbx_gzip__inflate(plain.data, plain.len, KDBX_GZIP_MAX_OUT, &gz)) != KDBX_OK)
			goto out;
		kdbx_buf_free(&plain);
		inner = &gz;
	}
	if ((rc = inner_header_read(c, inner->data, inner->len, &used)) != KDBX_OK)
		goto out;
	kdbx_buf_free(&c->xml);
	c->xml_skip = xml_after_inner_header(inner, used);
	c->xml = *inner;
	*inner = (kdbx_buf)KDBX_BUF_INIT;
out:
	if (rc != KDBX_OK)
		kdbx_container__free_binaries(c);
	kdbx_buf_free(&enc);
	kdbx_buf_free(&plain);
	kdbx_buf_free(&gz);
	return rc;
}

/* Key-free half, as the XML comes: the inner header (stream id + key, attachments), then
 * the XML, piece by piece into the deflater (they are never copied into one buffer first:
 * a vault with 100 MiB of attachments saves 200 MB lighter), or appended to the body when
 * it is stored uncompressed. */
static int payload_put(kdbx_plain_writer *pw, const void *data, size_t n)
{
	if (pw->z != NULL)
		return kdbx_gzip__deflate_feed(pw->z, data, n, false, pw->plain);
	return kdbx_buf_append(pw->plain, data, n);
}

/* type (1 byte), length (LE32), data */
static int inner_field(kdbx_plain_writer *pw, uint8_t id, const void *data, size_t n)
{
	uint8_t head[5];
	int rc;
	if (n > UINT32_MAX)
		return kdbx_error__set(KDBX_EINVALID, "inner header field too large");
	head[0] = id;
	kdbx_put_le32(head + 1, (uint32_t)n);
	if ((rc = payload_put(pw, head, 5)) != KDBX_OK)
		return rc;
	return payload_put(pw, data, n);
}

int kdbx_kdbx4__plain_begin(kdbx_plain_writer *pw)
{
	const kdbx_container *c = pw->c;
	uint8_t sid[4];
	int rc;

	if (c->stream_id != KDBX_STREAM_SALSA20 && c->stream_id != KDBX_STREAM_CHACHA20)
		return kdbx_error__set(KDBX_EINVALID, "bad inner stream id");
	if (c->stream_key_len == 0 || c->stream_key_len > sizeof(c->stream_key))
		return kdbx_error__set(KDBX_EINVALID, "inner stream key missing");
	kdbx_put_le32(sid, (uint32_t)c->stream_id);
	if (c->compression == KDBX_COMPRESS_GZIP) {
		if ((pw->z = kdbx_gzip__deflater_new()) == NULL)
			return KDBX_ENOMEM;
		kdbx_gzip__deflate_begin(pw->z);
	} else {
		/* One allocation for the inner header, the attachments and (when known) the XML. */
		size_t total = 64 + c->stream_key_len + pw->xml_hint;
		for (size_t i = 0; i < c->nbinaries && total < SIZE_MAX / 2; i++)
			total += 6 + c->binaries[i].len;
		if ((rc = kdbx_buf_reserve(pw->plain, kdbx_secure_round(total))) != KDBX_OK)
			return rc;
	}
	if ((rc = inner_field(pw, IH_STREAM_ID, sid, 4)) != KDBX_OK ||
	    (rc = inner_field(pw, IH_STREAM_KEY, c->stream_key, c->stream_key_len)) != KDBX_OK)
		return rc;
	for (size_t i = 0; i < c->nbinaries; i++) {
		const kdbx_binary *b = &c->binaries[i];
		uint8_t head[6];
		if (b->len > UINT32_MAX - 1)
			return kdbx_error__set(KDBX_EINVALID, "attachment too large");
		head[0] = IH_BINARY;
		kdbx_put_le32(head + 1, (uint32_t)(b->len + 1));
		head[5] = b->flags; /* the flag byte counts in the length */
		if ((rc = payload_put(pw, head, 6)) != KDBX_OK ||
		    (rc = payload_put(pw, b->data, b->len)) != KDBX_OK)
			return rc;
	}
	return inner_field(pw, IH_END, NULL, 0);
}

int kdbx_kdbx4__plain_feed(kdbx_plain_writer *pw, const uint8_t *xml, size_t n)
{
	return payload_put(pw, xml, n);
}

int kdbx_kdbx4__plain_end(kdbx_plain_writer *pw)
{
	return pw->z != NULL ? kdbx_gzip__deflate_feed(pw->z, NULL, 0, true, pw->plain) : KDBX_OK;
}

/* Key-dependent half: SHA-256 + HMAC of the header, then the encrypted body in HMAC blocks. */
int kdbx_kdbx4__write_seal(const kdbx_container *c, const uint8_t *hdr, size_t hdr_len,
                           kdbx_buf *body, const uint8_t cipher_key[32],
                           const uint8_t hmac_key[64], kdbx_buf *out)
{
	kdbx_buf enc = KDBX_BUF_INIT;
	uint8_t hash[32], mac[32];
	int rc;

	/* As on read: whole huge pages for the ciphertext (padding: <= 16 more). */
	enc.secure = true;
	if ((rc = kdbx_buf_reserve(&enc, kdbx_secure_round(body->len + 32))) != KDBX_OK ||
	    (rc = kdbx_cipher_encrypt_consume(c->cipher, cipher_key, c->iv, body, &enc)) != KDBX_OK)
		goto out;
	if ((rc = kdbx_sha256(hdr, hdr_len, hash)) != KDBX_OK ||
	    (rc = kdbx_kdbx4__header_mac(hdr, hdr_len, hmac_key, mac)) != KDBX_OK ||
	    (rc = kdbx_buf_append(out, hash, 32)) != KDBX_OK ||
	    (rc = kdbx_buf_append(out, mac, 32)) != KDBX_OK)
		goto out;
	rc = hmac_blocks(enc.data, enc.len, KDBX_BLOCK_SIZE, hmac_key, out, &enc);
out:
	kdbx_buf_free(body);
	kdbx_buf_free(&enc);
	return rc;
}

