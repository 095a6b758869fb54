/* Soft key: KeePassXC's YubiKey test vectors (keepassxc-notes.md 1.2), the
 * variable-length quirk, and the secret file / descriptor formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "crypto/crypto.h"
#include "kdbx.h"

static const char *kpxc_secret_hex = "1ce30fd78d20dcfa40b50c18779afb0f02288db7";

static void unhex(const char *h, uint8_t *out, size_t n)
{
	assert_int_equal(kdbx_hex_decode(out, n, h, strlen(h)), 0);
}

static kdbx_provider *kpxc_key(void)
{
	uint8_t secret[20];
	kdbx_provider *p = NULL;

	unhex(kpxc_secret_hex, secret, sizeof(secret));
	assert_int_equal(kdbx_softkey_new_secret(&p, KDBX_SOFTKEY_SHA1, secret, sizeof(secret)), 0);
	assert_non_null(p);
	return p;
}

static void expect_response(kdbx_provider *p, const void *chal, size_t len, const char *hex)
{
	uint8_t want[64];
	size_t n = strlen(hex) / 2;
	kdbx_secret *r = NULL;

	unhex(hex, want, n);
	assert_int_equal(kdbx_provider_challenge_response(p, chal, len, &r), 0);
	assert_non_null(r);
	assert_int_equal(kdbx_secret_len(r), n);
	assert_memory_equal(kdbx_secret_data(r), want, n);
	kdbx_secret_free(&r);
	assert_null(r);
}

static void test_providers_softkey__keepassxc_vectors(void **state)
{
	kdbx_provider *p = kpxc_key();

	(void)state;
	expect_response(p, "UnitTest", 8, "5e92434f99d3254620392e45da46f77b4661e09b");
	expect_response(p, "CLITest", 7, "a23b9400be479a30a9eb509b85565b6b3025b48e");
	kdbx_provider_free(&p);
	assert_null(p);
}

static void test_providers_softkey__unit_test_hash(void **state)
{
	/* KeePassXC's test asserts SHA-256(response) starts 2f7802c7 and ends 2264cd70. */
	kdbx_provider *p = kpxc_key();
	kdbx_secret *r = NULL;
	uint8_t h[32];

	(void)state;
	assert_int_equal(p->challenge_response(p, (const uint8_t *)"UnitTest", 8, &r), 0);
	assert_int_equal(kdbx_sha256(kdbx_secret_data(r), kdbx_secret_len(r), h), 0);
	assert_int_equal(h[0], 0x2f);
	assert_int_equal(h[1], 0x78);
	assert_int_equal(h[28], 0x22);
	assert_int_equal(h[31], 0x70);
	kdbx_secret_free(&r);
	kdbx_provider_free(&p);
}

static void test_providers_softkey__strips_trailing_run(void **state)
{
	/* A seed ending in 0x20 bytes: padded with 0x20 too, the key strips all of them. */
	uint8_t seed[32], secret[20], mac[20];
	kdbx_provider *p = kpxc_key();
	kdbx_secret *r = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(i * 7 + 1);
	seed[30] = seed[31] = 0x20;
	unhex(kpxc_secret_hex, secret, sizeof(secret));
	assert_int_equal(kdbx_hmac_sha1(secret, sizeof(secret), seed, 30, mac), 0);
	assert_int_equal(kdbx_provider_challenge_response(p, seed, sizeof(seed), &r), 0);
	assert_memory_equal(kdbx_secret_data(r), mac, 20);
	kdbx_secret_free(&r);

	/* An ordinary seed: HMAC over exactly the seed. */
	seed[31] = 0x99;
	assert_int_equal(kdbx_hmac_sha1(secret, sizeof(secret), seed, 32, mac), 0);
	assert_int_equal(kdbx_provider_challenge_response(p, seed, sizeof(seed), &r), 0);
	assert_memory_equal(kdbx_secret_data(r), mac, 20);
	kdbx_secret_free(&r);

	/* Longer than a block: refused. */
	{
		uint8_t big[65] = {0};

		assert_int_equal(kdbx_provider_challenge_response(p, big, sizeof(big), &r),
		                 KDBX_EINVALID);
		assert_null(r);
	}
	kdbx_provider_free(&p);
}

