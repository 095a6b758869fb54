/* Composite key object: password, key file and challenge-response components
 * (keepassxc-notes 1.1). Components are stored already hashed, in secure memory. */
#include <stdlib.h>

#include "crypto/crypto.h"
#include "keys/keys_private.h"

int kdbx_key_new(kdbx_key **out)
{
	kdbx_key *k;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_key_new: out is NULL");
	k = kdbx_secure_alloc(sizeof(*k));
	if (k == NULL) {
		*out = NULL;
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	*out = k;
	return KDBX_OK;
}

void kdbx_key_free(kdbx_key **kp)
{
	if (kp == NULL || *kp == NULL)
		return;
	free((*kp)->providers);
	kdbx_secure_free(*kp, sizeof(**kp));
	*kp = NULL;
}

int kdbx_key_set_password(kdbx_key *k, const char *utf8, size_t len)
{
	int rc;

	if (k == NULL || (utf8 == NULL && len > 0))
		return kdbx_error__set(KDBX_EINVALID, "kdbx_key_set_password: invalid argument");
	if ((rc = kdbx_sha256(utf8, len, k->password)) != KDBX_OK)
		return rc;
	k->has_password = true;
	return KDBX_OK;
}

int kdbx_key_clear_password(kdbx_key *k)
{
	if (k == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_key_clear_password: key is NULL");
	kdbx_memzero(k->password, sizeof(k->password));
	k->has_password = false;
	return KDBX_OK;
}

int kdbx_key_has_password(const kdbx_key *k)
{
	return k != NULL && k->has_password;
}

int kdbx_key_set_keyfile(kdbx_key *k, const char *path)
{
	kdbx_buf b = KDBX_BUF_INIT;
	int rc;

	if (k == NULL || path == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_key_set_keyfile: invalid argument");
	b.secure = true;
	rc = kdbx_file_read(path, &b);
	if (rc != KDBX_OK) {
		kdbx_buf_free(&b);
		/* Keep the OS reason but report it as a key-file problem. */
		return kdbx_error__set(KDBX_EKEYFILE, "cannot read key file: %s", kdbx_error_last());
	}
	rc = kdbx_key_set_keyfile_data(k, b.data, b.len);
	kdbx_buf_free(&b);
	return rc;
}

int kdbx_key_set_keyfile_data(kdbx_key *k, const void *data, size_t len)
{
	uint8_t comp[32];
	int rc;

	if (k == NULL || (data == NULL && len > 0))
		return kdbx_error__set(KDBX_EINVALID, "kdbx_key_set_keyfile_data: invalid argument");
	if (len == 0)
		return kdbx_error__set(KDBX_EKEYFILE, "key file is empty");
	rc = kdbx_keyfile__parse(data, len, comp);
	if (rc == KDBX_OK) {
		memcpy(k->keyfile, comp, 32);
		k->has_keyfile = true;
	}
	kdbx_memzero(comp, sizeof(comp));
	return rc;
}

int kdbx_key_clear_keyfile(kdbx_key *k)
{
	if (k == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_key_clear_keyfile: key is NULL");
	kdbx_memzero(k->keyfile, sizeof(k->keyfile));
	k->has_keyfile = false;
	return KDBX_OK;
}

int kdbx_key_has_keyfile(const kdbx_key *k)
{
	return k != NULL && k->has_keyfile;
}

int kdbx_key_add_challenge_response(kdbx_key *k, kdbx_provider *p)
{
	kdbx_provider **np;

	if (k == NULL || p == NULL || p->challenge_response == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_key_add_challenge_response: invalid provider");
	if (p->version != KDBX_PROVIDER_VERSION)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "provider interface version %u not supported", p->version);
	np = realloc(k->providers, (k->nproviders + 1) * sizeof(*np));
	if (np == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	np[k->nproviders++] = p;
	k->providers = np;
	return KDBX_OK;
}

int kdbx_key_clear_challenge_response(kdbx_key *k)
{
	if (k == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_key_clear_challenge_response: key is NULL");
	free(k->providers);
	k->providers = NULL;
	k->nproviders = 0;
	return KDBX_OK;
}

int kdbx_key_has_challenge_response(const kdbx_key *k)
{
	return k != NULL && k->nproviders > 0;
}

int kdbx_key__dup(kdbx_key **out, const kdbx_key *key)
{
	kdbx_key *k;
	int rc;

	if (out == NULL || key == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_key__dup: invalid argument");
	if ((rc = kdbx_key_new(&k)) != KDBX_OK)
		return rc;
	memcpy(k->password, key->password, 32);
	memcpy(k->keyfile, key->keyfile, 32);
	k->has_password = key->has_password;
	k->has_keyfile = key->has_keyfile;
	memcpy(k->kek, key->kek, 32);
	k->kek_mode = key->kek_mode;
	if (key->nproviders > 0) {
		/* Providers are borrowed: copy the pointers, not the devices. */
		k->providers = malloc(key->nproviders * sizeof(*k->providers));
		if (k->providers == NULL) {
			kdbx_key_free(&k);
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		}
		memcpy(k->providers, key->providers, key->nproviders * sizeof(*k->providers));
		k->nproviders = key->nproviders;
	}
	*out = k;
	return KDBX_OK;
}

int kdbx_key__set_kek(kdbx_key *key, int mode, const uint8_t kek[32])
{
	if (key == NULL || (mode != 0 && mode != KDBX_KEK_XOR && mode != KDBX_KEK_COMPONENT && mode != KDBX_KEK_DEVICE_ONLY) ||
	    (mode != 0 && kek == NULL))
		return kdbx_error__set(KDBX_EINVALID, "kdbx_key__set_kek: invalid argument");
	if (mode == 0)
		kdbx_memzero(key->kek, 32);
	else
		memcpy(key->kek, kek, 32);
	key->kek_mode = mode;
	return KDBX_OK;
}

int kdbx_key__get_kek(const kdbx_key *key, uint8_t kek[32])
{
	if (key == NULL)
		return 0;
	if (kek != NULL && key->kek_mode != 0)
		memcpy(kek, key->kek, 32);
	return key->kek_mode;
}
