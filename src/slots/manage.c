/* Enrol, revoke, rotate, recovery key, policy and mode conversion. Every
 * operation asks all devices first and changes the db (public custom data
 * and the KEK in its key) only at the end, in one step that cannot fail
 * (docs/multi-device-format.md 8). */
#include <stdio.h>
#include <stdlib.h>

#include "keys/keys_private.h"
#include "model/model.h"
#include "slots/slots_internal.h"

/* ---------------- commit: the one place that changes the db ---------------- */

typedef struct change {
	const v3_state *v3;      /* new mode-3 table, or NULL to remove it */
	bool drop_kdbxtool;      /* remove every KDBXTOOL_* item */
	const kdbx_vdict *add;   /* items to set (mode 2), may be NULL */
	int kek_mode;            /* 0: clear the KEK */
	const uint8_t *kek;
	int strip;               /* 1: device-only (kek_mode KDBX_KEK_DEVICE_ONLY); -1: key must have a password or key file */
	bool clear_cr;           /* key loses its mode-1 providers */
	kdbx_provider *add_cr;   /* key gains this mode-1 provider (borrowed) */
} change;

static int commit(kdbx_db *db, const change *ch)
{
	kdbx_vdict d = {NULL, 0};
	kdbx_buf b = KDBX_BUF_INIT, t = KDBX_BUF_INIT;
	kdbx_key *k = NULL;
	int rc;

	if ((rc = kdbx_key__dup(&k, db->key)) != KDBX_OK)
		return rc;
	if (db->public_custom_data_len > 0 &&
	    (rc = kdbx_vdict_parse(&d, db->public_custom_data, db->public_custom_data_len)) != KDBX_OK)
		goto out;
	if (ch->drop_kdbxtool)
		for (size_t i = d.count; i-- > 0;)
			if (strncmp(d.items[i].name, "KDBXTOOL_CR_", 12) == 0 &&
			    (rc = kdbx_vdict_remove(&d, d.items[i].name)) != KDBX_OK)
				goto out;
	if (ch->v3 != NULL) {
		if ((rc = kdbx_v3__write(ch->v3, &t)) != KDBX_OK ||
		    (rc = kdbx_vdict_set(&d, 0x42, KDBX_SLOTS_KEY, t.data, t.len)) != KDBX_OK)
			goto out;
	} else if (kdbx_vdict_get(&d, KDBX_SLOTS_KEY) != NULL &&
	           (rc = kdbx_vdict_remove(&d, KDBX_SLOTS_KEY)) != KDBX_OK) {
		goto out;
	}
	for (size_t i = 0; ch->add != NULL && i < ch->add->count; i++)
		if ((rc = kdbx_vdict_set(&d, ch->add->items[i].type, ch->add->items[i].name, ch->add->items[i].value,
		                         ch->add->items[i].len)) != KDBX_OK)
			goto out;
	if (d.count > 0 && (rc = kdbx_vdict_write(&d, &b)) != KDBX_OK)
		goto out;
	if ((rc = kdbx_key__set_kek(k, ch->kek_mode, ch->kek)) != KDBX_OK)
		goto out;
	if (ch->clear_cr)
		kdbx_key_clear_challenge_response(k);
	if (ch->add_cr != NULL && (rc = kdbx_key_add_challenge_response(k, ch->add_cr)) != KDBX_OK)
		goto out;
	if (ch->strip <= 0 && ch->kek_mode == KDBX_KEK_DEVICE_ONLY) {
		rc = kdbx_error__set(KDBX_EINVALID, "internal: device-only KEK without device-only policy");
		goto out;
	}
	if (ch->strip < 0 && !k->has_password && !k->has_keyfile) {
		rc = kdbx_error__set(KDBX_EINVALID, "set a password or key file first (kdbx_db_set_key)");
		goto out;
	}
	/* Nothing below fails. */
	free(db->public_custom_data);
	db->public_custom_data_len = 0;
	db->public_custom_data = d.count > 0 ? kdbx_buf_detach(&b, &db->public_custom_data_len) : NULL;
	kdbx_db__read_public_uuid(db);
	kdbx_key_free(&db->key);
	db->key = k;
	k = NULL;
	db->meta.master_key_changed = kdbx_time_now();
out:
	kdbx_key_free(&k);
	kdbx_vdict_free(&d);
	kdbx_buf_free(&b);
	kdbx_buf_free(&t);
	return rc;
}

/* ---------------- helpers ---------------- */

/* KEK mode of the db key for a mode-3 table. */
#define KEK3(st) (((st)->flags & KDBX_SLOTS_F_DEVICE_ONLY) ? KDBX_KEK_DEVICE_ONLY : KDBX_KEK_COMPONENT)

static int need_key(const kdbx_db *db)
{
	if (db == NULL)
		return kdbx_error__set(KDBX_EINVALID, "slots: no database");
	if (db->key == NULL)
		return kdbx_error__set(KDBX_EINVALID, "slots: the database has no key yet (kdbx_db_set_key)");
	return KDBX_OK;
}

static int check_label(const char *label)
{
	size_t n = label != NULL ? strlen(label) : 0;

	if (n == 0 || n > 256)
		return kdbx_error__set(KDBX_EINVALID, "a slot label must have 1 to 256 bytes");
	for (const char *p = label; *p; p++)
		if (*p != ' ')
			return KDBX_OK;
	return kdbx_error__set(KDBX_EINVALID, "a slot label must not be blank");
}

static v3_slot *slot_by_label(v3_state *st, const char *label)
{
	for (size_t i = 0; i < st->nslots; i++)
		if (!st->slots[i].broken && strcmp(st->slots[i].label, label) == 0)
			return &st->slots[i];
	return NULL;
}

