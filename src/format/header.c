/* Outer KDBX header: signatures, version, TLV fields (UInt16 lengths before KDBX 4, UInt32 in 4).
 * Spec: ../shared/reference/keepassxc-notes.md sections 3.1, 3.2, 1.5. */
#include <stdlib.h>

#include "crypto/crypto.h"
#include "format/container.h"

enum {
	HF_END = 0,
	HF_COMMENT = 1,
	HF_CIPHER = 2,
	HF_COMPRESSION = 3,
	HF_MASTER_SEED = 4,
	HF_TRANSFORM_SEED = 5,
	HF_TRANSFORM_ROUNDS = 6,
	HF_IV = 7,
	HF_STREAM_KEY = 8,
	HF_STREAM_START = 9,
	HF_STREAM_ID = 10,
	HF_KDF = 11,
	HF_PUBLIC_CUSTOM_DATA = 12
};

#define KDBX1_SIG2 0xB54BFB65u /* KeePass 1.x .kdb */
#define KDF_SEED_MIN 8

static const uint8_t end_field_data[4] = {'\r', '\n', '\r', '\n'};

/* Which fields were seen, to reject files that miss a required one. */
enum {
	SEEN_CIPHER = 1 << 0,
	SEEN_MASTER_SEED = 1 << 1,
	SEEN_TSEED = 1 << 2,
	SEEN_TROUNDS = 1 << 3,
	SEEN_IV = 1 << 4,
	SEEN_SKEY = 1 << 5,
	SEEN_SSTART = 1 << 6,
	SEEN_SID = 1 << 7,
	SEEN_KDF = 1 << 8
};

static int vdict_u64(const kdbx_vdict *d, const char *name, uint64_t *out, bool required)
{
	const kdbx_vdict_item *it = kdbx_vdict_get(d, name);
	if (it == NULL)
		return required ? kdbx_error__set(KDBX_ECORRUPT, "KDF parameter %s missing", name)
		                : KDBX_OK;
	if (it->type == 0x05 && it->len == 8)
		*out = kdbx_le64(it->value);
	else if (it->type == 0x04 && it->len == 4)
		*out = kdbx_le32(it->value); /* tolerate a narrower unsigned type */
	else
		return kdbx_error__set(KDBX_ECORRUPT, "KDF parameter %s has the wrong type", name);
	return KDBX_OK;
}

static int vdict_u32(const kdbx_vdict *d, const char *name, uint32_t *out)
{
	uint64_t v = 0;
	int rc = vdict_u64(d, name, &v, true);
	if (rc != KDBX_OK)
		return rc;
	if (v > UINT32_MAX)
		return kdbx_error__set(KDBX_ECORRUPT, "KDF parameter %s out of range", name);
	*out = (uint32_t)v;
	return KDBX_OK;
}

static int vdict_seed(const kdbx_vdict *d, kdbx_kdf_params *p, size_t min)
{
	const kdbx_vdict_item *it = kdbx_vdict_get(d, "S");
	if (it == NULL)
		return kdbx_error__set(KDBX_ECORRUPT, "KDF seed missing");
	if (it->type != 0x42 || it->len < min || it->len > sizeof(p->seed))
		return kdbx_error__set(KDBX_ECORRUPT, "KDF seed has a bad size");
	memcpy(p->seed, it->value, it->len);
	p->seed_len = it->len;
	return KDBX_OK;
}

static bool vdict_bytes_nonempty(const kdbx_vdict *d, const char *name)
{
	const kdbx_vdict_item *it = kdbx_vdict_get(d, name);
	return it != NULL && it->len > 0;
}

