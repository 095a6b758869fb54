/* Opening a database through its slots: find the KEK with a connected device
 * (or the recovery key), then open with the KEK in the key
 * (docs/multi-device-format.md 7; kdbxtool-notes 1.8 for mode 2). */
#include <stdio.h>
#include <stdlib.h>

#include "keys/keys_private.h"
#include "model/model.h"
#include "slots/slots_internal.h"

/* Mode 2: one challenge (the shared salt), every entry tried in file order. */
static int kek_mode2(const uint8_t *pcd, size_t len, const kdbx_key *key,
                     const kdbx_slot_open_options *opts, uint8_t kek[32])
{
	kdbxtool_device *devs = NULL;
	size_t nd = 0, bad = 0;
	uint8_t salt[32];
	bool asked = false;
	int rc, last = KDBX_OK;
	kdbx_provider **cands = NULL;
	bool *owned = NULL;
	size_t nc = 0, maxc;

	if ((rc = kdbx_slots__kdbxtool_load(pcd, len, salt, &devs, &nd, &bad)) != KDBX_OK)
		return rc;
	if (nd == 0) {
		rc = bad > 0 ? kdbx_error__set(KDBX_ECORRUPT, "every kdbxtool device entry is damaged")
		             : kdbx_error__set(KDBX_EAUTH, "no device enrolled in this kdbxtool database");
		goto out;
	}
	maxc = key->nproviders + (opts != NULL && opts->providers != NULL ? opts->providers->count : 0);
	cands = calloc(maxc + 1, sizeof(*cands));
	owned = calloc(maxc + 1, sizeof(*owned));
	if (cands == NULL || owned == NULL) {
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < key->nproviders; i++)
		cands[nc++] = key->providers[i];
	for (size_t i = 0; opts != NULL && opts->providers != NULL && i < opts->providers->count; i++) {
		if (kdbx_slots__cr_of(opts->providers->items[i], &cands[nc], &owned[nc]) == KDBX_OK)
			nc++;
		else
			kdbx_error_clear();
	}
	if (nc == 0) {
		rc = kdbx_error__set(KDBX_EDEVICE, "this database needs a challenge-response device "
		                     "(kdbxtool multi-device mode) and none was given");
		goto out;
	}
	rc = KDBX_EAUTH;
	for (size_t p = 0; p < nc && rc != KDBX_OK; p++) {
		kdbx_secret *resp = NULL;
		int r = kdbx_slots__cr_ask(cands[p], salt, 32, &resp);
		if (r != KDBX_OK) {
			last = r; /* keep the device's own message */
			continue;
		}
		asked = true;
		for (size_t i = 0; i < nd; i++) {
			if (kdbx_kdbxtool__unwrap(devs[i].wrapped, kdbx_secret_data(resp), kdbx_secret_len(resp), kek) == KDBX_OK) {
				rc = KDBX_OK;
				break;
			}
			kdbx_error_clear();
		}
		kdbx_secret_free(&resp);
	}
	if (rc != KDBX_OK)
		rc = asked ? kdbx_error__set(KDBX_EAUTH, "the device is not enrolled in this database "
		                             "(wrong or revoked device)")
		           : last;
out:
	for (size_t i = 0; i < nc; i++)
		if (owned[i])
			kdbx_provider_free(&cands[i]);
	free(cands);
	free(owned);
	kdbx_slots__kdbxtool_free(&devs, nd);
	kdbx_memzero(salt, sizeof(salt));
	return rc;
}

typedef struct cand {
	size_t slot;            /* index into st.slots */
	kdbx_slot_provider *p;
	int match;
} cand;

/* Tries every group made only of unlocked slots. */
static int try_groups(const v3_state *st, kdbx_secret **secrets, uint8_t kek[32], int *opened_slot)
{
	for (size_t g = 0; g < st->ngroups; g++) {
		const v3_group *gr = &st->groups[g];
		kdbx_secret *s[KDBX_SLOTS_MAX];
		bool ok = true;
		for (uint8_t i = 0; i < gr->n && ok; i++) {
			ok = false;
			for (size_t k = 0; k < st->nslots; k++)
				if (!st->slots[k].broken && st->slots[k].id == gr->ids[i] && secrets[k] != NULL) {
					s[i] = secrets[k];
					ok = true;
				}
		}
		if (!ok)
			continue;
		if (kdbx_v3__group_open(st, gr, s, kek) == KDBX_OK) {
			*opened_slot = (int)gr->ids[0];
			return KDBX_OK;
		}
		kdbx_error_clear();
	}
	return KDBX_EAUTH;
}

