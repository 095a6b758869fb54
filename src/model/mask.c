/* In-memory masking of protected string fields.
 * A protected value is stored as ChaCha20(db->mask_key, nonce) XOR plaintext so
 * that passwords never sit in the heap in clear (ARCHITECTURE.md, "Protected
 * entry fields stay masked in memory until read"). One EVP_CIPHER_CTX per
 * database, keyed once and re-initialised with each field's nonce, keeps
 * opening a large database cheap. Nonces come from a per-database counter:
 * the key is random per database, so a counter can never repeat a nonce
 * (random 96-bit nonces could, in theory).
 *
 * A field's 12-byte nonce holds a 64-bit counter value (LE) and a 32-bit ChaCha20
 * block index (LE): its keystream starts at that block of that nonce. A value masked
 * alone uses block 0. Loading masks tens of thousands of short values, and re-keying
 * the cipher per value costs far more than the value itself, so kdbx_mask__field_bulk
 * hands out consecutive, never reused blocks of one batch instead. */
#include <limits.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "model/model.h"

#define MASK_KEY_LEN 32
#define MASK_BLOCK 64
/* One batch: 64 blocks, a page of secure memory. */
#define MASK_KS_LEN ((size_t)4096)

int kdbx_mask__init(kdbx_db *db)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t iv[16] = {0};
	int rc;

	db->mask_key = kdbx_secure_alloc(MASK_KEY_LEN);
	if (db->mask_key == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	if ((rc = kdbx_random(db->mask_key, MASK_KEY_LEN)) != KDBX_OK)
		return rc;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	if (EVP_EncryptInit_ex(ctx, EVP_chacha20(), NULL, db->mask_key, iv) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return kdbx_error__set(KDBX_ERROR, "ChaCha20 unavailable for memory masking");
	}
	db->mask_ctx = ctx;
	return KDBX_OK;
}

void kdbx_mask__free(kdbx_db *db)
{
	if (db->mask_ks != NULL) {
		kdbx_secure_free(db->mask_ks, MASK_KS_LEN);
		db->mask_ks = NULL;
	}
	if (db->mask_ctx != NULL) {
		EVP_CIPHER_CTX_free(db->mask_ctx);
		db->mask_ctx = NULL;
	}
	if (db->mask_key != NULL) {
		kdbx_secure_free(db->mask_key, MASK_KEY_LEN);
		db->mask_key = NULL;
	}
}

/* XORs the keystream for nonce into in -> out (may alias). */
static int mask_apply(const kdbx_db *db, const uint8_t nonce[12], const uint8_t *in, uint8_t *out,
                      size_t n)
{
	/* EVP_chacha20 takes a 16-byte IV: 32-bit LE block counter, then the 96-bit nonce
	 * (here the 64-bit counter value and four zero bytes). */
	uint8_t iv[16] = {0};
	int outl;

	if (db == NULL || db->mask_ctx == NULL)
		return kdbx_error__set(KDBX_EINVALID, "database has no masking key");
	memcpy(iv, nonce + 8, 4);
	memcpy(iv + 4, nonce, 8);
	if (EVP_EncryptInit_ex(db->mask_ctx, NULL, NULL, NULL, iv) != 1)
		return kdbx_error__set(KDBX_ERROR, "ChaCha20 re-initialisation failed");
	while (n > 0) {
		int chunk = n > (size_t)(INT_MAX / 2) ? INT_MAX / 2 : (int)n;
		if (EVP_EncryptUpdate(db->mask_ctx, out, &outl, in, chunk) != 1 || outl != chunk)
			return kdbx_error__set(KDBX_ERROR, "ChaCha20 masking failed");
		in += chunk;
		out += chunk;
		n -= (size_t)chunk;
	}
	return KDBX_OK;
}

