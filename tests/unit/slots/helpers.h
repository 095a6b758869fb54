/* Shared helpers of the slot tests: hex, soft keys, quick databases. */
#ifndef KDBX_TESTS_SLOTS_HELPERS_H
#define KDBX_TESTS_SLOTS_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"
#include "crypto/crypto.h"
#include "kdbx.h"
#include "keys/keys.h"
#include "model/model.h"
#include "slots/slots_internal.h"

static inline void unhex(const char *h, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(h), 2 * n);
	assert_int_equal(kdbx_hex_decode(out, n, h, strlen(h)), 0);
}

static inline void assert_hex(const uint8_t *got, const char *hex)
{
	uint8_t want[256];
	size_t n = strlen(hex) / 2;

	unhex(hex, want, n);
	assert_memory_equal(got, want, n);
}

/* A soft key (HMAC-SHA1 or -SHA256) from an ASCII secret. */
static inline kdbx_provider *softkey(int hash, const char *secret)
{
	kdbx_provider *p = NULL;

	assert_int_equal(kdbx_softkey_new_secret(&p, hash, (const uint8_t *)secret, strlen(secret)), 0);
	return p;
}

/* A slot provider around a soft key (owned, with fingerprint). */
static inline kdbx_slot_provider *soft_slot(const char *secret)
{
	kdbx_slot_provider *sp = NULL;

	assert_int_equal(kdbx_slot_provider_from_cr(&sp, softkey(KDBX_SOFTKEY_SHA1, secret), NULL,
	                                            KDBX_CR_ADAPTER_OWN | KDBX_CR_ADAPTER_FINGERPRINT), 0);
	return sp;
}

static inline kdbx_key *pw_key(const char *pw)
{
	kdbx_key *k = NULL;

	assert_int_equal(kdbx_key_new(&k), 0);
	assert_int_equal(kdbx_key_set_password(k, pw, strlen(pw)), 0);
	return k;
}

/* A new database with a cheap KDF and one entry, keyed with password pw. */
static inline kdbx_db *quick_db(const char *pw)
{
	kdbx_db *db = NULL;
	kdbx_kdf_params p;
	kdbx_key *k = pw_key(pw);
	kdbx_entry *e = NULL;

	assert_int_equal(kdbx_db_new(&db, "slots"), 0);
	assert_int_equal(kdbx_kdf_defaults(&p, KDBX_KDF_AES_KDBX4), 0);
	p.rounds = 100;
	assert_int_equal(kdbx_db_set_kdf(db, &p), 0);
	assert_int_equal(kdbx_db_set_key(db, k), 0);
	assert_int_equal(kdbx_entry_new(&e, kdbx_db_root(db), "hello"), 0);
	kdbx_key_free(&k);
	return db;
}

static inline kdbx_slot_providers *set_of(kdbx_slot_provider *a, kdbx_slot_provider *b)
{
	kdbx_slot_providers *s = NULL;

	assert_int_equal(kdbx_slot_providers_new(&s), 0);
	if (a != NULL)
		assert_int_equal(kdbx_slot_providers_add(s, a), 0);
	if (b != NULL)
		assert_int_equal(kdbx_slot_providers_add(s, b), 0);
	return s;
}

/* Saves db to memory and opens it again with key + providers. */
static inline int reopen(kdbx_db *db, const kdbx_key *key, const kdbx_slot_providers *set,
                         const char *recovery, kdbx_db **out, uint8_t **img, size_t *img_len)
{
	kdbx_slot_open_options o = KDBX_SLOT_OPEN_OPTIONS_INIT;
	uint8_t *b = NULL;
	size_t n = 0;
	int rc;

	assert_int_equal(kdbx_db_save_memory(db, NULL, &b, &n), 0);
	o.providers = set;
	o.recovery_key = recovery;
	rc = kdbx_slots_open_memory(out, b, n, key, &o);
	if (img != NULL) {
		*img = b;
		*img_len = n;
	} else {
		kdbx_free(b, n);
	}
	return rc;
}

static inline const char *first_title(kdbx_db *db)
{
	kdbx_entry *e = kdbx_db_find_entry(db, "/hello");

	return e != NULL ? kdbx_entry_title(e) : NULL;
}

static inline int open_img(const uint8_t *b, size_t n, const kdbx_key *key, const kdbx_slot_providers *set,
                           const char *recovery, kdbx_db **out)
{
	kdbx_slot_open_options o = KDBX_SLOT_OPEN_OPTIONS_INIT;

	o.providers = set;
	o.recovery_key = recovery;
	return kdbx_slots_open_memory(out, b, n, key, &o);
}

#endif
