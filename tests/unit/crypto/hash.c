/* Unit tests: SHA-1/256/512 (FIPS 180 "abc"), HMAC (RFC 4231, RFC 2202), HKDF (RFC 5869 case 1). */
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

static void test_crypto_hash__sha(void **state)
{
	uint8_t out[64], exp[64];
	kdbx_iov v[3] = {{"a", 1}, {"", 0}, {"bc", 2}};

	(void)state;
	assert_int_equal(kdbx_sha256("abc", 3, out), KDBX_OK);
	unhex(exp, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_memory_equal(out, exp, 32);
	assert_int_equal(kdbx_sha256_v(v, 3, out), KDBX_OK);
	assert_memory_equal(out, exp, 32);
	assert_int_equal(kdbx_sha512_v(v, 3, out), KDBX_OK);
	unhex(exp, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	           "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	assert_memory_equal(out, exp, 64);
	assert_int_equal(kdbx_sha1("abc", 3, out), KDBX_OK);
	unhex(exp, "a9993e364706816aba3e25717850c26c9cd0d89d");
	assert_memory_equal(out, exp, 20);
	/* SHA-256 of the empty string: the "empty password" component. */
	assert_int_equal(kdbx_sha256(NULL, 0, out), KDBX_OK);
	unhex(exp, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_memory_equal(out, exp, 32);
}

static void test_crypto_hash__hmac_rfc4231(void **state)
{
	uint8_t key[20], out[32], exp[32];
	const char *d2 = "what do ya want for nothing?";
	kdbx_iov v[2] = {{d2, 10}, {d2 + 10, strlen(d2) - 10}};

	(void)state;
	memset(key, 0x0b, sizeof(key));
	assert_int_equal(kdbx_hmac_sha256(key, 20, "Hi There", 8, out), KDBX_OK);
	unhex(exp, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	assert_memory_equal(out, exp, 32);
	assert_int_equal(kdbx_hmac_sha256_v((const uint8_t *)"Jefe", 4, v, 2, out), KDBX_OK);
	unhex(exp, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	assert_memory_equal(out, exp, 32);
	/* RFC 2202 test case 1 (the YubiKey primitive). */
	assert_int_equal(kdbx_hmac_sha1(key, 20, "Hi There", 8, out), KDBX_OK);
	unhex(exp, "b617318655057264e28bc0b6fb378c8ef146be00");
	assert_memory_equal(out, exp, 20);
}

static void test_crypto_hash__hmac_sha1_keepassxc_vector(void **state)
{
	uint8_t key[20], out[20], exp[20];

	(void)state;
	/* keepassxc-notes 1.2: secret 1ce30f..., challenge "UnitTest". */
	unhex(key, "1ce30fd78d20dcfa40b50c18779afb0f02288db7");
	assert_int_equal(kdbx_hmac_sha1(key, 20, "UnitTest", 8, out), KDBX_OK);
	unhex(exp, "5e92434f99d3254620392e45da46f77b4661e09b");
	assert_memory_equal(out, exp, 20);
}

static void test_crypto_hash__hkdf_rfc5869_case1(void **state)
{
	uint8_t ikm[22], salt[13], info[10], out[42], exp[42];

	(void)state;
	memset(ikm, 0x0b, sizeof(ikm));
	unhex(salt, "000102030405060708090a0b0c");
	unhex(info, "f0f1f2f3f4f5f6f7f8f9");
	assert_int_equal(kdbx_hkdf_sha256(ikm, 22, salt, 13, info, 10, out, 42), KDBX_OK);
	unhex(exp, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
	assert_memory_equal(out, exp, 42);
	assert_int_equal(kdbx_hkdf_sha256(ikm, 22, salt, 13, info, 10, out, 0), KDBX_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crypto_hash__sha),
		cmocka_unit_test(test_crypto_hash__hmac_rfc4231),
		cmocka_unit_test(test_crypto_hash__hmac_sha1_keepassxc_vector),
		cmocka_unit_test(test_crypto_hash__hkdf_rfc5869_case1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
