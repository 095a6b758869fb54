/* kdbx_secret: a caller-owned secret buffer, locked in RAM, excluded from
 * core dumps, wiped on free. */
#ifndef KDBX_SECRET_H
#define KDBX_SECRET_H

#include "common.h"

/* Copies len bytes of data (data may be NULL when len is 0). A NUL byte is
 * kept after the data so textual secrets can be used as C strings. */
KDBX_EXTERN int kdbx_secret_new(kdbx_secret **out, const void *data, size_t len);
KDBX_EXTERN const uint8_t *kdbx_secret_data(const kdbx_secret *s);
/* NUL-terminated view of the same bytes. */
KDBX_EXTERN const char *kdbx_secret_str(const kdbx_secret *s);
KDBX_EXTERN size_t kdbx_secret_len(const kdbx_secret *s);
/* Wipes and frees; NULL-safe; sets *sp to NULL. */
KDBX_EXTERN void kdbx_secret_free(kdbx_secret **sp);

#endif
