/* Slot providers: the set callers pass in, and the adapters that make a slot
 * provider out of a challenge-response device (docs/writing-a-provider.md,
 * "Slot providers"; metadata layouts in docs/multi-device-format.md 5). */
#include <stdio.h>
#include <stdlib.h>

#include "kdbx/yubikey.h"
#include "slots/slots_internal.h"

void kdbx_slot_provider_free(kdbx_slot_provider **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	if ((*pp)->free != NULL)
		(*pp)->free(*pp);
	*pp = NULL;
}

int kdbx_slot_providers_new(kdbx_slot_providers **out)
{
	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "slot providers: no output");
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	return KDBX_OK;
}

int kdbx_slot_providers_add(kdbx_slot_providers *set, kdbx_slot_provider *p)
{
	kdbx_slot_provider **n;

	if (set == NULL || p == NULL || p->version != KDBX_SLOT_PROVIDER_VERSION || p->type == NULL ||
	    p->enrol == NULL || p->unlock == NULL || p->free == NULL || strlen(p->type) == 0 ||
	    strlen(p->type) > 31)
		return kdbx_error__set(KDBX_EINVALID, "slot provider: unknown version or missing callback");
	n = realloc(set->items, (set->count + 1) * sizeof(*n));
	if (n == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	set->items = n;
	set->items[set->count++] = p;
	return KDBX_OK;
}

void kdbx_slot_providers_free(kdbx_slot_providers **setp)
{
	if (setp == NULL || *setp == NULL)
		return;
	for (size_t i = 0; i < (*setp)->count; i++)
		kdbx_slot_provider_free(&(*setp)->items[i]);
	free((*setp)->items);
	free(*setp);
	*setp = NULL;
}

int kdbx_slots__cr_ask(kdbx_provider *p, const uint8_t *chal, size_t len, kdbx_secret **resp)
{
	uint8_t block[64];
	int rc;

	/* kdbxtool asks through yubikit, which pads with 0x00: the key hashes the
	 * raw salt. Our YubiKey / soft key pad KeePassXC-style (0x20), which
	 * differs only for a salt ending in 0x20; hand those a full 64-byte block
	 * padded the yubikit way so both sides hash the same bytes. */
	if (len == 32 && chal[31] == 0x20 && p != NULL && p->name != NULL &&
	    (strcmp(p->name, "yubikey") == 0 || strcmp(p->name, "softkey") == 0)) {
		memcpy(block, chal, 32);
		memset(block + 32, 0x00, 32);
		rc = kdbx_provider_challenge_response(p, block, sizeof(block), resp);
		kdbx_memzero(block, sizeof(block));
		return rc;
	}
	return kdbx_provider_challenge_response(p, chal, len, resp);
}

/* ---------------- generic challenge-response adapter ---------------- */

#define CR_META_V1 1
#define CR_META_FP 0x01
#define CR_FP_LEN 8

typedef struct cr_adapter {
	kdbx_slot_provider parent;
	kdbx_provider *cr;
	unsigned int flags;
	char type[32];
	uint8_t fp[CR_FP_LEN];
	bool have_fp;
} cr_adapter;

/* 8 bytes of the device's answer to a fixed, domain-separated challenge: lets
 * match() recognise a non-interactive key without trial. It opens no slot
 * (slots use their own random challenges). */
static int cr_fingerprint(cr_adapter *a)
{
	static const char fixed[] = "kdbx-slot-fingerprint-v1";
	kdbx_secret *r = NULL;
	int rc;

	if (a->have_fp)
		return KDBX_OK;
	rc = kdbx_provider_challenge_response(a->cr, (const uint8_t *)fixed, sizeof(fixed) - 1, &r);
	if (rc != KDBX_OK)
		return rc;
	if (kdbx_secret_len(r) < CR_FP_LEN) {
		kdbx_secret_free(&r);
		return kdbx_error__set(KDBX_EDEVICE, "device answer too short");
	}
	memcpy(a->fp, kdbx_secret_data(r), CR_FP_LEN);
	a->have_fp = true;
	kdbx_secret_free(&r);
	return KDBX_OK;
}

static int cr_describe(kdbx_slot_provider *self, char *buf, size_t buflen)
{
	return kdbx_provider_describe(((cr_adapter *)self)->cr, buf, buflen);
}

static int cr_parse(const uint8_t *meta, size_t len, const uint8_t **chal, const uint8_t **fp)
{
	if (meta == NULL || len < 2)
		return kdbx_error__set(KDBX_ECORRUPT, "challenge-response slot metadata truncated");
	if (meta[0] != CR_META_V1)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "challenge-response slot metadata version %u", meta[0]);
	if (len != (size_t)(2 + 32 + ((meta[1] & CR_META_FP) ? CR_FP_LEN : 0)) || (meta[1] & ~CR_META_FP) != 0)
		return kdbx_error__set(KDBX_ECORRUPT, "challenge-response slot metadata damaged");
	*chal = meta + 2;
	*fp = (meta[1] & CR_META_FP) ? meta + 34 : NULL;
	return KDBX_OK;
}

