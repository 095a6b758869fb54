/* The decrypted container: header settings + inner payload, between bytes and the XML layer.
 * Spec: ../shared/reference/keepassxc-notes.md section 3. */
#ifndef KDBX_CONTAINER_H
#define KDBX_CONTAINER_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/core.h"
#include "kdbx/db.h"
#include "kdbx/key.h"

#define KDBX_SIG1 0x9AA2D903u
#define KDBX_SIG2 0xB54BFB67u
#define KDBX_VERSION_2_0 0x00020000u
#define KDBX_VERSION_3_0 0x00030000u
#define KDBX_VERSION_3_1 0x00030001u
#define KDBX_VERSION_4_0 0x00040000u
#define KDBX_VERSION_4_1 0x00040001u

/* One attachment payload as stored in the KDBX4 inner header (or KDBX3 Meta/Binaries). */
typedef struct kdbx_binary {
	uint8_t flags; /* KDBX4 inner-header flag byte (0x01 = protected) */
	uint8_t *data;
	size_t len;
} kdbx_binary;

typedef struct kdbx_container {
	uint32_t version; /* file version */
	kdbx_cipher cipher;
	kdbx_compression compression;
	kdbx_kdf_params kdf;
	uint8_t master_seed[32];
	uint8_t iv[16];
	size_t iv_len;
	int stream_id; /* inner random stream: 2 Salsa20, 3 ChaCha20 */
	uint8_t stream_key[64];
	size_t stream_key_len;
	uint8_t stream_start[32]; /* KDBX3 */
	/* KDBX4 public custom data: the raw VariantDictionary bytes (NULL if absent). */
	uint8_t *public_custom_data;
	size_t public_custom_data_len;
	/* SHA-256 of the outer header bytes (KDBX3 Meta/HeaderHash check). */
	uint8_t header_hash[32];
	/* KDBX4 inner-header binaries, in order. */
	kdbx_binary *binaries;
	size_t nbinaries;
	/* Set by the XML writer: the binaries' data are the db's attachments, lent for the
	 * save (no copy of them all); the container frees the array, not the data. */
	bool binaries_borrowed;
	/* The XML document (plaintext, decompressed). Secure buffer. */
	kdbx_buf xml;
	/* Bytes at the front of xml that are not XML (wiped remains of the KDBX4
	 * inner header, < one page): the document is xml.data + xml_skip, of
	 * xml.len - xml_skip bytes. 0 for KDBX3 and for everything written. */
	size_t xml_skip;
	/* Read only: the caller's buffer holding the file image, freed by the payload reader as
	 * soon as the payload is authenticated and decrypted, so a big file and its XML are not
	 * in memory at once (NULL: the caller keeps its bytes). */
	kdbx_buf *drop_input;
	/* Read only: kdbx_container_read_streamed takes the XML as it is inflated, so a large
	 * document is never whole in memory. Then xml_stream, when not NULL, is still filling
	 * xml: kdbx_container_xml_wait says how far. */
	bool want_stream;
	struct kdbx_gzip_stream *xml_stream;
} kdbx_container;

void kdbx_container_free(kdbx_container *c);

/* For a streamed read (c->xml_stream): blocks until c->xml reaches at least `upto` (a
 * pointer into xml's original mapping; NULL: the end) or the document is complete (*complete), and
 * sets c->xml.len to the bytes there. Without a stream: complete at once. Errors of the
 * inflater (damage, truncation) are returned here. */
int kdbx_container_xml_wait(kdbx_container *c, const uint8_t *upto, bool *complete);
/* The reader is done with c->xml before upto: those pages are recycled for the output
 * still to come while the XML is inflated, else unmapped (kdbx_buf_release_front). */
void kdbx_container_xml_release(kdbx_container *c, const uint8_t *upto);

/* Parses + decrypts a whole file image. KDBX_EAUTH on wrong key (HMAC /
 * stream start bytes / padding), KDBX_ECORRUPT on damage, KDBX_EUNSUPPORTED. */
int kdbx_container_read(kdbx_container *out, const uint8_t *data, size_t len, const kdbx_key *key,
                        const kdbx_open_options *opts);
