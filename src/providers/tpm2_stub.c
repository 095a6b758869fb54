/* Builds without KDBX_WITH_TPM2 keep the public TPM entry points (the CLI and
 * bindings link against them) and report the feature as missing. */
#include <string.h>

#include "core/core.h"
#include "kdbx/tpm2.h"

#define NO_TPM2() kdbx_error__set(KDBX_EUNSUPPORTED, "this libkdbx was built without TPM 2.0 support")

int kdbx_tpm2_slot_provider_new(kdbx_slot_provider **out, const kdbx_tpm2_options *opts)
{
	(void)opts;
	if (out != NULL)
		*out = NULL;
	return NO_TPM2();
}

kdbx_tpm2_reason kdbx_tpm2_last_reason(void)
{
	return KDBX_TPM2_OK;
}

int kdbx_tpm2_get_info(const char *tcti, kdbx_tpm2_info *out)
{
	(void)tcti;
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	return NO_TPM2();
}

int kdbx_tpm2_reset_lockout(const char *tcti, const char *lockout_auth)
{
	(void)tcti;
	(void)lockout_auth;
	return NO_TPM2();
}
