/* Growable byte buffer; secure buffers never realloc (old memory is wiped). */
#include <stdlib.h>

#include "core/core.h"

int kdbx_buf_reserve(kdbx_buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (extra > SIZE_MAX - b->len)
		return kdbx_error__set(KDBX_ENOMEM, "buffer size overflow");
	need = b->len + extra;
	if (need <= b->cap && b->data != NULL)
		return KDBX_OK;
	cap = b->cap < 64 ? 64 : b->cap;
	if (b->data == NULL && need > cap)
		cap = need; /* a first reservation is usually the known final size */
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (b->secure) {
		/* Page-sized and larger blocks grow by mremap: no copy, nothing to wipe. From
		 * 2 MiB on, whole huge pages: a partial last one would fault in 4 KiB at a time
		 * (up to 511 faults, each ~10 us in a VM). */
		cap = kdbx_secure_round(cap);
		p = kdbx_secure_realloc(b->data, b->cap, cap);
		if (p == NULL)
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	} else {
		p = realloc(b->data, cap);
		if (p == NULL)
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	b->data = p;
	b->cap = cap;
	return KDBX_OK;
}

int kdbx_buf_append(kdbx_buf *b, const void *data, size_t n)
{
	int rc;

	if (n == 0)
		return KDBX_OK;
	if ((rc = kdbx_buf_reserve(b, n)) != KDBX_OK)
		return rc;
	memcpy(b->data + b->len, data, n);
	b->len += n;
	return KDBX_OK;
}

int kdbx_buf_append_byte(kdbx_buf *b, uint8_t c)
{
	return kdbx_buf_append(b, &c, 1);
}

int kdbx_buf_append_str(kdbx_buf *b, const char *s)
{
	return kdbx_buf_append(b, s, strlen(s));
}

int kdbx_buf_append_le16(kdbx_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	return kdbx_buf_append(b, x, 2);
}

int kdbx_buf_append_le32(kdbx_buf *b, uint32_t v)
{
	uint8_t x[4];
	kdbx_put_le32(x, v);
	return kdbx_buf_append(b, x, 4);
}

int kdbx_buf_append_le64(kdbx_buf *b, uint64_t v)
{
	uint8_t x[8];
	kdbx_put_le64(x, v);
	return kdbx_buf_append(b, x, 8);
}

void kdbx_buf_reset(kdbx_buf *b)
{
	if (b->secure)
		kdbx_memzero(b->data, b->len);
	b->len = 0;
}

void kdbx_buf_free(kdbx_buf *b)
{
	if (b->data != NULL) {
		if (b->secure)
			kdbx_secure_free(b->data, b->cap);
		else
			free(b->data);
	}
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

uint8_t *kdbx_buf_detach(kdbx_buf *b, size_t *len)
{
	uint8_t *p;

	/* Secure memory cannot be handed to free(): copy it into a malloc block
	 * (the caller frees it with kdbx_freezero) and wipe the original. */
	if (b->secure) {
		p = malloc(b->len > 0 ? b->len : 1);
		if (p == NULL) {
			kdbx_error__set(KDBX_ENOMEM, "out of memory");
			return NULL;
		}
		if (b->len > 0)
			memcpy(p, b->data, b->len);
		if (len != NULL)
			*len = b->len;
		kdbx_buf_free(b);
		return p;
	}
	p = b->data;
	if (p == NULL)
		p = malloc(1);
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

void kdbx_buf_release_upto(kdbx_buf *b, const uint8_t *upto)
{
	if (b != NULL && b->data != NULL && upto >= b->data)
		kdbx_buf_release_front(b, (size_t)(upto - b->data));
}

void kdbx_buf_release_front(kdbx_buf *b, size_t n)
{
	size_t d;

	if (!b->secure || b->data == NULL || n > b->len)
		return;
	d = kdbx_secure_release_front(b->data, b->cap, n);
	b->data += d;
	b->len -= d;
	b->cap -= d;
}
