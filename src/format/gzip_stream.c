/* Inflate while the XML is parsed (kdbx_gzip__stream_*, container.h).
 *
 * Why: a 10k-entry vault is 46 MB of XML. Inflating it whole before parsing means 46 MB
 * of fresh pages, and first-touch page faults cost more than the parse on a VM. Streamed,
 * the parser releases each part it has read (kdbx_buf_release_front), so the pages the
 * inflater touches next are ones just given back, and the XML is never whole in memory.
 * With a spare core the inflater runs there and the parse hardly waits; without one the
 * parser's waits run it in slices of STEP bytes.
 *
 * zlib writes straight into the output buffer at the produced mark; it only reads back
 * into its own window, never before the current call's output, so the parser may unmap
 * everything before its position while the inflater goes on. */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <zlib.h>

#include "format/container.h"

#define GZIP_WINDOW (15 + 16)
#define STEP ((size_t)1 << 20) /* output per inflate call: what a waiter is woken for */
/* How far the thread may run ahead of what the parser asked for: enough that the parser
 * seldom waits, little enough that the XML is never much more than this in memory. */
#define AHEAD ((size_t)2 << 20)

struct kdbx_gzip_stream {
	z_stream zs;
	kdbx_buf in;  /* the compressed payload, owned */
	uint8_t *out; /* output area of cap bytes (the caller's buffer) */
	size_t cap;
	/* guarded by mu in threaded mode */
	size_t produced;
	size_t limit; /* the thread pauses at this much output (want + AHEAD) */
	int rc;          /* KDBX_OK while running or done, else the error */
	const char *why; /* its message (static text) */
	bool done, stop, threaded;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static int stream_mode; /* test hook: 0 auto, 1 inline, 2 thread, 3 never stream */

void kdbx_gzip__stream_mode(int mode)
{
	stream_mode = mode;
}

bool kdbx_gzip__stream_wanted(size_t isize)
{
	if (stream_mode == 3)
		return false;
	return stream_mode != 0 || isize >= KDBX_GZIP_STREAM_MIN;
}

/* One inflate call of at most STEP bytes of output (no lock held: only the inflater
 * touches zs and the bytes at and after produced). Returns true when finished. */
static bool step(kdbx_gzip_stream *gs, size_t produced, size_t *got, int *rc, const char **why)
{
	size_t room = gs->cap - produced;
	if (room > STEP)
		room = STEP;
	*got = 0;
	if (room == 0) {
		*rc = KDBX_ECORRUPT;
		*why = "decompressed payload larger than its gzip trailer says";
		return true;
	}
	gs->zs.next_out = gs->out + produced;
	gs->zs.avail_out = (uInt)room;
	int zrc = inflate(&gs->zs, Z_NO_FLUSH);
	*got = room - gs->zs.avail_out;
	switch (zrc) {
	case Z_STREAM_END: return true; /* bytes after the gzip member are ignored, as before */
	case Z_OK: return false;
	case Z_BUF_ERROR:
		if (gs->zs.avail_in != 0 || *got != 0)
			return false;
		*rc = KDBX_ECORRUPT;
		*why = "compressed payload truncated";
		return true;
	case Z_MEM_ERROR:
		*rc = KDBX_ENOMEM;
		*why = "out of memory (zlib)";
		return true;
	default:
		*rc = KDBX_ECORRUPT;
		*why = "compressed payload damaged";
		return true;
	}
}

static void *inflater_main(void *arg)
{
	kdbx_gzip_stream *gs = arg;
	size_t produced = 0, got;
	int rc = KDBX_OK;
	const char *why = NULL;
	bool fin;

	do {
		pthread_mutex_lock(&gs->mu);
		while (!gs->stop && produced >= gs->limit)
			pthread_cond_wait(&gs->cv, &gs->mu);
		bool stop = gs->stop;
		pthread_mutex_unlock(&gs->mu);
		if (stop)
			break;
		fin = step(gs, produced, &got, &rc, &why);
		produced += got;
		pthread_mutex_lock(&gs->mu);
		gs->produced = produced;
		gs->done = fin;
		gs->rc = rc;
		gs->why = why;
		pthread_cond_broadcast(&gs->cv);
		pthread_mutex_unlock(&gs->mu);
	} while (!fin);
	return NULL;
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
	gs->limit = AHEAD;
	pthread_mutex_init(&gs->mu, NULL);
	pthread_cond_init(&gs->cv, NULL);
	bool thread = stream_mode == 2 || (stream_mode != 1 && kdbx_cpu_spare());
	if (thread && pthread_create(&gs->th, NULL, inflater_main, gs) == 0)
		gs->threaded = true;
	*out = gs;
	return KDBX_OK;
}

int kdbx_gzip__stream_wait(kdbx_gzip_stream *gs, size_t want, size_t *produced, bool *done)
{
	int rc;
	const char *why;

	if (gs->threaded) {
		pthread_mutex_lock(&gs->mu);
		if (want < SIZE_MAX - AHEAD && want + AHEAD > gs->limit) {
			gs->limit = want + AHEAD;
			pthread_cond_broadcast(&gs->cv);
		} else if (want >= SIZE_MAX - AHEAD) {
			gs->limit = SIZE_MAX;
			pthread_cond_broadcast(&gs->cv);
		}
		while (gs->produced < want && !gs->done)
			pthread_cond_wait(&gs->cv, &gs->mu);
		*produced = gs->produced;
		*done = gs->done;
		rc = gs->rc;
		why = gs->why;
		pthread_mutex_unlock(&gs->mu);
	} else {
		size_t got;
		while (gs->produced < want && !gs->done) {
			gs->done = step(gs, gs->produced, &got, &gs->rc, &gs->why);
			gs->produced += got;
		}
		*produced = gs->produced;
		*done = gs->done;
		rc = gs->rc;
		why = gs->why;
	}
	if (rc != KDBX_OK)
		return kdbx_error__set(rc, "%s", why);
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
	if (gs->threaded) {
		pthread_mutex_lock(&gs->mu);
		gs->stop = true;
		pthread_cond_broadcast(&gs->cv);
		pthread_mutex_unlock(&gs->mu);
		pthread_join(gs->th, NULL);
	}
	pthread_mutex_destroy(&gs->mu);
	pthread_cond_destroy(&gs->cv);
	inflateEnd(&gs->zs);
	kdbx_buf_free(&gs->in);
	free(gs);
	*gsp = NULL;
}