static void ctx_init(kdbx_slot_context *ctx, const v3_state *st, uint32_t id, const char *label,
                     const uint8_t *nonce, const kdbx_interaction *cb, const char *options)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->version = KDBX_SLOT_PROVIDER_VERSION;
	ctx->db_id = st->db_id;
	ctx->db_id_len = 16;
	ctx->slot_id = id;
	ctx->label = label;
	ctx->nonce = nonce;
	ctx->nonce_len = nonce != NULL ? 32 : 0;
	ctx->interaction = cb;
	ctx->options = options;
}

static int append_slot(v3_state *st, const v3_slot *s)
{
	v3_slot *n = realloc(st->slots, (st->nslots + 1) * sizeof(*n));

	if (n == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	st->slots = n;
	st->slots[st->nslots++] = *s;
	return KDBX_OK;
}

/* Copies a usable slot (deep). */
static int copy_slot(v3_slot *dst, const v3_slot *src)
{
	*dst = *src;
	dst->raw = NULL;
	dst->raw_len = 0;
	dst->label = kdbx_strdup(src->label);
	dst->meta = malloc(src->meta_len > 0 ? src->meta_len : 1);
	if (dst->label == NULL || dst->meta == NULL) {
		free(dst->label);
		free(dst->meta);
		memset(dst, 0, sizeof(*dst));
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	if (src->meta_len > 0)
		memcpy(dst->meta, src->meta, src->meta_len);
	return KDBX_OK;
}

static size_t binom(size_t n, size_t k)
{
	size_t r = 1;

	if (k > n)
		return 0;
	for (size_t i = 1; i <= k; i++) {
		r = r * (n - k + i) / i;
		if (r > KDBX_SLOT_GROUPS_MAX)
			return KDBX_SLOT_GROUPS_MAX + 1;
	}
	return r;
}

/* (Re)builds every group of st for kek: a recovery slot alone; device slots
 * in every k-subset (k = 1: each alone). secrets[i] belongs to st->slots[i]. */
static int build_groups(v3_state *st, kdbx_secret **secrets, const uint8_t kek[32])
{
	size_t dev[KDBX_SLOTS_MAX], nd = 0, nr = 0, total, g = 0;
	size_t idx[KDBX_SLOTS_MAX];
	int rc = KDBX_OK;

	for (size_t i = 0; i < st->nslots; i++) {
		if (st->slots[i].kind == KDBX_SLOT_KIND_DEVICE)
			dev[nd++] = i;
		else
			nr++;
	}
	if (nd == 0)
		return kdbx_error__set(KDBX_EINVALID, "no device slot left (to drop all devices, convert the "
		                       "database to password-only)");
	if (st->k > nd)
		return kdbx_error__set(KDBX_EINVALID, "the policy needs %u devices but only %zu are enrolled",
		                       st->k, nd);
	total = binom(nd, st->k);
	if (total + nr > KDBX_SLOT_GROUPS_MAX)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "too many device combinations for this policy");
	free(st->groups);
	st->ngroups = 0;
	if ((st->groups = calloc(total + nr, sizeof(*st->groups))) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	for (size_t i = 0; i < st->k; i++)
		idx[i] = i;
	for (;;) {
		v3_group *gr = &st->groups[g];
		kdbx_secret *s[KDBX_SLOTS_MAX];
		gr->n = st->k;
		for (size_t i = 0; i < st->k; i++) {
			gr->ids[i] = st->slots[dev[idx[i]]].id;
			s[i] = secrets[dev[idx[i]]];
		}
		if ((rc = kdbx_v3__group_seal(st, gr, s, kek)) != KDBX_OK)
			return rc;
		st->ngroups = ++g;
		/* next k-combination of 0..nd-1 */
		size_t i = st->k;
		while (i > 0 && idx[i - 1] == nd - st->k + i - 1)
			i--;
		if (i == 0)
			break;
		idx[i - 1]++;
		for (size_t j = i; j < st->k; j++)
			idx[j] = idx[j - 1] + 1;
	}
	for (size_t i = 0; i < st->nslots; i++) {
		if (st->slots[i].kind != KDBX_SLOT_KIND_RECOVERY)
			continue;
		v3_group *gr = &st->groups[g];
		gr->n = 1;
		gr->ids[0] = st->slots[i].id;
		if ((rc = kdbx_v3__group_seal(st, gr, &secrets[i], kek)) != KDBX_OK)
			return rc;
		st->ngroups = ++g;
	}
	return KDBX_OK;
}

static int load_v3(const kdbx_db *db, v3_state *st, uint8_t kek[32])
{
	int rc = kdbx_slots__load(db->public_custom_data, db->public_custom_data_len, st);

	if (rc != KDBX_OK)
		return rc;
	int m = kdbx_key__get_kek(db->key, kek);
	if (m != KDBX_KEK_COMPONENT && m != KDBX_KEK_DEVICE_ONLY) {
		kdbx_v3__free(st);
		return kdbx_error__set(KDBX_EINVALID, "the database was not opened through its slots "
		                       "(kdbx_slots_open)");
	}
	return KDBX_OK;
}

static void new_v3(v3_state *st)
{
	memset(st, 0, sizeof(*st));
	st->format = KDBX_SLOTS_FORMAT;
	st->k = 1;
	st->next_id = 1;
}

/* ---------------- mode 2 enrolment ---------------- */

static const char *kdbxtool_type(const kdbx_provider *p)
{
	/* kdbxtool derives the type from its provider class name (notes 1.3). */
	if (p->name != NULL && (strcmp(p->name, "yubikey") == 0 || strcmp(p->name, "softkey") == 0))
		return "yubikey_hmac";
	if (p->name != NULL && strcmp(p->name, "fido2") == 0)
		return "fido2";
	return p->name != NULL ? p->name : "provider";
}

/* Random salt that asks a YubiKey the same bytes whichever padding the
 * asking program uses (kdbxtool-notes 2: 0x20 at the end differs). */
static int mode2_salt(uint8_t salt[32])
{
	int rc;

	do {
		if ((rc = kdbx_random(salt, 32)) != KDBX_OK)
			return rc;
	} while (salt[31] == 0x20);
	return KDBX_OK;
}

static int mode2_item(kdbx_vdict *add, uint32_t index, const char *type, const char *label,
                      const uint8_t kek[32], const kdbx_secret *resp)
{
	uint8_t nonce[16], wrapped[KDBXTOOL_WRAPPED_SIZE];
	kdbx_buf v = KDBX_BUF_INIT;
	char name[64];
	int rc;

	snprintf(name, sizeof(name), KDBXTOOL_DEVICE_PREFIX "%u", (unsigned)index);
	if ((rc = kdbx_random(nonce, 16)) == KDBX_OK &&
	    (rc = kdbx_kdbxtool__wrap(kek, kdbx_secret_data(resp), kdbx_secret_len(resp), nonce, wrapped)) == KDBX_OK &&
	    (rc = kdbx_kdbxtool__serialize(type, label, "default", wrapped, &v)) == KDBX_OK)
		rc = kdbx_vdict_set(add, 0x42, name, v.data, v.len);
	kdbx_buf_free(&v);
	return rc;
}

static int enrol_mode2(kdbx_db *db, kdbx_slot_provider *sp, const char *label, uint32_t *slot_id)
{
	kdbx_slot_mode mode = kdbx_slots_mode(db);
	kdbx_provider *cr = NULL;
	bool owned = false, fresh = mode != KDBX_MODE_KDBXTOOL;
	kdbxtool_device *devs = NULL;
	size_t nd = 0, bad = 0;
	kdbx_vdict add = {NULL, 0}, cur = {NULL, 0};
	kdbx_secret *resp = NULL;
	uint8_t salt[32], kek[32], ver = 0x02;
	uint32_t index = 0;
	int rc;

	if (mode == KDBX_MODE_SLOTS || mode == KDBX_MODE_KEEPASSXC)
		return kdbx_error__set(KDBX_EINVALID, "convert the database to password-only before "
		                       "enrolling in kdbxtool mode");
	if (kdbx_slots__cr_of(sp, &cr, &owned) != KDBX_OK || cr == NULL) {
		kdbx_error_clear();
		return kdbx_error__set(KDBX_EUNSUPPORTED, "kdbxtool mode needs a challenge-response device");
	}
	if (!db->key->has_password && !db->key->has_keyfile) {
		rc = kdbx_error__set(KDBX_EINVALID, "kdbxtool mode needs a password or key file");
		goto out;
	}
	if (fresh) {
		if ((rc = mode2_salt(salt)) != KDBX_OK || (rc = kdbx_random(kek, 32)) != KDBX_OK)
			goto out;
	} else {
		if ((rc = kdbx_slots__kdbxtool_load(db->public_custom_data, db->public_custom_data_len, salt, &devs,
		                                    &nd, &bad)) != KDBX_OK)
			goto out;
		if (kdbx_key__get_kek(db->key, kek) != KDBX_KEK_XOR) {
			rc = kdbx_error__set(KDBX_EINVALID, "the database was not opened through its devices");
			goto out;
		}
		for (size_t i = 0; i < nd; i++)
			if (strcmp(devs[i].label, label) == 0) {
				rc = kdbx_error__set(KDBX_EEXISTS, "a device labelled \"%s\" is already enrolled", label);
				goto out;
			}
		/* Lowest index no item uses (damaged ones included: never overwrite). */
		if ((rc = kdbx_vdict_parse(&cur, db->public_custom_data, db->public_custom_data_len)) != KDBX_OK)
			goto out;
		for (bool taken = true; taken; ) {
			char name[64];
			snprintf(name, sizeof(name), KDBXTOOL_DEVICE_PREFIX "%u", (unsigned)index);
			taken = kdbx_vdict_get(&cur, name) != NULL;
			if (taken)
				index++;
		}
	}
	/* The device answers before anything changes. */
	if ((rc = kdbx_slots__cr_ask(cr, salt, 32, &resp)) != KDBX_OK)
		goto out;
	if (fresh && ((rc = kdbx_vdict_set(&add, 0x42, KDBXTOOL_VERSION_KEY, &ver, 1)) != KDBX_OK ||
	              (rc = kdbx_vdict_set(&add, 0x42, KDBXTOOL_SALT_KEY, salt, 32)) != KDBX_OK))
		goto out;
	if ((rc = mode2_item(&add, index, kdbxtool_type(cr), label, kek, resp)) != KDBX_OK)
		goto out;
	{
		change ch = {NULL, false, &add, KDBX_KEK_XOR, kek, -1, true, NULL};
		rc = commit(db, &ch);
	}
	if (rc == KDBX_OK && slot_id != NULL)
		*slot_id = index;
out:
	if (owned)
		kdbx_provider_free(&cr);
	kdbx_secret_free(&resp);
	kdbx_slots__kdbxtool_free(&devs, nd);
	kdbx_vdict_free(&add);
	kdbx_vdict_free(&cur);
	kdbx_memzero(kek, sizeof(kek));
	return rc;
}

/* ---------------- mode 3 enrolment ---------------- */

/* Asks p to enrol into st (slot appended, not yet sealed); *secret set. */
static int enrol_into(v3_state *st, kdbx_slot_provider *p, const char *label, const kdbx_interaction *cb,
                      const char *options, kdbx_secret **secret)
{
	v3_slot s;
	uint8_t nonce[32];
	kdbx_slot_context ctx;
	int rc;

	memset(&s, 0, sizeof(s));
	if (slot_by_label(st, label) != NULL)
		return kdbx_error__set(KDBX_EEXISTS, "a slot labelled \"%s\" exists already", label);
	if (st->nslots >= KDBX_SLOTS_MAX)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "at most %d slots", KDBX_SLOTS_MAX);
	if ((rc = kdbx_random(nonce, sizeof(nonce))) != KDBX_OK)
		return rc;
	ctx_init(&ctx, st, st->next_id, label, nonce, cb, options);
	rc = p->enrol(p, &ctx, &s.meta, &s.meta_len, secret);
	kdbx_memzero(nonce, sizeof(nonce));
	if (rc == KDBX_OK && (*secret == NULL || kdbx_secret_len(*secret) < 16 || s.meta_len > 65536)) {
		rc = kdbx_error__set(KDBX_EDEVICE, "slot provider %s returned no usable secret or metadata", p->type);
		kdbx_secret_free(secret);
	}
	if (rc != KDBX_OK) {
		free(s.meta);
		return rc;
	}
	s.version = KDBX_SLOT_RECORD_VERSION;
	s.kind = KDBX_SLOT_KIND_DEVICE;
	s.flags = (p->flags & KDBX_SLOT_PROVIDER_PUBKEY) ? KDBX_SLOT_F_PUBKEY : 0;
	s.id = st->next_id++;
	s.created = kdbx_time_now();
	snprintf(s.type, sizeof(s.type), "%s", p->type);
	if ((s.label = kdbx_strdup(label)) == NULL || (rc = append_slot(st, &s)) != KDBX_OK) {
		free(s.label);
		free(s.meta);
		kdbx_secret_free(secret);
		return rc != KDBX_OK ? rc : kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	return KDBX_OK;
}

/* Seals a single-slot group for the last slot of st. */
static int add_single_group(v3_state *st, kdbx_secret *secret, const uint8_t kek[32])
{
	v3_group *n = realloc(st->groups, (st->ngroups + 1) * sizeof(*n));
	int rc;

	if (n == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	st->groups = n;
	memset(&n[st->ngroups], 0, sizeof(*n));
	n[st->ngroups].n = 1;
	n[st->ngroups].ids[0] = st->slots[st->nslots - 1].id;
	if ((rc = kdbx_v3__group_seal(st, &n[st->ngroups], &secret, kek)) == KDBX_OK)
		st->ngroups++;
	return rc;
}

int kdbx_slots_enrol(kdbx_db *db, kdbx_slot_provider *p, const kdbx_slot_enrol_options *opts, uint32_t *slot_id)
{
	kdbx_slot_mode mode;
	v3_state st;
	kdbx_secret *secret = NULL;
	uint8_t kek[32];
	int rc;

	if ((rc = need_key(db)) != KDBX_OK)
		return rc;
	if (p == NULL || opts == NULL || opts->version != KDBX_SLOT_ENROL_OPTIONS_VERSION ||
	    p->version != KDBX_SLOT_PROVIDER_VERSION || p->enrol == NULL || p->type == NULL)
		return kdbx_error__set(KDBX_EINVALID, "enrol: invalid argument");
	if ((rc = check_label(opts->label)) != KDBX_OK)
		return rc;
	mode = kdbx_slots_mode(db);
	if (opts->mode == KDBX_MODE_KDBXTOOL || (opts->mode == KDBX_MODE_NONE && mode == KDBX_MODE_KDBXTOOL))
		return enrol_mode2(db, p, opts->label, slot_id);
	if (opts->mode != KDBX_MODE_NONE && opts->mode != KDBX_MODE_SLOTS)
		return kdbx_error__set(KDBX_EINVALID, "enrol: mode must be 2 or 3");
	if (mode == KDBX_MODE_KEEPASSXC)
		return kdbx_error__set(KDBX_EINVALID, "the database uses a KeePassXC challenge-response key: "
		                       "convert it first (kdbx_slots_convert)");
	if (mode == KDBX_MODE_KDBXTOOL)
		return kdbx_error__set(KDBX_EINVALID, "the database is in kdbxtool mode: convert it first");
	if (mode == KDBX_MODE_SLOTS) {
		if ((rc = load_v3(db, &st, kek)) != KDBX_OK)
			return rc;
		if (st.k > 1) {
			kdbx_v3__free(&st);
			return kdbx_error__set(KDBX_EUNSUPPORTED, "with a k-of-n policy, enrol by setting the "
			                       "policy again with every device (kdbx_slots_set_policy)");
		}
	} else {
		new_v3(&st);
		if ((rc = kdbx_random(st.db_id, 16)) != KDBX_OK || (rc = kdbx_random(kek, 32)) != KDBX_OK)
			goto out;
	}
	if ((rc = enrol_into(&st, p, opts->label, opts->interaction, opts->options, &secret)) != KDBX_OK ||
	    (rc = add_single_group(&st, secret, kek)) != KDBX_OK)
		goto out;
	{
		change ch = {&st, true, NULL, KEK3(&st), kek,
		             (st.flags & KDBX_SLOTS_F_DEVICE_ONLY) ? 1 : -1, true, NULL};
		rc = commit(db, &ch);
	}
	if (rc == KDBX_OK && slot_id != NULL)
		*slot_id = st.slots[st.nslots - 1].id;
out:
	kdbx_secret_free(&secret);
	kdbx_v3__free(&st);
	kdbx_memzero(kek, sizeof(kek));
	return rc;
}

/* ---------------- rekeying (revoke / rotate / policy) ---------------- */

/* Gets a secret for slot s of st again: offline for public-key slots (new
 * metadata into s), else from its connected device. KDBX_EDEVICE if none. */
/* Is secret the one of slot id in the old table? Checked with the slot's own
 * group; without one (k > 1) only a device that said YES is trusted. */
static bool secret_fits(const v3_state *old, uint32_t id, kdbx_secret *secret, int match)
{
	uint8_t kek[32];

	for (size_t g = 0; old != NULL && g < old->ngroups; g++)
		if (old->groups[g].n == 1 && old->groups[g].ids[0] == id) {
			int rc = kdbx_v3__group_open(old, &old->groups[g], &secret, kek);
			kdbx_memzero(kek, sizeof(kek));
			kdbx_error_clear();
			return rc == KDBX_OK;
		}
	return match == KDBX_SLOT_MATCH_YES;
}

static int rekey_slot(const v3_state *st, const v3_state *old, v3_slot *s, const kdbx_slot_providers *set,
                      const kdbx_interaction *cb, bool offline_ok, kdbx_secret **secret)
{
	int last = KDBX_OK;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; set != NULL && i < set->count; i++) {
			kdbx_slot_provider *p = set->items[i];
			kdbx_slot_context ctx;
			uint8_t nonce[32];
			int rc;
			if (strcmp(p->type, s->type) != 0)
				continue;
			if (pass == 0) {
				uint8_t *meta = NULL;
				size_t ml = 0;
				if (!offline_ok || !(s->flags & KDBX_SLOT_F_PUBKEY) || p->rewrap_offline == NULL)
					continue;
				if ((rc = kdbx_random(nonce, 32)) != KDBX_OK)
					return rc;
				ctx_init(&ctx, st, s->id, s->label, nonce, cb, NULL);
				rc = p->rewrap_offline(p, &ctx, s->meta, s->meta_len, &meta, &ml, secret);
				if (rc == KDBX_OK && *secret != NULL && kdbx_secret_len(*secret) >= 16) {
					free(s->meta);
					s->meta = meta;
					s->meta_len = ml;
					return KDBX_OK;
				}
				free(meta);
				kdbx_secret_free(secret);
				last = rc != KDBX_OK ? rc : KDBX_EDEVICE;
				kdbx_error_clear();
				continue;
			}
			int m = p->match != NULL ? p->match(p, s->meta, s->meta_len) : KDBX_SLOT_MATCH_MAYBE;
			if (m != KDBX_SLOT_MATCH_YES && m != KDBX_SLOT_MATCH_MAYBE) {
				kdbx_error_clear();
				continue;
			}
			ctx_init(&ctx, st, s->id, NULL, NULL, cb, NULL);
			rc = p->unlock(p, &ctx, s->meta, s->meta_len, secret);
			/* A device that only "may" be this slot's must prove it: a wrong
			 * secret here would lock the slot's real device out. */
			if (rc == KDBX_OK && *secret != NULL && kdbx_secret_len(*secret) >= 16 &&
			    secret_fits(old, s->id, *secret, m))
				return KDBX_OK;
			kdbx_secret_free(secret);
			last = rc != KDBX_OK ? rc : KDBX_EDEVICE;
			if (rc == KDBX_EPIN || rc == KDBX_EPINLOCKED || rc == KDBX_ECANCELLED)
				return rc;
		}
	(void)last;
	return kdbx_error__set(KDBX_EDEVICE, "the device of slot \"%s\" (%s) is not connected or did not "
	                       "answer: connect it, or drop the slot", s->label, s->type);
}

/* New table and a new KEK from the old table: drop `skip` (label, may be
 * NULL), re-key the other device slots, drop recovery slots (their key is
 * not at hand), apply new_k / new_flags when >= 0 / > 0. */
static int rekey(kdbx_db *db, const char *skip, const kdbx_slot_providers *set, int drop_missing,
                 const kdbx_interaction *cb, int new_k, int new_flags)
{
	v3_state old, st;
	kdbx_secret *secrets[KDBX_SLOTS_MAX] = {NULL};
	uint8_t kek_old[32], kek[32];
	bool found = skip == NULL;
	int rc;

	memset(&st, 0, sizeof(st));
	if ((rc = need_key(db)) != KDBX_OK || (rc = load_v3(db, &old, kek_old)) != KDBX_OK)
		return rc;
	new_v3(&st);
	memcpy(st.db_id, old.db_id, 16);
	st.next_id = old.next_id;
	st.flags = new_flags >= 0 ? (uint8_t)new_flags : old.flags;
	st.k = new_k > 0 ? (uint8_t)new_k : old.k;
	if ((rc = kdbx_random(kek, 32)) != KDBX_OK)
		goto out;
	if ((st.slots = calloc(old.nslots + 1, sizeof(*st.slots))) == NULL) {
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < old.nslots; i++) {
		v3_slot *s = &old.slots[i];
		if (s->broken)
			continue; /* unusable, and its wrapping is for the old KEK */
		if (skip != NULL && strcmp(s->label, skip) == 0) {
			found = true;
			continue;
		}
		if (s->kind == KDBX_SLOT_KIND_RECOVERY)
			continue; /* cannot be re-wrapped without the key itself: make a new one */
		if ((rc = copy_slot(&st.slots[st.nslots], s)) != KDBX_OK)
			goto out;
		st.nslots++;
		rc = rekey_slot(&st, &old, &st.slots[st.nslots - 1], set, cb, true, &secrets[st.nslots - 1]);
		if (rc == KDBX_EDEVICE && drop_missing) {
			kdbx_error_clear();
			st.nslots--;
			free(st.slots[st.nslots].label);
			free(st.slots[st.nslots].meta);
			memset(&st.slots[st.nslots], 0, sizeof(st.slots[0]));
			continue;
		}
		if (rc != KDBX_OK)
			goto out;
	}
	if (!found) {
		rc = kdbx_error__set(KDBX_ENOTFOUND, "no slot labelled \"%s\"", skip);
		goto out;
	}
	if ((rc = build_groups(&st, secrets, kek)) != KDBX_OK)
		goto out;
	{
		change ch = {&st, true, NULL, KEK3(&st), kek, (st.flags & KDBX_SLOTS_F_DEVICE_ONLY) ? 1 : -1,
		             true, NULL};
		rc = commit(db, &ch);
	}
out:
	for (size_t i = 0; i < KDBX_SLOTS_MAX; i++)
		kdbx_secret_free(&secrets[i]);
	kdbx_v3__free(&old);
	kdbx_v3__free(&st);
	kdbx_memzero(kek, sizeof(kek));
	kdbx_memzero(kek_old, sizeof(kek_old));
	return rc;
}

/* Mode 2 revocation done right: new salt and KEK, every kept device
 * re-challenged (found by unwrapping its old entry). */
static int rekey_mode2(kdbx_db *db, const char *skip, const kdbx_slot_providers *set, int drop_missing)
{
	kdbxtool_device *devs = NULL;
	size_t nd = 0, bad = 0, kept = 0;
	uint8_t salt[32], nsalt[32], kek[32], nkek[32], tmp[32], ver = 0x02;
	kdbx_vdict add = {NULL, 0};
	kdbx_provider *cr[64] = {NULL};
	bool owned[64] = {false};
	size_t ncr = 0;
	bool found = skip == NULL;
	int rc;

	if ((rc = kdbx_slots__kdbxtool_load(db->public_custom_data, db->public_custom_data_len, salt, &devs, &nd,
	                                    &bad)) != KDBX_OK)
		return rc;
	if (kdbx_key__get_kek(db->key, kek) != KDBX_KEK_XOR) {
		rc = kdbx_error__set(KDBX_EINVALID, "the database was not opened through its devices");
		goto out;
	}
	for (size_t i = 0; set != NULL && i < set->count && ncr < 64; i++)
		if (kdbx_slots__cr_of(set->items[i], &cr[ncr], &owned[ncr]) == KDBX_OK)
			ncr++;
		else
			kdbx_error_clear();
	if ((rc = mode2_salt(nsalt)) != KDBX_OK || (rc = kdbx_random(nkek, 32)) != KDBX_OK ||
	    (rc = kdbx_vdict_set(&add, 0x42, KDBXTOOL_VERSION_KEY, &ver, 1)) != KDBX_OK ||
	    (rc = kdbx_vdict_set(&add, 0x42, KDBXTOOL_SALT_KEY, nsalt, 32)) != KDBX_OK)
		goto out;
	for (size_t i = 0; i < nd; i++) {
		bool done = false;
		if (skip != NULL && strcmp(devs[i].label, skip) == 0) {
			found = true;
			continue;
		}
		for (size_t p = 0; p < ncr && !done; p++) {
			kdbx_secret *r = NULL, *r2 = NULL;
			if (kdbx_slots__cr_ask(cr[p], salt, 32, &r) != KDBX_OK) {
				kdbx_error_clear();
				continue;
			}
			if (kdbx_kdbxtool__unwrap(devs[i].wrapped, kdbx_secret_data(r), kdbx_secret_len(r), tmp) == KDBX_OK &&
			    kdbx_slots__cr_ask(cr[p], nsalt, 32, &r2) == KDBX_OK) {
				rc = mode2_item(&add, (uint32_t)kept, devs[i].type, devs[i].label, nkek, r2);
				done = rc == KDBX_OK;
				if (rc != KDBX_OK) {
					kdbx_secret_free(&r);
					goto out;
				}
			}
			kdbx_error_clear();
			kdbx_secret_free(&r);
			kdbx_secret_free(&r2);
		}
		if (done) {
			kept++;
		} else if (!drop_missing) {
			rc = kdbx_error__set(KDBX_EDEVICE, "the device \"%s\" is not connected: connect it, or drop it",
			                     devs[i].label);
			goto out;
		}
	}
	if (!found) {
		rc = kdbx_error__set(KDBX_ENOTFOUND, "no device labelled \"%s\"", skip);
		goto out;
	}
	if (kept == 0) {
		rc = kdbx_error__set(KDBX_EINVALID, "no device left (convert to password-only instead)");
		goto out;
	}
	{
		change ch = {NULL, true, &add, KDBX_KEK_XOR, nkek, -1, true, NULL};
		rc = commit(db, &ch);
	}
out:
	for (size_t i = 0; i < ncr; i++)
		if (owned[i])
			kdbx_provider_free(&cr[i]);
	kdbx_vdict_free(&add);
	kdbx_slots__kdbxtool_free(&devs, nd);
	kdbx_memzero(kek, sizeof(kek));
	kdbx_memzero(nkek, sizeof(nkek));
	kdbx_memzero(tmp, sizeof(tmp));
	return rc;
}

int kdbx_slots_revoke(kdbx_db *db, const char *label, const kdbx_slot_providers *providers, int drop_missing,
                      const kdbx_interaction *interaction)
{
	int rc;

	if ((rc = need_key(db)) != KDBX_OK)
		return rc;
	if (label == NULL)
		return kdbx_error__set(KDBX_EINVALID, "revoke: no label");
	if (kdbx_slots_mode(db) == KDBX_MODE_KDBXTOOL)
		return rekey_mode2(db, label, providers, drop_missing);
	if (kdbx_slots_mode(db) != KDBX_MODE_SLOTS)
		return kdbx_error__set(KDBX_EINVALID, "the database has no enrolled devices");
	return rekey(db, label, providers, drop_missing, interaction, -1, -1);
}

int kdbx_slots_rotate(kdbx_db *db, const kdbx_slot_providers *providers, int drop_missing,
                      const kdbx_interaction *interaction)
{
	int rc;

	if ((rc = need_key(db)) != KDBX_OK)
		return rc;
	if (kdbx_slots_mode(db) == KDBX_MODE_KDBXTOOL)
		return rekey_mode2(db, NULL, providers, drop_missing);
	if (kdbx_slots_mode(db) != KDBX_MODE_SLOTS)
		return kdbx_error__set(KDBX_EINVALID, "the database has no enrolled devices");
	return rekey(db, NULL, providers, drop_missing, interaction, -1, -1);
}

int kdbx_slots_set_policy(kdbx_db *db, unsigned int k, int device_only, const kdbx_slot_providers *providers,
                          const kdbx_interaction *interaction)
{
	int rc;

	if ((rc = need_key(db)) != KDBX_OK)
		return rc;
	if (k == 0 || k > KDBX_SLOTS_MAX)
		return kdbx_error__set(KDBX_EINVALID, "policy: k must be 1..%d", KDBX_SLOTS_MAX);
	if (kdbx_slots_mode(db) != KDBX_MODE_SLOTS)
		return kdbx_error__set(KDBX_EINVALID, "policies need the slot format (mode 3)");
	/* The policy is authenticated by every group, so all are sealed again
	 * with the devices' secrets (KEK rotated too). */
	return rekey(db, NULL, providers, 0, interaction, (int)k, device_only ? KDBX_SLOTS_F_DEVICE_ONLY : 0);
}

/* ---------------- recovery key ---------------- */

int kdbx_slots_recovery_add(kdbx_db *db, kdbx_secret **out)
{
	v3_state st;
	v3_slot s;
	kdbx_secret *secret = NULL;
	uint8_t kek[32], rk[32];
	int rc;

	if (out != NULL)
		*out = NULL;
	if ((rc = need_key(db)) != KDBX_OK)
		return rc;
	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "recovery: no output");
	if (kdbx_slots_mode(db) != KDBX_MODE_SLOTS)
		return kdbx_error__set(KDBX_EINVALID, "enrol a device first: a recovery key is a slot of the "
		                       "slot format (mode 3)");
	if ((rc = load_v3(db, &st, kek)) != KDBX_OK)
		return rc;
	/* One recovery key per database: an older one goes. */
	for (size_t i = st.nslots; i-- > 0;)
		if (!st.slots[i].broken && st.slots[i].kind == KDBX_SLOT_KIND_RECOVERY) {
			uint32_t id = st.slots[i].id;
			free(st.slots[i].label);
			free(st.slots[i].meta);
			free(st.slots[i].raw);
			memmove(&st.slots[i], &st.slots[i + 1], (st.nslots - i - 1) * sizeof(st.slots[0]));
			st.nslots--;
			for (size_t g = st.ngroups; g-- > 0;)
				if (st.groups[g].n == 1 && st.groups[g].ids[0] == id) {
					memmove(&st.groups[g], &st.groups[g + 1], (st.ngroups - g - 1) * sizeof(st.groups[0]));
					st.ngroups--;
				}
		}
	memset(&s, 0, sizeof(s));
	s.version = KDBX_SLOT_RECORD_VERSION;
	s.kind = KDBX_SLOT_KIND_RECOVERY;
	s.id = st.next_id++;
	s.created = kdbx_time_now();
	snprintf(s.type, sizeof(s.type), "recovery");
	if ((rc = kdbx_random(rk, 32)) != KDBX_OK || (rc = kdbx_secret_new(&secret, rk, 32)) != KDBX_OK)
		goto out;
	s.label = kdbx_strdup("Recovery key");
	s.meta = malloc(1);
	if (s.label == NULL || s.meta == NULL) {
		free(s.label);
		free(s.meta);
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		goto out;
	}
	s.meta[0] = 1;
	s.meta_len = 1;
	if ((rc = append_slot(&st, &s)) != KDBX_OK) {
		free(s.label);
		free(s.meta);
		goto out;
	}
	if ((rc = add_single_group(&st, secret, kek)) != KDBX_OK || (rc = kdbx_v3__recovery_format(rk, out)) != KDBX_OK)
		goto out;
	{
		change ch = {&st, true, NULL, KEK3(&st), kek, (st.flags & KDBX_SLOTS_F_DEVICE_ONLY) ? 1 : -1,
		             true, NULL};
		if ((rc = commit(db, &ch)) != KDBX_OK)
			kdbx_secret_free(out);
	}
out:
	kdbx_secret_free(&secret);
	kdbx_v3__free(&st);
	kdbx_memzero(kek, sizeof(kek));
	kdbx_memzero(rk, sizeof(rk));
	return rc;
}

int kdbx_slots_recovery_remove(kdbx_db *db)
{
	v3_state st;
	uint8_t kek[32];
	bool any = false;
	int rc;

	if ((rc = need_key(db)) != KDBX_OK)
		return rc;
	if (kdbx_slots_mode(db) != KDBX_MODE_SLOTS)
		return kdbx_error__set(KDBX_ENOTFOUND, "no recovery key");
	if ((rc = load_v3(db, &st, kek)) != KDBX_OK)
		return rc;
	for (size_t i = st.nslots; i-- > 0;)
		if (!st.slots[i].broken && st.slots[i].kind == KDBX_SLOT_KIND_RECOVERY) {
			uint32_t id = st.slots[i].id;
			any = true;
			free(st.slots[i].label);
			free(st.slots[i].meta);
			free(st.slots[i].raw);
			memmove(&st.slots[i], &st.slots[i + 1], (st.nslots - i - 1) * sizeof(st.slots[0]));
			st.nslots--;
			for (size_t g = st.ngroups; g-- > 0;)
				if (st.groups[g].n == 1 && st.groups[g].ids[0] == id) {
					memmove(&st.groups[g], &st.groups[g + 1], (st.ngroups - g - 1) * sizeof(st.groups[0]));
					st.ngroups--;
				}
		}
	if (!any) {
		rc = kdbx_error__set(KDBX_ENOTFOUND, "no recovery key");
	} else {
		change ch = {&st, true, NULL, KEK3(&st), kek, (st.flags & KDBX_SLOTS_F_DEVICE_ONLY) ? 1 : -1,
		             true, NULL};
		rc = commit(db, &ch);
	}
	kdbx_v3__free(&st);
	kdbx_memzero(kek, sizeof(kek));
	return rc;
}

/* ---------------- conversion ---------------- */

static void label_for(kdbx_slot_provider *p, size_t i, char *buf, size_t n)
{
	if (p->describe == NULL || p->describe(p, buf, n) != KDBX_OK || buf[0] == '\0') {
		kdbx_error_clear();
		snprintf(buf, n, "%s %zu", p->type, i + 1);
	}
}

int kdbx_slots_convert(kdbx_db *db, kdbx_slot_mode to, const kdbx_slot_providers *providers,
                       const kdbx_interaction *interaction)
{
	kdbx_slot_mode from;
	int rc;

	if ((rc = need_key(db)) != KDBX_OK)
		return rc;
	from = kdbx_slots_mode(db);
	if (to == KDBX_MODE_NONE) {
		change ch = {NULL, true, NULL, 0, NULL, -1, true, NULL};
		return commit(db, &ch);
	}
	if (to == KDBX_MODE_KEEPASSXC) {
		kdbx_provider *cr = NULL, *use = NULL;
		bool owned = false;
		size_t n = 0;
		for (size_t i = 0; providers != NULL && i < providers->count; i++) {
			if (kdbx_slots__cr_of(providers->items[i], &cr, &owned) != KDBX_OK) {
				kdbx_error_clear();
				continue;
			}
			if (owned) {
				kdbx_provider_free(&cr);
				return kdbx_error__set(KDBX_EINVALID, "KeePassXC mode: pass the key as a challenge-response "
				                       "provider (kdbx_slot_provider_from_cr), it is used on every save");
			}
			use = cr;
			n++;
		}
		if (n != 1)
			return kdbx_error__set(KDBX_EINVALID, "KeePassXC mode takes exactly one challenge-response key");
		/* The device must answer before anything changes. */
		{
			static const uint8_t probe[32] = {0};
			kdbx_secret *r = NULL;
			if ((rc = kdbx_provider_challenge_response(use, probe, sizeof(probe), &r)) != KDBX_OK)
				return rc;
			kdbx_secret_free(&r);
		}
		change ch = {NULL, true, NULL, 0, NULL, -1, true, use};
		return commit(db, &ch);
	}
	if (to == KDBX_MODE_KDBXTOOL || to == KDBX_MODE_SLOTS) {
		/* Re-enrol every given device into a fresh table; replace at the end. */
		kdbx_secret *secrets[KDBX_SLOTS_MAX] = {NULL};
		uint8_t kek[32], ver = 0x02, salt[32];
		kdbx_vdict add = {NULL, 0};
		v3_state st;
		char label[257];

		if (providers == NULL || providers->count == 0)
			return kdbx_error__set(KDBX_EINVALID, "convert: give the devices to enrol");
		if (!db->key->has_password && !db->key->has_keyfile)
			return kdbx_error__set(KDBX_EINVALID, "convert: set a password or key file first");
		(void)from;
		new_v3(&st);
		if ((rc = kdbx_random(st.db_id, 16)) != KDBX_OK || (rc = kdbx_random(kek, 32)) != KDBX_OK ||
		    (rc = mode2_salt(salt)) != KDBX_OK)
			goto cout;
		if (to == KDBX_MODE_KDBXTOOL && ((rc = kdbx_vdict_set(&add, 0x42, KDBXTOOL_VERSION_KEY, &ver, 1)) != KDBX_OK ||
		                                 (rc = kdbx_vdict_set(&add, 0x42, KDBXTOOL_SALT_KEY, salt, 32)) != KDBX_OK))
			goto cout;
		for (size_t i = 0; i < providers->count && i < KDBX_SLOTS_MAX; i++) {
			kdbx_slot_provider *p = providers->items[i];
			label_for(p, i, label, sizeof(label));
			for (int n = 2; slot_by_label(&st, label) != NULL && n < 100; n++) {
				size_t l = strlen(label);
				snprintf(label + (l > 240 ? 240 : l), sizeof(label) - (l > 240 ? 240 : l), " (%d)", n);
			}
			if (to == KDBX_MODE_SLOTS) {
				if ((rc = enrol_into(&st, p, label, interaction, NULL, &secrets[st.nslots])) != KDBX_OK)
					goto cout;
			} else {
				kdbx_provider *cr = NULL;
				bool owned = false;
				kdbx_secret *r = NULL;
				if ((rc = kdbx_slots__cr_of(p, &cr, &owned)) != KDBX_OK) {
					rc = kdbx_error__set(KDBX_EUNSUPPORTED, "kdbxtool mode needs challenge-response devices");
					goto cout;
				}
				rc = kdbx_slots__cr_ask(cr, salt, 32, &r);
				if (rc == KDBX_OK)
					rc = mode2_item(&add, (uint32_t)i, kdbxtool_type(cr), label, kek, r);
				kdbx_secret_free(&r);
				if (owned)
					kdbx_provider_free(&cr);
				if (rc != KDBX_OK)
					goto cout;
				/* track labels for uniqueness */
				v3_slot s;
				memset(&s, 0, sizeof(s));
				s.label = kdbx_strdup(label);
				if (s.label == NULL || (rc = append_slot(&st, &s)) != KDBX_OK) {
					free(s.label);
					rc = rc != KDBX_OK ? rc : kdbx_error__set(KDBX_ENOMEM, "out of memory");
					goto cout;
				}
			}
		}
		if (to == KDBX_MODE_SLOTS) {
			if ((rc = build_groups(&st, secrets, kek)) != KDBX_OK)
				goto cout;
			change ch = {&st, true, NULL, KDBX_KEK_COMPONENT, kek, -1, true, NULL};
			rc = commit(db, &ch);
		} else {
			change ch = {NULL, true, &add, KDBX_KEK_XOR, kek, -1, true, NULL};
			rc = commit(db, &ch);
		}
	cout:
		for (size_t i = 0; i < KDBX_SLOTS_MAX; i++)
			kdbx_secret_free(&secrets[i]);
		kdbx_vdict_free(&add);
		kdbx_v3__free(&st);
		kdbx_memzero(kek, sizeof(kek));
		return rc;
	}
	return kdbx_error__set(KDBX_EINVALID, "convert: unknown mode %d", (int)to);
}
