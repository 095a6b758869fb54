/* libFuzzer harness: the payload layers below the cipher, called directly (no key derivation):
 * first byte selects 0 KDBX3 hashed blocks, 1 KDBX4 HMAC blocks (fixed key), 2 gzip (1 MiB cap). */
#include <stdlib.h>

#include "format/container.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[64] = {1, 2, 3};
	kdbx_buf out = KDBX_BUF_INIT;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		(void)kdbx_kdbx3__hashed_blocks_read(data + 1, size - 1, &out);
		break;
	case 1:
		(void)kdbx_kdbx4__hmac_blocks_read(data + 1, size - 1, key, &out);
		break;
	default:
		(void)kdbx_gzip__inflate(data + 1, size - 1, (size_t)1 << 20, &out);
		if (out.len > ((size_t)1 << 20))
			abort();
		break;
	}
	kdbx_buf_free(&out);
	return 0;
}
