/* Unit tests: payload ciphers (RFC 8439 2.4.2 ChaCha20, Twofish paper 256-bit key,
 * FIPS-197 AES-256, PKCS#7 handling) and AES-256-GCM (GCM spec test cases 13/14). */
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

static const char *sunscreen =
	"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";

static void test_crypto_cipher__chacha20_rfc8439(void **state)
{
	uint8_t key[32], nonce[12], exp[114], in[64 + 114];
	kdbx_buf out = KDBX_BUF_INIT, back = KDBX_BUF_INIT;

	(void)state;
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	unhex(nonce, "000000000000004a00000000");
	unhex(exp, "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
	           "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
	           "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
	           "5af90bbf74a35be6b40b8eedf2785e42874d");
	/* KDBX starts at counter 0; the RFC vector starts at 1, so skip one block. */
	memset(in, 0, 64);
	memcpy(in + 64, sunscreen, 114);
	assert_int_equal(kdbx_cipher_encrypt(KDBX_CIPHER_CHACHA20, key, nonce, in, sizeof(in), &out), KDBX_OK);
	assert_int_equal(out.len, sizeof(in));
	assert_memory_equal(out.data + 64, exp, 114);
	assert_int_equal(kdbx_cipher_decrypt(KDBX_CIPHER_CHACHA20, key, nonce, out.data, out.len, &back), KDBX_OK);
	assert_memory_equal(back.data, in, sizeof(in));
	kdbx_buf_free(&out);
	kdbx_buf_free(&back);
}

static void test_crypto_cipher__twofish_paper_vector(void **state)
{
	uint8_t key[32], iv[16] = {0}, zero[16] = {0}, exp[16];
	kdbx_buf out = KDBX_BUF_INIT, back = KDBX_BUF_INIT;

	(void)state;
	/* CBC with a zero IV on the first block is plain ECB: the paper's vector applies. */
	unhex(key, "0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff");
	unhex(exp, "37527be0052334b89f0cfccae87cfa20");
	assert_int_equal(kdbx_cipher_encrypt(KDBX_CIPHER_TWOFISH, key, iv, zero, 16, &out), KDBX_OK);
	assert_int_equal(out.len, 32); /* a full padding block follows */
	assert_memory_equal(out.data, exp, 16);
	assert_int_equal(kdbx_cipher_decrypt(KDBX_CIPHER_TWOFISH, key, iv, out.data, out.len, &back), KDBX_OK);
	assert_int_equal(back.len, 16);
	assert_memory_equal(back.data, zero, 16);
	kdbx_buf_free(&out);
	kdbx_buf_free(&back);
	/* all-zero 256-bit key */
	memset(key, 0, 32);
	unhex(exp, "57ff739d4dc92c1bd7fc01700cc8216f");
	assert_int_equal(kdbx_cipher_encrypt(KDBX_CIPHER_TWOFISH, key, iv, zero, 16, &out), KDBX_OK);
	assert_memory_equal(out.data, exp, 16);
	kdbx_buf_free(&out);
}

