/* The heap on 2 MiB pages, without re-running the process.
 *
 * Why: opening a big vault allocates tens of MB of small objects (entries, fields,
 * arrays). With 4 KiB pages each page is one fault, and in a VM a fault costs about
 * 10-13 us: 10k entries took 0.31 s instead of 0.25 s. glibc puts its heap on
 * transparent huge pages only when GLIBC_TUNABLES=glibc.malloc.hugetlb=1 is set at
 * start-up, which meant running the CLI a second time (~7 ms of loading 24 libraries
 * again), and even then the first, unaligned 2 MiB of the heap stayed on 4 KiB pages.
 *
 * How: grow the heap once by HEAP_RESERVE of address space (untouched pages cost
 * nothing), advise it MADV_HUGEPAGE from the first 2 MiB boundary, and fill the gap
 * below that boundary with a block that is never touched, so the next allocations
 * start on a huge page. Trimming is turned off so free() keeps the reserve; this is a
 * short-lived process. Anything unexpected (brk not growing, THP off) leaves the
 * default heap. */
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>

#include "cli.h"

#define HUGE_PAGE ((uintptr_t)2 << 20)
#define HEAP_RESERVE ((size_t)256 << 20)
#define PROBE ((size_t)1 << 20)
/* Blocks up to this size come from the heap; larger ones (attachments) keep their own
 * mapping, which goes back to the system when freed. */
#define MMAP_FROM ((size_t)4 << 20)
#define CHUNK_HEADER 16 /* glibc: the size field and alignment before a block */

static void *heap_gap; /* reachable: the gap block is kept, not leaked */

void cli_heap_on_huge_pages(void)
{
	/* The probe and the gap block must come from the heap, and free() must not give
	 * the reserve back. */
	if (mallopt(M_MMAP_THRESHOLD, (int)MMAP_FROM) != 1 || mallopt(M_TRIM_THRESHOLD, INT32_MAX) != 1 ||
	    mallopt(M_TOP_PAD, (int)HEAP_RESERVE) != 1)
		return;
	uint8_t *before = sbrk(0);
	uint8_t *probe = malloc(PROBE);
	uint8_t *after = sbrk(0);
	(void)mallopt(M_TOP_PAD, 128 << 10); /* glibc's default */
	if (probe == NULL)
		return;
	/* Cutting the probe from the top chunk wrote the rest's header at its end, which
	 * put 4 KiB pages under that 2 MiB range: start at the boundary after it. */
	uintptr_t first_huge = ((uintptr_t)probe + PROBE + CHUNK_HEADER + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	size_t gap = first_huge - (uintptr_t)probe;
	if (before == (void *)-1 || after == (void *)-1 || after < before ||
	    (size_t)(after - before) < HEAP_RESERVE || first_huge >= (uintptr_t)after ||
	    madvise((void *)first_huge, (uintptr_t)after - first_huge, MADV_HUGEPAGE) != 0) {
		free(probe);
		return;
	}
	/* Grown in place into the top chunk (nothing is copied: the next chunk is the top),
	 * the probe now ends just below first_huge, so the next blocks start on a huge page.
	 * Its own pages are never touched. */
	heap_gap = realloc(probe, gap - 2 * CHUNK_HEADER);
}
