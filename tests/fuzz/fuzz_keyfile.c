/* libFuzzer harness: key-file parsing (XML v1.0/v2.0, 32 raw bytes, 64 hex,
 * hashed fallback) through kdbx_keyfile__parse. Any input must give KDBX_OK
 * or KDBX_EKEYFILE and never touch memory outside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[32];
	/* An exact-size copy so that reading past the end is caught. */
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	int rc = kdbx_keyfile__parse(copy, size, out);
	if (rc != KDBX_OK && rc != KDBX_EKEYFILE && rc != KDBX_ENOMEM)
		abort(); /* an undocumented code is a bug worth a crash report */
	free(copy);
	return 0;
}
