/* Mode 3 slot table: serialisation and key wrapping
 * (docs/multi-device-format.md sections 3-6). */
#include <stdio.h>
#include <stdlib.h>

#include "slots/slots_internal.h"

#define AAD_LABEL "kdbx-slots-v3"
#define HDR_LEN (8 + 4 + 16 + 4) /* magic, format/flags/k/reserved, db id, next id */

typedef struct rd {
	const uint8_t *p;
	size_t left;
} rd;

static bool take(rd *r, void *dst, size_t n)
{
	if (r->left < n)
		return false;
	if (dst != NULL)
		memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return true;
}

static bool take_u8(rd *r, uint8_t *v)
{
	return take(r, v, 1);
}

static bool take_u16(rd *r, uint16_t *v)
{
	uint8_t b[2];
	if (!take(r, b, 2))
		return false;
	*v = (uint16_t)(b[0] | (b[1] << 8));
	return true;
}

static bool take_u32(rd *r, uint32_t *v)
{
	uint8_t b[4];
	if (!take(r, b, 4))
		return false;
	*v = kdbx_le32(b);
	return true;
}

static bool take_i64(rd *r, int64_t *v)
{
	uint8_t b[8];
	if (!take(r, b, 8))
		return false;
	*v = (int64_t)kdbx_le64(b);
	return true;
}

static void slot_free(v3_slot *s)
{
	free(s->label);
	free(s->meta);
	free(s->raw);
	memset(s, 0, sizeof(*s));
}

void kdbx_v3__free(v3_state *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->nslots; i++)
		slot_free(&st->slots[i]);
	free(st->slots);
	if (st->groups != NULL)
		kdbx_memzero(st->groups, st->ngroups * sizeof(*st->groups));
	free(st->groups);
	memset(st, 0, sizeof(*st));
}

/* Fills s from one record; false = damaged or unknown version. */
static bool parse_record(v3_slot *s, const uint8_t *p, size_t n)
{
	rd r = {p, n};
	uint8_t tl;
	uint16_t ll;
	uint32_t ml;

	if (!take_u8(&r, &s->version) || s->version != KDBX_SLOT_RECORD_VERSION)
		return false;
	if (!take_u8(&r, &s->kind) || s->kind > KDBX_SLOT_KIND_RECOVERY || !take_u16(&r, &s->flags) ||
	    !take_u32(&r, &s->id) || !take_i64(&r, &s->created) || !take_u8(&r, &tl) || tl == 0 ||
	    tl >= sizeof(s->type) || !take(&r, s->type, tl))
		return false;
	s->type[tl] = '\0';
	if (strlen(s->type) != tl || !take_u16(&r, &ll) || ll == 0 || ll > 256 || r.left < ll)
		return false;
	if ((s->label = malloc((size_t)ll + 1)) == NULL)
		return false;
	take(&r, s->label, ll);
	s->label[ll] = '\0';
	if (strlen(s->label) != ll || !take_u32(&r, &ml) || ml > 65536 || r.left < ml)
		return false;
	if (ml > 0) {
		if ((s->meta = malloc(ml)) == NULL)
			return false;
		take(&r, s->meta, ml);
	}
	s->meta_len = ml;
	return take_i64(&r, &s->last_used) && r.left == 0;
}

