/* KDBX 2.x/3.x payload: cipher over the rest of the file -> 32 StreamStartBytes ->
 * HashedBlockStream -> gzip -> XML.
 * Spec: ../shared/reference/keepassxc-notes.md sections 3.4, 3.6. */
#include "crypto/crypto.h"
#include "format/container.h"

#define HB_HEADER (4 + 32 + 4) /* index, SHA-256, length */

int kdbx_kdbx3__hashed_blocks_read(const uint8_t *in, size_t n, kdbx_buf *out)
{
	size_t pos = 0;
	uint64_t index = 0;
	uint8_t hash[32];
	int rc;

	for (;;) {
		if (n - pos < HB_HEADER)
			return kdbx_error__set(KDBX_ECORRUPT, "hashed block stream truncated");
		uint32_t idx = kdbx_le32(in + pos);
		const uint8_t *want = in + pos + 4;
		uint32_t blen = kdbx_le32(in + pos + 36);
		pos += HB_HEADER;
		if (idx != index)
			return kdbx_error__set(KDBX_ECORRUPT, "hashed block index mismatch");
		if (blen > INT32_MAX || blen > n - pos)
			return kdbx_error__set(KDBX_ECORRUPT, "hashed block length invalid");
		if (blen == 0) {
			/* The final block carries an all-zero hash. */
			static const uint8_t zero[32];
			if (memcmp(want, zero, 32) != 0)
				return kdbx_error__set(KDBX_ECORRUPT, "hashed block stream: bad final block");
			return KDBX_OK;
		}
		if ((rc = kdbx_sha256(in + pos, blen, hash)) != KDBX_OK)
			return rc;
		if (!kdbx_ct_equal(hash, want, 32))
			return kdbx_error__set(KDBX_ECORRUPT, "hashed block hash mismatch");
		if ((rc = kdbx_buf_append(out, in + pos, blen)) != KDBX_OK)
			return rc;
		pos += blen;
		if (++index > UINT32_MAX)
			return kdbx_error__set(KDBX_ECORRUPT, "hashed block stream too long");
	}
}

/* One HashedBlockStream block (blen > 0), or with blen 0 the empty final one (its hash
 * is all zeros); *index counts them. */
static int hashed_block(kdbx_buf *out, uint32_t *index, const uint8_t *in, size_t blen)
{
	uint8_t hash[32] = {0};
	int rc;

	if (*index == UINT32_MAX)
		return kdbx_error__set(KDBX_EINVALID, "payload too large");
	if ((blen > 0 && (rc = kdbx_sha256(in, blen, hash)) != KDBX_OK) ||
	    (rc = kdbx_buf_append_le32(out, *index)) != KDBX_OK ||
	    (rc = kdbx_buf_append(out, hash, 32)) != KDBX_OK ||
	    (rc = kdbx_buf_append_le32(out, (uint32_t)blen)) != KDBX_OK ||
	    (rc = kdbx_buf_append(out, in, blen)) != KDBX_OK)
		return rc;
	(*index)++;
	return KDBX_OK;
}

int kdbx_kdbx3__hashed_blocks_write(const uint8_t *in, size_t n, size_t block_size, kdbx_buf *out)
{
	uint32_t index = 0;
	int rc;

	if (block_size == 0 || block_size > INT32_MAX)
		return kdbx_error__set(KDBX_EINVALID, "bad block size");
	for (size_t pos = 0; pos < n; pos += block_size)
		if ((rc = hashed_block(out, &index, in + pos, n - pos < block_size ? n - pos : block_size)) !=
		    KDBX_OK)
			return rc;
	return hashed_block(out, &index, NULL, 0);
}

