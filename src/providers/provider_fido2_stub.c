/* Builds without KDBX_WITH_FIDO2 keep the public FIDO2 entry points (the CLI
 * and bindings link against them) and report the feature as missing. */
#ifndef KDBX_WITH_FIDO2
#include <stdlib.h>

#include "core/core.h"
#include "kdbx/fido2.h"

#define NO_FIDO2() kdbx_error__set(KDBX_EUNSUPPORTED, "this libkdbx was built without FIDO2 (libfido2)")

int kdbx_fido2_slot_provider_new(kdbx_slot_provider **out, const kdbx_fido2_options *opts)
{
	(void)opts;
	if (out != NULL)
		*out = NULL;
	return NO_FIDO2();
}

int kdbx_fido2_new(kdbx_provider **out, const kdbx_fido2_options *opts)
{
	(void)opts;
	if (out != NULL)
		*out = NULL;
	return NO_FIDO2();
}

int kdbx_fido2_list(const kdbx_fido2_options *opts, kdbx_fido2_device_info **out, size_t *count)
{
	(void)opts;
	if (out != NULL)
		*out = NULL;
	if (count != NULL)
		*count = 0;
	return NO_FIDO2();
}

void kdbx_fido2_list_free(kdbx_fido2_device_info **list)
{
	if (list != NULL) {
		free(*list);
		*list = NULL;
	}
}
#else
/* ISO C forbids an empty translation unit. */
typedef int kdbx_fido2_stub_unused;
#endif
