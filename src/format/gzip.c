/* gzip (RFC 1952) compression of the KDBX inner payload: igzip (ISA-L) deflates,
 * libdeflate inflates whole buffers, zlib inflates odd input; igzip also streams the
 * big documents on open (gzip_stream.c).
 * Spec: ../shared/reference/keepassxc-notes.md section 3.6. */
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <limits.h>
#include <stdlib.h>
#include <zlib.h>

#include "format/container.h"

#define GZIP_WINDOW (15 + 16) /* 15-bit window, gzip wrapper */
#define GZIP_CHUNK ((size_t)64 * 1024)
#define GZIP_FLG_FHCRC 0x02
/* Deflate: ISA-L's igzip at level 2. KeePassXC writes zlib level 6. Measured on the
 * 10k-entry vault's 46 MB of XML (one call, best of 5, this machine):
 *   libdeflate 1: 4.97 MB,  73 ms
 *   libdeflate 4: 3.51 MB, 118 ms   (what we used before)
 *   igzip 1:      4.55 MB,  24 ms
 *   igzip 2:      4.49 MB,  25 ms
 *   igzip 3:      5.23 MB, 131 ms
 * The file comes out 28% larger than with libdeflate 4 (KeePassXC's: 3.7 MB), and a save
 * compresses 5x faster: the compression sits on the critical path of every save. */
#define IGZIP_LEVEL 2
#define IGZIP_LEVEL_BUF ISAL_DEF_LVL2_DEFAULT

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

/* igzip's state and level buffer, kept for several members (the KDBX 3.1 writer
 * compresses every attachment separately). Both hold plaintext (history window, hash
 * tables): secure memory, wiped when freed. */
struct kdbx_gzip_deflater {
	struct isal_zstream zs;
	uint8_t *level_buf;
};

kdbx_gzip_deflater *kdbx_gzip__deflater_new(void)
{
	kdbx_gzip_deflater *d = kdbx_secure_alloc(sizeof(*d));
	if (d == NULL || (d->level_buf = kdbx_secure_alloc(IGZIP_LEVEL_BUF)) == NULL) {
		kdbx_secure_free(d, sizeof(*d));
		kdbx_error__set(KDBX_ENOMEM, "out of memory");
		return NULL;
	}
	return d;
}

void kdbx_gzip__deflater_free(kdbx_gzip_deflater *d)
{
	if (d == NULL)
		return;
	kdbx_secure_free(d->level_buf, IGZIP_LEVEL_BUF);
	kdbx_secure_free(d, sizeof(*d));
}

void kdbx_gzip__deflate_begin(kdbx_gzip_deflater *d)
{
	struct isal_zstream *zs = &d->zs;

	isal_deflate_init(zs); /* a new stream: no history from the last member */
	zs->level = IGZIP_LEVEL;
	zs->level_buf = d->level_buf;
	zs->level_buf_size = IGZIP_LEVEL_BUF;
	zs->gzip_flag = IGZIP_GZIP; /* a plain member: no name, MTIME 0 */
}

/* igzip copies what it still needs of the input (its history window) into its own
 * state before it returns, so the caller may reuse or release in afterwards. */
int kdbx_gzip__deflate_feed(kdbx_gzip_deflater *d, const uint8_t *in, size_t n, bool last,
                            kdbx_buf *out)
{
	struct isal_zstream *zs = &d->zs;
	size_t left = n;

	zs->next_in = (uint8_t *)(uintptr_t)(n > 0 ? in : (const uint8_t *)"");
	zs->avail_in = 0;
	/* XML compresses 10:1; the output grows if a payload does not (avail_out is 32-bit). */
	size_t step = n / 8 + ((size_t)64 << 10);
	for (;;) {
		int rc;
		if (zs->avail_in == 0) {
			if (left == 0 && !last)
				return KDBX_OK; /* all taken; the member goes on with the next feed */
			uint32_t take = left > (1u << 30) ? 1u << 30 : (uint32_t)left;
			zs->avail_in = take;
			left -= take;
			zs->end_of_stream = last && left == 0;
		}
		if (out->cap - out->len < ((size_t)64 << 10) && (rc = kdbx_buf_reserve(out, step)) != KDBX_OK)
			return rc;
		size_t room = out->cap - out->len;
		zs->next_out = out->data + out->len;
		zs->avail_out = room > UINT32_MAX ? UINT32_MAX : (uint32_t)room;
		uint32_t before = zs->avail_out;
		if (isal_deflate(zs) != COMP_OK)
			return kdbx_error__set(KDBX_ERROR, "gzip compression failed");
		out->len += before - zs->avail_out;
		if (zs->internal_state.state == ZSTATE_END)
			return KDBX_OK;
	}
}

int kdbx_gzip__deflate_with(kdbx_gzip_deflater *d, const uint8_t *in, size_t n, kdbx_buf *out)
{
	kdbx_gzip__deflate_begin(d);
	return kdbx_gzip__deflate_feed(d, in, n, true, out);
}

int kdbx_gzip__deflate(const uint8_t *in, size_t n, kdbx_buf *out)
{
	kdbx_gzip_deflater *d = kdbx_gzip__deflater_new();
	if (d == NULL)
		return KDBX_ENOMEM;
	int rc = kdbx_gzip__deflate_with(d, in, n, out);
	kdbx_gzip__deflater_free(d);
	return rc;
}
