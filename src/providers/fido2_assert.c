/* FIDO2 assertions: the silent pre-flight that tells whether a device holds
 * a credential, the hmac-secret assertion that yields a slot's secret, and
 * the device search of unlock (hwdesign-notes 1.2: systemd's approach). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/fido2_int.h"

#define PIN_MAX 256
#define AUTHDATA_UV 0x04

static int new_assert(const fido2_meta *m, fido_assert_t **out)
{
	fido_assert_t *a = fido_assert_new();
	uint8_t cdh[32];
	int r;

	*out = NULL;
	if (a == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	/* No web origin: the client data hash only has to be fresh. */
	if (kdbx_random(cdh, sizeof(cdh)) != KDBX_OK) {
		fido_assert_free(&a);
		return KDBX_ERROR;
	}
	if ((r = fido_assert_set_clientdata_hash(a, cdh, sizeof(cdh))) != FIDO_OK ||
	    (r = fido_assert_set_rp(a, m->rp)) != FIDO_OK || (r = fido_assert_allow_cred(a, m->cred, m->cred_len)) != FIDO_OK) {
		fido_assert_free(&a);
		return kdbx_error__set(KDBX_EINVALID, "fido2: cannot build the assertion (%s)", fido_strerr(r));
	}
	*out = a;
	return KDBX_OK;
}

int kdbx_fido2__preflight(const fido2_cfg *cfg, fido_dev_t *dev, const fido2_meta *m)
{
	fido_assert_t *a = NULL;
	int r;

	(void)cfg;
	if (new_assert(m, &a) != KDBX_OK) {
		kdbx_error_clear();
		return FIDO_ERR_INTERNAL;
	}
	r = fido_assert_set_up(a, FIDO_OPT_FALSE);
	if (r == FIDO_OK)
		r = fido_dev_get_assert(dev, a, NULL);
	fido_assert_free(&a);
	return r;
}

int kdbx_fido2__secret(const fido2_cfg *cfg, fido_dev_t *dev, const fido2_devref *ref, const fido2_meta *m,
                       const char *pin, kdbx_secret **out)
{
	fido_assert_t *a = NULL;
	bool want_uv = (m->flags & (FIDO2_F_UV | FIDO2_F_PIN)) != 0;
	int r, rc;

	*out = NULL;
	if ((rc = new_assert(m, &a)) != KDBX_OK)
		return rc;
	if ((r = fido_assert_set_extensions(a, FIDO_EXT_HMAC_SECRET)) != FIDO_OK ||
	    (r = fido_assert_set_hmac_salt(a, m->salt, sizeof(m->salt))) != FIDO_OK ||
	    (r = fido_assert_set_up(a, (m->flags & FIDO2_F_UP) ? FIDO_OPT_TRUE : FIDO_OPT_FALSE)) != FIDO_OK ||
	    (r = fido_assert_set_uv(a, (m->flags & FIDO2_F_UV) && pin == NULL ? FIDO_OPT_TRUE : FIDO_OPT_OMIT)) != FIDO_OK) {
		fido_assert_free(&a);
		return kdbx_error__set(KDBX_EINVALID, "fido2: cannot build the assertion (%s)", fido_strerr(r));
	}
	/* The pre-flight found the device (or UV is required): it will wait now. */
	if ((m->flags & FIDO2_F_UP) && cfg->has_cb && cfg->cb.touch != NULL)
		cfg->cb.touch(cfg->cb.userdata, ref->desc);
	r = fido_dev_get_assert(dev, a, pin);
	if (r != FIDO_OK) {
		rc = kdbx_fido2__error(r, "fido2 unlock", dev, ref);
		goto out;
	}
	if (fido_assert_count(a) != 1 || fido_assert_hmac_secret_len(a, 0) != 32) {
		rc = kdbx_error__set(KDBX_EUNSUPPORTED, "%s gave no hmac-secret output (extension missing)", ref->desc);
		goto out;
	}
	/* The secret depends on whether UV happened: never return the other one. */
	if (((fido_assert_flags(a, 0) & AUTHDATA_UV) != 0) != want_uv) {
		rc = kdbx_error__set(KDBX_EUNSUPPORTED, "%s: user verification mode differs from the enrolment "
		                     "(slot: %s; device %s): the secret would not match",
		                     ref->desc, want_uv ? "PIN/UV required" : "no PIN/UV",
		                     want_uv ? "did not verify the user" : "verified the user anyway");
		goto out;
	}
	rc = kdbx_secret_new(out, fido_assert_hmac_secret_ptr(a, 0), 32);
out:
	fido_assert_free(&a); /* libfido2 wipes the hmac-secret on free */
	return rc;
}

/* Requirements of m that the device cannot meet (before any PIN or touch). */
static int check_modes(fido_dev_t *dev, const fido2_devref *ref, const fido2_meta *m, bool pin_auto)
{
	bool hmac = false, always_uv = false;
	int rc;

	if ((rc = kdbx_fido2__info(dev, &hmac, &always_uv, NULL)) != KDBX_OK)
		return rc;
	if (!hmac)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "%s does not support the hmac-secret extension", ref->desc);
	if ((m->flags & FIDO2_F_PIN) && !pin_auto && !fido_dev_has_pin(dev))
		return kdbx_error__set(KDBX_EUNSUPPORTED, "%s has no PIN set, but this slot was enrolled with the "
		                       "PIN (user verification mode mismatch)", ref->desc);
	if ((m->flags & FIDO2_F_UV) && !fido_dev_has_uv(dev))
		return kdbx_error__set(KDBX_EUNSUPPORTED, "%s has no built-in user verification configured, but this "
		                       "slot was enrolled with it (user verification mode mismatch)", ref->desc);
	if (!(m->flags & (FIDO2_F_PIN | FIDO2_F_UV)) && always_uv && !pin_auto)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "%s now always verifies the user (alwaysUv), but this slot "
		                       "was enrolled without PIN/UV: the secret would differ", ref->desc);
	return KDBX_OK;
}