static void test_crypto_cipher__aes256_fips197(void **state)
{
	uint8_t key[32], iv[16] = {0}, pt[16], exp[16];
	kdbx_buf out = KDBX_BUF_INIT;

	(void)state;
	/* FIPS-197 C.3 */
	unhex(key, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	unhex(pt, "00112233445566778899aabbccddeeff");
	unhex(exp, "8ea2b7ca516745bfeafc49904b496089");
	assert_int_equal(kdbx_cipher_encrypt(KDBX_CIPHER_AES256, key, iv, pt, 16, &out), KDBX_OK);
	assert_int_equal(out.len, 32);
	assert_memory_equal(out.data, exp, 16);
	kdbx_buf_free(&out);
	/* FIPS-197 C.1 (AES-128 uses the first 16 key bytes) */
	unhex(exp, "69c4e0d86a7b0430d8cdb78070b4c55a");
	assert_int_equal(kdbx_cipher_encrypt(KDBX_CIPHER_AES128, key, iv, pt, 16, &out), KDBX_OK);
	assert_memory_equal(out.data, exp, 16);
	kdbx_buf_free(&out);
}

static void roundtrip_all_lengths(kdbx_cipher c)
{
	uint8_t key[32], iv[16], data[100];

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 7);
	for (int i = 0; i < 16; i++)
		iv[i] = (uint8_t)(i * 3);
	for (int i = 0; i < 100; i++)
		data[i] = (uint8_t)(i ^ 0x5a);
	for (size_t n = 0; n <= 100; n += 7) {
		kdbx_buf out = KDBX_BUF_INIT, back = KDBX_BUF_INIT;
		assert_int_equal(kdbx_cipher_encrypt(c, key, iv, data, n, &out), KDBX_OK);
		if (c != KDBX_CIPHER_CHACHA20)
			assert_int_equal(out.len, (n / 16 + 1) * 16);
		assert_int_equal(kdbx_cipher_decrypt(c, key, iv, out.data, out.len, &back), KDBX_OK);
		assert_int_equal(back.len, n);
		if (n)
			assert_memory_equal(back.data, data, n);
		kdbx_buf_free(&out);
		kdbx_buf_free(&back);
	}
}

static void test_crypto_cipher__roundtrip(void **state)
{
	(void)state;
	roundtrip_all_lengths(KDBX_CIPHER_AES256);
	roundtrip_all_lengths(KDBX_CIPHER_AES128);
	roundtrip_all_lengths(KDBX_CIPHER_TWOFISH);
	roundtrip_all_lengths(KDBX_CIPHER_CHACHA20);
}

static void wrong_key_is_eauth(kdbx_cipher c)
{
	uint8_t key[32] = {1}, bad[32] = {2}, iv[16] = {3}, data[40] = {4};
	kdbx_buf out = KDBX_BUF_INIT, back = KDBX_BUF_INIT;
	int fails = 0;

	assert_int_equal(kdbx_cipher_encrypt(c, key, iv, data, sizeof(data), &out), KDBX_OK);
	/* A wrong key gives valid padding by chance about 1/256 of the time;
	 * with 8 different keys at least one must be rejected. */
	for (int i = 0; i < 8; i++) {
		bad[5] = (uint8_t)i;
		int rc = kdbx_cipher_decrypt(c, bad, iv, out.data, out.len, &back);
		if (rc == KDBX_EAUTH) {
			fails++;
			assert_int_equal(back.len, 0);
		}
		kdbx_buf_reset(&back);
	}
	assert_true(fails >= 7);
	assert_int_equal(kdbx_cipher_decrypt(c, key, iv, out.data, out.len - 1, &back), KDBX_ECORRUPT);
	assert_int_equal(kdbx_cipher_decrypt(c, key, iv, out.data, 0, &back), KDBX_ECORRUPT);
	kdbx_buf_free(&out);
	kdbx_buf_free(&back);
}

static void test_crypto_cipher__bad_padding_is_eauth(void **state)
{
	(void)state;
	wrong_key_is_eauth(KDBX_CIPHER_AES256);
	wrong_key_is_eauth(KDBX_CIPHER_TWOFISH);
}

