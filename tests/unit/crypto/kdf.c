/* Unit tests: AES-KDF (vs a naive one-block-per-call ECB loop and a value from an
 * independent implementation), Argon2d/id (values from python3-argon2, i.e. the reference
 * phc-winner-argon2 code), validation limits, cancellation, defaults, calibration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "crypto/crypto.h"

/* Decodes a hex literal of a known-answer vector into buf. */
static size_t unhex(uint8_t *buf, const char *hex)
{
	size_t n = strlen(hex) / 2;
	assert_int_equal(kdbx_hex_decode(buf, n, hex, 2 * n), KDBX_OK);
	return n;
}

#include <openssl/evp.h>

static void naive_aes_kdf(const uint8_t key[32], const uint8_t seed[32], uint64_t rounds, uint8_t out[32])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t k[32];
	int outl;

	memcpy(k, key, 32);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_ecb(), NULL, seed, NULL), 1);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	for (uint64_t i = 0; i < rounds; i++) {
		assert_int_equal(EVP_EncryptUpdate(ctx, k, &outl, k, 16), 1);
		assert_int_equal(EVP_EncryptUpdate(ctx, k + 16, &outl, k + 16, 16), 1);
	}
	EVP_CIPHER_CTX_free(ctx);
	assert_int_equal(kdbx_sha256(k, 32, out), KDBX_OK);
}

static void test_crypto_kdf__aes_matches_naive_loop(void **state)
{
	uint8_t key[32], seed[32], a[32], b[32];
	uint64_t rounds[] = {1, 2, 4095, 4096, 4097, 5000, 150001};

	(void)state;
	for (int i = 0; i < 32; i++) {
		key[i] = (uint8_t)(i * 13 + 1);
		seed[i] = (uint8_t)(255 - i);
	}
	for (size_t i = 0; i < KDBX_ARRAY_LEN(rounds); i++) {
		naive_aes_kdf(key, seed, rounds[i], b);
		/* both implementations: interleaved single core and two CBC threads */
		for (int mode = 1; mode <= 2; mode++) {
			kdbx_kdf__aes_mode(mode);
			memset(a, 0, sizeof(a));
			assert_int_equal(kdbx_aes_kdf(key, seed, rounds[i], a, NULL, NULL), KDBX_OK);
			assert_memory_equal(a, b, 32);
		}
	}
	kdbx_kdf__aes_mode(0);
}

static void test_crypto_kdf__aes_known_value(void **state)
{
	uint8_t key[32], seed[32], out[32], exp[32];
	kdbx_kdf_params p;

	(void)state;
	/* key = SHA-256("key"), seed = 32..63, 6000 rounds; value from pyca/cryptography ECB. */
	assert_int_equal(kdbx_sha256("key", 3, key), KDBX_OK);
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(32 + i);
	unhex(exp, "04e01a781acc5e27ab94b26eb118551090d00ffb940135d2d0f7e495d3229a9b");
	assert_int_equal(kdbx_aes_kdf(key, seed, 6000, out, NULL, NULL), KDBX_OK);
	assert_memory_equal(out, exp, 32);
	/* same through the dispatcher */
	memset(&p, 0, sizeof(p));
	p.type = KDBX_KDF_AES_KDBX3;
	p.rounds = 6000;
	memcpy(p.seed, seed, 32);
	p.seed_len = 32;
	memset(out, 0, 32);
	assert_int_equal(kdbx_kdf_transform(&p, key, out, NULL, NULL), KDBX_OK);
	assert_memory_equal(out, exp, 32);
	p.type = KDBX_KDF_AES_KDBX4;
	assert_int_equal(kdbx_kdf_run(&p, key, out), KDBX_OK);
	assert_memory_equal(out, exp, 32);
}

static int cancel_after(double f, void *ud)
{
	int *calls = ud;
	assert_true(f >= 0.0 && f <= 1.0);
	return ++*calls >= 3;
}

static void test_crypto_kdf__aes_cancel(void **state)
{
	uint8_t key[32] = {0}, seed[32] = {0}, out[32];
	int calls = 0;

	(void)state;
	for (int mode = 1; mode <= 2; mode++) {
		calls = 0;
		kdbx_kdf__aes_mode(mode);
		assert_int_equal(kdbx_aes_kdf(key, seed, 50000000, out, cancel_after, &calls), KDBX_ECANCELLED);
		assert_int_equal(calls, 3);
		assert_int_equal(kdbx_error_last_code(), KDBX_ECANCELLED);
	}
	kdbx_kdf__aes_mode(0);
}

