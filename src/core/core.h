/* Internal core helpers: errors, logging, secure memory, buffers, encoding, randomness. */
#ifndef KDBX_CORE_H
#define KDBX_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kdbx/error.h"
#include "kdbx/secret.h"

/* ---- errors (error.c) ---- */
/* Records code + formatted message in the thread-local slot and returns code. */
int kdbx_error__set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Debug log to stderr when KDBX_DEBUG is set in the environment. */
void kdbx_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- secure memory (secmem.c) ---- */
void kdbx_memzero(void *p, size_t n);
void kdbx_freezero(void *p, size_t n); /* NULL-safe */
bool kdbx_ct_equal(const void *a, const void *b, size_t n);
/* Locked (best effort), MADV_DONTDUMP, zero-filled allocation; free wipes. */
void *kdbx_secure_alloc(size_t n);
/* Blocks of at least this size sit on 2 MiB transparent huge pages (secmem.c). */
#define KDBX_SECURE_HUGE ((size_t)2 << 20)
/* n rounded up to whole huge pages once it is that large: reserving this for a buffer that
 * gets filled keeps its last page huge too, instead of up to 511 faults of 4 KiB. */
static inline size_t kdbx_secure_round(size_t n)
{
	const size_t h = KDBX_SECURE_HUGE;
	return n >= h && n <= SIZE_MAX - h ? (n + h - 1) / h * h : n;
}
void kdbx_secure_free(void *p, size_t n);

/* cpu.c: true when this process may use a second CPU and one is idle right now (fewer
 * runnable threads than CPUs). Work split over two threads only pays when the second one
 * really runs. */
bool kdbx_cpu_spare(void);
/* cpu.c: the CPUs this process may run on (affinity mask, else the online count). */
int kdbx_cpu_count(void);

/* Grows a kdbx_secure_alloc block of old_n bytes to new_n (>= old_n), keeping
 * the contents; the old block is wiped/unmapped on success and left intact
 * (still owned by the caller) on failure (NULL). */
void *kdbx_secure_realloc(void *p, size_t old_n, size_t new_n);
/* Wipes and unmaps the whole pages among the first drop bytes of a page-sized
 * or larger block of n bytes; returns how many bytes were released (0 for a
 * small block). The rest is the block (p + released, n - released). */
size_t kdbx_secure_release_front(void *p, size_t n, size_t drop);
/* Moves the n bytes (whole pages) at p to dst, a never-touched range of the same
 * mapping that does not overlap them: the memory goes with them, so writing at dst
 * does not fault, and p..p+n is unmapped. Contents are not wiped (they stay in the
 * mapping, which wipes them when freed). False on failure: nothing moved. */
bool kdbx_secure_move(void *p, size_t n, void *dst);
/* Process hardening: RLIMIT_CORE 0 and PR_SET_DUMPABLE 0 (called by the CLI). */
void kdbx_harden_process(void);

/* ---- byte buffer (buf.c) ---- */
typedef struct kdbx_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool secure; /* wiped on grow and free */
} kdbx_buf;
#define KDBX_BUF_INIT {NULL, 0, 0, false}
int kdbx_buf_reserve(kdbx_buf *b, size_t extra);
int kdbx_buf_append(kdbx_buf *b, const void *data, size_t n);
int kdbx_buf_append_byte(kdbx_buf *b, uint8_t c);
int kdbx_buf_append_str(kdbx_buf *b, const char *s);
int kdbx_buf_append_le16(kdbx_buf *b, uint16_t v);
int kdbx_buf_append_le32(kdbx_buf *b, uint32_t v);
int kdbx_buf_append_le64(kdbx_buf *b, uint64_t v);
void kdbx_buf_reset(kdbx_buf *b); /* len = 0, keeps memory (wiped if secure) */
void kdbx_buf_free(kdbx_buf *b);  /* wipes if secure */
/* Moves the data out (caller frees with free / kdbx_freezero). */
uint8_t *kdbx_buf_detach(kdbx_buf *b, size_t *len);
/* For a large secure buffer whose first n bytes the caller has consumed and
 * will not read again: wipes them and gives their whole pages back to the
 * system at once (lower peak memory); data, len and cap move past them. Other
 * buffers are left as they are. */
void kdbx_buf_release_front(kdbx_buf *b, size_t n);
/* The same up to the byte at upto (a pointer into b, past what the caller has consumed;
 * b NULL: nothing): for a caller that walks b by pointer while its front moves. */
void kdbx_buf_release_upto(kdbx_buf *b, const uint8_t *upto);

/* ---- little-endian helpers (inline) ---- */
static inline uint16_t kdbx_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t kdbx_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t kdbx_le64(const uint8_t *p)
{
	return (uint64_t)kdbx_le32(p) | ((uint64_t)kdbx_le32(p + 4) << 32);
}
static inline void kdbx_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void kdbx_put_le64(uint8_t *p, uint64_t v)
{
	kdbx_put_le32(p, (uint32_t)v);
	kdbx_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* ---- encoding (encode.c) ---- */
/* Base64 (standard alphabet, padded). decode ignores nothing: invalid -> KDBX_ECORRUPT. */
int kdbx_base64_encode(kdbx_buf *out, const uint8_t *in, size_t n); /* appends, no NUL */
int kdbx_base64_decode(kdbx_buf *out, const char *in, size_t n);    /* appends */
size_t kdbx_base64_decoded_max(size_t n);
int kdbx_hex_encode(char *out, const uint8_t *in, size_t n, bool upper); /* out: 2n+1 */
int kdbx_hex_decode(uint8_t *out, size_t outlen, const char *in, size_t n); /* n == 2*outlen */
/* Valid UTF-8 check. */
bool kdbx_utf8_valid(const char *s, size_t n);

/* ---- randomness (random.c) ---- */
int kdbx_random(void *buf, size_t n); /* OpenSSL RAND_bytes */

/* ---- files (file.c) ---- */
/* Reads a whole file (limit: 1 GiB). */
int kdbx_file_read(const char *path, kdbx_buf *out);
/* Reads at least the first max bytes of a file (all of a shorter one); *whole says
 * whether that was the whole file. For headers, without reading a big file twice. */
int kdbx_file_read_prefix(const char *path, size_t max, kdbx_buf *out, bool *whole);
/* Atomic replace: temp file in the same directory, write, fsync, rename,
 * fsync dir; keeps the mode of an existing file (0600 for new files). */
int kdbx_file_write_atomic(const char *path, const uint8_t *data, size_t n);
/* Fault injection for tests: when set, the step with this index fails
 * (1 open, 2 write, 3 fsync, 4 rename, 5 dir fsync). */
void kdbx_file__fail_step(int step);

/* ---- string helpers (str.c) ---- */
char *kdbx_strdup(const char *s); /* NULL-safe */
char *kdbx_strndup(const char *s, size_t n);

#define KDBX_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