/* KDF VariantDictionary (field 11) -> kdf params. */
static int parse_kdf(kdbx_kdf_params *p, const uint8_t *data, size_t len)
{
	kdbx_vdict d;
	int rc = kdbx_vdict_parse(&d, data, len);
	if (rc != KDBX_OK)
		return rc == KDBX_EUNSUPPORTED ? rc : kdbx_error__set(KDBX_ECORRUPT, "bad KDF parameters");
	const kdbx_vdict_item *uuid = kdbx_vdict_get(&d, "$UUID");
	if (uuid == NULL || uuid->type != 0x42 || uuid->len != 16) {
		rc = kdbx_error__set(KDBX_ECORRUPT, "KDF UUID missing");
		goto out;
	}
	int type = kdbx_kdf__from_uuid(uuid->value, true);
	if (type < 0) {
		rc = kdbx_error__set(KDBX_EUNSUPPORTED, "unknown KDF");
		goto out;
	}
	memset(p, 0, sizeof(*p));
	p->type = (kdbx_kdf_type)type;
	if (p->type == KDBX_KDF_AES_KDBX3 || p->type == KDBX_KDF_AES_KDBX4) {
		/* Inside a KDBX4 header AES-KDF always has KDBX4 semantics (notes 1.5). */
		p->type = KDBX_KDF_AES_KDBX4;
		if ((rc = vdict_u64(&d, "R", &p->rounds, true)) != KDBX_OK)
			goto out;
		rc = vdict_seed(&d, p, 32);
		goto out;
	}
	uint64_t it = 0, mem = 0;
	uint32_t par = 0, ver = 0;
	if ((rc = vdict_u64(&d, "I", &it, true)) != KDBX_OK ||
	    (rc = vdict_u64(&d, "M", &mem, true)) != KDBX_OK ||
	    (rc = vdict_u32(&d, "P", &par)) != KDBX_OK || (rc = vdict_u32(&d, "V", &ver)) != KDBX_OK ||
	    (rc = vdict_seed(&d, p, KDF_SEED_MIN)) != KDBX_OK)
		goto out;
	if (ver != 0x10 && ver != 0x13) {
		rc = kdbx_error__set(KDBX_EUNSUPPORTED, "Argon2 version 0x%x", ver);
		goto out;
	}
	if (it < 1 || par < 1 || mem < 8 * 1024) {
		rc = kdbx_error__set(KDBX_ECORRUPT, "Argon2 parameters out of range");
		goto out;
	}
	/* A secret key (K) or associated data (A) is not supported by KeePassXC either. */
	if (vdict_bytes_nonempty(&d, "K") || vdict_bytes_nonempty(&d, "A")) {
		rc = kdbx_error__set(KDBX_EUNSUPPORTED, "Argon2 secret/associated data");
		goto out;
	}
	p->iterations = it;
	p->memory = mem;
	p->parallelism = par;
	p->version = ver;
out:
	kdbx_vdict_free(&d);
	return rc;
}

static int check_len(uint8_t id, size_t got, size_t want)
{
	if (got != want)
		return kdbx_error__set(KDBX_ECORRUPT, "header field %u has length %zu, expected %zu", id,
		                       got, want);
	return KDBX_OK;
}

