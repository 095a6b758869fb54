/* kdbx_secret: caller-owned secret buffer in secure memory (include/kdbx/secret.h). */
#include "core/core.h"

struct kdbx_secret {
	size_t len;
	size_t alloc; /* bytes passed to kdbx_secure_alloc, header included */
	uint8_t data[];
};

int kdbx_secret_new(kdbx_secret **out, const void *data, size_t len)
{
	kdbx_secret *s;
	size_t alloc;

	if (out == NULL || (data == NULL && len > 0))
		return kdbx_error__set(KDBX_EINVALID, "kdbx_secret_new: invalid argument");
	*out = NULL;
	if (len > SIZE_MAX - sizeof(*s) - 1)
		return kdbx_error__set(KDBX_ENOMEM, "secret too large");
	alloc = sizeof(*s) + len + 1;
	s = kdbx_secure_alloc(alloc);
	if (s == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	s->len = len;
	s->alloc = alloc;
	if (len > 0)
		memcpy(s->data, data, len);
	s->data[len] = '\0';
	*out = s;
	return KDBX_OK;
}

const uint8_t *kdbx_secret_data(const kdbx_secret *s)
{
	return s != NULL ? s->data : NULL;
}

const char *kdbx_secret_str(const kdbx_secret *s)
{
	return s != NULL ? (const char *)s->data : NULL;
}

size_t kdbx_secret_len(const kdbx_secret *s)
{
	return s != NULL ? s->len : 0;
}

void kdbx_secret_free(kdbx_secret **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	kdbx_secure_free(*sp, (*sp)->alloc);
	*sp = NULL;
}
