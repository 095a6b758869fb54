/* Reading slot state from the outer header's public custom data, listing,
 * and opening a database through its slots (docs/multi-device-format.md 7;
 * mode 2: kdbxtool-notes 1.8, without its bugs). */
#include <stdio.h>
#include <stdlib.h>

#include "keys/keys_private.h"
#include "model/model.h"
#include "slots/slots_internal.h"

int kdbx_slots__mode_of(const uint8_t *pcd, size_t len, kdbx_slot_mode *mode)
{
	kdbx_vdict d = {NULL, 0};
	const kdbx_vdict_item *it;
	int rc;

	*mode = KDBX_MODE_NONE;
	if (pcd == NULL || len == 0)
		return KDBX_OK;
	if ((rc = kdbx_vdict_parse(&d, pcd, len)) != KDBX_OK)
		return rc;
	if (kdbx_vdict_get(&d, KDBX_SLOTS_KEY) != NULL) {
		*mode = KDBX_MODE_SLOTS;
	} else if ((it = kdbx_vdict_get(&d, KDBXTOOL_VERSION_KEY)) != NULL) {
		if (it->type != 0x42 || it->len != 1 || it->value[0] != 0x02)
			rc = kdbx_error__set(KDBX_EUNSUPPORTED, "unknown kdbxtool challenge-response version");
		else
			*mode = KDBX_MODE_KDBXTOOL;
	}
	kdbx_vdict_free(&d);
	return rc;
}

kdbx_slot_mode kdbx_slots_mode(const kdbx_db *db)
{
	kdbx_slot_mode m = KDBX_MODE_NONE;

	if (db == NULL)
		return KDBX_MODE_NONE;
	if (kdbx_slots__mode_of(db->public_custom_data, db->public_custom_data_len, &m) != KDBX_OK) {
		kdbx_error_clear();
		return KDBX_MODE_NONE;
	}
	if (m == KDBX_MODE_NONE && db->key != NULL && kdbx_key_has_challenge_response(db->key))
		m = KDBX_MODE_KEEPASSXC;
	return m;
}

int kdbx_slots__load(const uint8_t *pcd, size_t len, v3_state *st)
{
	kdbx_vdict d = {NULL, 0};
	const kdbx_vdict_item *it;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = kdbx_vdict_parse(&d, pcd, len)) != KDBX_OK)
		return rc;
	it = kdbx_vdict_get(&d, KDBX_SLOTS_KEY);
	if (it == NULL)
		rc = kdbx_error__set(KDBX_ENOTFOUND, "no slot table");
	else if (it->type != 0x42)
		rc = kdbx_error__set(KDBX_ECORRUPT, "slot table has the wrong type");
	else
		rc = kdbx_v3__parse(st, it->value, it->len);
	kdbx_vdict_free(&d);
	return rc;
}

int kdbx_slots__kdbxtool_load(const uint8_t *pcd, size_t len, uint8_t salt[32],
                              kdbxtool_device **devs, size_t *ndevs, size_t *ncorrupt)
{
	kdbx_vdict d = {NULL, 0};
	const kdbx_vdict_item *it;
	size_t pl = strlen(KDBXTOOL_DEVICE_PREFIX);
	int rc;

	*devs = NULL;
	*ndevs = 0;
	*ncorrupt = 0;
	if ((rc = kdbx_vdict_parse(&d, pcd, len)) != KDBX_OK)
		return rc;
	it = kdbx_vdict_get(&d, KDBXTOOL_SALT_KEY);
	if (it == NULL || it->type != 0x42 || it->len != 32) {
		rc = kdbx_error__set(KDBX_ECORRUPT, "kdbxtool database without a 32-byte challenge salt");
		goto out;
	}
	memcpy(salt, it->value, 32);
	if ((*devs = calloc(d.count > 0 ? d.count : 1, sizeof(**devs))) == NULL) {
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		goto out;
	}
	/* File order, as kdbxtool tries them. */
	for (size_t i = 0; i < d.count; i++) {
		const kdbx_vdict_item *e = &d.items[i];
		char *end = NULL;
		unsigned long n;
		if (strncmp(e->name, KDBXTOOL_DEVICE_PREFIX, pl) != 0)
			continue;
		n = strtoul(e->name + pl, &end, 10);
		if (e->type != 0x42 || end == e->name + pl || *end != '\0' || n > UINT32_MAX ||
		    kdbx_kdbxtool__parse_device(e->value, e->len, &(*devs)[*ndevs]) != KDBX_OK) {
			kdbx_error_clear();
			(*ncorrupt)++;
			continue;
		}
		(*devs)[(*ndevs)++].index = (uint32_t)n;
	}
out:
	kdbx_vdict_free(&d);
	return rc;
}