/* Asks device dev for m's secret: modes, then the PIN (once), then the assertion. */
static int ask_device(const fido2_cfg *cfg, fido_dev_t *dev, const fido2_devref *ref, const fido2_meta *m,
                      bool pin_auto, kdbx_secret **out)
{
	fido2_meta mm = *m;
	char *pin = NULL;
	int rc;

	if ((rc = check_modes(dev, ref, m, pin_auto)) != KDBX_OK)
		return rc;
	if (pin_auto) {
		mm.flags &= (uint8_t)~FIDO2_F_PIN;
		if (fido_dev_has_pin(dev))
			mm.flags |= FIDO2_F_PIN;
	}
	if (mm.flags & FIDO2_F_PIN) {
		if ((pin = kdbx_secure_alloc(PIN_MAX)) == NULL)
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		if ((rc = kdbx_fido2__ask_pin(cfg, dev, ref, pin, PIN_MAX)) != KDBX_OK)
			goto out;
	}
	rc = kdbx_fido2__secret(cfg, dev, ref, &mm, pin, out);
out:
	if (pin != NULL)
		kdbx_secure_free(pin, PIN_MAX);
	kdbx_memzero(&mm, sizeof(mm));
	return rc;
}

int kdbx_fido2__unlock(const fido2_cfg *cfg, const fido2_meta *m, bool pin_auto, kdbx_secret **out)
{
	fido2_devref *refs = NULL;
	size_t n = 0, checked = 0;
	bool need_uv = (m->flags & FIDO2_F_UV) != 0;
	int rc, last = KDBX_OK;
	char lastmsg[256] = "";

	*out = NULL;
	if ((rc = kdbx_fido2__enumerate_connected(cfg, &refs, &n)) != KDBX_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		fido_dev_t *dev = NULL;
		int r;

		if ((rc = kdbx_fido2__open(cfg, &refs[i], &dev)) != KDBX_OK) {
			last = rc;
			snprintf(lastmsg, sizeof(lastmsg), "%s", kdbx_error_last());
			continue;
		}
		checked++;
		if (!need_uv) {
			/* Silent: no touch, no PIN; only the holder is asked for real. */
			r = kdbx_fido2__preflight(cfg, dev, m);
			if (r == FIDO_ERR_NO_CREDENTIALS || r == FIDO_ERR_INVALID_CREDENTIAL) {
				kdbx_fido2__close(&dev);
				continue;
			}
			if (r != FIDO_OK && r != FIDO_ERR_UNSUPPORTED_OPTION && r != FIDO_ERR_INVALID_OPTION &&
			    r != FIDO_ERR_PIN_REQUIRED) {
				last = kdbx_fido2__error(r, "fido2 pre-flight", dev, &refs[i]);
				snprintf(lastmsg, sizeof(lastmsg), "%s", kdbx_error_last());
				kdbx_fido2__close(&dev);
				continue;
			}
		}
		rc = ask_device(cfg, dev, &refs[i], m, pin_auto, out);
		kdbx_fido2__close(&dev);
		/* With UV required every device is asked in turn; one that does not
		 * hold the credential is skipped. Anything else ends the search:
		 * a PIN is never spent twice. */
		if (rc == KDBX_ENOSLOT) {
			kdbx_error_clear();
			continue;
		}
		free(refs);
		return rc;
	}
	free(refs);
	if (last != KDBX_OK && checked == 0)
		return kdbx_error__set(last, "%s", lastmsg);
	return kdbx_error__set(KDBX_ENOSLOT, "the credential of this FIDO2 slot is on none of the %zu "
	                       "connected FIDO2 device(s)%s%s", n, lastmsg[0] ? "; " : "", lastmsg);
}

int kdbx_fido2__match(const fido2_cfg *cfg, const fido2_meta *m)
{
	fido2_devref *refs = NULL;
	size_t n = 0;
	int res = KDBX_SLOT_MATCH_NO;

	if (kdbx_fido2__enumerate(cfg, &refs, &n) != KDBX_OK) {
		kdbx_error_clear();
		return KDBX_SLOT_MATCH_NO;
	}
	for (size_t i = 0; i < n && res != KDBX_SLOT_MATCH_YES; i++) {
		fido_dev_t *dev = NULL;
		int r;

		if (kdbx_fido2__open(cfg, &refs[i], &dev) != KDBX_OK) {
			kdbx_error_clear();
			continue;
		}
		if (m->flags & FIDO2_F_UV) {
			res = KDBX_SLOT_MATCH_MAYBE; /* no silent check without UV */
		} else {
			r = kdbx_fido2__preflight(cfg, dev, m);
			if (r == FIDO_OK)
				res = KDBX_SLOT_MATCH_YES;
			else if (r != FIDO_ERR_NO_CREDENTIALS && r != FIDO_ERR_INVALID_CREDENTIAL)
				res = KDBX_SLOT_MATCH_MAYBE;
		}
		kdbx_fido2__close(&dev);
	}
	free(refs);
	return res;
}