static void test_crypto_cipher__uuids(void **state)
{
	uint8_t u[16];

	(void)state;
	unhex(u, "31c1f2e6bf714350be5805216afc5aff");
	assert_int_equal(kdbx_cipher__from_uuid(u), KDBX_CIPHER_AES256);
	unhex(u, "d6038a2b8b6f4cb5a524339a31dbb59a");
	assert_int_equal(kdbx_cipher__from_uuid(u), KDBX_CIPHER_CHACHA20);
	unhex(u, "ad68f29f576f4bb9a36ad47af965346c");
	assert_int_equal(kdbx_cipher__from_uuid(u), KDBX_CIPHER_TWOFISH);
	unhex(u, "61ab05a1946441c38d743a563df8dd35");
	assert_int_equal(kdbx_cipher__from_uuid(u), KDBX_CIPHER_AES128);
	u[0] ^= 1;
	assert_int_equal(kdbx_cipher__from_uuid(u), -1);
	for (int c = 0; c <= 3; c++)
		assert_int_equal(kdbx_cipher__from_uuid(kdbx_cipher__uuid((kdbx_cipher)c)), c);
	assert_int_equal(kdbx_cipher__iv_len(KDBX_CIPHER_CHACHA20), 12);
	assert_int_equal(kdbx_cipher__iv_len(KDBX_CIPHER_TWOFISH), 16);
	assert_string_equal(kdbx_cipher_name(KDBX_CIPHER_AES256), "AES-256");
	assert_string_equal(kdbx_cipher_name(KDBX_CIPHER_CHACHA20), "ChaCha20");
	assert_string_equal(kdbx_cipher_name(KDBX_CIPHER_TWOFISH), "Twofish");
}

static void test_crypto_aead__gcm_spec_vectors(void **state)
{
	uint8_t key[32] = {0}, nonce[12] = {0}, pt[16] = {0}, ct[16], tag[16], exp[16], back[16];

	(void)state;
	/* Test case 13: empty plaintext */
	assert_int_equal(kdbx_aes_gcm_encrypt(key, nonce, NULL, 0, NULL, 0, ct, tag), KDBX_OK);
	unhex(exp, "530f8afbc74536b9a963b4f1c4cb738b");
	assert_memory_equal(tag, exp, 16);
	/* Test case 14 */
	assert_int_equal(kdbx_aes_gcm_encrypt(key, nonce, NULL, 0, pt, 16, ct, tag), KDBX_OK);
	unhex(exp, "cea7403d4d606b6e074ec5d3baf39d18");
	assert_memory_equal(ct, exp, 16);
	unhex(exp, "d0d1c8a799996bf0265b98b5d48ab919");
	assert_memory_equal(tag, exp, 16);
	assert_int_equal(kdbx_aes_gcm_decrypt(key, nonce, 12, NULL, 0, ct, 16, tag, back), KDBX_OK);
	assert_memory_equal(back, pt, 16);
	tag[0] ^= 1;
	assert_int_equal(kdbx_aes_gcm_decrypt(key, nonce, 12, NULL, 0, ct, 16, tag, back), KDBX_EAUTH);
	assert_memory_equal(back, pt, 16); /* wiped (pt is zero) */
}

static void test_crypto_aead__aad_is_authenticated(void **state)
{
	uint8_t key[32] = {9}, nonce[12] = {8}, ct[5], tag[16], back[5];

	(void)state;
	assert_int_equal(kdbx_aes_gcm_encrypt(key, nonce, (const uint8_t *)"hdr", 3, (const uint8_t *)"hello", 5, ct, tag), KDBX_OK);
	assert_int_equal(kdbx_aes_gcm_decrypt(key, nonce, 12, (const uint8_t *)"hdr", 3, ct, 5, tag, back), KDBX_OK);
	assert_memory_equal(back, "hello", 5);
	assert_int_equal(kdbx_aes_gcm_decrypt(key, nonce, 12, (const uint8_t *)"hdX", 3, ct, 5, tag, back), KDBX_EAUTH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crypto_cipher__chacha20_rfc8439),
		cmocka_unit_test(test_crypto_cipher__twofish_paper_vector),
		cmocka_unit_test(test_crypto_cipher__aes256_fips197),
		cmocka_unit_test(test_crypto_cipher__roundtrip),
		cmocka_unit_test(test_crypto_cipher__bad_padding_is_eauth),
		cmocka_unit_test(test_crypto_cipher__uuids),
		cmocka_unit_test(test_crypto_aead__gcm_spec_vectors),
		cmocka_unit_test(test_crypto_aead__aad_is_authenticated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
