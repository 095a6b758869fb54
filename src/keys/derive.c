/* Composite key -> master keys (keepassxc-notes 1.1-1.4):
 * KDBX3: T = KDF(SHA-256(P||F)); cipher = SHA-256(seed || C || T), C from the master seed.
 * KDBX4: T = KDF(SHA-256(P||F||C)), C from the KDF seed; cipher = SHA-256(seed || T),
 *        hmac = SHA-512(seed || T || 0x01). */
#include <stdlib.h>

#include "crypto/crypto.h"
#include "keys/keys_private.h"

/* C = SHA-256(R1 || R2 || ...), every provider in insertion order. */
static int challenge_component(const kdbx_key *key, const uint8_t *challenge, size_t len, uint8_t out[32])
{
	kdbx_iov *v = NULL;
	kdbx_secret **resp = NULL;
	size_t n = key->nproviders;
	int rc = KDBX_OK;

	v = calloc(n, sizeof(*v));
	resp = calloc(n, sizeof(*resp));
	if (v == NULL || resp == NULL) {
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		kdbx_provider *p = key->providers[i];
		rc = p->challenge_response(p, challenge, len, &resp[i]);
		if (rc != KDBX_OK) {
			/* Providers set their own message; keep it and the code. */
			if (kdbx_error_last_code() != rc)
				kdbx_error__set(rc, "challenge-response failed (%s)", p->name ? p->name : "provider");
			goto out;
		}
		if (resp[i] == NULL) {
			rc = kdbx_error__set(KDBX_EDEVICE, "provider returned no response");
			goto out;
		}
		v[i].data = kdbx_secret_data(resp[i]);
		v[i].len = kdbx_secret_len(resp[i]);
	}
	rc = kdbx_sha256_v(v, n, out);
out:
	for (size_t i = 0; resp != NULL && i < n; i++)
		kdbx_secret_free(&resp[i]);
	free(resp);
	free(v);
	return rc;
}