/* Masks plaintext value[0..len) into a new heap buffer for f (f->value, f->len, f->nonce). */
int kdbx_mask__field(kdbx_db *db, kdbx_field *f, const char *value, size_t len)
{
	uint8_t nonce[12];
	uint8_t *m;
	int rc;

	if (len == SIZE_MAX)
		return kdbx_error__set(KDBX_ENOMEM, "value too large");
	m = malloc(len + 1);
	if (m == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	db->mask_counter++;
	memset(nonce, 0, sizeof(nonce));
	kdbx_put_le64(nonce, db->mask_counter);
	/* f keeps its old value (and nonce) if this fails */
	if ((rc = mask_apply(db, nonce, (const uint8_t *)value, m, len)) != KDBX_OK) {
		free(m);
		return rc;
	}
	m[len] = '\0';
	if (!f->pooled)
		free(f->value);
	memcpy(f->nonce, nonce, sizeof(nonce));
	f->value = (char *)m;
	f->len = len;
	f->protect = true;
	f->pooled = false;
	return KDBX_OK;
}

/* A fresh batch of keystream under a new counter value. */
static int mask_refill(kdbx_db *db)
{
	uint8_t nonce[12] = {0};
	int rc;

	if (db->mask_ks == NULL && (db->mask_ks = kdbx_secure_alloc(MASK_KS_LEN)) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	db->mask_counter++;
	kdbx_put_le64(nonce, db->mask_counter);
	memset(db->mask_ks, 0, MASK_KS_LEN);
	if ((rc = mask_apply(db, nonce, db->mask_ks, db->mask_ks, MASK_KS_LEN)) != KDBX_OK) {
		kdbx_memzero(db->mask_ks, MASK_KS_LEN);
		db->mask_ks_off = MASK_KS_LEN;
		return rc;
	}
	db->mask_ks_id = db->mask_counter;
	db->mask_ks_off = 0;
	return KDBX_OK;
}

int kdbx_mask__field_bulk(kdbx_db *db, kdbx_field *f, const char *value, size_t len)
{
	size_t need, off, i;
	uint8_t *m, *ks;
	bool pooled;
	int rc;

	if (db == NULL || len > MASK_KS_LEN)
		return kdbx_mask__field(db, f, value, len);
	if (db->mask_ctx == NULL)
		return kdbx_error__set(KDBX_EINVALID, "database has no masking key");
	need = (len + MASK_BLOCK - 1) / MASK_BLOCK * MASK_BLOCK;
	if ((db->mask_ks == NULL || MASK_KS_LEN - db->mask_ks_off < need) &&
	    (rc = mask_refill(db)) != KDBX_OK)
		return rc;
	m = kdbx_arena__alloc(&db->arena, len + 1);
	pooled = m != NULL;
	if (m == NULL && (m = malloc(len + 1)) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	off = db->mask_ks_off;
	ks = db->mask_ks + off;
	for (i = 0; i < len; i++)
		m[i] = (uint8_t)value[i] ^ ks[i];
	m[len] = '\0';
	/* each block is used once: wipe it and move on */
	kdbx_memzero(ks, need);
	db->mask_ks_off = off + need;
	kdbx_put_le64(f->nonce, db->mask_ks_id);
	kdbx_put_le32(f->nonce + 8, (uint32_t)(off / MASK_BLOCK));
	if (!f->pooled)
		free(f->value);
	f->value = (char *)m;
	f->len = len;
	f->protect = true;
	f->pooled = pooled;
	return KDBX_OK;
}

int kdbx_field__reveal(const kdbx_db *db, const kdbx_field *f, kdbx_buf *out)
{
	int rc;

	if (f == NULL || out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "reveal: NULL argument");
	if (out->cap == 0)
		out->secure = true;
	if (f->len == SIZE_MAX)
		return kdbx_error__set(KDBX_ENOMEM, "value too large");
	if ((rc = kdbx_buf_reserve(out, f->len + 1)) != KDBX_OK)
		return rc;
	if (f->len > 0) {
		if (f->protect)
			rc = mask_apply(db, f->nonce, (const uint8_t *)f->value, out->data + out->len, f->len);
		else
			memcpy(out->data + out->len, f->value, f->len);
		if (rc != KDBX_OK) {
			kdbx_memzero(out->data + out->len, f->len);
			return rc;
		}
	}
	out->data[out->len + f->len] = '\0';
	out->len += f->len;
	return KDBX_OK;
}