static int parse_field(kdbx_container *c, bool v4, uint8_t id, const uint8_t *f, size_t n,
                       unsigned *seen)
{
	int rc = KDBX_OK;
	switch (id) {
	case HF_COMMENT:
		return KDBX_OK;
	case HF_CIPHER: {
		if ((rc = check_len(id, n, 16)) != KDBX_OK)
			return rc;
		int ci = kdbx_cipher__from_uuid(f);
		if (ci < 0)
			return kdbx_error__set(KDBX_EUNSUPPORTED, "unknown cipher");
		c->cipher = (kdbx_cipher)ci;
		*seen |= SEEN_CIPHER;
		return KDBX_OK;
	}
	case HF_COMPRESSION: {
		if ((rc = check_len(id, n, 4)) != KDBX_OK)
			return rc;
		uint32_t v = kdbx_le32(f);
		if (v > KDBX_COMPRESS_GZIP)
			return kdbx_error__set(KDBX_EUNSUPPORTED, "unknown compression %u", v);
		c->compression = (kdbx_compression)v;
		return KDBX_OK;
	}
	case HF_MASTER_SEED:
		if ((rc = check_len(id, n, 32)) != KDBX_OK)
			return rc;
		memcpy(c->master_seed, f, 32);
		*seen |= SEEN_MASTER_SEED;
		return KDBX_OK;
	case HF_IV:
		if (n == 0 || n > sizeof(c->iv))
			return kdbx_error__set(KDBX_ECORRUPT, "bad encryption IV length %zu", n);
		memcpy(c->iv, f, n);
		c->iv_len = n;
		*seen |= SEEN_IV;
		return KDBX_OK;
	default:
		break;
	}
	if (v4) {
		switch (id) {
		case HF_TRANSFORM_SEED:
		case HF_TRANSFORM_ROUNDS:
		case HF_STREAM_KEY:
		case HF_STREAM_START:
		case HF_STREAM_ID:
			return kdbx_error__set(KDBX_ECORRUPT, "legacy header field %u in a KDBX 4 file",
			                       id);
		case HF_KDF:
			if ((rc = parse_kdf(&c->kdf, f, n)) != KDBX_OK)
				return rc;
			*seen |= SEEN_KDF;
			return KDBX_OK;
		case HF_PUBLIC_CUSTOM_DATA: {
			/* Kept raw so nothing is lost on re-save, but it must be well-formed. */
			kdbx_vdict d;
			if ((rc = kdbx_vdict_parse(&d, f, n)) != KDBX_OK)
				return rc == KDBX_EUNSUPPORTED
				           ? rc
				           : kdbx_error__set(KDBX_ECORRUPT, "bad public custom data");
			kdbx_vdict_free(&d);
			uint8_t *copy = malloc(n);
			if (copy == NULL)
				return kdbx_error__set(KDBX_ENOMEM, "out of memory");
			memcpy(copy, f, n);
			free(c->public_custom_data);
			c->public_custom_data = copy;
			c->public_custom_data_len = n;
			return KDBX_OK;
		}
		default:
			/* KeePassXC only warns about unknown fields; skip them. */
			return KDBX_OK;
		}
	}
	switch (id) {
	case HF_TRANSFORM_SEED:
		if ((rc = check_len(id, n, 32)) != KDBX_OK)
			return rc;
		memcpy(c->kdf.seed, f, 32);
		c->kdf.seed_len = 32;
		*seen |= SEEN_TSEED;
		return KDBX_OK;
	case HF_TRANSFORM_ROUNDS:
		if ((rc = check_len(id, n, 8)) != KDBX_OK)
			return rc;
		c->kdf.rounds = kdbx_le64(f);
		*seen |= SEEN_TROUNDS;
		return KDBX_OK;
	case HF_STREAM_KEY:
		if (n == 0 || n > sizeof(c->stream_key))
			return kdbx_error__set(KDBX_ECORRUPT, "bad protected stream key length %zu", n);
		memcpy(c->stream_key, f, n);
		c->stream_key_len = n;
		*seen |= SEEN_SKEY;
		return KDBX_OK;
	case HF_STREAM_START:
		if ((rc = check_len(id, n, 32)) != KDBX_OK)
			return rc;
		memcpy(c->stream_start, f, 32);
		*seen |= SEEN_SSTART;
		return KDBX_OK;
	case HF_STREAM_ID: {
		if ((rc = check_len(id, n, 4)) != KDBX_OK)
			return rc;
		uint32_t v = kdbx_le32(f);
		if (v == KDBX_STREAM_ARC4)
			return kdbx_error__set(KDBX_EUNSUPPORTED, "ArcFour inner stream");
		if (v != KDBX_STREAM_SALSA20 && v != KDBX_STREAM_CHACHA20)
			return kdbx_error__set(KDBX_ECORRUPT, "invalid inner stream id %u", v);
		/* KDBX 3 readers always use Salsa20, whatever the id says (notes 3.1). */
		c->stream_id = KDBX_STREAM_SALSA20;
		*seen |= SEEN_SID;
		return KDBX_OK;
	}
	default:
		return KDBX_OK;
	}
}

int kdbx_header__parse(kdbx_container *c, const uint8_t *data, size_t len, size_t *hdr_len)
{
	if (c == NULL || (data == NULL && len > 0) || hdr_len == NULL)
		return kdbx_error__set(KDBX_EINVALID, "header_parse: invalid argument");
	if (len < 12)
		return kdbx_error__set(KDBX_ECORRUPT, "not a KDBX file (too short)");
	uint32_t sig1 = kdbx_le32(data), sig2 = kdbx_le32(data + 4), ver = kdbx_le32(data + 8);
	if (sig1 == KDBX_SIG1 && sig2 == KDBX1_SIG2)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "KeePass 1.x databases are not supported");
	if (sig1 != KDBX_SIG1 || sig2 != KDBX_SIG2)
		return kdbx_error__set(KDBX_ECORRUPT, "not a KDBX file (bad signature)");
	if (ver < KDBX_VERSION_2_0 || (ver >> 16) > 4)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "unsupported KDBX version 0x%08x", ver);
	c->version = ver;
	bool v4 = ver >= KDBX_VERSION_4_0;
	/* Defaults of KeePass when a field is absent. */
	c->compression = KDBX_COMPRESS_GZIP;
	if (!v4) {
		c->kdf.type = KDBX_KDF_AES_KDBX3;
		c->stream_id = KDBX_STREAM_SALSA20;
	}
	size_t pos = 12, lw = v4 ? 4 : 2;
	unsigned seen = 0;
	int rc;
	for (;;) {
		if (len - pos < 1 + lw)
			return kdbx_error__set(KDBX_ECORRUPT, "header truncated");
		uint8_t id = data[pos];
		size_t n = v4 ? kdbx_le32(data + pos + 1) : kdbx_le16(data + pos + 1);
		pos += 1 + lw;
		if (n > len - pos)
			return kdbx_error__set(KDBX_ECORRUPT, "header field %u truncated", id);
		if (id == HF_END) {
			pos += n;
			break;
		}
		if ((rc = parse_field(c, v4, id, data + pos, n, &seen)) != KDBX_OK)
			return rc;
		pos += n;
	}
	unsigned need = SEEN_CIPHER | SEEN_MASTER_SEED | SEEN_IV;
	need |= v4 ? SEEN_KDF : (SEEN_TSEED | SEEN_TROUNDS | SEEN_SKEY | SEEN_SSTART);
	if ((seen & need) != need)
		return kdbx_error__set(KDBX_ECORRUPT, "header misses a required field");
	if (c->iv_len != kdbx_cipher__iv_len(c->cipher))
		return kdbx_error__set(KDBX_ECORRUPT, "encryption IV has the wrong length");
	*hdr_len = pos;
	return KDBX_OK;
}

