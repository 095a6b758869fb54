/* gzip (RFC 1952) compression of the KDBX inner payload: libdeflate for the
 * whole-buffer fast paths, zlib for inflating odd input (ISA-L streams the big
 * documents, gzip_stream.c).
 * Spec: ../shared/reference/keepassxc-notes.md section 3.6. */
#include <libdeflate.h>
#include <limits.h>
#include <stdlib.h>
#include <zlib.h>

#include "format/container.h"

#define GZIP_WINDOW (15 + 16) /* 15-bit window, gzip wrapper */
#define GZIP_CHUNK ((size_t)64 * 1024)
#define GZIP_FLG_FHCRC 0x02
/* KeePassXC writes with QtIOCompressor's default, zlib level 6; we used zlib 3.
 * Measured on a 10k-entry vault (KDBX 4, 46 MB of XML; CPU ms of the whole
 * container write, best of 5, shared machine) and on its 36 MB import XML
 * (deflate alone, quiet machine):
 *   zlib 3:       4.04 MB, 186-191 ms | 9.91%, 128-143 ms
 *   libdeflate 1: 5.25 MB, 113-127 ms | 10.20%, 55 ms
 *   libdeflate 3: 5.06 MB, 143-149 ms | 9.78%, 77 ms
 *   libdeflate 4: 3.73 MB, 122-126 ms | 8.92%, 85 ms
 *   libdeflate 5: 3.63 MB, 125 ms     | 8.78%, 92 ms
 *   libdeflate 6: 3.43 MB, 149 ms     | 8.59%, 138 ms
 * Level 4: 8% smaller than zlib 3 in about 60% of its time. On the real
 * payload level 1 saves ~10 ms for a 40% larger file and levels 2-3 are both
 * larger and slower. */
#define GZIP_LEVEL 4

/* zlib's window and state hold plaintext: allocate with a size prefix so it can be wiped. */
#define ZHDR 16 /* keeps malloc's 16-byte alignment */

static void *z_alloc(void *opaque, unsigned items, unsigned size)
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

static void z_free(void *opaque, void *addr)
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
size_t kdbx_gzip__size_hint(const uint8_t *in, size_t n, size_t max_out)
{
	if (n < 18) /* smallest gzip member: 10-byte header + empty block + trailer */
		return 0;
	size_t isize = (size_t)kdbx_le32(in + n - 4);
	if (isize > max_out || isize / DEFLATE_MAX_RATIO > n)
		return 0;
	return isize;
}

/* libdeflate allocates its state with its default allocator. That state holds no plaintext
 * bytes (decompressor: Huffman tables; compressor at levels <= 9: hash chains of positions
 * and symbol counts), so it is not wiped. libdeflate 1.14 can only change the allocator
 * process-wide (libdeflate_set_memory_allocator), which would replace one an application
 * may have installed itself: a library must not do that. */

/* One-call inflate straight into out (libdeflate keeps no window of its own:
 * matches are copied from the output buffer itself), when the trailer's ISIZE
 * is the exact size. libdeflate checks the CRC-32 and ISIZE. Returns true on
 * success; on any failure (ISIZE wrong, damage, no memory) out is wiped back
 * to its old length and the zlib path below reproduces zlib's verdict and
 * error message, so odd input behaves exactly as before. */
static bool inflate_whole(const uint8_t *in, size_t n, size_t hint, kdbx_buf *out)
{
	struct libdeflate_decompressor *d;
	enum libdeflate_result r;
	size_t used = 0;

	/* zlib checks the optional header CRC-16, libdeflate skips it. */
	if (hint == 0 || (in[3] & GZIP_FLG_FHCRC) != 0)
		return false;
	if (out->len > SIZE_MAX - hint ||
	    kdbx_buf_reserve(out, kdbx_secure_round(out->len + hint) - out->len) != KDBX_OK)
		return false; /* the zlib path reports it */
	if ((d = libdeflate_alloc_decompressor()) == NULL)
		return false;
	/* NULL actual_out: anything but exactly hint bytes is SHORT_OUTPUT or
	 * INSUFFICIENT_SPACE. Bytes after the member are ignored, as by zlib. */
	r = libdeflate_gzip_decompress_ex(d, in, n, out->data + out->len, hint, &used, NULL);
	libdeflate_free_decompressor(d);
	if (r != LIBDEFLATE_SUCCESS) {
		kdbx_memzero(out->data + out->len, hint);
		return false;
	}
	out->len += hint;
	return true;
}

int kdbx_gzip__inflate(const uint8_t *in, size_t n, size_t max_out, kdbx_buf *out)
{
	z_stream zs;
	int rc = KDBX_OK, zrc;
	size_t start = out->len, hint = kdbx_gzip__size_hint(in, n, max_out);

	if (inflate_whole(in, n, hint, out))
		return KDBX_OK;
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

/* One call into a buffer of the worst-case size; libdeflate writes a plain
 * gzip member (no name, MTIME 0) that zlib, KeePassXC and pykeepass read. */
int kdbx_gzip__deflate(const uint8_t *in, size_t n, kdbx_buf *out)
{
	struct libdeflate_compressor *c;
	int rc;

	if ((c = libdeflate_alloc_compressor(GZIP_LEVEL)) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory (libdeflate)");
	size_t bound = libdeflate_gzip_compress_bound(c, n);
	if ((rc = kdbx_buf_reserve(out, bound)) == KDBX_OK) {
		size_t got = libdeflate_gzip_compress(c, n > 0 ? in : (const uint8_t *)"", n,
		                                      out->data + out->len, bound);
		if (got == 0)
			rc = kdbx_error__set(KDBX_ERROR, "gzip compression failed");
		else
			out->len += got;
	}
	libdeflate_free_compressor(c);
	return rc;
}
