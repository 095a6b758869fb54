/* libFuzzer harness: outer KDBX header parser. A header that parses is written again with our
 * writer (as 3.1 or 4.x) and must parse back to the same settings. No key derivation runs. */
#include <stdlib.h>

#include "format/container.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kdbx_container c, back;
	kdbx_buf hdr = KDBX_BUF_INIT;
	size_t hl = 0, hl2 = 0;

	memset(&c, 0, sizeof(c));
	memset(&back, 0, sizeof(back));
	if (kdbx_header__parse(&c, data, size, &hl) != KDBX_OK)
		goto out;
	if (hl > size)
		abort();
	/* Re-serialise in the family the file came from (2.x/3.0 are written as 3.1). */
	if (c.version < KDBX_VERSION_4_0)
		c.version = KDBX_VERSION_3_1;
	else if (c.version != KDBX_VERSION_4_0)
		c.version = KDBX_VERSION_4_1;
	if (kdbx_header__write(&c, &hdr) != KDBX_OK)
		goto out; /* e.g. AES-128, which is read-only */
	if (kdbx_header__parse(&back, hdr.data, hdr.len, &hl2) != KDBX_OK || hl2 != hdr.len)
		abort();
	if (back.version != c.version || back.cipher != c.cipher ||
	    back.compression != c.compression || back.kdf.type != c.kdf.type ||
	    back.kdf.rounds != c.kdf.rounds || back.kdf.memory != c.kdf.memory ||
	    back.kdf.iterations != c.kdf.iterations || back.kdf.seed_len != c.kdf.seed_len ||
	    memcmp(back.kdf.seed, c.kdf.seed, c.kdf.seed_len) != 0 ||
	    memcmp(back.master_seed, c.master_seed, 32) != 0 || back.iv_len != c.iv_len ||
	    memcmp(back.iv, c.iv, c.iv_len) != 0 ||
	    back.public_custom_data_len != c.public_custom_data_len)
		abort();
out:
	kdbx_buf_free(&hdr);
	kdbx_container_free(&back);
	kdbx_container_free(&c);
	return 0;
}
