/* The "fido2" slot provider: enrolment makes a non-resident hmac-secret
 * credential and derives the slot secret from it at once (the device answers
 * before anything changes); unlock / match find the device that holds the
 * credential (fido2_assert.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/fido2_int.h"

#define PIN_MAX 256

typedef struct fido2_slot_provider {
	kdbx_slot_provider parent; /* first member: the vtable */
	fido2_cfg cfg;
	char desc[200];
} fido2_slot_provider;

/* "yes"/"no"/"auto" (also 1/0/true/false). */
static int parse_tri(const char *v, size_t n, int *out)
{
	if ((n == 3 && strncmp(v, "yes", 3) == 0) || (n == 1 && v[0] == '1') || (n == 4 && strncmp(v, "true", 4) == 0))
		*out = KDBX_FIDO2_YES;
	else if ((n == 2 && strncmp(v, "no", 2) == 0) || (n == 1 && v[0] == '0') || (n == 5 && strncmp(v, "false", 5) == 0))
		*out = KDBX_FIDO2_NO;
	else if (n == 4 && strncmp(v, "auto", 4) == 0)
		*out = KDBX_FIDO2_AUTO;
	else
		return -1;
	return 0;
}

/* Enrolment options "pin=yes,uv=no,up=yes,rp=ID,device=PATH" (',' ';' or
 * space separated) over the provider's configuration. */
static int apply_options(fido2_cfg *cfg, const char *opts)
{
	const char *p = opts;

	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, ",; "), kl;
		const char *eq = memchr(p, '=', len);
		int *tri = NULL;

		if (len == 0) {
			p++;
			continue;
		}
		if (eq == NULL)
			return kdbx_error__set(KDBX_EINVALID, "fido2 option '%.*s': expected key=value", (int)len, p);
		kl = (size_t)(eq - p);
		if (kl == 3 && strncmp(p, "pin", 3) == 0)
			tri = &cfg->pin;
		else if (kl == 2 && strncmp(p, "uv", 2) == 0)
			tri = &cfg->uv;
		else if (kl == 2 && strncmp(p, "up", 2) == 0)
			tri = &cfg->up;
		if (tri != NULL) {
			if (parse_tri(eq + 1, len - kl - 1, tri) < 0)
				return kdbx_error__set(KDBX_EINVALID, "fido2 option '%.*s': yes, no or auto", (int)len, p);
		} else if ((kl == 2 && strncmp(p, "rp", 2) == 0) || (kl == 6 && strncmp(p, "device", 6) == 0)) {
			char **dst = kl == 2 ? &cfg->rp_id : &cfg->device;
			size_t vl = len - kl - 1;
			char *v;
			if (vl == 0 || vl > 255)
				return kdbx_error__set(KDBX_EINVALID, "fido2 option '%.*s': 1..255 bytes", (int)len, p);
			if ((v = malloc(vl + 1)) == NULL)
				return kdbx_error__set(KDBX_ENOMEM, "out of memory");
			memcpy(v, eq + 1, vl);
			v[vl] = '\0';
			free(*dst);
			*dst = v;
		} else {
			return kdbx_error__set(KDBX_EINVALID, "fido2: unknown option '%.*s' (pin, uv, up, rp, device)",
			                       (int)len, p);
		}
		p += len;
	}
	return KDBX_OK;
}

/* The one authenticator enrolment uses: cfg->device, or the only FIDO2
 * device with hmac-secret. */
