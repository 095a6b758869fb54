/* Bump allocation for the many small field values of a loaded database: one block per
 * 64 KiB instead of one malloc (and later one free) per value. The blocks live as long
 * as the database and are wiped and released with it; a value replaced or removed
 * before that simply stays unused in its block. */
#include <stdlib.h>

#include "model/model.h"

#define ARENA_CHUNK ((size_t)64 << 10)
/* Larger values get their own malloc: a block is never more than 1/8 wasted. */
#define ARENA_MAX (ARENA_CHUNK / 8)

struct kdbx_arena_chunk {
	struct kdbx_arena_chunk *next;
	size_t size;
	uint8_t data[];
};

void *kdbx_arena__alloc(kdbx_arena *a, size_t n)
{
	uint8_t *p;

	if (a == NULL || n == 0 || n > ARENA_MAX)
		return NULL;
	if (n > a->left) {
		struct kdbx_arena_chunk *c = malloc(sizeof(*c) + ARENA_CHUNK);
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

void kdbx_arena__free(kdbx_arena *a)
{
	struct kdbx_arena_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->chunks; c != NULL; c = next) {
		next = c->next;
		kdbx_memzero(c->data, c->size);
		free(c);
	}
	a->chunks = NULL;
	a->next = NULL;
	a->left = 0;
}
