/* Inflate while the XML is parsed (kdbx_gzip__stream_*, container.h).
 *
 * Why: a vault with large attachments is hundreds of MB of XML. Inflated whole before
 * parsing, the document and the database built from it are in memory at once. Streamed,
 * the parser asks for the next slice only when it has scanned the last one and releases
 * what it has read (kdbx_buf_release_front), so the XML is never whole in memory and the
 * pages the inflater touches next are ones just given back.
 *
 * It costs time: zlib inflates about 2.5x slower than libdeflate's one call (46 vs 18 ms
 * for 46 MB), which is why it starts at KDBX_GZIP_STREAM_MIN. A thread inflating ahead was
 * tried and measured slower still: every cache line written on one vCPU then has to move
 * to the other (bench_open, 10k entries: 105 ms whole, 143 ms inline, 160 ms threaded).
 *
 * zlib writes straight into the output buffer at the produced mark; it only reads back
 * into its own window, never before the current call's output, so the parser may unmap
 * everything before its position. */
#include <limits.h>
#include <stdlib.h>
#include <zlib.h>

#include "format/container.h"

#define GZIP_WINDOW (15 + 16)
#define STEP ((size_t)1 << 20) /* output per inflate call */

struct kdbx_gzip_stream {
	z_stream zs;
	kdbx_buf in;  /* the compressed payload, owned */
	uint8_t *out; /* output area of cap bytes (the caller's buffer) */
	size_t cap;
	size_t produced;
	int rc;          /* KDBX_OK while running or done, else the error */
	const char *why; /* its message (static text) */
	bool done;
};

static int stream_mode; /* test hook: 0 by size, 1 always, 2 never */

void kdbx_gzip__stream_mode(int mode)
{
	stream_mode = mode;
}

bool kdbx_gzip__stream_wanted(size_t isize)
{
	if (stream_mode != 0)
		return stream_mode == 1;
	return isize >= KDBX_GZIP_STREAM_MIN;
}

/* Stops the stream with an error (static message). Returns true: finished. */
static bool fail(kdbx_gzip_stream *gs, int rc, const char *why)
{
	gs->rc = rc;
	gs->why = why;
	return true;
}

/* One inflate call of at most STEP bytes of output. Returns true when finished. */
static bool step(kdbx_gzip_stream *gs)
{
	size_t room = gs->cap - gs->produced;
	if (room > STEP)
		room = STEP;
	if (room == 0)
		return fail(gs, KDBX_ECORRUPT, "decompressed payload larger than its gzip trailer says");
	gs->zs.next_out = gs->out + gs->produced;
	gs->zs.avail_out = (uInt)room;
	int zrc = inflate(&gs->zs, Z_NO_FLUSH);
	size_t got = room - gs->zs.avail_out;
	gs->produced += got;
	switch (zrc) {
	case Z_STREAM_END: return true; /* bytes after the gzip member are ignored, as before */
	case Z_OK: return false;
	case Z_BUF_ERROR:
		if (gs->zs.avail_in != 0 || got != 0)
			return false;
		return fail(gs, KDBX_ECORRUPT, "compressed payload truncated");
	case Z_MEM_ERROR: return fail(gs, KDBX_ENOMEM, "out of memory (zlib)");
	default: return fail(gs, KDBX_ECORRUPT, "compressed payload damaged");
	}
}

int kdbx_gzip__stream_start(kdbx_gzip_stream **out, kdbx_buf *in, kdbx_buf *xml, size_t isize)
{
	kdbx_gzip_stream *gs;
	int rc;

	*out = NULL;
	if (in->len > UINT_MAX) /* one avail_in for the whole input keeps step() simple */
		return kdbx_error__set(KDBX_EUNSUPPORTED, "compressed payload too large");
	if ((gs = calloc(1, sizeof(*gs))) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	/* The XML buffer is a mapping of the announced size; nothing of it is touched yet. */
	if ((rc = kdbx_buf_reserve(xml, kdbx_secure_round(xml->len + isize) - xml->len)) != KDBX_OK) {
		free(gs);
		return rc;
	}
	gs->out = xml->data + xml->len;
	gs->cap = isize;
	gs->zs.zalloc = kdbx_gzip__z_alloc;
	gs->zs.zfree = kdbx_gzip__z_free;
	if (inflateInit2(&gs->zs, GZIP_WINDOW) != Z_OK) {
		free(gs);
		return kdbx_error__set(KDBX_ENOMEM, "zlib init failed");
	}
	gs->in = *in;
	*in = (kdbx_buf)KDBX_BUF_INIT;
	gs->zs.next_in = gs->in.data;
	gs->zs.avail_in = (uInt)gs->in.len;
	*out = gs;
	return KDBX_OK;
}

int kdbx_gzip__stream_wait(kdbx_gzip_stream *gs, size_t want, size_t *produced, bool *done)
{
	while (gs->produced < want && !gs->done)
		gs->done = step(gs);
	*produced = gs->produced;
	*done = gs->done;
	if (gs->rc != KDBX_OK)
		return kdbx_error__set(gs->rc, "%s", gs->why);
	return KDBX_OK;
}

const uint8_t *kdbx_gzip__stream_out(const kdbx_gzip_stream *gs)
{
	return gs->out;
}

void kdbx_gzip__stream_free(kdbx_gzip_stream **gsp)
{
	kdbx_gzip_stream *gs = gsp != NULL ? *gsp : NULL;
	if (gs == NULL)
		return;
	inflateEnd(&gs->zs);
	kdbx_buf_free(&gs->in);
	free(gs);
	*gsp = NULL;
}