static int pick_device(const fido2_cfg *cfg, fido2_devref *ref, fido_dev_t **out)
{
	fido2_devref *refs = NULL;
	size_t n = 0, usable = 0, nohmac = 0;
	char names[512] = "";
	size_t nl = 0;
	int rc;

	*out = NULL;
	if ((rc = kdbx_fido2__enumerate_connected(cfg, &refs, &n)) != KDBX_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		fido_dev_t *dev = NULL;
		bool hmac = false;

		if (kdbx_fido2__open(cfg, &refs[i], &dev) != KDBX_OK ||
		    kdbx_fido2__info(dev, &hmac, NULL, NULL) != KDBX_OK) {
			if (n == 1) {
				rc = kdbx_error_last_code();
				kdbx_fido2__close(&dev);
				free(refs);
				return rc;
			}
			kdbx_error_clear();
			kdbx_fido2__close(&dev);
			continue;
		}
		if (!hmac) {
			nohmac++;
			if (n == 1) {
				rc = kdbx_error__set(KDBX_EUNSUPPORTED, "%s does not support the hmac-secret extension "
				                     "(needed to derive a key); use another authenticator", refs[i].desc);
				kdbx_fido2__close(&dev);
				free(refs);
				return rc;
			}
			kdbx_fido2__close(&dev);
			continue;
		}
		usable++;
		if (nl < sizeof(names) - 1)
			nl += (size_t)snprintf(names + nl, sizeof(names) - nl, "%s%s", nl ? ", " : "", refs[i].path);
		if (nl >= sizeof(names))
			nl = sizeof(names) - 1;
		if (*out == NULL) {
			*out = dev;
			*ref = refs[i];
		} else {
			kdbx_fido2__close(&dev);
		}
	}
	free(refs);
	if (usable == 0)
		return kdbx_error__set(nohmac > 0 ? KDBX_EUNSUPPORTED : KDBX_EDEVICE,
		                       nohmac > 0 ? "no connected FIDO2 device supports the hmac-secret extension%s"
		                                  : "no FIDO2 device could be opened%s", "");
	if (usable > 1) {
		kdbx_fido2__close(out);
		return kdbx_error__set(KDBX_EINVALID, "several FIDO2 devices are connected (%s): choose one "
		                       "(device=PATH)", names);
	}
	return KDBX_OK;
}

