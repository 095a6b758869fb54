/* Checked entry points over the provider vtable (include/kdbx/provider.h). */
#include <stdio.h>

#include "core/core.h"
#include "kdbx/provider.h"

static int provider_ok(const kdbx_provider *p)
{
	return p != NULL && p->version == KDBX_PROVIDER_VERSION;
}

int kdbx_provider_challenge_response(kdbx_provider *p, const uint8_t *challenge, size_t len,
                                     kdbx_secret **response)
{
	int rc;

	if (response == NULL)
		return kdbx_error__set(KDBX_EINVALID, "challenge_response: no output");
	*response = NULL;
	if (!provider_ok(p) || p->challenge_response == NULL || (challenge == NULL && len > 0))
		return kdbx_error__set(KDBX_EINVALID, "challenge_response: invalid provider or challenge");
	rc = p->challenge_response(p, challenge, len, response);
	if (rc < 0) {
		kdbx_secret_free(response);
		return rc;
	}
	if (*response == NULL || kdbx_secret_len(*response) == 0 ||
	    kdbx_secret_len(*response) > KDBX_PROVIDER_RESPONSE_MAX) {
		kdbx_secret_free(response);
		return kdbx_error__set(KDBX_EDEVICE, "provider %s returned an invalid response",
		                       p->name != NULL ? p->name : "?");
	}
	return KDBX_OK;
}

int kdbx_provider_describe(kdbx_provider *p, char *buf, size_t buflen)
{
	if (buf == NULL || buflen == 0)
		return kdbx_error__set(KDBX_EINVALID, "describe: no buffer");
	buf[0] = '\0';
	if (!provider_ok(p))
		return kdbx_error__set(KDBX_EINVALID, "describe: invalid provider");
	if (p->describe != NULL && p->describe(p, buf, buflen) == KDBX_OK) {
		buf[buflen - 1] = '\0';
		return KDBX_OK;
	}
	snprintf(buf, buflen, "%s", p->name != NULL ? p->name : "provider");
	return KDBX_OK;
}

int kdbx_provider_set_interaction(kdbx_provider *p, const kdbx_interaction *cb)
{
	if (!provider_ok(p))
		return kdbx_error__set(KDBX_EINVALID, "set_interaction: invalid provider");
	if (cb != NULL)
		p->interaction = *cb;
	else
		memset(&p->interaction, 0, sizeof(p->interaction));
	return KDBX_OK;
}