static void test_providers_softkey__sha256(void **state)
{
	uint8_t secret[] = "0123456789abcdef0123456789abcdef", mac[32];
	kdbx_provider *p = NULL;
	kdbx_secret *r = NULL;
	char desc[64];

	(void)state;
	assert_int_equal(kdbx_softkey_new_secret(&p, KDBX_SOFTKEY_SHA256, secret, 32), 0);
	assert_int_equal(kdbx_hmac_sha256(secret, 32, "abc", 3, mac), 0);
	assert_int_equal(kdbx_provider_challenge_response(p, (const uint8_t *)"abc", 3, &r), 0);
	assert_int_equal(kdbx_secret_len(r), 32);
	assert_memory_equal(kdbx_secret_data(r), mac, 32);
	kdbx_secret_free(&r);
	assert_int_equal(kdbx_provider_describe(p, desc, sizeof(desc)), 0);
	assert_string_equal(desc, "soft key (HMAC-SHA256)");
	kdbx_provider_free(&p);

	assert_int_equal(kdbx_softkey_new_secret(&p, 3, secret, 32), KDBX_EINVALID);
	assert_null(p);
	assert_int_equal(kdbx_softkey_new_secret(&p, KDBX_SOFTKEY_SHA1, secret, 0), KDBX_EINVALID);
}

static char *write_tmp(const void *data, size_t n)
{
	char *path = strdup("/tmp/kdbx-softkey-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

static void test_providers_softkey__secret_files(void **state)
{
	const char hex_text[] = "  1CE30FD78D20dcfa40b50c18779afb0f02288db7\n";
	uint8_t raw[20];
	kdbx_provider *p = NULL;
	char *path;
	int fds[2];

	(void)state;
	/* Hex text with whitespace and mixed case. */
	path = write_tmp(hex_text, strlen(hex_text));
	assert_int_equal(kdbx_softkey_new(&p, KDBX_SOFTKEY_SHA1, path), 0);
	expect_response(p, "UnitTest", 8, "5e92434f99d3254620392e45da46f77b4661e09b");
	kdbx_provider_free(&p);
	unlink(path);
	free(path);

	/* The same secret as 20 raw bytes. */
	unhex(kpxc_secret_hex, raw, sizeof(raw));
	path = write_tmp(raw, sizeof(raw));
	assert_int_equal(kdbx_softkey_new(&p, KDBX_SOFTKEY_SHA1, path), 0);
	expect_response(p, "CLITest", 7, "a23b9400be479a30a9eb509b85565b6b3025b48e");
	kdbx_provider_free(&p);
	unlink(path);
	free(path);

	/* Through a pipe. */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], kpxc_secret_hex, 40), 40);
	close(fds[1]);
	assert_int_equal(kdbx_softkey_new_fd(&p, KDBX_SOFTKEY_SHA1, fds[0]), 0);
	close(fds[0]);
	expect_response(p, "UnitTest", 8, "5e92434f99d3254620392e45da46f77b4661e09b");
	kdbx_provider_free(&p);

	/* Missing and empty files. */
	assert_int_equal(kdbx_softkey_new(&p, KDBX_SOFTKEY_SHA1, "/nonexistent/secret"), KDBX_EIO);
	assert_null(p);
	path = write_tmp("", 0);
	assert_int_equal(kdbx_softkey_new(&p, KDBX_SOFTKEY_SHA1, path), KDBX_EINVALID);
	unlink(path);
	free(path);
}

static void test_providers_softkey__checked_call(void **state)
{
	kdbx_secret *r = NULL;
	kdbx_provider bogus;

	(void)state;
	memset(&bogus, 0, sizeof(bogus));
	bogus.version = 99;
	assert_int_equal(kdbx_provider_challenge_response(NULL, NULL, 0, &r), KDBX_EINVALID);
	assert_int_equal(kdbx_provider_challenge_response(&bogus, NULL, 0, &r), KDBX_EINVALID);
	assert_null(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_providers_softkey__keepassxc_vectors),
		cmocka_unit_test(test_providers_softkey__unit_test_hash),
		cmocka_unit_test(test_providers_softkey__strips_trailing_run),
		cmocka_unit_test(test_providers_softkey__sha256),
		cmocka_unit_test(test_providers_softkey__secret_files),
		cmocka_unit_test(test_providers_softkey__checked_call),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
