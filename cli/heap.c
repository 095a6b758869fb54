/* The malloc heap on 2 MiB pages.
 *
 * Why: opening a big vault allocates tens of MB of small objects (entries, fields,
 * arrays). With 4 KiB pages each page is one fault, and in a VM a fault costs about
 * 10 us: 10k entries took 0.31 s instead of 0.25 s.
 *
 * glibc (>= 2.35) puts its heap on transparent huge pages only when
 * GLIBC_TUNABLES=glibc.malloc.hugetlb=1 is set at start-up, so the CLI sets that and runs
 * itself again, once, before it has read or opened anything (~7 ms of loading its
 * libraries again). An in-process alternative was tried: growing the heap once by 256 MiB
 * and advising it. It saved the second start but made glibc serve every large block
 * from that top chunk instead of its own mapping, and the 10k-entry vault with 100 MiB of
 * attachments then peaked at 448 instead of 301 MiB.
 *
 * Even with the tunable, the heap's first, unaligned 2 MiB stay on 4 KiB pages (up to
 * 512 faults) and would hold the first part of the model: a block that is never touched
 * fills them, so the model starts on a huge page. */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define HUGE_PAGE ((uintptr_t)2 << 20)
#define CHUNK_HEADER 16 /* glibc: the size field and alignment before a block */
#define GLIBC_MMAP_FROM (128 << 10) /* glibc's default threshold */

static void *heap_gap; /* reachable: the gap block is kept, not leaked */

/* Fills the heap up to the first 2 MiB boundary at or past its end with an untouched
 * block. Past the end: glibc must grow the heap (with the tunable, by whole huge pages,
 * advised) before anything touches that boundary, so the first 2 MiB there are inside the
 * heap mapping when they are first touched and get a huge page. Below the end, a first
 * touch would have put 4 KiB pages under them for good. */
static void skip_unaligned_head(void)
{
	struct mallinfo2 mi = mallinfo2();
	uint8_t *brk_end = sbrk(0);
	if (brk_end == (void *)-1 || mi.keepcost == 0 || mi.keepcost > (uintptr_t)brk_end)
		return;
	uintptr_t top = (uintptr_t)brk_end - mi.keepcost; /* the top chunk runs to the end */
	uintptr_t boundary = ((uintptr_t)brk_end + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	size_t gap = boundary - top;
	if (gap <= 4 * CHUNK_HEADER || gap > 2 * HUGE_PAGE)
		return;
	/* A gap block of 128 KiB or more would get its own mapping. */
	if (mallopt(M_MMAP_THRESHOLD, (int)(4 * HUGE_PAGE)) != 1)
		return;
	uint8_t *p = malloc(gap - 2 * CHUNK_HEADER);
	(void)mallopt(M_MMAP_THRESHOLD, GLIBC_MMAP_FROM);
	if (p != NULL && (uintptr_t)p != top + CHUNK_HEADER) {
		free(p); /* it came from somewhere else: nothing skipped */
		return;
	}
	heap_gap = p;
}

void cli_heap_on_huge_pages(char **argv)
{
	const char *t = getenv("GLIBC_TUNABLES");
	if (getenv("KDBX_NO_HUGEPAGES") != NULL)
		return;
	if (t != NULL) {
		if (strcmp(t, "glibc.malloc.hugetlb=1") == 0)
			skip_unaligned_head(); /* the second start, or the user's same choice */
		return; /* the user's own settings otherwise */
	}
	if (setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1) != 0)
		return;
	execv("/proc/self/exe", argv);
	(void)unsetenv("GLIBC_TUNABLES"); /* a failed exec: go on as we are */
}
