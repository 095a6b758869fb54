/* Helpers of the model unit tests that save and reopen databases: a password-only key and
 * a KDF cheap enough for a test. Include after cmocka.h. */
#ifndef KDBX_TEST_DB_FIXTURE_H
#define KDBX_TEST_DB_FIXTURE_H

#include <string.h>

#include <kdbx.h>

static kdbx_key *password_key(const char *pw)
{
	kdbx_key *k = NULL;

	assert_int_equal(kdbx_key_new(&k), KDBX_OK);
	assert_int_equal(kdbx_key_set_password(k, pw, strlen(pw)), KDBX_OK);
	return k;
}

/* Argon2id with 1 iteration / 64 KiB, or AES-KDF with 1 round: fast tests. The type also
 * picks the file version a save writes (AES-KDF: 3.1, unless a 4.x feature is used). */
static void cheap_kdf(kdbx_db *db, kdbx_kdf_type type)
{
	kdbx_kdf_params k;

	kdbx_db_kdf(db, &k);
	k.type = type;
	k.rounds = 1;
	k.iterations = 1;
	k.memory = 64 * 1024;
	k.parallelism = 1;
	k.version = 0x13;
	assert_int_equal(kdbx_db_set_kdf(db, &k), KDBX_OK);
}

#endif
