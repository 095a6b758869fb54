/* Secure memory: wiping, constant-time compare, locked/no-dump allocations,
 * process hardening. Platform specifics (mlock, madvise, mremap, prctl) live
 * here; mremap needs _GNU_SOURCE, which CMakeLists.txt defines. */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/core.h"
#include "kdbx/db.h"

void kdbx_memzero(void *p, size_t n)
{
	/* explicit_bzero cannot be optimised away like a memset before free. */
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void kdbx_freezero(void *p, size_t n)
{
	if (p == NULL)
		return;
	kdbx_memzero(p, n);
	free(p);
}

bool kdbx_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (uint8_t)(x[i] ^ y[i]);
	return d == 0;
}

static size_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	return ps > 0 ? (size_t)ps : 4096;
}

/* Allocations of at least a page get their own mapping so MADV_DONTDUMP and
 * munlock apply to them alone; smaller ones come from malloc and are only
 * mlock'ed, never munlock'ed, because the page may hold another secret. */
static bool use_mmap(size_t n)
{
	return n >= page_size();
}

static size_t round_pages(size_t n)
{
	size_t ps = page_size();
	return (n + ps - 1) / ps * ps;
}

/* Only allocations up to this size are mlock'ed. Keys, revealed values and the
 * per-value scratch buffers are far smaller. The large ones are the decrypted
 * payload and the XML document (tens of MiB for a big vault): in them the
 * protected values are still encrypted under the inner stream, and what is in
 * clear are the fields the database itself leaves unprotected. Locking them
 * fails anyway under the usual RLIMIT_MEMLOCK of an unprivileged user (8 MiB
 * or less), so it would only make the behaviour depend on the limit, and where
 * it succeeds it pins (and faults in up front) the whole document. They still
 * get MADV_DONTDUMP and are wiped before being unmapped. */
#define LOCK_MAX ((size_t)1 << 20)

/* Blocks of at least one (x86-64) transparent huge page are mapped 2 MiB-aligned
 * and advised MADV_HUGEPAGE (THP is usually in "madvise" mode): a 46 MB
 * inflated payload then takes ~23 page faults instead of ~11,000. Measured on
 * a 36 MB inflate: 4 KiB pages 118-134 ms, MAP_POPULATE 36-44 ms, aligned huge
 * pages 16-18 ms (libdeflate's own work: 12 ms). Faults stay lazy, so a
 * worst-case-sized output buffer (deflate) only gets the pages it uses. A
 * partly small-paged block may later be collapsed by khugepaged, which copies
 * it and frees the old pages unwiped; large blocks are not mlocked either (see
 * LOCK_MAX), so this adds no new kind of exposure. munmap of part of a huge
 * page (kdbx_secure_release_front) splits it. */
#define HUGE_SIZE KDBX_SECURE_HUGE

static void map_advise(void *p, size_t len)
{
	if (len <= LOCK_MAX)
		(void)mlock(p, len); /* best effort: RLIMIT_MEMLOCK may be small */
#ifdef MADV_DONTDUMP
	(void)madvise(p, len, MADV_DONTDUMP);
#endif
#ifdef MADV_HUGEPAGE
	if (len >= HUGE_SIZE)
		(void)madvise(p, len, MADV_HUGEPAGE);
#endif
}

/* len: a page multiple. Over-maps by one huge page and unmaps the unaligned
 * head and the rest of the tail. */
static void *map_block(size_t len)
{
	uint8_t *q;

	if (len < HUGE_SIZE || len > SIZE_MAX - HUGE_SIZE) {
		q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return q == MAP_FAILED ? NULL : q;
	}
	q = mmap(NULL, len + HUGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED)
		return NULL;
	size_t head = (HUGE_SIZE - (uintptr_t)q % HUGE_SIZE) % HUGE_SIZE;
	if (head > 0)
		munmap(q, head);
	munmap(q + head + len, HUGE_SIZE - head);
	return q + head;
}

/* Wipes the pages of a mapping that are in memory. Pages never touched are
 * zero and writing them would only fault them in (a deflate output buffer is
 * sized for the worst case and mostly untouched); swapped-out pages keep their
 * copy in swap whatever we do here. If mincore fails, everything is wiped. */