static void argon2_case(kdbx_kdf_type t, uint32_t v, const char *hex)
{
	kdbx_kdf_params p;
	uint8_t in[32], out[32], exp[32];

	memset(&p, 0, sizeof(p));
	p.type = t;
	p.version = v;
	p.iterations = 2;
	p.memory = 64 * 1024;
	p.parallelism = 2;
	for (int i = 0; i < 32; i++)
		p.seed[i] = (uint8_t)i;
	p.seed_len = 32;
	assert_int_equal(kdbx_sha256("pwd", 3, in), KDBX_OK);
	unhex(exp, hex);
	assert_int_equal(kdbx_kdf_transform(&p, in, out, NULL, NULL), KDBX_OK);
	assert_memory_equal(out, exp, 32);
}

static void test_crypto_kdf__argon2_reference_values(void **state)
{
	(void)state;
	/* argon2.low_level.hash_secret_raw(sha256("pwd"), bytes(range(32)), t=2, m=64, p=2, len 32) */
	argon2_case(KDBX_KDF_ARGON2D, 0x13, "02917ad9cf47c105306d5526084d4b5d48663fd21def5369ed994de4c5edfc86");
	argon2_case(KDBX_KDF_ARGON2ID, 0x13, "0babdf8a0aa675327df1d1ffa29c79fccc2760194e2a92a4d7518bdbd8266980");
	argon2_case(KDBX_KDF_ARGON2D, 0x10, "d36308ce119f795255eeaa34357c77579264218ad057759b385487e9a443ebae");
}

static void test_crypto_kdf__validation(void **state)
{
	kdbx_kdf_params p;
	uint8_t in[32] = {0}, out[32];

	(void)state;
	assert_int_equal(kdbx_kdf_defaults(&p, KDBX_KDF_ARGON2ID), KDBX_OK);
	assert_int_equal(kdbx_kdf__validate(&p, 0), KDBX_OK);
	p.memory = ((uint64_t)4 << 30) + 1024;
	assert_int_equal(kdbx_kdf__validate(&p, 0), KDBX_EUNSUPPORTED);
	assert_int_equal(kdbx_kdf_transform(&p, in, out, NULL, NULL), KDBX_EUNSUPPORTED);
	assert_int_equal(kdbx_kdf__validate(&p, KDBX_KDF_SKIP_LIMITS), KDBX_OK);
	p.memory = (uint64_t)1 << 50; /* more KiB than libargon2 can express */
	assert_int_equal(kdbx_kdf__validate(&p, KDBX_KDF_SKIP_LIMITS), KDBX_EUNSUPPORTED);
	p.memory = 4096;
	assert_int_equal(kdbx_kdf__validate(&p, 0), KDBX_EUNSUPPORTED);
	p.memory = 64 << 20;
	p.parallelism = 0;
	assert_int_equal(kdbx_kdf__validate(&p, 0), KDBX_EUNSUPPORTED);
	p.parallelism = 1 << 24;
	assert_int_equal(kdbx_kdf__validate(&p, 0), KDBX_EUNSUPPORTED);
	p.parallelism = 2;
	p.version = 0x12;
	assert_int_equal(kdbx_kdf__validate(&p, 0), KDBX_EUNSUPPORTED);
	p.version = 0x13;
	p.iterations = 0;
	assert_int_equal(kdbx_kdf__validate(&p, 0), KDBX_EUNSUPPORTED);
	p.iterations = 1;
	p.seed_len = 4;
	assert_int_equal(kdbx_kdf__validate(&p, 0), KDBX_ECORRUPT);

	assert_int_equal(kdbx_kdf_defaults(&p, KDBX_KDF_AES_KDBX4), KDBX_OK);
	assert_int_equal(kdbx_kdf__validate(&p, 0), KDBX_OK);
	p.rounds = ((uint64_t)1 << 40) + 1;
	assert_int_equal(kdbx_kdf__validate(&p, 0), KDBX_EUNSUPPORTED);
	assert_int_equal(kdbx_kdf__validate(&p, KDBX_KDF_SKIP_LIMITS), KDBX_OK);
	p.rounds = 0;
	assert_int_equal(kdbx_kdf__validate(&p, 0), KDBX_EUNSUPPORTED);
	p.rounds = 10;
	p.seed_len = 16;
	assert_int_equal(kdbx_kdf__validate(&p, 0), KDBX_ECORRUPT);
	p.type = (kdbx_kdf_type)9;
	assert_int_equal(kdbx_kdf__validate(&p, 0), KDBX_EUNSUPPORTED);
	assert_int_equal(kdbx_kdf__validate(NULL, 0), KDBX_EINVALID);
}