static int kek_mode3(const v3_state *st, const kdbx_slot_open_options *opts, uint8_t kek[32],
                     uint32_t *used)
{
	kdbx_secret *secrets[KDBX_SLOTS_MAX] = {NULL};
	cand *c = NULL;
	size_t nc = 0, unlocked = 0;
	int rc = KDBX_EAUTH, last = KDBX_OK, opened = -1;
	char names[512] = "";
	size_t nl = 0;

	/* Recovery key: one more slot, no device. */
	if (opts != NULL && opts->recovery_key != NULL) {
		uint8_t rk[32];
		if ((rc = kdbx_v3__recovery_parse(opts->recovery_key, rk)) != KDBX_OK)
			return rc;
		for (size_t i = 0; i < st->nslots; i++)
			if (!st->slots[i].broken && st->slots[i].kind == KDBX_SLOT_KIND_RECOVERY &&
			    (rc = kdbx_secret_new(&secrets[i], rk, 32)) != KDBX_OK)
				break;
		kdbx_memzero(rk, sizeof(rk));
		if (rc == KDBX_OK || rc == KDBX_EAUTH)
			rc = try_groups(st, secrets, kek, &opened);
		for (size_t i = 0; i < st->nslots; i++)
			kdbx_secret_free(&secrets[i]);
		if (rc == KDBX_OK) {
			*used = (uint32_t)opened;
			return KDBX_OK;
		}
		return kdbx_error__set(KDBX_EAUTH, "the recovery key does not open this database");
	}
	c = calloc((size_t)st->nslots * (opts != NULL && opts->providers != NULL ? opts->providers->count : 0) + 1,
	           sizeof(*c));
	if (c == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	for (size_t i = 0; i < st->nslots; i++) {
		const v3_slot *s = &st->slots[i];
		if (s->broken || s->kind != KDBX_SLOT_KIND_DEVICE)
			continue;
		if (nl < sizeof(names) - 1)
			nl += (size_t)snprintf(names + nl, sizeof(names) - nl, "%s\"%s\" (%s)", nl ? ", " : "",
			                       s->label, s->type);
		if (nl >= sizeof(names))
			nl = sizeof(names) - 1;
	}
	/* Only devices that say they are a slot's device are asked (YES before
	 * MAYBE): no touch or PIN is spent on a wrong device. Within a pass the
	 * caller's provider order decides, so a device the user named explicitly
	 * is asked before one that was merely detected (and may want a PIN). */
	for (int pass = 0; pass < 2; pass++)
		for (size_t p = 0; opts != NULL && opts->providers != NULL && p < opts->providers->count; p++) {
			kdbx_slot_provider *sp = opts->providers->items[p];
			for (size_t i = 0; i < st->nslots; i++) {
				const v3_slot *s = &st->slots[i];
				int m;
				if (s->broken || s->kind != KDBX_SLOT_KIND_DEVICE || strcmp(sp->type, s->type) != 0)
					continue;
				m = sp->match != NULL ? sp->match(sp, s->meta, s->meta_len) : KDBX_SLOT_MATCH_MAYBE;
				if (m < 0)
					kdbx_error_clear();
				if ((pass == 0 && m == KDBX_SLOT_MATCH_YES) || (pass == 1 && m == KDBX_SLOT_MATCH_MAYBE))
					c[nc++] = (cand){i, sp, m};
			}
		}
	if (nc == 0) {
		rc = kdbx_error__set(KDBX_EDEVICE, "no connected device matches a slot of this database "
		                     "(slots: %s)", names[0] ? names : "none");
		goto out;
	}
	rc = KDBX_EAUTH;
	for (size_t i = 0; i < nc && rc != KDBX_OK; i++) {
		const v3_slot *s = &st->slots[c[i].slot];
		kdbx_slot_context ctx;
		int r;
		if (secrets[c[i].slot] != NULL)
			continue;
		memset(&ctx, 0, sizeof(ctx));
		ctx.version = KDBX_SLOT_PROVIDER_VERSION;
		ctx.db_id = st->db_id;
		ctx.db_id_len = 16;
		ctx.slot_id = s->id;
		ctx.interaction = opts->interaction;
		r = c[i].p->unlock(c[i].p, &ctx, s->meta, s->meta_len, &secrets[c[i].slot]);
		if (r != KDBX_OK || secrets[c[i].slot] == NULL) {
			if (r == KDBX_OK)
				r = kdbx_error__set(KDBX_EDEVICE, "slot provider returned no secret");
			last = r;
			/* A wrong PIN or a locked PIN ends the attempt: never spend more tries.
			 * A cancelled prompt only skips that device: another may answer. */
			if (r == KDBX_EPIN || r == KDBX_EPINLOCKED) {
				rc = r;
				goto out;
			}
			continue;
		}
		unlocked++;
		if (unlocked >= st->k)
			rc = try_groups(st, secrets, kek, &opened);
	}
	if (rc != KDBX_OK) {
		if (unlocked == 0)
			rc = last != KDBX_OK ? last : kdbx_error__set(KDBX_EDEVICE, "no device answered");
		else if (unlocked < st->k)
			rc = kdbx_error__set(KDBX_EDEVICE, "this database needs %u devices; only %zu answered",
			                     st->k, unlocked);
		else
			rc = kdbx_error__set(KDBX_EAUTH, "the device did not unlock the database "
			                     "(wrong or revoked device, or a damaged slot)");
	} else {
		*used = (uint32_t)opened;
	}
out:
	for (size_t i = 0; i < KDBX_SLOTS_MAX; i++)
		kdbx_secret_free(&secrets[i]);
	free(c);
	return rc;
}

/* Records when a slot last opened the database (written by the next save;
 * outside the slot's authenticated bytes, so no device is needed). */
static void mark_used(kdbx_db *db, uint32_t id)
{
	v3_state st;
	kdbx_buf b = KDBX_BUF_INIT;
	v3_slot *s;

	if (kdbx_slots__load(db->public_custom_data, db->public_custom_data_len, &st) != KDBX_OK) {
		kdbx_error_clear();
		return;
	}
	if ((s = kdbx_v3__find(&st, id)) != NULL) {
		s->last_used = kdbx_time_now();
		if (kdbx_v3__write(&st, &b) != KDBX_OK ||
		    kdbx_db__public_set(db, KDBX_SLOTS_KEY, 0x42, b.data, b.len) != KDBX_OK)
			kdbx_error_clear();
	}
	kdbx_buf_free(&b);
	kdbx_v3__free(&st);
}

int kdbx_slots_open_memory(kdbx_db **out, const void *data, size_t len, const kdbx_key *key,
                           const kdbx_slot_open_options *opts)
{
	kdbx_container c;
	kdbx_slot_mode mode = KDBX_MODE_NONE;
	kdbx_key *k2 = NULL;
	v3_state st;
	uint8_t kek[32];
	uint32_t used = 0;
	size_t hl = 0;
	int rc;

	memset(&st, 0, sizeof(st));
	if (out == NULL || (data == NULL && len > 0) || key == NULL)
		return kdbx_error__set(KDBX_EINVALID, "slots open: invalid argument");
	*out = NULL;
	if (opts != NULL && opts->version != KDBX_SLOT_OPEN_OPTIONS_VERSION)
		return kdbx_error__set(KDBX_EINVALID, "slots open: unknown options version");
	memset(&c, 0, sizeof(c));
	if ((rc = kdbx_header__parse(&c, data, len, &hl)) != KDBX_OK)
		goto out;
	if ((rc = kdbx_slots__mode_of(c.public_custom_data, c.public_custom_data_len, &mode)) != KDBX_OK)
		goto out;
	if (mode != KDBX_MODE_KDBXTOOL && mode != KDBX_MODE_SLOTS) {
		rc = kdbx_db_open_memory(out, data, len, key, opts != NULL ? opts->open : NULL);
		goto out;
	}
	if (mode == KDBX_MODE_KDBXTOOL) {
		if (!key->has_password && !key->has_keyfile) {
			rc = kdbx_error__set(KDBX_EINVALID, "kdbxtool databases need a password or key file "
			                     "besides the device");
			goto out;
		}
		rc = kek_mode2(c.public_custom_data, c.public_custom_data_len, key, opts, kek);
	} else {
		if ((rc = kdbx_slots__load(c.public_custom_data, c.public_custom_data_len, &st)) != KDBX_OK)
			goto out;
		if (!(st.flags & KDBX_SLOTS_F_DEVICE_ONLY) && !key->has_password && !key->has_keyfile) {
			rc = kdbx_error__set(KDBX_EINVALID, "this database needs a password or key file besides "
			                     "the device (device-only unlock is not enabled)");
			goto out;
		}
		rc = kek_mode3(&st, opts, kek, &used);
	}
	if (rc != KDBX_OK)
		goto out;
	if ((rc = kdbx_key__dup(&k2, key)) != KDBX_OK)
		goto out;
	/* The device answered for the slot; the KDBX composite gets only the KEK. */
	kdbx_key_clear_challenge_response(k2);
	if ((rc = kdbx_key__set_kek(k2, mode == KDBX_MODE_KDBXTOOL ? KDBX_KEK_XOR
	                                : (st.flags & KDBX_SLOTS_F_DEVICE_ONLY) ? KDBX_KEK_DEVICE_ONLY
	                                                                        : KDBX_KEK_COMPONENT, kek)) != KDBX_OK)
		goto out;
	if ((rc = kdbx_db_open_memory(out, data, len, k2, opts != NULL ? opts->open : NULL)) != KDBX_OK)
		goto out;
	if (mode == KDBX_MODE_SLOTS && used != 0)
		mark_used(*out, used);
out:
	kdbx_memzero(kek, sizeof(kek));
	kdbx_key_free(&k2);
	kdbx_v3__free(&st);
	kdbx_container_free(&c);
	return rc;
}

int kdbx_slots_open(kdbx_db **out, const char *path, const kdbx_key *key, const kdbx_slot_open_options *opts)
{
	kdbx_buf b = KDBX_BUF_INIT;
	int rc;

	if (out == NULL || path == NULL || key == NULL)
		return kdbx_error__set(KDBX_EINVALID, "slots open: invalid argument");
	*out = NULL;
	if ((rc = kdbx_file_read(path, &b)) != KDBX_OK)
		return rc;
	rc = kdbx_slots_open_memory(out, b.data, b.len, key, opts);
	kdbx_buf_free(&b);
	return rc;
}
