/* Bump allocation for the many small field values and records (entries, field arrays)
 * of a loaded database: one block per 2 MiB instead of one malloc (and later one free)
 * per value. The blocks live as long
 * as the database and are wiped and released with it; a value replaced or removed
 * before that simply stays unused in its block. Blocks are secure memory: kept out of
 * core dumps, and at this size backed by 2 MiB pages (src/core/secmem.c), which saves
 * about 500 page faults per block - page faults are a large part of opening a big
 * vault. Pages never touched cost nothing, so a small vault does not pay 2 MiB. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "model/model.h"

struct kdbx_arena_chunk {
	struct kdbx_arena_chunk *next;
	size_t size;
	uint8_t data[];
};

#define ARENA_CHUNK (((size_t)2 << 20) - sizeof(struct kdbx_arena_chunk))
/* Larger values get their own allocation. */
#define ARENA_MAX ((size_t)8 << 10)

void *kdbx_arena__alloc(kdbx_arena *a, size_t n)
{
	uint8_t *p;

	if (a == NULL || n == 0 || n > ARENA_MAX)
		return NULL;
	if (n > a->left) {
		struct kdbx_arena_chunk *c = kdbx_secure_alloc(sizeof(*c) + ARENA_CHUNK);
		if (c == NULL)
			return NULL;
		c->next = a->chunks;
		c->size = ARENA_CHUNK;
		a->chunks = c;
		a->next = c->data;
		a->left = ARENA_CHUNK;
	}
	p = a->next;
	a->next += n;
	a->left -= n;
	return p;
}

void *kdbx_arena__zalloc(kdbx_arena *a, size_t n)
{
	const size_t align = _Alignof(max_align_t);
	size_t pad = (size_t)((uintptr_t)a->next % align);

	pad = pad != 0 ? align - pad : 0;
	if (a->left >= pad && a->left - pad >= n) {
		a->next += pad;
		a->left -= pad;
	} else {
		a->left = 0; /* a new block: its data starts aligned */
	}
	/* Nothing is handed out twice and the blocks come zero-filled from the kernel
	 * (mmap), so the bytes are zero already. */
	return kdbx_arena__alloc(a, n);
}

void kdbx_arena__free(kdbx_arena *a)
{
	struct kdbx_arena_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->chunks; c != NULL; c = next) {
		next = c->next;
		kdbx_secure_free(c, sizeof(*c) + c->size); /* wipes */
	}
	a->chunks = NULL;
	a->next = NULL;
	a->left = 0;
}
