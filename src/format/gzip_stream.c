/* Inflate while the XML is parsed (kdbx_gzip__stream_*, container.h).
 *
 * Why: inflated whole, the XML of a 10k-entry vault is 46 MB of memory touched for the
 * first time, and in a VM whose host takes free memory back that costs ~2 ms per MB in
 * page faults (measured: 46 MB fresh 75-90 ms, the same pages freed and touched again
 * 2-6 ms). Streamed, the parser asks for the next slice only when it has scanned the
 * last one and gives back what it has read (kdbx_container_xml_release), so the XML is
 * never whole in memory (a vault with large attachments is hundreds of MB).
 *
 * ISA-L's igzip inflates in steps as fast as libdeflate does in one call (46 MB: 14.0
 * vs 13.7 ms, 1 MiB steps; zlib took 32 ms, which is why streaming used to start at
 * 256 MiB).
 *
 * When a second core is idle, a thread inflates ahead of the parser, at most LAG bytes
 * past what the parser last asked for, so what it wrote is still in the shared cache
 * when the parser reads it. (An earlier try with zlib and no such bound was slower than
 * inflating inline: 160 vs 143 ms.) The thread only writes output at and after the
 * produced mark; the parser only reads before it and moves pages (recycle) only past
 * the end of the slice the thread is writing; the mutex orders the two.
 *
 * igzip writes straight into the output buffer at the produced mark and keeps its own
 * copy of the last 32 KiB (inflate_state.tmp_out_buffer) for matches reaching back past
 * the current call's output, so the parser may unmap everything before its position.
 *
 * What the parser has read is not unmapped but moved ahead of the inflater
 * (kdbx_gzip__stream_recycle, mremap): a page given back by munmap is soon handed to the
 * VM host, and the next page faulted in is fresh memory there (~0.5 GB/s for huge pages
 * here). Moved, the same few huge pages carry the whole document: `kdbx ls` of the
 * 10k-entry bench vault, runs 1 s apart, median 327 -> 287 ms. */
#include <isa-l/igzip_lib.h>
#include <pthread.h>
#include <stdlib.h>

#include "format/container.h"

#define STEP ((size_t)1 << 20) /* output per inflate call */
#define LAG ((size_t)4 << 20)  /* how far the thread inflates past the parser's last wish */

struct kdbx_gzip_stream {
	struct inflate_state *zs; /* secure memory: its history buffer holds plaintext */
	kdbx_buf in;  /* the compressed payload, owned */
	uint8_t *out; /* output area of cap bytes (the caller's buffer) */
	size_t cap;
	size_t produced;
	uint8_t *ahead; /* end of the pages moved ahead of the output (recycle) */
	int rc;          /* KDBX_OK while running or done, else the error */
	const char *why; /* its message (static text) */
	bool done;
	/* Threaded: the fields above belong to the thread until it sets done (under mu);
	 * these are shared under mu. */
	bool threaded;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t published;   /* output complete and readable */
	size_t writing_end; /* end of the slice the thread may be writing */
	size_t target;      /* inflate at least this far */
	bool finished;      /* thread: done (rc/why final) */
	bool stop;          /* parser: no more wanted */
};

static int stream_mode; /* test hook: 0 by size, 1 always, 2 never */
static int thread_mode; /* test hook: 0 when a core is spare, 1 always, 2 never */

void kdbx_gzip__stream_mode(int mode)
{
	stream_mode = mode;
}

