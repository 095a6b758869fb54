/* libFuzzer harness: VariantDictionary parser; a parsed dictionary must re-serialise and parse
 * back to the same items. */
#include <stdlib.h>

#include "format/container.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kdbx_vdict d, back;
	kdbx_buf out = KDBX_BUF_INIT;

	if (kdbx_vdict_parse(&d, data, size) != KDBX_OK)
		return 0;
	if (kdbx_vdict_write(&d, &out) != KDBX_OK || kdbx_vdict_parse(&back, out.data, out.len) != KDBX_OK)
		abort();
	if (back.count != d.count)
		abort();
	for (size_t i = 0; i < d.count; i++) {
		const kdbx_vdict_item *a = &d.items[i], *b = &back.items[i];
		if (a->type != b->type || strcmp(a->name, b->name) != 0 || a->len != b->len ||
		    memcmp(a->value, b->value, a->len) != 0)
			abort();
	}
	kdbx_vdict_free(&back);
	kdbx_vdict_free(&d);
	kdbx_buf_free(&out);
	return 0;
}
