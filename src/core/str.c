/* Small string helpers (NULL-safe duplicates). */
#include <stdlib.h>

#include "core/core.h"

char *kdbx_strdup(const char *s)
{
	if (s == NULL)
		return NULL;
	return kdbx_strndup(s, strlen(s));
}

char *kdbx_strndup(const char *s, size_t n)
{
	char *p;

	if (s == NULL)
		return NULL;
	n = strnlen(s, n);
	p = malloc(n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
