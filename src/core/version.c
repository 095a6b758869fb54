/* Library version string (the build's, not the header's, so a mismatch is visible). */
#include "kdbx.h"

const char *kdbx_version(void)
{
	return KDBX_VERSION_STRING;
}