int kdbx_key__derive_ex(const kdbx_key *key, uint32_t version, const kdbx_kdf_params *kdf,
                        const uint8_t master_seed[32], uint8_t cipher_key[32], uint8_t hmac_key[64],
                        kdbx_progress_cb cb, void *ud, unsigned int kdf_flags)
{
	uint8_t comp[32], c[32], t[32], kc[32], one = 0x01;
	kdbx_iov v[4];
	size_t nv = 0;
	bool kdbx4 = version >= 0x00040000;
	bool has_cr;
	int rc;

	if (key == NULL || kdf == NULL || master_seed == NULL || cipher_key == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_key__derive: invalid argument");
	if (kdbx4 && hmac_key == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_key__derive: KDBX 4 needs an HMAC key");
	has_cr = key->nproviders > 0;
	if (!key->has_password && !key->has_keyfile && !has_cr && key->kek_mode != KDBX_KEK_COMPONENT &&
	    key->kek_mode != KDBX_KEK_DEVICE_ONLY)
		return kdbx_error__set(KDBX_EINVALID, "the key has no component");
	if (key->kek_mode != 0 && !kdbx4)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "multi-device keys need KDBX 4");
	/* Fail on absurd KDF parameters before asking the user to touch a device. */
	if ((rc = kdbx_kdf__validate(kdf, kdf_flags)) != KDBX_OK)
		return rc;
	if (has_cr && key->kek_mode == KDBX_KEK_DEVICE_ONLY)
		has_cr = false; /* the composite is the KEK alone */
	if (has_cr) {
		/* KDBX 4 challenges with the KDF seed, KDBX 3 with the master seed. */
		rc = kdbx4 ? challenge_component(key, kdf->seed, kdf->seed_len, c)
		           : challenge_component(key, master_seed, 32, c);
		if (rc != KDBX_OK)
			goto out;
	}
	if (key->has_password && key->kek_mode != KDBX_KEK_DEVICE_ONLY)
		v[nv++] = (kdbx_iov){key->password, 32};
	if (key->has_keyfile && key->kek_mode != KDBX_KEK_DEVICE_ONLY)
		v[nv++] = (kdbx_iov){key->keyfile, 32};
	if (kdbx4 && has_cr && key->kek_mode != KDBX_KEK_DEVICE_ONLY)
		v[nv++] = (kdbx_iov){c, 32};
	if (key->kek_mode == KDBX_KEK_COMPONENT || key->kek_mode == KDBX_KEK_DEVICE_ONLY) {
		/* Mode 3: the KEK enters before the KDF, so the factors cannot be
		 * separated from T (kdbxtool-notes 6.3). */
		static const char label[] = "kdbx-slots-v3 composite";
		if ((rc = kdbx_hmac_sha256(key->kek, 32, (const uint8_t *)label, sizeof(label) - 1, kc)) != KDBX_OK)
			goto out;
		v[nv++] = (kdbx_iov){kc, 32};
	}
	if ((rc = kdbx_sha256_v(v, nv, comp)) != KDBX_OK)
		goto out;
	if ((rc = kdbx_kdf__transform_ex(kdf, comp, t, cb, ud, kdf_flags)) != KDBX_OK)
		goto out;
	if (key->kek_mode == KDBX_KEK_XOR) /* kdbxtool mode 2: M = T XOR KEK */
		for (size_t i = 0; i < 32; i++)
			t[i] ^= key->kek[i];
	if (kdbx4) {
		kdbx_iov f[2] = {{master_seed, 32}, {t, 32}};
		kdbx_iov h[3] = {{master_seed, 32}, {t, 32}, {&one, 1}};
		if ((rc = kdbx_sha256_v(f, 2, cipher_key)) != KDBX_OK || (rc = kdbx_sha512_v(h, 3, hmac_key)) != KDBX_OK)
			goto out;
	} else {
		kdbx_iov f[3] = {{master_seed, 32}, {c, has_cr ? 32 : 0}, {t, 32}};
		if ((rc = kdbx_sha256_v(f, 3, cipher_key)) != KDBX_OK)
			goto out;
		if (hmac_key != NULL)
			memset(hmac_key, 0, 64);
	}
out:
	kdbx_memzero(comp, sizeof(comp));
	kdbx_memzero(c, sizeof(c));
	kdbx_memzero(t, sizeof(t));
	kdbx_memzero(kc, sizeof(kc));
	if (rc != KDBX_OK) {
		kdbx_memzero(cipher_key, 32);
		if (hmac_key != NULL)
			kdbx_memzero(hmac_key, 64);
	}
	return rc;
}

int kdbx_key__derive(const kdbx_key *key, uint32_t version, const kdbx_kdf_params *kdf,
                     const uint8_t master_seed[32], uint8_t cipher_key[32], uint8_t hmac_key[64],
                     kdbx_progress_cb cb, void *ud)
{
	return kdbx_key__derive_ex(key, version, kdf, master_seed, cipher_key, hmac_key, cb, ud, 0);
}

int kdbx_key__composite(const kdbx_key *key, const uint8_t *challenge, size_t challenge_len, bool with_cr,
                        uint8_t out[32])
{
	uint8_t c[32];
	kdbx_iov v[3];
	size_t nv = 0;
	int rc = KDBX_OK;

	if (key == NULL || out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_key__composite: invalid argument");
	if (!key->has_password && !key->has_keyfile && !(with_cr && key->nproviders > 0))
		return kdbx_error__set(KDBX_EINVALID, "the key has no component");
	if (with_cr && key->nproviders > 0 &&
	    (rc = challenge_component(key, challenge, challenge_len, c)) != KDBX_OK)
		return rc;
	if (key->has_password)
		v[nv++] = (kdbx_iov){key->password, 32};
	if (key->has_keyfile)
		v[nv++] = (kdbx_iov){key->keyfile, 32};
	if (with_cr && key->nproviders > 0)
		v[nv++] = (kdbx_iov){c, 32};
	rc = kdbx_sha256_v(v, nv, out);
	kdbx_memzero(c, sizeof(c));
	return rc;
}
