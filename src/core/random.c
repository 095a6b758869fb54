/* Cryptographic randomness from OpenSSL's DRBG (seeded from the kernel). */
#include <limits.h>
#include <openssl/rand.h>

#include "core/core.h"

int kdbx_random(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		/* RAND_bytes takes an int length. */
		int chunk = n > (size_t)INT_MAX ? INT_MAX : (int)n;
		if (RAND_bytes(p, chunk) != 1)
			return kdbx_error__set(KDBX_ERROR, "random generator failure");
		p += chunk;
		n -= (size_t)chunk;
	}
	return KDBX_OK;
}