static int cr_enrol(kdbx_slot_provider *self, const kdbx_slot_context *ctx, uint8_t **meta,
                    size_t *meta_len, kdbx_secret **secret)
{
	cr_adapter *a = (cr_adapter *)self;
	bool fp = (a->flags & KDBX_CR_ADAPTER_FINGERPRINT) != 0;
	uint8_t *m;
	int rc;

	if (ctx == NULL || ctx->nonce == NULL || ctx->nonce_len != 32)
		return kdbx_error__set(KDBX_EINVALID, "enrol: no challenge");
	if (fp && (rc = cr_fingerprint(a)) != KDBX_OK)
		return rc;
	if ((rc = kdbx_provider_challenge_response(a->cr, ctx->nonce, 32, secret)) != KDBX_OK)
		return rc;
	if ((m = malloc(2 + 32 + CR_FP_LEN)) == NULL) {
		kdbx_secret_free(secret);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	m[0] = CR_META_V1;
	m[1] = fp ? CR_META_FP : 0;
	memcpy(m + 2, ctx->nonce, 32);
	if (fp)
		memcpy(m + 34, a->fp, CR_FP_LEN);
	*meta = m;
	*meta_len = 2 + 32 + (fp ? CR_FP_LEN : 0);
	return KDBX_OK;
}

static int cr_unlock(kdbx_slot_provider *self, const kdbx_slot_context *ctx, const uint8_t *meta,
                     size_t meta_len, kdbx_secret **secret)
{
	cr_adapter *a = (cr_adapter *)self;
	const uint8_t *chal = NULL, *fp = NULL;
	int rc;

	(void)ctx;
	if ((rc = cr_parse(meta, meta_len, &chal, &fp)) != KDBX_OK)
		return rc;
	return kdbx_provider_challenge_response(a->cr, chal, 32, secret);
}

static int cr_match(kdbx_slot_provider *self, const uint8_t *meta, size_t meta_len)
{
	cr_adapter *a = (cr_adapter *)self;
	const uint8_t *chal = NULL, *fp = NULL;

	if (cr_parse(meta, meta_len, &chal, &fp) != KDBX_OK) {
		kdbx_error_clear();
		return KDBX_SLOT_MATCH_NO;
	}
	if (fp == NULL || !(a->flags & KDBX_CR_ADAPTER_FINGERPRINT))
		return KDBX_SLOT_MATCH_MAYBE;
	if (cr_fingerprint(a) != KDBX_OK) {
		kdbx_error_clear();
		return KDBX_SLOT_MATCH_NO;
	}
	return kdbx_ct_equal(fp, a->fp, CR_FP_LEN) ? KDBX_SLOT_MATCH_YES : KDBX_SLOT_MATCH_NO;
}

static int cr_device_id(kdbx_slot_provider *self, const uint8_t *meta, size_t meta_len, char *buf,
                        size_t buflen)
{
	const uint8_t *chal = NULL, *fp = NULL;
	char hex[2 * CR_FP_LEN + 1];

	if (cr_parse(meta, meta_len, &chal, &fp) != KDBX_OK)
		return kdbx_error_last_code();
	if (fp == NULL) {
		snprintf(buf, buflen, "%s", self->type);
		return KDBX_OK;
	}
	kdbx_hex_encode(hex, fp, CR_FP_LEN, false);
	snprintf(buf, buflen, "%s:%s", self->type, hex);
	return KDBX_OK;
}

static void cr_free(kdbx_slot_provider *self)
{
	cr_adapter *a = (cr_adapter *)self;

	if (a->flags & KDBX_CR_ADAPTER_OWN)
		kdbx_provider_free(&a->cr);
	kdbx_memzero(a->fp, sizeof(a->fp));
	free(a);
}

int kdbx_slot_provider_from_cr(kdbx_slot_provider **out, kdbx_provider *cr, const char *type,
                               unsigned int flags)
{
	cr_adapter *a;

	if (out == NULL || cr == NULL || cr->version != KDBX_PROVIDER_VERSION ||
	    (type != NULL && (strlen(type) == 0 || strlen(type) > 31)))
		return kdbx_error__set(KDBX_EINVALID, "slot adapter: invalid argument");
	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	snprintf(a->type, sizeof(a->type), "%s",
	         type != NULL ? type : (cr->name != NULL && strcmp(cr->name, "softkey") == 0) ? "softkey" : "cr");
	a->cr = cr;
	a->flags = flags;
	a->parent.version = KDBX_SLOT_PROVIDER_VERSION;
	a->parent.type = a->type;
	a->parent.flags = (flags & KDBX_CR_ADAPTER_FINGERPRINT) ? 0 : KDBX_SLOT_PROVIDER_INTERACTIVE;
	a->parent.describe = cr_describe;
	a->parent.enrol = cr_enrol;
	a->parent.unlock = cr_unlock;
	a->parent.match = cr_match;
	a->parent.device_id = cr_device_id;
	a->parent.free = cr_free;
	*out = &a->parent;
	return KDBX_OK;
}

/* ---------------- YubiKey adapter ---------------- */

#define YK_META_V1 1
#define YK_META_LEN (1 + 1 + 4 + 32)

typedef struct yk_adapter {
	kdbx_slot_provider parent;
	int slot;
	uint32_t serial;
	kdbx_interaction cb;
	bool has_cb;
} yk_adapter;

static int yk_parse(const uint8_t *meta, size_t len, int *slot, uint32_t *serial, const uint8_t **chal)
{
	if (meta == NULL || len < 1)
		return kdbx_error__set(KDBX_ECORRUPT, "YubiKey slot metadata truncated");
	if (meta[0] != YK_META_V1)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "YubiKey slot metadata version %u", meta[0]);
	if (len != YK_META_LEN || (meta[1] != 1 && meta[1] != 2))
		return kdbx_error__set(KDBX_ECORRUPT, "YubiKey slot metadata damaged");
	*slot = meta[1];
	*serial = kdbx_le32(meta + 2);
	*chal = meta + 6;
	return KDBX_OK;
}