/* The same for a file image the caller gives up: file is freed once the payload is
 * decrypted (always freed or left to the caller's kdbx_buf_free: it stays valid on
 * KDBX_EAUTH, so the caller may still look at the header). */
int kdbx_container_read_buf(kdbx_container *out, kdbx_buf *file, const kdbx_key *key,
                            const kdbx_open_options *opts);
/* As the two above (file, when not NULL, holds the image and is given up), but a large
 * gzip payload is left to inflate while the XML reader takes it (c->xml_stream). */
int kdbx_container_read_streamed(kdbx_container *out, const uint8_t *data, size_t len,
                                 kdbx_buf *file, const kdbx_key *key,
                                 const kdbx_open_options *opts);
/* Save, step 1: serialises the outer header from c's settings into hdr
 * (KDBX3: fields 2-10; KDBX4: 2,3,4,7,11,[12]) and sets c->header_hash.
 * c->version must be 3.1, 4.0 or 4.1 and seeds fresh (kdbx_container_new_seeds). */
int kdbx_container_write_header(kdbx_container *c, kdbx_buf *hdr);
/* Save, step 2 (after the XML layer filled c->xml and, for KDBX4, c->binaries):
 * derives the keys, appends hdr + encrypted payload (hashed blocks / HMAC
 * blocks, inner header, gzip as set) to out. */
int kdbx_container_write(const kdbx_container *c, const kdbx_buf *hdr, const kdbx_key *key,
                         kdbx_buf *out);
/* Fresh master seed, IV, KDF seed, stream key (and start bytes). */
int kdbx_container_new_seeds(kdbx_container *c);
/* Frees (wipes) the binaries (only the array when borrowed); the rest of c stays. */
void kdbx_container__free_binaries(kdbx_container *c);
/* Frees (wipes) the XML and the binaries, the rest of c stays. */
void kdbx_container__drop_payload(kdbx_container *c);

/* Save, step 2 split in three (container_write.c), so the deliberately slow key
 * derivation can run while the XML is still being written: it needs only what
 * step 1 fixed (version, KDF parameters, master seed), never the XML, and the
 * XML + gzip need no key. kdbx_container_write = derive_keys + write_plain + seal. */
typedef struct kdbx_container_keys {
	uint8_t cipher_key[32];
	uint8_t hmac_key[64]; /* KDBX4 only */
} kdbx_container_keys;
/* The master keys for c's version, KDF and master seed; kdf_flags, cb, ud as for
 * kdbx_key__derive_ex. The caller wipes *out (kdbx_memzero). */
int kdbx_container_derive_keys(const kdbx_container *c, const kdbx_key *key,
                               unsigned int kdf_flags, kdbx_progress_cb cb, void *ud,
                               kdbx_container_keys *out);
/* Key-free part of the payload into the secure buffer plain: gzip, and for KDBX3 the
 * start bytes + hashed blocks, for KDBX4 the inner header (+ c->binaries). */
int kdbx_container_write_plain(const kdbx_container *c, kdbx_buf *plain);
/* The same bytes, and c's payload is gone afterwards: the XML's memory is given back
 * while it is compressed, then c->xml and c->binaries are freed (a 186 MB document is
 * not in memory beside its compressed copy). */
int kdbx_container__write_plain_consume(kdbx_container *c, kdbx_buf *plain);
/* The key-free payload built while the XML is still being written (db_io.c hands the
 * writer's output over every few MiB): begin once c's settings and binaries are final,
 * feed the document in pieces, end; free in every case. write_plain is this with the
 * whole c->xml. plain is a secure buffer, empty at begin. */
typedef struct kdbx_plain_writer {
	const kdbx_container *c;
	kdbx_buf *plain;
	size_t xml_hint;       /* expected XML size (0: unknown), to size an uncompressed body */
	struct kdbx_gzip_deflater *z; /* NULL: no compression */
	kdbx_buf pending;      /* KDBX3: output that does not fill a hashed block yet */
	uint32_t block_index;  /* KDBX3: the next hashed block's index */
} kdbx_plain_writer;
int kdbx_container__plain_begin(kdbx_plain_writer *pw, const kdbx_container *c, kdbx_buf *plain,
                                size_t xml_hint);
