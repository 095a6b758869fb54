/* One-time libgcrypt initialisation (Twofish and Salsa20 only; OpenSSL 3 lacks both). */
#include <gcrypt.h>
#include <pthread.h>

#include "crypto/crypto.h"

static pthread_once_t gcry_once = PTHREAD_ONCE_INIT;
static bool gcry_ok;

static void gcry_setup(void)
{
	/* The application may have initialised libgcrypt itself; then leave it alone. */
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		gcry_ok = true;
		return;
	}
	if (gcry_check_version(GCRYPT_VERSION) == NULL)
		return;
	/* Key material lives in our own secure memory; gcrypt's pool is not needed. */
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	gcry_ok = true;
}

int kdbx_crypto__gcrypt_init(void)
{
	pthread_once(&gcry_once, gcry_setup);
	return gcry_ok ? KDBX_OK : kdbx_error__set(KDBX_ERROR, "libgcrypt version mismatch");
}