static const kdbx_interaction *yk_cb(yk_adapter *a, const kdbx_slot_context *ctx)
{
	if (ctx != NULL && ctx->interaction != NULL)
		return ctx->interaction;
	return a->has_cb ? &a->cb : NULL;
}

static int yk_describe(kdbx_slot_provider *self, char *buf, size_t buflen)
{
	yk_adapter *a = (yk_adapter *)self;

	snprintf(buf, buflen, "YubiKey [%u] slot %d", (unsigned)a->serial, a->slot);
	return KDBX_OK;
}

static int yk_enrol(kdbx_slot_provider *self, const kdbx_slot_context *ctx, uint8_t **meta,
                    size_t *meta_len, kdbx_secret **secret)
{
	yk_adapter *a = (yk_adapter *)self;
	kdbx_yubikey_info *list = NULL;
	kdbx_provider *p = NULL;
	size_t n = 0;
	uint32_t serial = a->serial;
	uint8_t *m;
	int rc;

	if (ctx == NULL || ctx->nonce == NULL || ctx->nonce_len != 32)
		return kdbx_error__set(KDBX_EINVALID, "enrol: no challenge");
	if (serial == 0) {
		/* Store the real serial so unlock finds this key among several. */
		if ((rc = kdbx_yubikey_list(&list, &n)) != KDBX_OK)
			return rc;
		if (n == 1)
			serial = list[0].serial;
		kdbx_yubikey_list_free(&list);
	}
	if ((rc = kdbx_yubikey_new(&p, a->slot, serial, yk_cb(a, ctx))) != KDBX_OK)
		return rc;
	rc = kdbx_provider_challenge_response(p, ctx->nonce, 32, secret);
	kdbx_provider_free(&p);
	if (rc != KDBX_OK)
		return rc;
	if ((m = malloc(YK_META_LEN)) == NULL) {
		kdbx_secret_free(secret);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	m[0] = YK_META_V1;
	m[1] = (uint8_t)a->slot;
	kdbx_put_le32(m + 2, serial);
	memcpy(m + 6, ctx->nonce, 32);
	*meta = m;
	*meta_len = YK_META_LEN;
	return KDBX_OK;
}

static int yk_unlock(kdbx_slot_provider *self, const kdbx_slot_context *ctx, const uint8_t *meta,
                     size_t meta_len, kdbx_secret **secret)
{
	yk_adapter *a = (yk_adapter *)self;
	kdbx_provider *p = NULL;
	const uint8_t *chal = NULL;
	uint32_t serial = 0;
	int slot = 0, rc;

	if ((rc = yk_parse(meta, meta_len, &slot, &serial, &chal)) != KDBX_OK)
		return rc;
	if ((rc = kdbx_yubikey_new(&p, slot, serial, yk_cb(a, ctx))) != KDBX_OK)
		return rc;
	rc = kdbx_provider_challenge_response(p, chal, 32, secret);
	kdbx_provider_free(&p);
	return rc;
}

static int yk_match(kdbx_slot_provider *self, const uint8_t *meta, size_t meta_len)
{
	kdbx_yubikey_info *list = NULL;
	const uint8_t *chal = NULL;
	uint32_t serial = 0;
	size_t n = 0;
	int slot = 0, res = KDBX_SLOT_MATCH_NO;

	(void)self;
	if (yk_parse(meta, meta_len, &slot, &serial, &chal) != KDBX_OK ||
	    kdbx_yubikey_list(&list, &n) != KDBX_OK) {
		kdbx_error_clear();
		return KDBX_SLOT_MATCH_NO;
	}
	for (size_t i = 0; i < n; i++) {
		bool configured = (list[i].slots & (1u << (slot - 1))) != 0 || list[i].slots == 0;
		if (serial != 0 && list[i].serial == serial && configured)
			res = KDBX_SLOT_MATCH_YES;
		else if (serial == 0 && n == 1 && configured)
			res = KDBX_SLOT_MATCH_MAYBE; /* serial hidden: the only key may be it */
	}
	kdbx_yubikey_list_free(&list);
	return res;
}

static int yk_device_id(kdbx_slot_provider *self, const uint8_t *meta, size_t meta_len, char *buf,
                        size_t buflen)
{
	const uint8_t *chal = NULL;
	uint32_t serial = 0;
	int slot = 0, rc;

	(void)self;
	if ((rc = yk_parse(meta, meta_len, &slot, &serial, &chal)) != KDBX_OK)
		return rc;
	snprintf(buf, buflen, "yubikey:%u/%d", (unsigned)serial, slot);
	return KDBX_OK;
}

static void yk_free(kdbx_slot_provider *self)
{
	free(self);
}

int kdbx_yubikey_slot_provider_new(kdbx_slot_provider **out, int slot, uint32_t serial,
                                   const kdbx_interaction *cb)
{
	yk_adapter *a;

	if (out == NULL || (slot != 1 && slot != 2))
		return kdbx_error__set(KDBX_EINVALID, "YubiKey slot provider: slot must be 1 or 2");
	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	a->slot = slot;
	a->serial = serial;
	if (cb != NULL) {
		a->cb = *cb;
		a->has_cb = true;
	}
	a->parent.version = KDBX_SLOT_PROVIDER_VERSION;
	a->parent.type = "yubikey-hmac";
	a->parent.flags = KDBX_SLOT_PROVIDER_INTERACTIVE;
	a->parent.describe = yk_describe;
	a->parent.enrol = yk_enrol;
	a->parent.unlock = yk_unlock;
	a->parent.match = yk_match;
	a->parent.device_id = yk_device_id;
	a->parent.free = yk_free;
	*out = &a->parent;
	return KDBX_OK;
}

int kdbx_slots__cr_of(kdbx_slot_provider *sp, kdbx_provider **cr, bool *owned)
{
	*cr = NULL;
	*owned = false;
	if (sp == NULL)
		return KDBX_ENOTFOUND;
	if (sp->enrol == cr_enrol) {
		*cr = ((cr_adapter *)sp)->cr;
		return KDBX_OK;
	}
	if (sp->enrol == yk_enrol) {
		yk_adapter *a = (yk_adapter *)sp;
		int rc = kdbx_yubikey_new(cr, a->slot, a->serial, a->has_cb ? &a->cb : NULL);
		*owned = rc == KDBX_OK;
		return rc;
	}
	return KDBX_ENOTFOUND;
}
