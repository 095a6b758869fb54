/* A public-key slot provider for tests: X25519 ECDH (OpenSSL) standing in
 * for a PKCS#11 / TPM key. Metadata = 1 || device public key || ephemeral
 * public key; secret = ECDH(ephemeral, device). With has_private = 0 it is
 * "not connected": match says NO and unlock fails, rewrap_offline works. */
#ifndef KDBX_TESTS_FAKE_PUBKEY_H
#define KDBX_TESTS_FAKE_PUBKEY_H

#include <openssl/evp.h>

typedef struct fake_pk {
	kdbx_slot_provider parent;
	uint8_t priv[32], pub[32];
	int has_private;
	int unlocks;
	int fail_code; /* non-zero: unlock fails with it (PIN wrong, timeout ...) */
} fake_pk;

static int fpk_ecdh(const uint8_t priv[32], const uint8_t peer[32], kdbx_secret **out)
{
	EVP_PKEY *a = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	EVP_PKEY *b = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
	EVP_PKEY_CTX *c = a != NULL ? EVP_PKEY_CTX_new(a, NULL) : NULL;
	uint8_t z[32];
	size_t zl = sizeof(z);
	int ok = c != NULL && b != NULL && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, b) == 1 &&
	         EVP_PKEY_derive(c, z, &zl) == 1;

	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	return ok ? kdbx_secret_new(out, z, zl) : KDBX_EDEVICE;
}

static void fpk_pub(const uint8_t priv[32], uint8_t pub[32])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	size_t l = 32;

	EVP_PKEY_get_raw_public_key(k, pub, &l);
	EVP_PKEY_free(k);
}

static int fpk_wrap(fake_pk *f, const uint8_t devpub[32], uint8_t **meta, size_t *ml, kdbx_secret **secret)
{
	uint8_t eph[32], ephpub[32];
	int rc;

	(void)f;
	kdbx_random(eph, 32);
	fpk_pub(eph, ephpub);
	if ((rc = fpk_ecdh(eph, devpub, secret)) != KDBX_OK)
		return rc;
	*meta = malloc(65);
	(*meta)[0] = 1;
	memcpy(*meta + 1, devpub, 32);
	memcpy(*meta + 33, ephpub, 32);
	*ml = 65;
	return KDBX_OK;
}

static int fpk_enrol(kdbx_slot_provider *self, const kdbx_slot_context *ctx, uint8_t **meta, size_t *ml,
                     kdbx_secret **secret)
{
	fake_pk *f = (fake_pk *)self;

	(void)ctx;
	if (!f->has_private)
		return KDBX_EDEVICE;
	return fpk_wrap(f, f->pub, meta, ml, secret);
}

static int fpk_rewrap(kdbx_slot_provider *self, const kdbx_slot_context *ctx, const uint8_t *old, size_t oldl,
                      uint8_t **meta, size_t *ml, kdbx_secret **secret)
{
	(void)ctx;
	if (oldl != 65 || old[0] != 1)
		return KDBX_ECORRUPT;
	return fpk_wrap((fake_pk *)self, old + 1, meta, ml, secret);
}

static int fpk_unlock(kdbx_slot_provider *self, const kdbx_slot_context *ctx, const uint8_t *meta, size_t ml,
                      kdbx_secret **secret)
{
	fake_pk *f = (fake_pk *)self;

	(void)ctx;
	if (!f->has_private)
		return kdbx_error__set(KDBX_EDEVICE, "fake key not connected");
	if (ml != 65 || meta[0] != 1)
		return KDBX_ECORRUPT;
	f->unlocks++;
	if (f->fail_code != 0)
		return kdbx_error__set(f->fail_code, "fake key: PIN wrong (2 tries left)");
	return fpk_ecdh(f->priv, meta + 33, secret);
}

static int fpk_match(kdbx_slot_provider *self, const uint8_t *meta, size_t ml)
{
	fake_pk *f = (fake_pk *)self;

	return f->has_private && ml == 65 && memcmp(meta + 1, f->pub, 32) == 0 ? KDBX_SLOT_MATCH_YES
	                                                                       : KDBX_SLOT_MATCH_NO;
}

static void fpk_free(kdbx_slot_provider *self)
{
	free(self);
}

static fake_pk *fake_pk_new(uint8_t seed)
{
	fake_pk *f = calloc(1, sizeof(*f));

	memset(f->priv, seed, 32);
	fpk_pub(f->priv, f->pub);
	f->has_private = 1;
	f->parent.version = KDBX_SLOT_PROVIDER_VERSION;
	f->parent.type = "fake-pk";
	f->parent.flags = KDBX_SLOT_PROVIDER_PUBKEY;
	f->parent.enrol = fpk_enrol;
	f->parent.unlock = fpk_unlock;
	f->parent.match = fpk_match;
	f->parent.rewrap_offline = fpk_rewrap;
	f->parent.free = fpk_free;
	return f;
}

#endif