static int make_credential(const fido2_cfg *cfg, fido_dev_t *dev, const fido2_devref *ref,
                           const kdbx_slot_context *ctx, const char *pin, bool builtin_uv, fido2_meta *m)
{
	fido_cred_t *c = fido_cred_new();
	uint8_t cdh[32], uid[32];
	size_t uid_len;
	int r, rc = KDBX_OK;

	if (c == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	if ((rc = kdbx_random(cdh, sizeof(cdh))) != KDBX_OK)
		goto out;
	/* User id = the database identity: one credential per database. */
	if (ctx->db_id != NULL && ctx->db_id_len > 0) {
		uid_len = ctx->db_id_len < sizeof(uid) ? ctx->db_id_len : sizeof(uid);
		memcpy(uid, ctx->db_id, uid_len);
	} else {
		uid_len = 16;
		if ((rc = kdbx_random(uid, uid_len)) != KDBX_OK)
			goto out;
	}
	if ((r = fido_cred_set_type(c, COSE_ES256)) != FIDO_OK ||
	    (r = fido_cred_set_clientdata_hash(c, cdh, sizeof(cdh))) != FIDO_OK ||
	    (r = fido_cred_set_rp(c, m->rp, "KeePass database")) != FIDO_OK ||
	    (r = fido_cred_set_user(c, uid, uid_len, "kdbx", ctx->label, NULL)) != FIDO_OK ||
	    (r = fido_cred_set_extensions(c, FIDO_EXT_HMAC_SECRET)) != FIDO_OK ||
	    (r = fido_cred_set_rk(c, FIDO_OPT_FALSE)) != FIDO_OK ||
	    (r = fido_cred_set_uv(c, builtin_uv && pin == NULL ? FIDO_OPT_TRUE : FIDO_OPT_OMIT)) != FIDO_OK) {
		rc = kdbx_error__set(KDBX_EINVALID, "fido2: cannot build the credential (%s)", fido_strerr(r));
		goto out;
	}
	if (cfg->has_cb && cfg->cb.touch != NULL)
		cfg->cb.touch(cfg->cb.userdata, ref->desc);
	if ((r = fido_dev_make_cred(dev, c, pin)) != FIDO_OK) {
		rc = kdbx_fido2__error(r, "fido2 enrol", dev, ref);
		goto out;
	}
	if (fido_cred_id_len(c) == 0 || fido_cred_id_len(c) > FIDO2_CRED_MAX) {
		rc = kdbx_error__set(KDBX_EDEVICE, "%s returned a credential id of %zu bytes", ref->desc,
		                     fido_cred_id_len(c));
		goto out;
	}
	memcpy(m->cred, fido_cred_id_ptr(c), fido_cred_id_len(c));
	m->cred_len = fido_cred_id_len(c);
out:
	fido_cred_free(&c);
	return rc;
}

static int slot_enrol(kdbx_slot_provider *self, const kdbx_slot_context *ctx, uint8_t **meta, size_t *meta_len,
                      kdbx_secret **secret)
{
	fido2_slot_provider *p = (fido2_slot_provider *)self;
	fido2_cfg cfg = p->cfg;
	fido2_devref ref;
	fido_dev_t *dev = NULL;
	fido2_meta m;
	bool always_uv = false, hmac = false;
	char *pin = NULL;
	int rc;

	*meta = NULL;
	*meta_len = 0;
	*secret = NULL;
	memset(&m, 0, sizeof(m));
	/* Shallow copy: the strings the options replace are our own copies. */
	cfg.device = kdbx_strdup(p->cfg.device);
	cfg.rp_id = kdbx_strdup(p->cfg.rp_id);
	if ((p->cfg.device != NULL && cfg.device == NULL) || (p->cfg.rp_id != NULL && cfg.rp_id == NULL)) {
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		goto out;
	}
	if (ctx != NULL && ctx->interaction != NULL && !cfg.has_cb) {
		cfg.cb = *ctx->interaction;
		cfg.has_cb = true;
	}
	if ((rc = apply_options(&cfg, ctx != NULL ? ctx->options : NULL)) != KDBX_OK)
		goto out;
	snprintf(m.rp, sizeof(m.rp), "%s", cfg.rp_id != NULL ? cfg.rp_id : KDBX_FIDO2_DEFAULT_RP_ID);
	if (ctx != NULL && ctx->nonce != NULL && ctx->nonce_len >= FIDO2_SALT_LEN)
		memcpy(m.salt, ctx->nonce, FIDO2_SALT_LEN);
	else if ((rc = kdbx_random(m.salt, FIDO2_SALT_LEN)) != KDBX_OK)
		goto out;
	if ((rc = pick_device(&cfg, &ref, &dev)) != KDBX_OK)
		goto out;
	if ((rc = kdbx_fido2__info(dev, &hmac, &always_uv, NULL)) != KDBX_OK)
		goto out;
	/* Requirements, fixed now for the life of the slot. */
	if (cfg.pin == KDBX_FIDO2_AUTO)
		cfg.pin = fido_dev_has_pin(dev) ? KDBX_FIDO2_YES : KDBX_FIDO2_NO;
	if (cfg.uv == KDBX_FIDO2_AUTO)
		cfg.uv = KDBX_FIDO2_NO;
	if (cfg.up == KDBX_FIDO2_AUTO)
		cfg.up = KDBX_FIDO2_YES;
	if (cfg.pin == KDBX_FIDO2_YES && !fido_dev_has_pin(dev)) {
		rc = kdbx_error__set(KDBX_EUNSUPPORTED, "%s has no PIN set: set one first (fido2-token -S %s) or "
		                     "enrol with pin=no", ref.desc, ref.path);
		goto out;
	}
	if (cfg.uv == KDBX_FIDO2_YES && !fido_dev_has_uv(dev)) {
		rc = kdbx_error__set(KDBX_EUNSUPPORTED, "%s has no built-in user verification (fingerprint) "
		                     "configured; enrol with uv=no", ref.desc);
		goto out;
	}
	if (always_uv && cfg.pin != KDBX_FIDO2_YES && cfg.uv != KDBX_FIDO2_YES) {
		rc = kdbx_error__set(KDBX_EUNSUPPORTED, "%s always verifies the user (alwaysUv): enrol with pin=yes "
		                     "or uv=yes", ref.desc);
		goto out;
	}
	m.flags = (uint8_t)((cfg.up == KDBX_FIDO2_YES ? FIDO2_F_UP : 0) | (cfg.uv == KDBX_FIDO2_YES ? FIDO2_F_UV : 0) |
	                    (cfg.pin == KDBX_FIDO2_YES ? FIDO2_F_PIN : 0));
	if (m.flags & FIDO2_F_PIN) {
		if ((pin = kdbx_secure_alloc(PIN_MAX)) == NULL) {
			rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = kdbx_fido2__ask_pin(&cfg, dev, &ref, pin, PIN_MAX)) != KDBX_OK)
			goto out;
	}
	if ((rc = make_credential(&cfg, dev, &ref, ctx, pin, cfg.uv == KDBX_FIDO2_YES, &m)) != KDBX_OK)
		goto out;
	/* With a PIN protocol token per operation the same PIN serves both calls:
	 * the user types it once. */
	if ((rc = kdbx_fido2__secret(&cfg, dev, &ref, &m, (m.flags & FIDO2_F_PIN) ? pin : NULL, secret)) != KDBX_OK)
		goto out;
	rc = kdbx_fido2__meta_encode(&m, meta, meta_len);
	if (rc == KDBX_OK)
		snprintf(p->desc, sizeof(p->desc), "%s", ref.desc);
	else
		kdbx_secret_free(secret);
out:
	if (pin != NULL)
		kdbx_secure_free(pin, PIN_MAX);
	kdbx_fido2__close(&dev);
	free(cfg.device);
	free(cfg.rp_id);
	kdbx_memzero(&m, sizeof(m));
	return rc;
}