void kdbx_slots__kdbxtool_free(kdbxtool_device **devs, size_t n)
{
	for (size_t i = 0; *devs != NULL && i < n; i++)
		kdbx_kdbxtool__device_free(&(*devs)[i]);
	free(*devs);
	*devs = NULL;
}

/* ---- listing ---- */

void kdbx_slots__device_id(const v3_slot *s, char *buf, size_t buflen)
{
	uint8_t h[32];
	char hex[17];

	if (strcmp(s->type, "yubikey-hmac") == 0 && s->meta_len == 38 && s->meta[0] == 1) {
		snprintf(buf, buflen, "yubikey:%u/%u", (unsigned)kdbx_le32(s->meta + 2), s->meta[1]);
		return;
	}
	if (s->kind == KDBX_SLOT_KIND_RECOVERY) {
		snprintf(buf, buflen, "recovery-key");
		return;
	}
	if (s->meta_len == 42 && s->meta[0] == 1 && (s->meta[1] & 1)) { /* CR adapter fingerprint */
		kdbx_hex_encode(hex, s->meta + 34, 8, false);
		snprintf(buf, buflen, "%s:%s", s->type, hex);
		return;
	}
	/* Other providers: a short hash of the metadata identifies the slot. */
	if (kdbx_sha256(s->meta, s->meta_len, h) != KDBX_OK) {
		kdbx_error_clear();
		memset(h, 0, sizeof(h));
	}
	kdbx_hex_encode(hex, h, 8, false);
	snprintf(buf, buflen, "%s:%s", s->type, hex);
}

static int list_pcd(const uint8_t *pcd, size_t len, kdbx_slot_info **out, size_t *count)
{
	kdbx_slot_mode mode;
	kdbx_slot_info *l = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = kdbx_slots__mode_of(pcd, len, &mode)) != KDBX_OK)
		return rc;
	if (mode == KDBX_MODE_SLOTS) {
		v3_state st;
		if ((rc = kdbx_slots__load(pcd, len, &st)) != KDBX_OK)
			return rc;
		if ((l = calloc(st.nslots + 1, sizeof(*l))) == NULL) {
			kdbx_v3__free(&st);
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		}
		for (size_t i = 0; i < st.nslots; i++) {
			const v3_slot *s = &st.slots[i];
			kdbx_slot_info *o = &l[n++];
			o->id = s->id;
			if (s->broken) {
				snprintf(o->label, sizeof(o->label), "(unreadable slot, record version %u)", s->version);
				snprintf(o->type, sizeof(o->type), "unknown");
				continue;
			}
			snprintf(o->label, sizeof(o->label), "%s", s->label);
			snprintf(o->type, sizeof(o->type), "%s", s->type);
			kdbx_slots__device_id(s, o->device_id, sizeof(o->device_id));
			o->created = s->created;
			o->last_used = s->last_used;
			o->flags = s->flags;
			if (s->kind == KDBX_SLOT_KIND_RECOVERY)
				o->flags |= KDBX_SLOT_F_RECOVERY;
			if (st.flags & KDBX_SLOTS_F_DEVICE_ONLY)
				o->flags |= KDBX_SLOT_F_DEVICE_ONLY;
		}
		kdbx_v3__free(&st);
	} else if (mode == KDBX_MODE_KDBXTOOL) {
		kdbxtool_device *d = NULL;
		size_t nd = 0, bad = 0;
		uint8_t salt[32];
		if ((rc = kdbx_slots__kdbxtool_load(pcd, len, salt, &d, &nd, &bad)) != KDBX_OK)
			return rc;
		if ((l = calloc(nd + 1, sizeof(*l))) == NULL) {
			kdbx_slots__kdbxtool_free(&d, nd);
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		}
		for (size_t i = 0; i < nd; i++) {
			kdbx_slot_info *o = &l[n++];
			o->id = d[i].index;
			snprintf(o->label, sizeof(o->label), "%s", d[i].label);
			snprintf(o->type, sizeof(o->type), "%s", d[i].type);
			snprintf(o->device_id, sizeof(o->device_id), "%s", d[i].id);
		}
		kdbx_slots__kdbxtool_free(&d, nd);
	}
	if (n == 0) {
		free(l);
		l = NULL;
	}
	*out = l;
	*count = n;
	return KDBX_OK;
}