static void wipe_mapping(uint8_t *p, size_t len)
{
	unsigned char vec[4096];
	size_t ps = page_size();

	for (size_t off = 0; off < len;) {
		size_t chunk = len - off < sizeof(vec) * ps ? len - off : sizeof(vec) * ps;
		size_t npages = (chunk + ps - 1) / ps;
		if (mincore(p + off, chunk, vec) != 0) {
			kdbx_memzero(p + off, len - off);
			return;
		}
		for (size_t i = 0; i < npages;) {
			size_t j = i;
			while (j < npages && (vec[j] & 1) != 0)
				j++;
			if (j > i) {
				size_t end = j * ps < chunk ? j * ps : chunk;
				kdbx_memzero(p + off + i * ps, end - i * ps);
			}
			i = j + 1;
		}
		off += chunk;
	}
}

void *kdbx_secure_alloc(size_t n)
{
	void *p;

	if (n == 0)
		n = 1;
	if (use_mmap(n)) {
		size_t len = round_pages(n);
		if (len < n)
			return NULL;
		if ((p = map_block(len)) == NULL)
			return NULL;
		map_advise(p, len);
		return p; /* anonymous mappings are zero-filled */
	}
	p = calloc(1, n);
	if (p != NULL)
		(void)mlock(p, n);
	return p;
}

void kdbx_secure_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	if (n == 0)
		n = 1;
	if (use_mmap(n)) {
		size_t len = round_pages(n);
		wipe_mapping(p, len);
		(void)munlock(p, len);
		munmap(p, len);
		return;
	}
	kdbx_memzero(p, n);
	free(p);
}

void *kdbx_secure_realloc(void *p, size_t old_n, size_t new_n)
{
	void *q;

	if (p == NULL)
		return kdbx_secure_alloc(new_n);
	if (old_n == 0)
		old_n = 1;
	if (new_n < old_n)
		return NULL;
	if (use_mmap(old_n)) {
		size_t old_len = round_pages(old_n), new_len = round_pages(new_n);
		if (new_len < new_n)
			return NULL;
		if (new_len == old_len)
			return p;
		/* mremap moves the pages themselves (no copy of the plaintext is left
		 * behind to wipe) and zero-fills the new tail. The old range is only
		 * unmapped on success. */
		q = mremap(p, old_len, new_len, MREMAP_MAYMOVE);
		if (q != MAP_FAILED) {
			if (old_len <= LOCK_MAX && new_len > LOCK_MAX)
				(void)munlock(q, new_len);
			map_advise(q, new_len);
			return q;
		}
	}
	if ((q = kdbx_secure_alloc(new_n)) == NULL)
		return NULL;
	memcpy(q, p, old_n);
	kdbx_secure_free(p, old_n);
	return q;
}

size_t kdbx_secure_release_front(void *p, size_t n, size_t drop)
{
	size_t ps = page_size();

	if (p == NULL || !use_mmap(n) || drop > n)
		return 0;
	/* Whole pages only, and at least one page (n - drop >= a page) must stay
	 * so the rest is still a mapping that kdbx_secure_free(p + drop, n - drop)
	 * unmaps: round_pages(n - drop) == round_pages(n) - drop. */
	if (drop > n - ps)
		drop = n - ps;
	drop = drop / ps * ps;
	if (drop == 0)
		return 0;
	wipe_mapping(p, drop);
	munmap(p, drop);
	return drop;
}

bool kdbx_secure_move(void *p, size_t n, void *dst)
{
	size_t ps = page_size();

	if (p == NULL || dst == NULL || n == 0 || n % ps != 0 || (uintptr_t)p % ps != 0 ||
	    (uintptr_t)dst % ps != 0)
		return false;
	/* The pages stay in the same secure mapping (MADV_DONTDUMP moves with them) and
	 * are wiped when it is freed, so nothing is wiped here. */
	return mremap(p, n, n, MREMAP_MAYMOVE | MREMAP_FIXED, dst) != MAP_FAILED;
}

void kdbx_harden_process(void)
{
	struct rlimit rl = {0, 0};

	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void kdbx_free(void *p, size_t len)
{
	kdbx_freezero(p, len);
}