static void test_crypto_kdf__defaults(void **state)
{
	kdbx_kdf_params p, q;

	(void)state;
	assert_int_equal(kdbx_kdf_defaults(&p, KDBX_KDF_ARGON2ID), KDBX_OK);
	assert_int_equal(p.type, KDBX_KDF_ARGON2ID);
	assert_true(p.memory == (uint64_t)64 << 20);
	assert_true(p.iterations == 10);
	assert_int_equal(p.version, 0x13);
	assert_true(p.parallelism >= 1);
	assert_int_equal(p.seed_len, 32);
	assert_int_equal(kdbx_kdf_defaults(&q, KDBX_KDF_ARGON2D), KDBX_OK);
	assert_memory_not_equal(p.seed, q.seed, 32); /* random seed */
	assert_int_equal(kdbx_kdf_defaults(&p, KDBX_KDF_AES_KDBX3), KDBX_OK);
	assert_true(p.rounds == 1000000);
	assert_int_equal(kdbx_kdf_defaults(&p, (kdbx_kdf_type)42), KDBX_EINVALID);
}

static void test_crypto_kdf__calibrate(void **state)
{
	kdbx_kdf_params p;

	(void)state;
	assert_int_equal(kdbx_kdf_defaults(&p, KDBX_KDF_AES_KDBX4), KDBX_OK);
	assert_int_equal(kdbx_kdf_calibrate(&p, 100), KDBX_OK);
	assert_true(p.rounds >= 1000);
	/* A 100 ms budget on any real machine is well above 100k rounds. */
	assert_true(p.rounds > 100000);
	assert_int_equal(kdbx_kdf_defaults(&p, KDBX_KDF_ARGON2ID), KDBX_OK);
	p.memory = 1 << 20;
	assert_int_equal(kdbx_kdf_calibrate(&p, 50), KDBX_OK);
	assert_true(p.iterations >= 1);
	assert_int_equal(kdbx_kdf_calibrate(&p, 0), KDBX_EINVALID);
}

static void test_crypto_kdf__uuids_and_names(void **state)
{
	uint8_t u[16];

	(void)state;
	unhex(u, "c9d9f39a628a4460bf740d08c18a4fea");
	assert_int_equal(kdbx_kdf__from_uuid(u, false), KDBX_KDF_AES_KDBX3);
	assert_int_equal(kdbx_kdf__from_uuid(u, true), KDBX_KDF_AES_KDBX4);
	unhex(u, "7c02bb8279a74ac0927d114a00648238");
	assert_int_equal(kdbx_kdf__from_uuid(u, true), KDBX_KDF_AES_KDBX4);
	unhex(u, "ef636ddf8c29444b91f7a9a403e30a0c");
	assert_int_equal(kdbx_kdf__from_uuid(u, true), KDBX_KDF_ARGON2D);
	unhex(u, "9e298b1956db4773b23dfc3ec6f0a1e6");
	assert_int_equal(kdbx_kdf__from_uuid(u, true), KDBX_KDF_ARGON2ID);
	u[15] ^= 1;
	assert_int_equal(kdbx_kdf__from_uuid(u, true), -1);
	unhex(u, "c9d9f39a628a4460bf740d08c18a4fea");
	assert_memory_equal(kdbx_kdf__uuid(KDBX_KDF_AES_KDBX4), u, 16);
	assert_memory_equal(kdbx_kdf__uuid(KDBX_KDF_AES_KDBX3), u, 16);
	assert_string_equal(kdbx_kdf_name(KDBX_KDF_ARGON2ID), "Argon2id");
	assert_string_equal(kdbx_kdf_name(KDBX_KDF_ARGON2D), "Argon2d");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crypto_kdf__aes_matches_naive_loop),
		cmocka_unit_test(test_crypto_kdf__aes_known_value),
		cmocka_unit_test(test_crypto_kdf__aes_cancel),
		cmocka_unit_test(test_crypto_kdf__argon2_reference_values),
		cmocka_unit_test(test_crypto_kdf__validation),
		cmocka_unit_test(test_crypto_kdf__defaults),
		cmocka_unit_test(test_crypto_kdf__calibrate),
		cmocka_unit_test(test_crypto_kdf__uuids_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
