/* FIDO2 device access through libfido2: enumeration (USB HID manifest or a
 * caller's device source), opening, GetInfo features, PIN prompts and the
 * mapping of CTAP / libfido2 errors to typed KDBX errors. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/fido2_int.h"

#define MANIFEST_MAX 64

static pthread_once_t fido_once = PTHREAD_ONCE_INIT;

static void fido_setup(void)
{
	/* No U2F fallback: hmac-secret needs CTAP2. */
	fido_init(FIDO_DISABLE_U2F_FALLBACK);
}

static int tri(int v, int def)
{
	return v == KDBX_FIDO2_YES || v == KDBX_FIDO2_NO ? v : def;
}

int kdbx_fido2__cfg_init(fido2_cfg *cfg, const kdbx_fido2_options *opts)
{
	memset(cfg, 0, sizeof(*cfg));
	(void)pthread_once(&fido_once, fido_setup);
	cfg->pin = cfg->uv = cfg->up = KDBX_FIDO2_AUTO;
	if (opts == NULL)
		return KDBX_OK;
	if (opts->version != KDBX_FIDO2_OPTIONS_VERSION)
		return kdbx_error__set(KDBX_EINVALID, "fido2: unknown options version %u", opts->version);
	if ((opts->device != NULL && (cfg->device = kdbx_strdup(opts->device)) == NULL) ||
	    (opts->rp_id != NULL && (cfg->rp_id = kdbx_strdup(opts->rp_id)) == NULL)) {
		kdbx_fido2__cfg_clear(cfg);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	if (opts->rp_id != NULL && (opts->rp_id[0] == '\0' || strlen(opts->rp_id) > 255)) {
		kdbx_fido2__cfg_clear(cfg);
		return kdbx_error__set(KDBX_EINVALID, "fido2: rp id must be 1..255 bytes");
	}
	cfg->pin = tri(opts->pin, KDBX_FIDO2_AUTO);
	cfg->uv = tri(opts->uv, KDBX_FIDO2_AUTO);
	cfg->up = tri(opts->up, KDBX_FIDO2_AUTO);
	cfg->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 0;
	if (opts->interaction != NULL) {
		cfg->cb = *opts->interaction;
		cfg->has_cb = true;
	}
	if (opts->source != NULL) {
		if (opts->source->count == NULL || opts->source->open == NULL) {
			kdbx_fido2__cfg_clear(cfg);
			return kdbx_error__set(KDBX_EINVALID, "fido2: device source needs count and open");
		}
		cfg->source = *opts->source;
		cfg->has_source = true;
	}
	return KDBX_OK;
}

void kdbx_fido2__cfg_clear(fido2_cfg *cfg)
{
	free(cfg->device);
	free(cfg->rp_id);
	memset(cfg, 0, sizeof(*cfg));
}

static int add_ref(fido2_devref **list, size_t *n, const char *path, const char *product, size_t index)
{
	fido2_devref *l = realloc(*list, (*n + 1) * sizeof(**list));

	if (l == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	*list = l;
	memset(&l[*n], 0, sizeof(l[*n]));
	snprintf(l[*n].path, sizeof(l[*n].path), "%s", path);
	if (product != NULL && product[0] != '\0')
		snprintf(l[*n].desc, sizeof(l[*n].desc), "%.120s (%.70s)", product, path);
	else
		snprintf(l[*n].desc, sizeof(l[*n].desc), "FIDO2 device %.180s", path);
	l[*n].index = index;
	(*n)++;
	return KDBX_OK;
}

int kdbx_fido2__enumerate(const fido2_cfg *cfg, fido2_devref **out, size_t *n)
{
	fido2_devref *list = NULL;
	size_t cnt = 0;
	int rc = KDBX_OK;

	*out = NULL;
	*n = 0;
	if (cfg->has_source) {
		size_t total = cfg->source.count(cfg->source.userdata);
		for (size_t i = 0; i < total && rc == KDBX_OK; i++) {
			char path[256] = "";
			if (cfg->source.path == NULL || cfg->source.path(cfg->source.userdata, i, path, sizeof(path)) < 0)
				snprintf(path, sizeof(path), "source:%zu", i);
			path[sizeof(path) - 1] = '\0';
			if (cfg->device != NULL && strcmp(cfg->device, path) != 0)
				continue;
			rc = add_ref(&list, &cnt, path, NULL, i);
		}
	} else {
		fido_dev_info_t *info = fido_dev_info_new(MANIFEST_MAX);
		size_t found = 0;
		if (info == NULL)
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		/* FIDO_ERR_INTERNAL here means "no HID access / no devices". */
		if (fido_dev_info_manifest(info, MANIFEST_MAX, &found) != FIDO_OK)
			found = 0;
		for (size_t i = 0; i < found && rc == KDBX_OK; i++) {
			const fido_dev_info_t *di = fido_dev_info_ptr(info, i);
			const char *path = fido_dev_info_path(di);
			if (path == NULL || (cfg->device != NULL && strcmp(cfg->device, path) != 0))
				continue;
			rc = add_ref(&list, &cnt, path, fido_dev_info_product_string(di), i);
		}
		fido_dev_info_free(&info, MANIFEST_MAX);
		/* A path that the manifest does not show (e.g. another transport
		 * libfido2 opens by path) is still tried. */
		if (rc == KDBX_OK && cnt == 0 && cfg->device != NULL)
			rc = add_ref(&list, &cnt, cfg->device, NULL, 0);
	}
	if (rc != KDBX_OK) {
		free(list);
		return rc;
	}
	*out = list;
	*n = cnt;
	return KDBX_OK;
}

int kdbx_fido2__enumerate_connected(const fido2_cfg *cfg, fido2_devref **out, size_t *n)
{
	int rc;

	if ((rc = kdbx_fido2__enumerate(cfg, out, n)) != KDBX_OK)
		return rc;
	if (*n == 0) {
		free(*out);
		*out = NULL;
		return kdbx_error__set(KDBX_EDEVICE, cfg->device != NULL ? "FIDO2 device %s is not connected"
		                                                         : "no FIDO2 device is connected%s",
		                       cfg->device != NULL ? cfg->device : "");
	}
	return KDBX_OK;
}

int kdbx_fido2__open(const fido2_cfg *cfg, const fido2_devref *ref, fido_dev_t **dev)
{
	fido_dev_t *d = NULL;
	int r;

	*dev = NULL;
	if (cfg->has_source) {
		void *p = NULL;
		int rc = cfg->source.open(cfg->source.userdata, ref->index, &p);
		if (rc < 0 || p == NULL)
			return rc < 0 ? rc : kdbx_error__set(KDBX_EDEVICE, "%s: cannot open", ref->desc);
		d = p;
	} else {
		if ((d = fido_dev_new()) == NULL)
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		if ((r = fido_dev_open(d, ref->path)) != FIDO_OK) {
			fido_dev_free(&d);
			return kdbx_error__set(KDBX_EDEVICE, "%s: cannot open it (not connected, not a FIDO "
			                       "device, or no permission: %s)", ref->desc, fido_strerr(r));
		}
	}
	if (cfg->timeout_ms > 0)
		(void)fido_dev_set_timeout(d, cfg->timeout_ms);
	*dev = d;
	return KDBX_OK;
}

void kdbx_fido2__close(fido_dev_t **dev)
{
	if (dev == NULL || *dev == NULL)
		return;
	(void)fido_dev_close(*dev);
	fido_dev_free(dev);
}

int kdbx_fido2__info(fido_dev_t *dev, bool *hmac_secret, bool *always_uv, int *protocols)
{
	fido_cbor_info_t *ci = fido_cbor_info_new();
	int r;

	*hmac_secret = false;
	if (always_uv != NULL)
		*always_uv = false;
	if (protocols != NULL)
		*protocols = 0;
	if (ci == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	if (!fido_dev_is_fido2(dev)) {
		fido_cbor_info_free(&ci);
		return KDBX_OK;
	}
	if ((r = fido_dev_get_cbor_info(dev, ci)) != FIDO_OK) {
		fido_cbor_info_free(&ci);
		return kdbx_error__set(KDBX_EDEVICE, "FIDO2 GetInfo failed: %s", fido_strerr(r));
	}
	{
		char **ext = fido_cbor_info_extensions_ptr(ci);
		for (size_t i = 0; i < fido_cbor_info_extensions_len(ci); i++)
			if (ext[i] != NULL && strcmp(ext[i], "hmac-secret") == 0)
				*hmac_secret = true;
	}
	if (always_uv != NULL) {
		char **names = fido_cbor_info_options_name_ptr(ci);
		const bool *vals = fido_cbor_info_options_value_ptr(ci);
		for (size_t i = 0; i < fido_cbor_info_options_len(ci); i++)
			if (names[i] != NULL && strcmp(names[i], "alwaysUv") == 0 && vals[i])
				*always_uv = true;
	}
	if (protocols != NULL) {
		const uint8_t *p = fido_cbor_info_protocols_ptr(ci);
		for (size_t i = 0; i < fido_cbor_info_protocols_len(ci); i++)
			if (p[i] == 1 || p[i] == 2)
				*protocols |= 1 << (p[i] - 1);
	}
	fido_cbor_info_free(&ci);
	return KDBX_OK;
}

static int retries_of(fido_dev_t *dev)
{
	int n = -1;

	if (dev == NULL || fido_dev_get_retry_count(dev, &n) != FIDO_OK)
		return -1;
	return n;
}

int kdbx_fido2__error(int r, const char *what, fido_dev_t *dev, const fido2_devref *ref)
{
	const char *d = ref != NULL ? ref->desc : "FIDO2 device";
	int n;

	kdbx_log_debug("%s: %s: %s (%d)", __func__, what, fido_strerr(r), r);
	switch (r) {
	case FIDO_ERR_NO_CREDENTIALS:
	case FIDO_ERR_INVALID_CREDENTIAL:
		return kdbx_error__set(KDBX_ENOSLOT, "%s: %s does not hold this credential", what, d);
	case FIDO_ERR_PIN_INVALID:
		n = retries_of(dev);
		if (n == 0)
			return kdbx_error__set(KDBX_EPINLOCKED, "%s: wrong PIN for %s; the PIN is now blocked "
			                       "(reset the device: its credentials are lost)", what, d);
		if (n > 0)
			return kdbx_error__set(KDBX_EPIN, "%s: wrong PIN for %s (%d %s left)", what, d, n,
			                       n == 1 ? "retry" : "retries");
		return kdbx_error__set(KDBX_EPIN, "%s: wrong PIN for %s", what, d);
	case FIDO_ERR_PIN_BLOCKED:
		return kdbx_error__set(KDBX_EPINLOCKED, "%s: the PIN of %s is blocked (reset the device: its "
		                       "credentials are lost)", what, d);
	case FIDO_ERR_PIN_AUTH_BLOCKED:
		return kdbx_error__set(KDBX_EPINLOCKED, "%s: too many wrong PINs in a row on %s: remove and "
		                       "reinsert it before the next try", what, d);
	case FIDO_ERR_PIN_REQUIRED:
	case FIDO_ERR_PIN_NOT_SET:
		return kdbx_error__set(KDBX_EPIN, "%s: %s needs user verification (PIN) for this", what, d);
	case FIDO_ERR_PIN_POLICY_VIOLATION:
		return kdbx_error__set(KDBX_EINVALID, "%s: the PIN does not meet the policy of %s", what, d);
	case FIDO_ERR_UV_BLOCKED:
		return kdbx_error__set(KDBX_EPINLOCKED, "%s: built-in user verification of %s is blocked "
		                       "(use the PIN once to unblock it)", what, d);
	case FIDO_ERR_UV_INVALID:
		return kdbx_error__set(KDBX_EPIN, "%s: %s did not recognise the user (fingerprint)", what, d);
	case FIDO_ERR_ACTION_TIMEOUT:
	case FIDO_ERR_USER_ACTION_TIMEOUT:
	case FIDO_ERR_TIMEOUT:
		return kdbx_error__set(KDBX_ETIMEOUT, "%s: %s was not touched in time", what, d);
	case FIDO_ERR_KEEPALIVE_CANCEL:
	case FIDO_ERR_OPERATION_DENIED:
		return kdbx_error__set(KDBX_ECANCELLED, "%s: cancelled on %s", what, d);
	case FIDO_ERR_UNSUPPORTED_EXTENSION:
		return kdbx_error__set(KDBX_EUNSUPPORTED, "%s: %s does not support hmac-secret", what, d);
	case FIDO_ERR_UNSUPPORTED_OPTION:
	case FIDO_ERR_INVALID_OPTION:
		return kdbx_error__set(KDBX_EUNSUPPORTED, "%s: %s refuses the requested options (%s)", what, d,
		                       fido_strerr(r));
	case FIDO_ERR_UNSUPPORTED_ALGORITHM:
		return kdbx_error__set(KDBX_EUNSUPPORTED, "%s: %s does not support ES256 credentials", what, d);
	case FIDO_ERR_RX:
		/* libfido2 reports its own wait timeout as an rx failure. */
		return kdbx_error__set(KDBX_ETIMEOUT, "%s: no answer from %s (timeout or removed)", what, d);
	default:
		return kdbx_error__set(KDBX_EDEVICE, "%s: %s failed: %s", what, d, fido_strerr(r));
	}
}

int kdbx_fido2__ask_pin(const fido2_cfg *cfg, fido_dev_t *dev, const fido2_devref *ref, char *pin, size_t len)
{
	char prompt[256];
	int n = retries_of(dev), rc;

	if (n == 0)
		return kdbx_error__set(KDBX_EPINLOCKED, "the PIN of %s is blocked (reset the device: its "
		                       "credentials are lost)", ref->desc);
	if (!cfg->has_cb || cfg->cb.pin == NULL)
		return kdbx_error__set(KDBX_EPIN, "%s needs its PIN and no PIN callback was given", ref->desc);
	snprintf(prompt, sizeof(prompt), "PIN of %s", ref->desc);
	memset(pin, 0, len);
	rc = cfg->cb.pin(cfg->cb.userdata, prompt, n, pin, len);
	pin[len - 1] = '\0';
	if (rc != 0) {
		kdbx_memzero(pin, len);
		return kdbx_error__set(KDBX_ECANCELLED, "PIN entry cancelled");
	}
	if (pin[0] == '\0')
		return kdbx_error__set(KDBX_ECANCELLED, "empty PIN: cancelled");
	return KDBX_OK;
}
