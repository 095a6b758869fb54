/* Loading PKCS#11 modules: p11-kit's registry (managed mode: p11-kit
 * reference-counts C_Initialize/C_Finalize across users in the process) or an
 * explicit module path (dlopen + C_GetFunctionList + C_Initialize with
 * CKF_OS_LOCKING_OK; CKR_CRYPTOKI_ALREADY_INITIALIZED means another part of the
 * process owns it, so we must not C_Finalize it). hwdesign-notes.md 5.1. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "providers/pkcs11_int.h"

static CK_FUNCTION_LIST *test_module;

void kdbx_p11__set_test_module(CK_FUNCTION_LIST *fl)
{
	test_module = fl;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

static int load_path(kdbx_p11_mods *m, const char *path)
{
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST *fl = NULL;
	CK_C_INITIALIZE_ARGS args;
	void *dl;
	CK_RV rv;

	/* Not dlclose()d on unload: modules that link OpenSSL or start threads
	 * do not survive being unmapped and mapped again in one process. */
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL)
		return kdbx_error__set(KDBX_EDEVICE, "cannot load PKCS#11 module %s: %s", path, dlerror());
	*(void **)&get = dlsym(dl, "C_GetFunctionList");
	if (get == NULL)
		return kdbx_error__set(KDBX_EDEVICE, "%s is not a PKCS#11 module (no C_GetFunctionList)",
		                       path);
	rv = get(&fl);
	if (rv != CKR_OK || fl == NULL)
		return kdbx_p11__fail(rv != CKR_OK ? rv : CKR_GENERAL_ERROR, "C_GetFunctionList");
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = fl->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		return kdbx_error__set(KDBX_EDEVICE, "PKCS#11 module %s: C_Initialize failed: %s", path,
		                       kdbx_p11__rv_name(rv));
	m->finalize = rv == CKR_OK;
	m->fl[0] = fl;
	m->name[0] = kdbx_strdup(base_name(path));
	m->n = 1;
	if (m->name[0] == NULL) {
		kdbx_p11__unload(m);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	return KDBX_OK;
}

int kdbx_p11__load(kdbx_p11_mods *m, const char *module)
{
	memset(m, 0, sizeof(*m));
	if (test_module != NULL) {
		m->fl[0] = test_module;
		m->name[0] = kdbx_strdup("test-module");
		m->n = 1;
		return m->name[0] != NULL ? KDBX_OK : kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	if (module != NULL && strchr(module, '/') != NULL)
		return load_path(m, module);
	m->registry = p11_kit_modules_load_and_initialize(0);
	if (m->registry == NULL)
		return kdbx_error__set(KDBX_EDEVICE, "p11-kit could not load its registered modules: %s",
		                       p11_kit_message() != NULL ? p11_kit_message() : "unknown error");
	for (size_t i = 0; m->registry[i] != NULL && m->n < KDBX_P11_MAX_MODULES; i++) {
		char *name = p11_kit_module_get_name(m->registry[i]);

		if (module != NULL && (name == NULL || strcmp(name, module) != 0)) {
			free(name);
			continue;
		}
		m->fl[m->n] = m->registry[i];
		m->name[m->n] = name != NULL ? name : kdbx_strdup("?");
		m->n++;
	}
	if (m->n == 0) {
		kdbx_p11__unload(m);
		if (module != NULL)
			return kdbx_error__set(KDBX_EDEVICE,
			                       "no PKCS#11 module named '%s' is registered with p11-kit "
			                       "(give the module path instead)", module);
		return kdbx_error__set(KDBX_EDEVICE, "no PKCS#11 module is registered with p11-kit");
	}
	return KDBX_OK;
}

void kdbx_p11__unload(kdbx_p11_mods *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->name[i]);
	if (m->registry != NULL)
		p11_kit_modules_finalize_and_release(m->registry);
	else if (m->finalize && m->n == 1 && m->fl[0] != NULL)
		m->fl[0]->C_Finalize(NULL);
	memset(m, 0, sizeof(*m));
}