int kdbx_container__plain_feed(kdbx_plain_writer *pw, const uint8_t *xml, size_t n);
int kdbx_container__plain_end(kdbx_plain_writer *pw);
void kdbx_container__plain_free(kdbx_plain_writer *pw);
/* Key-dependent part: appends hdr + the encrypted plain (KDBX4: header hash + HMAC,
 * HMAC blocks) to out. plain is consumed: encrypted 4 MiB at a time, each piece's pages
 * given back at once (kdbx_cipher_encrypt_consume), then freed. */
int kdbx_container_write_seal(const kdbx_container *c, const kdbx_buf *hdr, kdbx_buf *plain,
                              const kdbx_container_keys *keys, kdbx_buf *out);

/* The overlapped save: begin starts the derivation on a worker thread (one core:
 * KDBX_KDF_ONE_CORE, the caller's serialiser has the other), finish runs write_plain
 * on the calling thread, joins and seals. Both byte-for-byte as kdbx_container_write.
 *   kdbx_container_writer w;
 *   kdbx_container_write_header(c, &hdr); kdbx_container_write_begin(&w, c, key);
 *   rc = <fill c->xml, c->binaries>;
 *   rc = kdbx_container_write_finish(&w, c, &hdr, rc, out);
 * Without a second CPU (sched_getaffinity), with challenge-response providers (their
 * prompts and callbacks stay on the caller's thread) or when no thread can be made,
 * begin starts nothing and finish derives in line, as before. The struct lives on
 * the caller's stack; treat its fields as private. */
typedef struct kdbx_container_writer {
	const kdbx_key *key;
	uint32_t version;      /* copies: the caller keeps writing into c */
	kdbx_kdf_params kdf;
	uint8_t master_seed[32];
	kdbx_container_keys keys;
	pthread_t thread;
	bool threaded;         /* a worker runs (tests look at it) */
	atomic_int cancel;     /* set by finish when the caller's part failed */
	int rc;                /* the worker's result, and its thread-local message: */
	char msg[512];
} kdbx_container_writer;
/* Never fails: a worker that cannot start leaves the derivation to finish. */
void kdbx_container_write_begin(kdbx_container_writer *w, const kdbx_container *c,
                                const kdbx_key *key);
/* Always joins the worker and wipes w. Once the payload is built, c->xml and
 * c->binaries are freed (kdbx_container__drop_payload). caller_rc != KDBX_OK (the XML
 * write failed; its error is set) cancels an AES-KDF (Argon2 runs to its end) and is
 * returned as it is. Otherwise the first error of write_plain, the derivation (re-set on this
 * thread with the worker's message) and the seal. */
int kdbx_container_write_finish(kdbx_container_writer *w, kdbx_container *c,
                                const kdbx_buf *hdr, int caller_rc, kdbx_buf *out);
/* The same for a payload already built with the plain writer (kdbx_container__plain_*):
 * plain is sealed and freed, c->xml is not used. */
int kdbx_container_write_finish_plain(kdbx_container_writer *w, kdbx_container *c,
                                      const kdbx_buf *hdr, int caller_rc, kdbx_buf *plain,
                                      kdbx_buf *out);

/* VariantDictionary (vdict.c) */
typedef struct kdbx_vdict_item {
	uint8_t type; /* 0x04 u32, 0x05 u64, 0x08 bool, 0x0C i32, 0x0D i64, 0x18 str, 0x42 bytes */
	char *name;
	uint8_t *value;
	size_t len;
} kdbx_vdict_item;
typedef struct kdbx_vdict {
	kdbx_vdict_item *items;
	size_t count;
} kdbx_vdict;
int kdbx_vdict_parse(kdbx_vdict *out, const uint8_t *data, size_t len); /* KDBX_ECORRUPT */
int kdbx_vdict_write(const kdbx_vdict *d, kdbx_buf *out);
const kdbx_vdict_item *kdbx_vdict_get(const kdbx_vdict *d, const char *name);
int kdbx_vdict_set(kdbx_vdict *d, uint8_t type, const char *name, const void *value, size_t len);
int kdbx_vdict_remove(kdbx_vdict *d, const char *name);
void kdbx_vdict_free(kdbx_vdict *d);