int kdbx_slots_list(const kdbx_db *db, kdbx_slot_info **out, size_t *count)
{
	if (db == NULL || out == NULL || count == NULL)
		return kdbx_error__set(KDBX_EINVALID, "slots list: invalid argument");
	return list_pcd(db->public_custom_data, db->public_custom_data_len, out, count);
}

/* Enough for every outer header but one with a huge public custom data field; such a
 * header is parsed from the whole file. */
#define HEADER_PREFIX ((size_t)256 << 10)

/* The outer header only: the start of the file, not all of a large one (every command
 * asks for the slots mode before opening). */
static int read_header(const char *path, kdbx_container *c)
{
	kdbx_buf b = KDBX_BUF_INIT;
	size_t hl = 0;
	bool whole = false;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = kdbx_file_read_prefix(path, HEADER_PREFIX, &b, &whole)) != KDBX_OK)
		return rc;
	rc = kdbx_header__parse(c, b.data, b.len, &hl);
	if (rc != KDBX_OK && !whole) {
		kdbx_container_free(c);
		memset(c, 0, sizeof(*c));
		kdbx_buf_reset(&b);
		kdbx_error_clear();
		if ((rc = kdbx_file_read(path, &b)) == KDBX_OK)
			rc = kdbx_header__parse(c, b.data, b.len, &hl);
	}
	kdbx_buf_free(&b);
	return rc;
}

int kdbx_slots_list_file(const char *path, kdbx_slot_info **out, size_t *count)
{
	kdbx_container c;
	int rc;

	if (path == NULL || out == NULL || count == NULL)
		return kdbx_error__set(KDBX_EINVALID, "slots list: invalid argument");
	if ((rc = read_header(path, &c)) == KDBX_OK)
		rc = list_pcd(c.public_custom_data, c.public_custom_data_len, out, count);
	kdbx_container_free(&c);
	return rc;
}

int kdbx_slots_file_mode(const char *path, kdbx_slot_mode *mode)
{
	kdbx_container c;
	int rc;

	if (path == NULL || mode == NULL)
		return kdbx_error__set(KDBX_EINVALID, "slots mode: invalid argument");
	if ((rc = read_header(path, &c)) == KDBX_OK)
		rc = kdbx_slots__mode_of(c.public_custom_data, c.public_custom_data_len, mode);
	kdbx_container_free(&c);
	return rc;
}

void kdbx_slots_list_free(kdbx_slot_info **list)
{
	if (list == NULL)
		return;
	free(*list);
	*list = NULL;
}

const char *kdbx_slots_mode_warning(kdbx_slot_mode mode)
{
	switch (mode) {
	case KDBX_MODE_KDBXTOOL:
		return "this database will only open in kdbx and kdbxtool: KeePassXC, KeePass, KeePassDX, "
		       "Keepass2Android, KeePassium, Strongbox and KeeWeb will report wrong credentials";
	case KDBX_MODE_SLOTS:
		return "this database will only open in kdbx (libkdbx): KeePassXC, KeePass, KeePassDX, "
		       "Keepass2Android, KeePassium, Strongbox, KeeWeb and kdbxtool will report wrong "
		       "credentials. Keep a recovery key (kdbx device recovery add) or a password-only "
		       "copy (kdbx device disable) somewhere safe";
	default:
		return NULL;
	}
}
