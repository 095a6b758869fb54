/* Generic provider release (include/kdbx/provider.h); the vtable owns the cleanup. */
#include "kdbx/provider.h"

void kdbx_provider_free(kdbx_provider **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	if ((*pp)->free != NULL)
		(*pp)->free(*pp);
	*pp = NULL;
}