int kdbx_kdbx3__read(kdbx_container *c, const uint8_t *payload, size_t n,
                     const uint8_t cipher_key[32])
{
	kdbx_buf plain = KDBX_BUF_INIT, blocks = KDBX_BUF_INIT, xml = KDBX_BUF_INIT;
	int rc;

	plain.secure = blocks.secure = xml.secure = true;
	/* Block ciphers need whole blocks; a partial block means truncation, not a wrong key. */
	if (c->cipher != KDBX_CIPHER_CHACHA20 && (n == 0 || n % 16 != 0)) {
		rc = kdbx_error__set(KDBX_ECORRUPT, "encrypted payload truncated");
		goto out;
	}
	/* decrypt reserves n + 32 (padding slack) itself; whole huge pages here. */
	if (n <= SIZE_MAX - 32 &&
	    (rc = kdbx_buf_reserve(&plain, kdbx_secure_round(n + 32))) != KDBX_OK)
		goto out;
	rc = kdbx_cipher_decrypt(c->cipher, cipher_key, c->iv, payload, n, &plain);
	if (rc != KDBX_OK) {
		if (rc == KDBX_EAUTH)
			rc = kdbx_error__set(KDBX_EAUTH, "wrong credentials");
		goto out;
	}
	if (plain.len < 32 || !kdbx_ct_equal(plain.data, c->stream_start, 32)) {
		rc = kdbx_error__set(KDBX_EAUTH, "wrong credentials");
		goto out;
	}
	if (c->drop_input != NULL) /* the right key: the file image is no longer needed */
		kdbx_buf_free(c->drop_input);
	/* The block payloads are at most the stream's size: one reservation. */
	if ((rc = kdbx_buf_reserve(&blocks, kdbx_secure_round(plain.len - 32))) != KDBX_OK ||
	    (rc = kdbx_kdbx3__hashed_blocks_read(plain.data + 32, plain.len - 32, &blocks)) !=
	        KDBX_OK)
		goto out;
	kdbx_buf_free(&plain);
	size_t isize = c->compression == KDBX_COMPRESS_GZIP
	                   ? kdbx_gzip__size_hint(blocks.data, blocks.len, KDBX_GZIP_MAX_OUT)
	                   : 0;
	if (c->want_stream && isize > 0 && kdbx_gzip__stream_wanted(isize)) {
		/* The XML reader takes it as it is inflated (kdbx_container_xml_wait). */
		kdbx_buf_free(&c->xml);
		c->xml_skip = 0;
		c->xml.secure = true;
		rc = kdbx_gzip__stream_start(&c->xml_stream, &blocks, &c->xml, isize);
	} else if (c->compression == KDBX_COMPRESS_GZIP) {
		if ((rc = kdbx_gzip__inflate(blocks.data, blocks.len, KDBX_GZIP_MAX_OUT, &xml)) !=
		    KDBX_OK)
			goto out;
		kdbx_buf_free(&c->xml);
		c->xml_skip = 0;
		c->xml = xml;
		xml = (kdbx_buf)KDBX_BUF_INIT;
	} else {
		kdbx_buf_free(&c->xml);
		c->xml_skip = 0;
		c->xml = blocks;
		blocks = (kdbx_buf)KDBX_BUF_INIT;
	}
out:
	kdbx_buf_free(&plain);
	kdbx_buf_free(&blocks);
	kdbx_buf_free(&xml);
	return rc;
}

/* Key-free half, as the XML comes: StreamStartBytes, then the (gzipped) document cut into
 * hashed blocks. Each whole block moves into plain as soon as it is there, so only the
 * last partial block waits in pw->pending. */
int kdbx_kdbx3__plain_begin(kdbx_plain_writer *pw)
{
	pw->pending.secure = true;
	if (pw->c->compression == KDBX_COMPRESS_GZIP) {
		if ((pw->z = kdbx_gzip__deflater_new()) == NULL)
			return KDBX_ENOMEM;
		kdbx_gzip__deflate_begin(pw->z);
	}
	return kdbx_buf_append(pw->plain, pw->c->stream_start, 32);
}

static int emit_blocks(kdbx_plain_writer *pw, bool final)
{
	kdbx_buf *p = &pw->pending;
	size_t done = 0;
	int rc = KDBX_OK;

	while (rc == KDBX_OK && (p->len - done >= KDBX_BLOCK_SIZE || (final && p->len > done))) {
		size_t blen = p->len - done < KDBX_BLOCK_SIZE ? p->len - done : KDBX_BLOCK_SIZE;
		rc = hashed_block(pw->plain, &pw->block_index, p->data + done, blen);
		done += blen;
	}
	if (done > 0) { /* the rest (less than a block) moves to the front */
		memmove(p->data, p->data + done, p->len - done);
		p->len -= done;
	}
	return rc;
}

int kdbx_kdbx3__plain_feed(kdbx_plain_writer *pw, const uint8_t *xml, size_t n)
{
	int rc = pw->z != NULL ? kdbx_gzip__deflate_feed(pw->z, xml, n, false, &pw->pending)
	                       : kdbx_buf_append(&pw->pending, xml, n);
	return rc != KDBX_OK ? rc : emit_blocks(pw, false);
}

int kdbx_kdbx3__plain_end(kdbx_plain_writer *pw)
{
	int rc;

	if (pw->z != NULL && (rc = kdbx_gzip__deflate_feed(pw->z, NULL, 0, true, &pw->pending)) != KDBX_OK)
		return rc;
	if ((rc = emit_blocks(pw, true)) != KDBX_OK)
		return rc;
	return hashed_block(pw->plain, &pw->block_index, NULL, 0);
}

/* Key-dependent half: the encrypted payload. */
int kdbx_kdbx3__write_seal(const kdbx_container *c, kdbx_buf *plain,
                           const uint8_t cipher_key[32], kdbx_buf *out)
{
	return kdbx_cipher_encrypt_consume(c->cipher, cipher_key, c->iv, plain, out);
}