static int slot_unlock(kdbx_slot_provider *self, const kdbx_slot_context *ctx, const uint8_t *meta, size_t meta_len,
                       kdbx_secret **secret)
{
	fido2_slot_provider *p = (fido2_slot_provider *)self;
	fido2_cfg cfg = p->cfg;
	fido2_meta m;
	int rc;

	*secret = NULL;
	if ((rc = kdbx_fido2__meta_decode(meta, meta_len, &m)) != KDBX_OK)
		return rc;
	if (ctx != NULL && ctx->interaction != NULL && !cfg.has_cb) {
		cfg.cb = *ctx->interaction;
		cfg.has_cb = true;
	}
	rc = kdbx_fido2__unlock(&cfg, &m, false, secret);
	kdbx_memzero(&m, sizeof(m));
	return rc;
}

static int slot_match(kdbx_slot_provider *self, const uint8_t *meta, size_t meta_len)
{
	fido2_slot_provider *p = (fido2_slot_provider *)self;
	fido2_meta m;
	int rc;

	if ((rc = kdbx_fido2__meta_decode(meta, meta_len, &m)) != KDBX_OK)
		return rc;
	return kdbx_fido2__match(&p->cfg, &m);
}

static int slot_device_id(kdbx_slot_provider *self, const uint8_t *meta, size_t meta_len, char *buf, size_t buflen)
{
	fido2_meta m;
	int rc;

	(void)self;
	if ((rc = kdbx_fido2__meta_decode(meta, meta_len, &m)) != KDBX_OK)
		return rc;
	return kdbx_fido2__meta_device_id(&m, buf, buflen);
}

static int slot_describe(kdbx_slot_provider *self, char *buf, size_t buflen)
{
	fido2_slot_provider *p = (fido2_slot_provider *)self;

	if (p->desc[0] != '\0')
		snprintf(buf, buflen, "%s", p->desc);
	else if (p->cfg.device != NULL)
		snprintf(buf, buflen, "FIDO2 device %s", p->cfg.device);
	else
		snprintf(buf, buflen, "FIDO2 device (hmac-secret)");
	return KDBX_OK;
}

static void slot_free(kdbx_slot_provider *self)
{
	fido2_slot_provider *p = (fido2_slot_provider *)self;

	kdbx_fido2__cfg_clear(&p->cfg);
	free(p);
}

int kdbx_fido2_slot_provider_new(kdbx_slot_provider **out, const kdbx_fido2_options *opts)
{
	fido2_slot_provider *p;
	int rc;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_fido2_slot_provider_new: invalid argument");
	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	if ((rc = kdbx_fido2__cfg_init(&p->cfg, opts)) != KDBX_OK) {
		free(p);
		return rc;
	}
	p->parent.version = KDBX_SLOT_PROVIDER_VERSION;
	p->parent.type = "fido2";
	p->parent.flags = KDBX_SLOT_PROVIDER_INTERACTIVE;
	p->parent.describe = slot_describe;
	p->parent.enrol = slot_enrol;
	p->parent.unlock = slot_unlock;
	p->parent.match = slot_match;
	p->parent.rewrap_offline = NULL; /* symmetric: the device must answer */
	p->parent.device_id = slot_device_id;
	p->parent.free = slot_free;
	*out = &p->parent;
	return KDBX_OK;
}
