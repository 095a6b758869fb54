/* In-memory masking of protected string fields.
 * A protected value is stored as ChaCha20(db->mask_key, nonce) XOR plaintext so
 * that passwords never sit in the heap in clear (ARCHITECTURE.md, "Protected
 * entry fields stay masked in memory until read"). One EVP_CIPHER_CTX per
 * database, keyed once and re-initialised with each field's nonce, keeps
 * opening a large database cheap. Nonces come from a per-database counter:
 * the key is random per database, so a counter can never repeat a nonce
 * (random 96-bit nonces could, in theory). */
#include <limits.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "model/model.h"

#define MASK_KEY_LEN 32

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
	/* EVP_chacha20 takes a 16-byte IV: 32-bit LE block counter, then the 96-bit nonce. */
	uint8_t iv[16] = {0};
	int outl;

	if (db == NULL || db->mask_ctx == NULL)
		return kdbx_error__set(KDBX_EINVALID, "database has no masking key");
	memcpy(iv + 4, nonce, 12);
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
	uint8_t *m;
	int rc;

	if (len == SIZE_MAX)
		return kdbx_error__set(KDBX_ENOMEM, "value too large");
	m = malloc(len + 1);
	if (m == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	db->mask_counter++;
	memset(f->nonce, 0, sizeof(f->nonce));
	kdbx_put_le64(f->nonce, db->mask_counter);
	if ((rc = mask_apply(db, f->nonce, (const uint8_t *)value, m, len)) != KDBX_OK) {
		free(m);
		return rc;
	}
	m[len] = '\0';
	free(f->value);
	f->value = (char *)m;
	f->len = len;
	f->protect = true;
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
