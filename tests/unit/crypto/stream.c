/* Unit tests: inner random stream. Salsa20: eSTREAM set 1 vector 0 (checks the
 * libgcrypt primitive) and a KeePass-keyed value computed with an independent reference
 * implementation that reproduces that published vector; ChaCha20: KeePass key/nonce split. */
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

#include <gcrypt.h>

static const char *salsa_kp =
	"bb0a5709861e112e6edbabf6eec85250c405f955583ffd9728a9d9150426e854"
	"7e8bd2964c01ffdf793d1b489ade43dd25a12d7911705e2b1bb29e0e405a7e6e"
	"7df11680940f6ea228305516b6701b4872b3429c69f98b8c8149b9b013850a32"
	"65c3a52b";
static const char *chacha_kp =
	"98e8428c3024259043dc4b4698ce6dc333296b012ca4fbbf0f80b48d9e25ff42"
	"d1224e41b201c0c5c14606e86d840b0daf02ac672b4c298f13b02c9a33f593d6"
	"462333b43c8e640e4fd9766b9c2943e5247e38ed5c161c80752d330ccab883f8"
	"bd8e56ea";

static void test_crypto_stream__salsa20_estream_vector(void **state)
{
	gcry_cipher_hd_t h;
	uint8_t key[32] = {0x80}, iv[8] = {0}, buf[64] = {0}, exp[64];

	(void)state;
	assert_int_equal(kdbx_crypto__gcrypt_init(), KDBX_OK);
	assert_int_equal(gcry_cipher_open(&h, GCRY_CIPHER_SALSA20, GCRY_CIPHER_MODE_STREAM, 0), 0);
	assert_int_equal(gcry_cipher_setkey(h, key, 32), 0);
	assert_int_equal(gcry_cipher_setiv(h, iv, 8), 0);
	assert_int_equal(gcry_cipher_encrypt(h, buf, 64, NULL, 0), 0);
	gcry_cipher_close(h);
	unhex(exp, "e3be8fdd8beca2e3ea8ef9475b29a6e7003951e1097a5c38d23b7a5fad9f6844"
	           "b22c97559e2723c7cbbd3fe4fc8d9a0744652a83e72a9c461876af4d7ef1a117");
	assert_memory_equal(buf, exp, 64);
}

/* Feeds the keystream in uneven pieces: one document-wide stream must not
 * restart or skip bytes between protected values. */
static void check_stream(int id, const char *hex)
{
	kdbx_stream *s = NULL;
	uint8_t buf[100] = {0}, exp[100];
	size_t cuts[] = {1, 7, 0, 56, 3, 33}, off = 0;
	const char *k = "protected-stream-key";

	unhex(exp, hex);
	assert_int_equal(kdbx_stream_new(&s, id, (const uint8_t *)k, strlen(k)), KDBX_OK);
	for (size_t i = 0; i < KDBX_ARRAY_LEN(cuts); i++) {
		assert_int_equal(kdbx_stream_xor(s, buf + off, cuts[i]), KDBX_OK);
		off += cuts[i];
	}
	assert_int_equal(off, 100);
	assert_memory_equal(buf, exp, 100);
	kdbx_stream_free(&s);
	assert_null(s);
	kdbx_stream_free(&s);
}

static void test_crypto_stream__salsa20_keepass(void **state)
{
	(void)state;
	check_stream(KDBX_STREAM_SALSA20, salsa_kp);
}

static void test_crypto_stream__chacha20_keepass(void **state)
{
	(void)state;
	check_stream(KDBX_STREAM_CHACHA20, chacha_kp);
}

static void test_crypto_stream__xor_roundtrip_large(void **state)
{
	kdbx_stream *a = NULL, *b = NULL;
	size_t n = 4u << 20;
	uint8_t *buf = malloc(n), key[64] = {1, 2, 3};

	(void)state;
	assert_non_null(buf);
	for (int id = KDBX_STREAM_SALSA20; id <= KDBX_STREAM_CHACHA20; id++) {
		memset(buf, 0x33, n);
		assert_int_equal(kdbx_stream_new(&a, id, key, sizeof(key)), KDBX_OK);
		assert_int_equal(kdbx_stream_new(&b, id, key, sizeof(key)), KDBX_OK);
		assert_int_equal(kdbx_stream_xor(a, buf, n), KDBX_OK);
		assert_false(buf[0] == 0x33 && buf[1] == 0x33 && buf[2] == 0x33 && buf[3] == 0x33);
		assert_int_equal(kdbx_stream_xor(b, buf, n), KDBX_OK);
		for (size_t i = 0; i < n; i += 4099)
			assert_int_equal(buf[i], 0x33);
		kdbx_stream_free(&a);
		kdbx_stream_free(&b);
	}
	free(buf);
}

static void test_crypto_stream__arc4_unsupported(void **state)
{
	kdbx_stream *s = NULL;

	(void)state;
	assert_int_equal(kdbx_stream_new(&s, KDBX_STREAM_ARC4, (const uint8_t *)"k", 1), KDBX_EUNSUPPORTED);
	assert_null(s);
	assert_int_equal(kdbx_stream_new(&s, 99, (const uint8_t *)"k", 1), KDBX_EUNSUPPORTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crypto_stream__salsa20_estream_vector),
		cmocka_unit_test(test_crypto_stream__salsa20_keepass),
		cmocka_unit_test(test_crypto_stream__chacha20_keepass),
		cmocka_unit_test(test_crypto_stream__xor_roundtrip_large),
		cmocka_unit_test(test_crypto_stream__arc4_unsupported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