/* ---- internal, format/ only (container helper) ---- */
/* Hard limits that keep damaged input from causing huge allocations. */
#define KDBX_GZIP_MAX_OUT ((size_t)1 << 30) /* 1 GiB of decompressed payload */
#define KDBX_BLOCK_SIZE ((size_t)1 << 20)   /* writer block size, both block streams */

/* header.c: parses the outer header of data into c (version, cipher, compression, KDF,
 * seeds, IV, KDBX3 stream fields, public custom data); *hdr_len = bytes up to and
 * including the end field. KDBX_ECORRUPT / KDBX_EUNSUPPORTED. */
int kdbx_header__parse(kdbx_container *c, const uint8_t *data, size_t len, size_t *hdr_len);
/* header.c: appends the outer header for c->version (3.1, 4.0, 4.1) to hdr. */
int kdbx_header__write(const kdbx_container *c, kdbx_buf *hdr);

/* gzip.c: gzip container (RFC 1952): libdeflate inflates (zlib for odd input), igzip
 * deflates. inflate appends to out and refuses more than max_out bytes of output
 * (KDBX_ECORRUPT); deflate appends one member to out. A deflater can be kept for several
 * members (deflate_with), so its state is set up and wiped once. */
int kdbx_gzip__inflate(const uint8_t *in, size_t n, size_t max_out, kdbx_buf *out);
int kdbx_gzip__deflate(const uint8_t *in, size_t n, kdbx_buf *out);
typedef struct kdbx_gzip_deflater kdbx_gzip_deflater;
kdbx_gzip_deflater *kdbx_gzip__deflater_new(void);
int kdbx_gzip__deflate_with(kdbx_gzip_deflater *d, const uint8_t *in, size_t n, kdbx_buf *out);
/* One member from pieces: begin, then feed each piece (last = true for the final one,
 * which ends the member). in may be released or reused once feed returned. */
void kdbx_gzip__deflate_begin(kdbx_gzip_deflater *d);
int kdbx_gzip__deflate_feed(kdbx_gzip_deflater *d, const uint8_t *in, size_t n, bool last,
                            kdbx_buf *out);
void kdbx_gzip__deflater_free(kdbx_gzip_deflater *d);
/* gzip.c: the trailer's ISIZE when plausible (<= max_out, <= deflate's ratio), else 0;
 * zlib allocators that wipe what they free (shared with gzip_stream.c). */
size_t kdbx_gzip__size_hint(const uint8_t *in, size_t n, size_t max_out);
/* gzip_stream.c: inflating while the XML is parsed. start takes over in (the gzip member)
 * and reserves isize bytes (the trailer's ISIZE: more output is damage) at the end of xml,
 * untouched; wait inflates until at least want bytes are out or the stream ended (*done);
 * free drops the rest. From KDBX_GZIP_STREAM_MIN bytes of XML on, streaming saves the page
 * faults of a whole XML buffer (gzip_stream.c); below, the buffer is small anyway. */
#define KDBX_GZIP_STREAM_MIN ((size_t)4 << 20)
typedef struct kdbx_gzip_stream kdbx_gzip_stream;
bool kdbx_gzip__stream_wanted(size_t isize);
int kdbx_gzip__stream_start(kdbx_gzip_stream **gs, kdbx_buf *in, kdbx_buf *xml, size_t isize);
int kdbx_gzip__stream_wait(kdbx_gzip_stream *gs, size_t want, size_t *produced, bool *done);
void kdbx_gzip__stream_free(kdbx_gzip_stream **gs);
const uint8_t *kdbx_gzip__stream_out(const kdbx_gzip_stream *gs); /* where output starts */
/* Moves whole huge pages of [from, from + n), output the reader is done with, to the
 * untouched part of the output ahead of the inflater; returns the bytes moved, 0 when
 * there is no room (the caller unmaps them instead). */