int kdbx_v3__parse(v3_state *st, const uint8_t *data, size_t len)
{
	rd r = {data, len};
	uint8_t magic[8], reserved;
	uint16_t ns, ng;

	memset(st, 0, sizeof(*st));
	if (data == NULL || !take(&r, magic, 8) || memcmp(magic, KDBX_SLOTS_MAGIC, 8) != 0 ||
	    !take_u8(&r, &st->format))
		return kdbx_error__set(KDBX_ECORRUPT, "slot table damaged (header)");
	if (st->format != KDBX_SLOTS_FORMAT)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "slot table format %u is not supported (this "
		                       "version reads format 3)", st->format);
	if (!take_u8(&r, &st->flags) || !take_u8(&r, &reserved) || !take_u8(&r, &st->k) ||
	    !take(&r, st->db_id, 16) || !take_u32(&r, &st->next_id) || !take_u16(&r, &ns) ||
	    ns > KDBX_SLOTS_MAX || st->k == 0)
		goto bad;
	(void)reserved;
	if (ns > 0 && (st->slots = calloc(ns, sizeof(*st->slots))) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	for (uint16_t i = 0; i < ns; i++) {
		v3_slot *s = &st->slots[i];
		uint32_t rl;
		st->nslots++;
		if (!take_u32(&r, &rl) || rl > r.left)
			goto bad;
		if ((s->raw = malloc(rl > 0 ? rl : 1)) == NULL)
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		memcpy(s->raw, r.p, rl);
		s->raw_len = rl;
		if (!parse_record(s, r.p, rl)) {
			uint8_t *raw = s->raw;
			uint8_t ver = rl > 0 ? r.p[0] : 0;
			uint32_t id = rl >= 8 ? kdbx_le32(r.p + 4) : 0;
			free(s->label);
			free(s->meta);
			memset(s, 0, sizeof(*s));
			s->raw = raw;
			s->raw_len = rl;
			s->broken = true;
			s->version = ver;
			s->id = id;
		}
		take(&r, NULL, rl);
	}
	if (!take_u16(&r, &ng) || ng > KDBX_SLOT_GROUPS_MAX)
		goto bad;
	if (ng > 0 && (st->groups = calloc(ng, sizeof(*st->groups))) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	for (uint16_t i = 0; i < ng; i++) {
		v3_group *g = &st->groups[i];
		st->ngroups++;
		if (!take_u8(&r, &g->n) || g->n == 0 || g->n > KDBX_SLOTS_MAX)
			goto bad;
		for (uint8_t k = 0; k < g->n; k++)
			if (!take_u32(&r, &g->ids[k]))
				goto bad;
		if (!take(&r, g->nonce, 12) || !take(&r, g->ct, 32) || !take(&r, g->tag, 16))
			goto bad;
	}
	if (r.left != 0)
		goto bad;
	return KDBX_OK;
bad:
	kdbx_v3__free(st);
	return kdbx_error__set(KDBX_ECORRUPT, "slot table damaged (truncated or inconsistent)");
}

/* The authenticated part of a record (everything but last_used). */
static int record_auth(const v3_slot *s, kdbx_buf *out)
{
	size_t tl = strlen(s->type), ll = strlen(s->label);
	int rc;

	if ((rc = kdbx_buf_append_byte(out, s->version)) != KDBX_OK ||
	    (rc = kdbx_buf_append_byte(out, s->kind)) != KDBX_OK ||
	    (rc = kdbx_buf_append(out, (uint8_t[]){(uint8_t)s->flags, (uint8_t)(s->flags >> 8)}, 2)) != KDBX_OK ||
	    (rc = kdbx_buf_append_le32(out, s->id)) != KDBX_OK ||
	    (rc = kdbx_buf_append_le64(out, (uint64_t)s->created)) != KDBX_OK ||
	    (rc = kdbx_buf_append_byte(out, (uint8_t)tl)) != KDBX_OK ||
	    (rc = kdbx_buf_append(out, s->type, tl)) != KDBX_OK ||
	    (rc = kdbx_buf_append(out, (uint8_t[]){(uint8_t)ll, (uint8_t)(ll >> 8)}, 2)) != KDBX_OK ||
	    (rc = kdbx_buf_append(out, s->label, ll)) != KDBX_OK ||
	    (rc = kdbx_buf_append_le32(out, (uint32_t)s->meta_len)) != KDBX_OK)
		return rc;
	return s->meta_len > 0 ? kdbx_buf_append(out, s->meta, s->meta_len) : KDBX_OK;
}

int kdbx_v3__write(const v3_state *st, kdbx_buf *out)
{
	kdbx_buf rec = KDBX_BUF_INIT;
	int rc;

	if ((rc = kdbx_buf_append(out, KDBX_SLOTS_MAGIC, 8)) != KDBX_OK ||
	    (rc = kdbx_buf_append(out, (uint8_t[]){st->format, st->flags, 0, st->k}, 4)) != KDBX_OK ||
	    (rc = kdbx_buf_append(out, st->db_id, 16)) != KDBX_OK ||
	    (rc = kdbx_buf_append_le32(out, st->next_id)) != KDBX_OK ||
	    (rc = kdbx_buf_append(out, (uint8_t[]){(uint8_t)st->nslots, (uint8_t)(st->nslots >> 8)}, 2)) != KDBX_OK)
		return rc;
	for (size_t i = 0; i < st->nslots; i++) {
		const v3_slot *s = &st->slots[i];
		kdbx_buf_reset(&rec);
		if (s->broken)
			rc = kdbx_buf_append(&rec, s->raw, s->raw_len);
		else if ((rc = record_auth(s, &rec)) == KDBX_OK)
			rc = kdbx_buf_append_le64(&rec, (uint64_t)s->last_used);
		if (rc != KDBX_OK || (rc = kdbx_buf_append_le32(out, (uint32_t)rec.len)) != KDBX_OK ||
		    (rc = kdbx_buf_append(out, rec.data, rec.len)) != KDBX_OK)
			goto out;
	}
	if ((rc = kdbx_buf_append(out, (uint8_t[]){(uint8_t)st->ngroups, (uint8_t)(st->ngroups >> 8)}, 2)) != KDBX_OK)
		goto out;
	for (size_t i = 0; i < st->ngroups; i++) {
		const v3_group *g = &st->groups[i];
		if ((rc = kdbx_buf_append_byte(out, g->n)) != KDBX_OK)
			goto out;
		for (uint8_t k = 0; k < g->n; k++)
			if ((rc = kdbx_buf_append_le32(out, g->ids[k])) != KDBX_OK)
				goto out;
		if ((rc = kdbx_buf_append(out, g->nonce, 12)) != KDBX_OK || (rc = kdbx_buf_append(out, g->ct, 32)) != KDBX_OK ||
		    (rc = kdbx_buf_append(out, g->tag, 16)) != KDBX_OK)
			goto out;
	}
out:
	kdbx_buf_free(&rec);
	return rc;
}

v3_slot *kdbx_v3__find(v3_state *st, uint32_t id)
{
	for (size_t i = 0; i < st->nslots; i++)
		if (!st->slots[i].broken && st->slots[i].id == id)
			return &st->slots[i];
	return NULL;
}

int kdbx_v3__group_aad(const v3_state *st, const v3_group *g, kdbx_buf *aad)
{
	int rc;

	if ((rc = kdbx_buf_append(aad, AAD_LABEL, sizeof(AAD_LABEL))) != KDBX_OK ||
	    (rc = kdbx_buf_append(aad, (uint8_t[]){st->format, st->flags, 0, st->k}, 4)) != KDBX_OK ||
	    (rc = kdbx_buf_append(aad, st->db_id, 16)) != KDBX_OK || (rc = kdbx_buf_append_byte(aad, g->n)) != KDBX_OK)
		return rc;
	for (uint8_t i = 0; i < g->n; i++) {
		const v3_slot *s = kdbx_v3__find((v3_state *)st, g->ids[i]);
		if (s == NULL)
			return kdbx_error__set(KDBX_ECORRUPT, "slot group names a missing slot");
		if ((rc = kdbx_buf_append_le32(aad, g->ids[i])) != KDBX_OK || (rc = record_auth(s, aad)) != KDBX_OK)
			return rc;
	}
	return KDBX_OK;
}

int kdbx_v3__group_key(const v3_state *st, const v3_group *g, kdbx_secret *const *secrets, uint8_t key[32])
{
	static const char slot_info[] = "kdbx-slots-v3 slot";
	static const char group_info[] = "kdbx-slots-v3 group";
	uint8_t *ikm = kdbx_secure_alloc((size_t)g->n * 32);
	uint8_t salt[20];
	int rc = KDBX_OK;

	if (ikm == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	/* Each device secret -> 32 bytes bound to this database and slot id;
	 * their concatenation (group order) -> the group wrapping key. */
	memcpy(salt, st->db_id, 16);
	for (uint8_t i = 0; i < g->n && rc == KDBX_OK; i++) {
		if (secrets[i] == NULL || kdbx_secret_len(secrets[i]) < 16) {
			rc = kdbx_error__set(KDBX_EDEVICE, "device secret shorter than 16 bytes");
			break;
		}
		kdbx_put_le32(salt + 16, g->ids[i]);
		rc = kdbx_hkdf_sha256(kdbx_secret_data(secrets[i]), kdbx_secret_len(secrets[i]), salt, sizeof(salt),
		                      (const uint8_t *)slot_info, sizeof(slot_info) - 1, ikm + 32 * (size_t)i, 32);
	}
	if (rc == KDBX_OK)
		rc = kdbx_hkdf_sha256(ikm, (size_t)g->n * 32, st->db_id, 16, (const uint8_t *)group_info,
		                      sizeof(group_info) - 1, key, 32);
	kdbx_secure_free(ikm, (size_t)g->n * 32);
	return rc;
}

int kdbx_v3__group_seal(const v3_state *st, v3_group *g, kdbx_secret *const *secrets, const uint8_t kek[32])
{
	kdbx_buf aad = KDBX_BUF_INIT;
	uint8_t key[32];
	int rc;

	if ((rc = kdbx_random(g->nonce, 12)) == KDBX_OK && (rc = kdbx_v3__group_key(st, g, secrets, key)) == KDBX_OK &&
	    (rc = kdbx_v3__group_aad(st, g, &aad)) == KDBX_OK)
		rc = kdbx_aes_gcm_encrypt(key, g->nonce, aad.data, aad.len, kek, 32, g->ct, g->tag);
	kdbx_memzero(key, sizeof(key));
	kdbx_buf_free(&aad);
	return rc;
}

int kdbx_v3__group_open(const v3_state *st, const v3_group *g, kdbx_secret *const *secrets, uint8_t kek[32])
{
	kdbx_buf aad = KDBX_BUF_INIT;
	uint8_t key[32];
	int rc;

	if ((rc = kdbx_v3__group_key(st, g, secrets, key)) == KDBX_OK && (rc = kdbx_v3__group_aad(st, g, &aad)) == KDBX_OK)
		rc = kdbx_aes_gcm_decrypt(key, g->nonce, 12, aad.data, aad.len, g->ct, 32, g->tag, kek);
	kdbx_memzero(key, sizeof(key));
	kdbx_buf_free(&aad);
	return rc;
}

/* ---- recovery key text: 32 bytes + 2 check bytes (SHA-256), RFC 4648
 * base32 without padding, 55 characters in 11 groups of 5 ---- */

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int kdbx_v3__recovery_format(const uint8_t key[32], kdbx_secret **text)
{
	uint8_t raw[34], h[32];
	char out[66 + 1];
	size_t o = 0, bits = 0;
	uint32_t acc = 0;
	int rc, nchar = 0;

	if ((rc = kdbx_sha256(key, 32, h)) != KDBX_OK)
		return rc;
	memcpy(raw, key, 32);
	raw[32] = h[0];
	raw[33] = h[1];
	for (size_t i = 0; i < 34 || bits > 0; ) {
		if (bits < 5 && i < 34) {
			acc = (acc << 8) | raw[i++];
			bits += 8;
		} else if (bits < 5) {
			acc <<= 5 - bits;
			bits = 5;
		}
		if (nchar > 0 && nchar % 5 == 0)
			out[o++] = '-';
		out[o++] = B32[(acc >> (bits - 5)) & 31];
		bits -= 5;
		nchar++;
	}
	out[o] = '\0';
	rc = kdbx_secret_new(text, out, o);
	kdbx_memzero(out, sizeof(out));
	kdbx_memzero(raw, sizeof(raw));
	return rc;
}

int kdbx_v3__recovery_parse(const char *text, uint8_t key[32])
{
	uint8_t raw[35], h[32];
	size_t n = 0, bits = 0, nchar = 0;
	uint32_t acc = 0;
	int rc = KDBX_OK;

	if (text == NULL)
		return kdbx_error__set(KDBX_EINVALID, "no recovery key");
	for (const char *p = text; *p != '\0'; p++) {
		char c = *p;
		const char *at;
		if (c == '-' || c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == '0')
			c = 'O'; /* common misreadings */
		if (c == '1')
			c = 'I';
		if ((at = strchr(B32, c)) == NULL || c == '\0' || ++nchar > 55) {
			rc = kdbx_error__set(KDBX_EINVALID, "recovery key: unexpected character or too long");
			goto out;
		}
		acc = (acc << 5) | (uint32_t)(at - B32);
		bits += 5;
		if (bits >= 8) {
			raw[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	if (nchar != 55 || n != 34) {
		rc = kdbx_error__set(KDBX_EINVALID, "recovery key: expected 55 characters");
		goto out;
	}
	if ((rc = kdbx_sha256(raw, 32, h)) != KDBX_OK)
		goto out;
	if (h[0] != raw[32] || h[1] != raw[33]) {
		rc = kdbx_error__set(KDBX_EINVALID, "recovery key mistyped (check characters do not match)");
		goto out;
	}
	memcpy(key, raw, 32);
out:
	kdbx_memzero(raw, sizeof(raw));
	return rc;
}
