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

/* HashedBlockStream writer: blocks as the data comes, the empty final block at the end. */
typedef struct hashed_writer {
	uint32_t index;
	kdbx_buf *out;
} hashed_writer;

static int hashed_block(hashed_writer *h, const uint8_t *in, size_t blen)
{
	uint8_t hash[32];
	int rc;

	if (h->index == UINT32_MAX)
		return kdbx_error__set(KDBX_EINVALID, "payload too large");
	if ((rc = kdbx_sha256(in, blen, hash)) != KDBX_OK ||
	    (rc = kdbx_buf_append_le32(h->out, h->index)) != KDBX_OK ||
	    (rc = kdbx_buf_append(h->out, hash, 32)) != KDBX_OK ||
	    (rc = kdbx_buf_append_le32(h->out, (uint32_t)blen)) != KDBX_OK ||
	    (rc = kdbx_buf_append(h->out, in, blen)) != KDBX_OK)
		return rc;
	h->index++;
	return KDBX_OK;
}

static int hashed_end(hashed_writer *h)
{
	static const uint8_t zero[32];
	int rc;

	if ((rc = kdbx_buf_append_le32(h->out, h->index)) != KDBX_OK ||
	    (rc = kdbx_buf_append(h->out, zero, 32)) != KDBX_OK)
		return rc;
	return kdbx_buf_append_le32(h->out, 0);
}

int kdbx_kdbx3__hashed_blocks_write(const uint8_t *in, size_t n, size_t block_size, kdbx_buf *out)
{
	hashed_writer h = {0, out};
	int rc;

	if (block_size == 0 || block_size > INT32_MAX)
		return kdbx_error__set(KDBX_EINVALID, "bad block size");
	for (size_t pos = 0; pos < n; pos += block_size)
		if ((rc = hashed_block(&h, in + pos, n - pos < block_size ? n - pos : block_size)) != KDBX_OK)
			return rc;
	return hashed_end(&h);
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

/* The XML goes into the deflater a slice at a time; each whole block of its output moves
 * into plain as soon as it is there, so the compressed payload is never in memory twice
 * (a vault with 100 MiB of attachments saved 110 MB lighter). */
#define DEFLATE_SLICE ((size_t)8 << 20)

static int write_gzip_blocks(const uint8_t *xml, size_t n, hashed_writer *h, kdbx_buf *xml_done)
{
	kdbx_gzip_deflater *z = kdbx_gzip__deflater_new();
	kdbx_buf gz = KDBX_BUF_INIT;
	size_t pos = 0;
	int rc = KDBX_OK;

	if (z == NULL)
		return KDBX_ENOMEM;
	gz.secure = true;
	kdbx_gzip__deflate_begin(z);
	for (bool last = false; !last && rc == KDBX_OK;) {
		size_t take = n - pos < DEFLATE_SLICE ? n - pos : DEFLATE_SLICE;
		last = pos + take == n;
		if ((rc = kdbx_gzip__deflate_feed(z, xml + pos, take, last, &gz)) != KDBX_OK)
			break;
		pos += take;
		if (xml_done != NULL) /* the deflater keeps its own copy of its window */
			kdbx_buf_release_front(xml_done, (size_t)(xml + pos - xml_done->data));
		size_t done = 0;
		while (rc == KDBX_OK && (gz.len - done >= KDBX_BLOCK_SIZE || (last && gz.len > done))) {
			size_t blen = gz.len - done < KDBX_BLOCK_SIZE ? gz.len - done : KDBX_BLOCK_SIZE;
			rc = hashed_block(h, gz.data + done, blen);
			done += blen;
		}
		/* the rest (less than a block) moves to the front */
		memmove(gz.data, gz.data + done, gz.len - done);
		gz.len -= done;
	}
	kdbx_buf_free(&gz);
	kdbx_gzip__deflater_free(z);
	return rc;
}

/* Key-free half: StreamStartBytes + hashed blocks of the (gzipped) XML, into a secure plain. */
int kdbx_kdbx3__write_plain(const kdbx_container *c, kdbx_buf *plain, kdbx_buf *xml_done)
{
	/* xml_skip: a container read from a KDBX4 file and written as KDBX3. */
	const uint8_t *body = c->xml_skip > 0 ? c->xml.data + c->xml_skip : c->xml.data;
	size_t body_len = c->xml.len - c->xml_skip;
	hashed_writer h = {0, plain};
	int rc;

	if ((rc = kdbx_buf_append(plain, c->stream_start, 32)) != KDBX_OK)
		return rc;
	if (c->compression == KDBX_COMPRESS_GZIP)
		rc = write_gzip_blocks(body, body_len, &h, xml_done);
	else
		for (size_t pos = 0; pos < body_len && rc == KDBX_OK; pos += KDBX_BLOCK_SIZE)
			rc = hashed_block(&h, body + pos,
			                  body_len - pos < KDBX_BLOCK_SIZE ? body_len - pos : KDBX_BLOCK_SIZE);
	if (rc == KDBX_OK)
		rc = hashed_end(&h);
	return rc;
}

/* Key-dependent half: the encrypted payload. */
int kdbx_kdbx3__write_seal(const kdbx_container *c, kdbx_buf *plain,
                           const uint8_t cipher_key[32], kdbx_buf *out)
{
	int rc = kdbx_cipher_encrypt(c->cipher, cipher_key, c->iv, plain->data, plain->len, out);
	kdbx_buf_free(plain);
	return rc;
}

int kdbx_kdbx3__write(const kdbx_container *c, const uint8_t cipher_key[32], kdbx_buf *out)
{
	kdbx_buf plain = KDBX_BUF_INIT;
	int rc;

	plain.secure = true;
	rc = kdbx_kdbx3__write_plain(c, &plain, NULL);
	if (rc == KDBX_OK)
		rc = kdbx_kdbx3__write_seal(c, &plain, cipher_key, out);
	kdbx_buf_free(&plain);
	return rc;
}
