/* Secure memory: wiping, constant-time compare, locked/no-dump allocations,
 * process hardening. Platform specifics (mlock, madvise, prctl) live here. */
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

void *kdbx_secure_alloc(size_t n)
{
	void *p;

	if (n == 0)
		n = 1;
	if (use_mmap(n)) {
		size_t len = round_pages(n);
		if (len < n)
			return NULL;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		/* Best effort: RLIMIT_MEMLOCK may be small for unprivileged users. */
		(void)mlock(p, len);
#ifdef MADV_DONTDUMP
		(void)madvise(p, len, MADV_DONTDUMP);
#endif
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
	kdbx_memzero(p, n);
	if (use_mmap(n)) {
		size_t len = round_pages(n);
		(void)munlock(p, len);
		munmap(p, len);
		return;
	}
	free(p);
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
