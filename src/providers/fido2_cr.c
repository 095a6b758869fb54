/* FIDO2 as a challenge-response provider for kdbxtool's "fido2" devices
 * (mode 2, kdbxtool-notes 1.3 and "FIDO2"): response = hmac-secret output for
 * salt1 = the 32-byte challenge, rp id "kdbxtool", PIN when the device has one.
 * kdbxtool never stores the credential id, so the caller supplies it.
 * Also the device listing (kdbx_fido2_list). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/fido2_int.h"

typedef struct fido2_cr {
	kdbx_provider parent; /* first member: the vtable */
	fido2_cfg cfg;
	fido2_meta m; /* credential + rp; salt set per challenge */
} fido2_cr;

static int cr_respond(kdbx_provider *self, const uint8_t *challenge, size_t len, kdbx_secret **response)
{
	fido2_cr *p = (fido2_cr *)self;
	fido2_cfg cfg = p->cfg;
	fido2_meta m = p->m;
	int rc;

	*response = NULL;
	if (challenge == NULL || len != FIDO2_SALT_LEN)
		return kdbx_error__set(KDBX_EINVALID, "fido2: the challenge must be 32 bytes (kdbxtool salt), got %zu",
		                       len);
	if (!cfg.has_cb && (self->interaction.pin != NULL || self->interaction.touch != NULL)) {
		cfg.cb = self->interaction;
		cfg.has_cb = true;
	}
	memcpy(m.salt, challenge, FIDO2_SALT_LEN);
	m.flags = FIDO2_F_UP;
	rc = kdbx_fido2__unlock(&cfg, &m, true, response);
	kdbx_memzero(&m, sizeof(m));
	return rc;
}

static int cr_describe(kdbx_provider *self, char *buf, size_t buflen)
{
	fido2_cr *p = (fido2_cr *)self;
	char id[96];

	if (kdbx_fido2__meta_device_id(&p->m, id, sizeof(id)) != KDBX_OK) {
		kdbx_error_clear();
		snprintf(id, sizeof(id), "fido2");
	}
	snprintf(buf, buflen, "FIDO2 credential %s%s%s", id, p->cfg.device ? " on " : "",
	         p->cfg.device ? p->cfg.device : "");
	return KDBX_OK;
}

static void cr_free(kdbx_provider *self)
{
	fido2_cr *p = (fido2_cr *)self;

	kdbx_fido2__cfg_clear(&p->cfg);
	kdbx_memzero(&p->m, sizeof(p->m));
	free(p);
}

int kdbx_fido2_new(kdbx_provider **out, const kdbx_fido2_options *opts)
{
	fido2_cr *p;
	int rc;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_fido2_new: invalid argument");
	*out = NULL;
	if (opts == NULL || opts->credential_id == NULL || opts->credential_id_len == 0 ||
	    opts->credential_id_len > FIDO2_CRED_MAX)
		return kdbx_error__set(KDBX_EINVALID, "fido2: the credential id is required (kdbxtool does not store "
		                       "it: use the id printed when the credential was made)");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	if ((rc = kdbx_fido2__cfg_init(&p->cfg, opts)) != KDBX_OK) {
		free(p);
		return rc;
	}
	snprintf(p->m.rp, sizeof(p->m.rp), "%s", p->cfg.rp_id != NULL ? p->cfg.rp_id : KDBX_FIDO2_KDBXTOOL_RP_ID);
	memcpy(p->m.cred, opts->credential_id, opts->credential_id_len);
	p->m.cred_len = opts->credential_id_len;
	p->parent.version = KDBX_PROVIDER_VERSION;
	p->parent.name = "fido2";
	p->parent.describe = cr_describe;
	p->parent.challenge_response = cr_respond;
	p->parent.free = cr_free;
	if (p->cfg.has_cb)
		p->parent.interaction = p->cfg.cb;
	*out = &p->parent;
	return KDBX_OK;
}

/* ---------------- listing ---------------- */

static void fill(const fido2_cfg *cfg, const fido2_devref *ref, kdbx_fido2_device_info *di)
{
	fido_dev_t *dev = NULL;
	bool hmac = false, always = false;
	int n = -1;

	memset(di, 0, sizeof(*di));
	snprintf(di->path, sizeof(di->path), "%s", ref->path);
	{
		const char *open = strrchr(ref->desc, '(');
		if (open != NULL && strncmp(ref->desc, "FIDO2 device ", 13) != 0)
			snprintf(di->product, sizeof(di->product), "%.*s", (int)(open - ref->desc - 1 > 0 ? open - ref->desc - 1 : 0),
			         ref->desc);
	}
	di->pin_retries = di->uv_retries = -1;
	if (kdbx_fido2__open(cfg, ref, &dev) != KDBX_OK) {
		snprintf(di->error, sizeof(di->error), "%s", kdbx_error_last());
		kdbx_error_clear();
		return;
	}
	di->fido2 = fido_dev_is_fido2(dev);
	if (kdbx_fido2__info(dev, &hmac, &always, &di->protocols) != KDBX_OK) {
		snprintf(di->error, sizeof(di->error), "%s", kdbx_error_last());
		kdbx_error_clear();
	}
	di->hmac_secret = hmac;
	di->always_uv = always;
	di->pin_set = fido_dev_has_pin(dev);
	if (di->pin_set && fido_dev_get_retry_count(dev, &n) == FIDO_OK)
		di->pin_retries = n;
	di->builtin_uv = fido_dev_has_uv(dev);
	if (di->builtin_uv && fido_dev_get_uv_retry_count(dev, &n) == FIDO_OK)
		di->uv_retries = n;
	kdbx_fido2__close(&dev);
}

int kdbx_fido2_list(const kdbx_fido2_options *opts, kdbx_fido2_device_info **out, size_t *count)
{
	fido2_cfg cfg;
	fido2_devref *refs = NULL;
	size_t n = 0;
	int rc;

	if (out == NULL || count == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_fido2_list: invalid argument");
	*out = NULL;
	*count = 0;
	if ((rc = kdbx_fido2__cfg_init(&cfg, opts)) != KDBX_OK)
		return rc;
	if ((rc = kdbx_fido2__enumerate(&cfg, &refs, &n)) == KDBX_OK && n > 0) {
		kdbx_fido2_device_info *l = calloc(n, sizeof(*l));
		if (l == NULL) {
			rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		} else {
			for (size_t i = 0; i < n; i++)
				fill(&cfg, &refs[i], &l[i]);
			*out = l;
			*count = n;
		}
	}
	free(refs);
	kdbx_fido2__cfg_clear(&cfg);
	return rc;
}

void kdbx_fido2_list_free(kdbx_fido2_device_info **list)
{
	if (list == NULL)
		return;
	free(*list);
	*list = NULL;
}
