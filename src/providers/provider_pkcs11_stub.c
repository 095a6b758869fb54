/* Builds without KDBX_WITH_PKCS11 keep the public PKCS#11 entry points (the
 * CLI and bindings link against them) and report the feature as missing. */
#ifndef KDBX_WITH_PKCS11
#include <stdlib.h>

#include "core/core.h"
#include "kdbx/pkcs11.h"

#define NO_PKCS11() kdbx_error__set(KDBX_EUNSUPPORTED, "this libkdbx was built without PKCS#11")

const char *kdbx_pkcs11_mechanism_name(int mech)
{
	(void)mech;
	return "none";
}
int kdbx_pkcs11_mechanism_from_name(const char *name)
{
	(void)name;
	return -1;
}
int kdbx_pkcs11_slot_provider_new(kdbx_slot_provider **out, const kdbx_pkcs11_options *opts)
{
	(void)opts;
	if (out != NULL)
		*out = NULL;
	return NO_PKCS11();
}
int kdbx_pkcs11_new(kdbx_provider **out, const kdbx_pkcs11_options *opts)
{
	(void)opts;
	if (out != NULL)
		*out = NULL;
	return NO_PKCS11();
}
int kdbx_pkcs11_list(const kdbx_pkcs11_options *opts, int login, kdbx_pkcs11_key_info **out,
                     size_t *count)
{
	(void)opts;
	(void)login;
	if (out != NULL)
		*out = NULL;
	if (count != NULL)
		*count = 0;
	return NO_PKCS11();
}
void kdbx_pkcs11_list_free(kdbx_pkcs11_key_info **list)
{
	if (list != NULL) {
		free(*list);
		*list = NULL;
	}
}
int kdbx_pkcs11_keygen(const kdbx_pkcs11_options *opts, const char *type)
{
	(void)opts;
	(void)type;
	return NO_PKCS11();
}
int kdbx_pkcs11_import_hmac(const kdbx_pkcs11_options *opts, const uint8_t *secret, size_t len)
{
	(void)opts;
	(void)secret;
	(void)len;
	return NO_PKCS11();
}
#else
typedef int kdbx_pkcs11_stub_unused; /* ISO C forbids an empty translation unit */
#endif