/* ---- writer ---- */

static int put_field(kdbx_buf *b, bool v4, uint8_t id, const void *data, size_t n)
{
	if (n > (v4 ? UINT32_MAX : UINT16_MAX))
		return kdbx_error__set(KDBX_EINVALID, "header field %u too large", id);
	int rc = kdbx_buf_append_byte(b, id);
	if (rc == KDBX_OK)
		rc = v4 ? kdbx_buf_append_le32(b, (uint32_t)n) : kdbx_buf_append_le16(b, (uint16_t)n);
	if (rc == KDBX_OK)
		rc = kdbx_buf_append(b, data, n);
	return rc;
}

static int put_u32(kdbx_buf *b, bool v4, uint8_t id, uint32_t v)
{
	uint8_t x[4];
	kdbx_put_le32(x, v);
	return put_field(b, v4, id, x, 4);
}

static int put_u64(kdbx_buf *b, bool v4, uint8_t id, uint64_t v)
{
	uint8_t x[8];
	kdbx_put_le64(x, v);
	return put_field(b, v4, id, x, 8);
}

static int vdict_set_u32(kdbx_vdict *d, const char *name, uint32_t v)
{
	uint8_t x[4];
	kdbx_put_le32(x, v);
	return kdbx_vdict_set(d, 0x04, name, x, 4);
}

static int vdict_set_u64(kdbx_vdict *d, const char *name, uint64_t v)
{
	uint8_t x[8];
	kdbx_put_le64(x, v);
	return kdbx_vdict_set(d, 0x05, name, x, 8);
}

/* KDF VariantDictionary in KeePassXC's (sorted) key order: $UUID, R, S or $UUID, I, M, P, S, V. */
static int write_kdf(const kdbx_kdf_params *p, kdbx_buf *out)
{
	kdbx_vdict d = {NULL, 0};
	const uint8_t *uuid = kdbx_kdf__uuid(p->type);
	int rc;
	if (uuid == NULL)
		return kdbx_error__set(KDBX_EINVALID, "unknown KDF type %d", (int)p->type);
	if (p->seed_len < KDF_SEED_MIN || p->seed_len > sizeof(p->seed))
		return kdbx_error__set(KDBX_EINVALID, "KDF seed has a bad size");
	rc = kdbx_vdict_set(&d, 0x42, "$UUID", uuid, 16);
	if (p->type == KDBX_KDF_AES_KDBX3 || p->type == KDBX_KDF_AES_KDBX4) {
		if (rc == KDBX_OK)
			rc = vdict_set_u64(&d, "R", p->rounds);
		if (rc == KDBX_OK)
			rc = kdbx_vdict_set(&d, 0x42, "S", p->seed, p->seed_len);
	} else {
		if (rc == KDBX_OK)
			rc = vdict_set_u64(&d, "I", p->iterations);
		if (rc == KDBX_OK)
			rc = vdict_set_u64(&d, "M", p->memory);
		if (rc == KDBX_OK)
			rc = vdict_set_u32(&d, "P", p->parallelism);
		if (rc == KDBX_OK)
			rc = kdbx_vdict_set(&d, 0x42, "S", p->seed, p->seed_len);
		if (rc == KDBX_OK)
			rc = vdict_set_u32(&d, "V", p->version);
	}
	if (rc == KDBX_OK)
		rc = kdbx_vdict_write(&d, out);
	kdbx_vdict_free(&d);
	return rc;
}