void kdbx_gzip__stream_thread_mode(int mode)
{
	thread_mode = mode;
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

/* How much the next step may write at the produced mark. */
static size_t step_room(const kdbx_gzip_stream *gs)
{
	size_t room = gs->cap - gs->produced;
	return room > STEP ? STEP : room;
}

/* One inflate call of at most STEP bytes of output. Returns true when finished. */
static bool step(kdbx_gzip_stream *gs)
{
	uint8_t spare[16];
	size_t room = step_room(gs);
	/* With the announced size all out, the trailer may still be unread: a spare
	 * buffer lets igzip finish it, and anything it writes there is too much. */
	gs->zs->next_out = room > 0 ? gs->out + gs->produced : spare;
	gs->zs->avail_out = room > 0 ? (uint32_t)room : (uint32_t)sizeof(spare);
	uint32_t before_in = gs->zs->avail_in;
	int zrc = isal_inflate(gs->zs);
	size_t got = (room > 0 ? room : sizeof(spare)) - gs->zs->avail_out;
	if (room == 0 && got > 0)
		return fail(gs, KDBX_ECORRUPT, "decompressed payload larger than its gzip trailer says");
	gs->produced += got;
	switch (zrc) {
	case ISAL_DECOMP_OK: break;
	case ISAL_INCORRECT_CHECKSUM: return fail(gs, KDBX_ECORRUPT, "compressed payload damaged (checksum)");
	case ISAL_INVALID_WRAPPER:
	case ISAL_UNSUPPORTED_METHOD: return fail(gs, KDBX_ECORRUPT, "compressed payload is not gzip");
	default: return fail(gs, KDBX_ECORRUPT, "compressed payload damaged");
	}
	if (gs->zs->block_state == ISAL_BLOCK_FINISH)
		return true; /* bytes after the gzip member are ignored, as before */
	if (got == 0 && gs->zs->avail_in == before_in)
		return fail(gs, KDBX_ECORRUPT, "compressed payload truncated");
	return false;
}

static void *inflate_thread(void *arg)
{
	kdbx_gzip_stream *gs = arg;
	bool fin = false;

	pthread_mutex_lock(&gs->mu);
	while (!fin) {
		while (!gs->stop && gs->published >= gs->target)
			pthread_cond_wait(&gs->cv, &gs->mu);
		if (gs->stop)
			break;
		gs->writing_end = gs->produced + step_room(gs);
		pthread_mutex_unlock(&gs->mu);
		fin = step(gs);
		pthread_mutex_lock(&gs->mu);
		gs->published = gs->produced;
		gs->finished = fin;
		pthread_cond_broadcast(&gs->cv);
	}
	pthread_mutex_unlock(&gs->mu);
	return NULL;
}

static bool use_thread(void)
{
	return thread_mode != 0 ? thread_mode == 1 : kdbx_cpu_spare();
}

/* Starts the inflate thread; false (inflating inline then) if it cannot. */
static bool start_thread(kdbx_gzip_stream *gs)
{
	if (pthread_mutex_init(&gs->mu, NULL) != 0)
		return false;
	if (pthread_cond_init(&gs->cv, NULL) != 0) {
		pthread_mutex_destroy(&gs->mu);
		return false;
	}
	gs->target = LAG;
	if (pthread_create(&gs->thread, NULL, inflate_thread, gs) != 0) {
		pthread_cond_destroy(&gs->cv);
		pthread_mutex_destroy(&gs->mu);
		return false;
	}
	gs->threaded = true;
	return true;
}

int kdbx_gzip__stream_start(kdbx_gzip_stream **out, kdbx_buf *in, kdbx_buf *xml, size_t isize)
{
	kdbx_gzip_stream *gs;
	int rc;

	*out = NULL;
	if (in->len > UINT32_MAX) /* one avail_in for the whole input keeps step() simple */
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
	if ((gs->zs = kdbx_secure_alloc(sizeof(*gs->zs))) == NULL) {
		free(gs);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	isal_inflate_init(gs->zs);
	gs->zs->crc_flag = ISAL_GZIP; /* parses the header, checks CRC-32 and ISIZE */
	gs->in = *in;
	*in = (kdbx_buf)KDBX_BUF_INIT;
	gs->zs->next_in = gs->in.data;
	gs->zs->avail_in = (uint32_t)gs->in.len;
	if (use_thread())
		(void)start_thread(gs);
	*out = gs;
	return KDBX_OK;
}

int kdbx_gzip__stream_wait(kdbx_gzip_stream *gs, size_t want, size_t *produced, bool *done)
{
	if (gs->threaded) {
		pthread_mutex_lock(&gs->mu);
		size_t target = want > SIZE_MAX - LAG ? SIZE_MAX : want + LAG;
		if (target > gs->target) {
			gs->target = target;
			pthread_cond_broadcast(&gs->cv);
		}
		while (gs->published < want && !gs->finished)
			pthread_cond_wait(&gs->cv, &gs->mu);
		*produced = gs->published;
		*done = gs->finished;
		pthread_mutex_unlock(&gs->mu);
	} else {
		while (gs->produced < want && !gs->done)
			gs->done = step(gs);
		*produced = gs->produced;
		*done = gs->done;
	}
	/* rc is final once done: set by the thread before it said finished */
	if (*done && gs->rc != KDBX_OK)
		return kdbx_error__set(gs->rc, "%s", gs->why);
	return KDBX_OK;
}

/* Inline, or threaded with mu held: the thread writes nothing at or past writing_end. */
static size_t recycle(kdbx_gzip_stream *gs, uint8_t *from, size_t n, size_t produced,
                      size_t writing_end)
{
	const uintptr_t h = KDBX_SECURE_HUGE;
	uintptr_t front = (uintptr_t)(gs->out + writing_end);
	uint8_t *dst = (uint8_t *)((front + h - 1) / h * h); /* first page not written yet */
	const uint8_t *out_end = gs->out + gs->cap;

	if (dst < gs->ahead)
		dst = gs->ahead;
	n = n / h * h; /* whole huge pages keep both ends aligned */
	/* Only into the part of the output still to come (inside the mapping, which holds the
	 * whole output area): pages past it would be waste. */
	if (n == 0 || from + n > gs->out + produced || dst >= out_end || (size_t)(out_end - dst) < n)
		return 0;
	if (!kdbx_secure_move(from, n, dst))
		return 0;
	gs->ahead = dst + n;
	return n;
}

size_t kdbx_gzip__stream_recycle(kdbx_gzip_stream *gs, uint8_t *from, size_t n)
{
	size_t moved;

	if (!gs->threaded)
		return recycle(gs, from, n, gs->produced, gs->produced);
	pthread_mutex_lock(&gs->mu);
	/* finished: nothing is written any more */
	moved = recycle(gs, from, n, gs->published, gs->finished ? gs->published : gs->writing_end);
	pthread_mutex_unlock(&gs->mu);
	return moved;
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
		pthread_join(gs->thread, NULL); /* it stops after the step it is in */
		pthread_cond_destroy(&gs->cv);
		pthread_mutex_destroy(&gs->mu);
	}
	kdbx_secure_free(gs->zs, sizeof(*gs->zs)); /* wipes */
	kdbx_buf_free(&gs->in);
	free(gs);
	*gsp = NULL;
}