size_t kdbx_gzip__stream_recycle(kdbx_gzip_stream *gs, uint8_t *from, size_t n);
/* test hook: 0 by size, 1 always, 2 never */
void kdbx_gzip__stream_mode(int mode);
/* test hook: inflate in a thread 0 when a core is spare, 1 always, 2 never */
void kdbx_gzip__stream_thread_mode(int mode);

/* kdbx3.c: payload after the header (cipher, start bytes, hashed blocks, gzip) <-> c->xml. */
int kdbx_kdbx3__read(kdbx_container *c, const uint8_t *payload, size_t n,
                     const uint8_t cipher_key[32]);
/* kdbx3.c: the key-free payload as the XML comes (kdbx_plain_writer), and the seal, which
 * consumes plain (frees it once encrypted). */
int kdbx_kdbx3__plain_begin(kdbx_plain_writer *pw);
int kdbx_kdbx3__plain_feed(kdbx_plain_writer *pw, const uint8_t *xml, size_t n);
int kdbx_kdbx3__plain_end(kdbx_plain_writer *pw);
int kdbx_kdbx3__write_seal(const kdbx_container *c, kdbx_buf *plain,
                           const uint8_t cipher_key[32], kdbx_buf *out);
/* kdbx3.c: HashedBlockStream (exposed for the unit tests). */
int kdbx_kdbx3__hashed_blocks_read(const uint8_t *in, size_t n, kdbx_buf *out);
int kdbx_kdbx3__hashed_blocks_write(const uint8_t *in, size_t n, size_t block_size,
                                    kdbx_buf *out);

/* kdbx4.c: everything after the header (hash, HMAC, HMAC blocks, cipher, gzip, inner
 * header) <-> c->xml + c->binaries + c->stream_*. hdr is the header bytes. */
int kdbx_kdbx4__read(kdbx_container *c, const uint8_t *hdr, size_t hdr_len,
                     const uint8_t *rest, size_t n, const uint8_t cipher_key[32],
                     const uint8_t hmac_key[64]);
/* kdbx4.c: the key-free payload as the XML comes (kdbx_plain_writer), and the seal, which
 * consumes body (frees it once encrypted). */
int kdbx_kdbx4__plain_begin(kdbx_plain_writer *pw);
int kdbx_kdbx4__plain_feed(kdbx_plain_writer *pw, const uint8_t *xml, size_t n);
int kdbx_kdbx4__plain_end(kdbx_plain_writer *pw);
int kdbx_kdbx4__write_seal(const kdbx_container *c, const uint8_t *hdr, size_t hdr_len,
                           kdbx_buf *body, const uint8_t cipher_key[32],
                           const uint8_t hmac_key[64], kdbx_buf *out);
/* kdbx4.c: stored SHA-256 of the header (the 32 bytes at rest) -> KDBX_ECORRUPT on mismatch;
 * checked before the (slow) key derivation. header_mac = HMAC with the index 2^64-1 key. */
int kdbx_kdbx4__check_header_hash(const uint8_t *hdr, size_t hdr_len, const uint8_t *rest,
                                  size_t n);
int kdbx_kdbx4__header_mac(const uint8_t *hdr, size_t hdr_len, const uint8_t hmac_key[64],
                           uint8_t out[32]);
/* kdbx4.c: HMAC block stream (exposed for the unit tests). */
int kdbx_kdbx4__hmac_blocks_read(const uint8_t *in, size_t n, const uint8_t hmac_key[64],
                                 kdbx_buf *out);
int kdbx_kdbx4__hmac_blocks_write(const uint8_t *in, size_t n, size_t block_size,
                                  const uint8_t hmac_key[64], kdbx_buf *out);

/* container.c: refuses KDF parameters far beyond any real database (KDBX_EUNSUPPORTED)
 * unless opts->skip_kdf_limits, so a damaged header cannot make an open run for hours. */
int kdbx_container__check_kdf_limits(const kdbx_kdf_params *p, const kdbx_open_options *opts);

#endif
