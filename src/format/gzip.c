/* gzip (RFC 1952) compression of the KDBX inner payload via zlib.
 * Spec: ../shared/reference/keepassxc-notes.md section 3.6. */
#include <limits.h>
#include <stdlib.h>
#include <zlib.h>

#include "format/container.h"

#define GZIP_WINDOW (15 + 16) /* 15-bit window, gzip wrapper */
#define GZIP_CHUNK ((size_t)64 * 1024)
/* KeePassXC writes with QtIOCompressor's default, zlib level 6. Level 3 takes
 * about half the CPU time of level 6 on a 10k-entry vault's XML (36 MB: 0.13 s
 * vs 0.29 s) for an 18% larger payload; level 1 is no faster there and 29%
 * larger. Saving happens on every edit, so the faster level is worth it. */
#define GZIP_LEVEL 3

/* zlib's window and state hold plaintext: allocate with a size prefix so it can be wiped. */
#define ZHDR 16 /* keeps malloc's 16-byte alignment */

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	if (size != 0 && items > (SIZE_MAX - ZHDR) / size)
		return Z_NULL;
	size_t n = (size_t)items * size;
	uint8_t *p = malloc(n + ZHDR);
	if (p == NULL)
		return Z_NULL;
	memcpy(p, &n, sizeof(n));
	return p + ZHDR;
}

static void z_free(voidpf opaque, voidpf addr)
{
	(void)opaque;
	if (addr == Z_NULL)
		return;
	uint8_t *p = (uint8_t *)addr - ZHDR;
	size_t n;
	memcpy(&n, p, sizeof(n));
	kdbx_freezero(p, n + ZHDR);
}

/* deflate cannot expand data by more than about 1032:1, so an ISIZE above that is a lie. */
#define DEFLATE_MAX_RATIO 1032u

/* Output size to reserve up front: the gzip trailer's ISIZE (the uncompressed
 * length mod 2^32) when it is plausible, so the output buffer is sized once
 * instead of grown step by step. It is only a hint: ISIZE is not authenticated
 * here and may be wrong (trailing bytes, > 4 GiB); inflate still bounds the
 * output by max_out and grows the buffer if the hint was short. */
static size_t size_hint(const uint8_t *in, size_t n, size_t max_out)
{
	if (n < 18) /* smallest gzip member: 10-byte header + empty block + trailer */
		return 0;
	size_t isize = (size_t)kdbx_le32(in + n - 4);
	if (isize > max_out || isize / DEFLATE_MAX_RATIO > n)
		return 0;
	return isize;
}

int kdbx_gzip__inflate(const uint8_t *in, size_t n, size_t max_out, kdbx_buf *out)
{
	z_stream zs;
	int rc = KDBX_OK, zrc;
	size_t start = out->len, hint = size_hint(in, n, max_out);

	memset(&zs, 0, sizeof(zs));
	zs.zalloc = z_alloc;
	zs.zfree = z_free;
	if (inflateInit2(&zs, GZIP_WINDOW) != Z_OK)
		return kdbx_error__set(KDBX_ENOMEM, "zlib init failed");
	zs.next_in = (Bytef *)(uintptr_t)in;
	size_t in_left = n;
	for (;;) {
		if (zs.avail_in == 0 && in_left > 0) {
			/* avail_in is a uInt: feed large inputs in slices. */
			zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
			in_left -= zs.avail_in;
		}
		if (out->len - start >= max_out) {
			rc = kdbx_error__set(KDBX_ECORRUPT, "decompressed payload too large");
			goto out;
		}
		size_t room = max_out - (out->len - start);
		if (out->data == NULL || out->cap == out->len) {
			/* First pass: the hint plus one byte, so a correct hint never
			 * needs a second reservation; later passes grow geometrically. */
			size_t want = hint > 0 && out->len == start ? hint + 1 : GZIP_CHUNK;
			if ((rc = kdbx_buf_reserve(out, want < room ? want : room)) != KDBX_OK)
				goto out;
		}
		if (room > out->cap - out->len)
			room = out->cap - out->len;
		if (room > UINT_MAX)
			room = UINT_MAX;
		zs.next_out = out->data + out->len;
		zs.avail_out = (uInt)room;
		zrc = inflate(&zs, Z_NO_FLUSH);
		out->len += room - zs.avail_out;
		if (zrc == Z_STREAM_END)
			break; /* bytes after the gzip member are ignored */
		if (zrc == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) {
			rc = kdbx_error__set(KDBX_ECORRUPT, "compressed payload truncated");
			goto out;
		}
		if (zrc == Z_MEM_ERROR) {
			rc = kdbx_error__set(KDBX_ENOMEM, "out of memory (zlib)");
			goto out;
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			rc = kdbx_error__set(KDBX_ECORRUPT, "compressed payload damaged");
			goto out;
		}
	}
out:
	inflateEnd(&zs);
	return rc;
}

int kdbx_gzip__deflate(const uint8_t *in, size_t n, kdbx_buf *out)
{
	z_stream zs;
	int rc = KDBX_OK, zrc;

	memset(&zs, 0, sizeof(zs));
	zs.zalloc = z_alloc;
	zs.zfree = z_free;
	if (deflateInit2(&zs, GZIP_LEVEL, Z_DEFLATED, GZIP_WINDOW, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		return kdbx_error__set(KDBX_ENOMEM, "zlib init failed");
	zs.next_in = (Bytef *)(uintptr_t)in;
	size_t in_left = n;
	for (;;) {
		if (zs.avail_in == 0 && in_left > 0) {
			zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
			in_left -= zs.avail_in;
		}
		if ((rc = kdbx_buf_reserve(out, GZIP_CHUNK)) != KDBX_OK)
			goto out;
		zs.next_out = out->data + out->len;
		zs.avail_out = (uInt)GZIP_CHUNK;
		zrc = deflate(&zs, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
		out->len += GZIP_CHUNK - zs.avail_out;
		if (zrc == Z_STREAM_END)
			break;
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			rc = kdbx_error__set(KDBX_ERROR, "zlib deflate failed");
			goto out;
		}
	}
out:
	deflateEnd(&zs);
	return rc;
}
