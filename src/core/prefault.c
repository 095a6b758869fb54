/* Faulting in a buffer on a spare CPU while the caller fills it (core.h).
 *
 * Why: on a VM the first touch of fresh memory can cost more than writing it (host page
 * faults behind each guest page; 48 MiB measured at 65-97 ms from one thread, 45-54 ms from
 * two). A helper thread faults the buffer in from its end backwards while the caller writes
 * from the front, so the faults run on two CPUs. MADV_POPULATE_WRITE (Linux 5.14) only maps
 * pages and never changes their contents, so the two never race on data: a page the caller
 * reached first is left alone. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/core.h"

#define CHUNK ((size_t)2 << 20) /* one huge page per call: stop is seen often */

struct kdbx_prefault {
	uint8_t *start;
	size_t len;
	atomic_bool stop;
	pthread_t th;
};

static void *populate_backwards(void *arg)
{
	kdbx_prefault *pf = arg;
	size_t left = pf->len;

	while (left > 0 && !atomic_load_explicit(&pf->stop, memory_order_relaxed)) {
		size_t n = left > CHUNK ? CHUNK : left;
		left -= n;
		if (madvise(pf->start + left, n, MADV_POPULATE_WRITE) != 0)
			break; /* an old kernel (EINVAL) or no memory: the caller's writes fault as usual */
	}
	return NULL;
}

void kdbx_prefault_start(kdbx_prefault **out, void *p, size_t n)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)p + ps - 1) / ps * ps, e = ((uintptr_t)p + n) / ps * ps;
	kdbx_prefault *pf;

	*out = NULL;
	if (n < KDBX_PREFAULT_MIN || e <= a || !kdbx_cpu_spare())
		return;
	if ((pf = calloc(1, sizeof(*pf))) == NULL)
		return;
	pf->start = (uint8_t *)a;
	pf->len = e - a;
	atomic_init(&pf->stop, false);
	if (pthread_create(&pf->th, NULL, populate_backwards, pf) != 0) {
		free(pf);
		return;
	}
	*out = pf;
}

void kdbx_prefault_stop(kdbx_prefault **pfp)
{
	kdbx_prefault *pf = *pfp;
	if (pf == NULL)
		return;
	atomic_store(&pf->stop, true);
	pthread_join(pf->th, NULL);
	free(pf);
	*pfp = NULL;
}