int kdbx_header__write(const kdbx_container *c, kdbx_buf *hdr)
{
	if (c == NULL || hdr == NULL)
		return kdbx_error__set(KDBX_EINVALID, "header_write: invalid argument");
	uint32_t ver = c->version;
	if (ver != KDBX_VERSION_3_1 && ver != KDBX_VERSION_4_0 && ver != KDBX_VERSION_4_1)
		return kdbx_error__set(KDBX_EINVALID, "cannot write KDBX version 0x%08x", ver);
	bool v4 = ver >= KDBX_VERSION_4_0;
	const uint8_t *cuuid = kdbx_cipher__uuid(c->cipher);
	if (cuuid == NULL || c->cipher == KDBX_CIPHER_AES128)
		return kdbx_error__set(KDBX_EINVALID, "cipher cannot be written");
	if (c->iv_len != kdbx_cipher__iv_len(c->cipher))
		return kdbx_error__set(KDBX_EINVALID, "IV length does not match the cipher");
	if (c->compression != KDBX_COMPRESS_NONE && c->compression != KDBX_COMPRESS_GZIP)
		return kdbx_error__set(KDBX_EINVALID, "unknown compression");
	bool aes = c->kdf.type == KDBX_KDF_AES_KDBX3 || c->kdf.type == KDBX_KDF_AES_KDBX4;
	if (!v4 && (!aes || c->kdf.seed_len != 32))
		return kdbx_error__set(KDBX_EINVALID, "KDBX 3.1 needs AES-KDF with a 32-byte seed");
	if (!v4 && (c->stream_key_len == 0 || c->stream_key_len > sizeof(c->stream_key)))
		return kdbx_error__set(KDBX_EINVALID, "protected stream key missing");

	int rc = kdbx_buf_append_le32(hdr, KDBX_SIG1);
	if (rc == KDBX_OK)
		rc = kdbx_buf_append_le32(hdr, KDBX_SIG2);
	if (rc == KDBX_OK)
		rc = kdbx_buf_append_le32(hdr, ver);
	if (rc == KDBX_OK)
		rc = put_field(hdr, v4, HF_CIPHER, cuuid, 16);
	if (rc == KDBX_OK)
		rc = put_u32(hdr, v4, HF_COMPRESSION, (uint32_t)c->compression);
	if (rc == KDBX_OK)
		rc = put_field(hdr, v4, HF_MASTER_SEED, c->master_seed, 32);
	if (rc != KDBX_OK)
		return rc;
	if (v4) {
		kdbx_buf kdf = KDBX_BUF_INIT;
		rc = put_field(hdr, v4, HF_IV, c->iv, c->iv_len);
		if (rc == KDBX_OK)
			rc = write_kdf(&c->kdf, &kdf);
		if (rc == KDBX_OK)
			rc = put_field(hdr, v4, HF_KDF, kdf.data, kdf.len);
		kdbx_buf_free(&kdf);
		if (rc == KDBX_OK && c->public_custom_data != NULL)
			rc = put_field(hdr, v4, HF_PUBLIC_CUSTOM_DATA, c->public_custom_data,
			               c->public_custom_data_len);
	} else {
		rc = put_field(hdr, v4, HF_TRANSFORM_SEED, c->kdf.seed, 32);
		if (rc == KDBX_OK)
			rc = put_u64(hdr, v4, HF_TRANSFORM_ROUNDS, c->kdf.rounds);
		if (rc == KDBX_OK)
			rc = put_field(hdr, v4, HF_IV, c->iv, c->iv_len);
		if (rc == KDBX_OK)
			rc = put_field(hdr, v4, HF_STREAM_KEY, c->stream_key, c->stream_key_len);
		if (rc == KDBX_OK)
			rc = put_field(hdr, v4, HF_STREAM_START, c->stream_start, 32);
		if (rc == KDBX_OK)
			rc = put_u32(hdr, v4, HF_STREAM_ID, KDBX_STREAM_SALSA20);
	}
	if (rc == KDBX_OK)
		rc = put_field(hdr, v4, HF_END, end_field_data, sizeof(end_field_data));
	return rc;
}
