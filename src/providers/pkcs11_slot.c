/* "pkcs11" slot provider (include/kdbx/slots.h): enrol finds exactly one key,
 * chooses the mechanism, makes the token answer once (twice for signatures,
 * which must agree) and stores what unlock needs; unlock repeats the token
 * step; rewrap_offline makes a new secret for ECDH / RSA slots from the stored
 * public key alone.
 *
 * Metadata v1: 0x01, mechanism byte, then TLVs (tag byte, LE16 length, value):
 *   1 URI (token + object, no PIN)   2 module given at enrolment (optional)
 *   3 challenge (HMAC / signature)   4 RSA ciphertext
 *   5 ECDH ephemeral point (uncompressed)   6 public key (DER SPKI)
 *   7 OAEP hash (1 byte: 1 SHA-1, 2 SHA-256)
 * Unknown tags are skipped (added fields must not change the secret). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "providers/pkcs11_int.h"

enum { T_URI = 1, T_MODULE, T_CHAL, T_CT, T_EPH, T_SPKI, T_OAEP };
#define META_VERSION 1
#define SECRET_LEN 32

typedef struct p11_meta {
	int mech;
	int oaep; /* 0, 1, 256 */
	char *uri;
	char *module;
	const uint8_t *chal, *ct, *eph, *spki;
	size_t chal_len, ct_len, eph_len, spki_len;
} p11_meta;

typedef struct p11_slotprov {
	kdbx_slot_provider parent; /* first member */
	kdbx_pkcs11_options opts;  /* strings below are owned copies */
	char *uri, *module, *token_label, *token_serial, *key_label;
	uint8_t key_id[64];
	kdbx_interaction ia;
	int have_ia;
	char desc[160];
} p11_slotprov;

static void meta_free(p11_meta *m)
{
	free(m->uri);
	free(m->module);
	memset(m, 0, sizeof(*m));
}

static int meta_parse(const uint8_t *d, size_t n, p11_meta *m)
{
	size_t off = 2;

	memset(m, 0, sizeof(*m));
	if (d == NULL || n < 2)
		return kdbx_error__set(KDBX_ECORRUPT, "PKCS#11 slot metadata truncated");
	if (d[0] != META_VERSION)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "PKCS#11 slot metadata version %u unknown", d[0]);
	m->mech = d[1];
	if (m->mech < KDBX_PKCS11_MECH_HMAC_SHA256 || m->mech > KDBX_PKCS11_MECH_RSA_SIGN)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "PKCS#11 slot: unknown mechanism %d", m->mech);
	while (off < n) {
		unsigned tag;
		size_t len;

		if (n - off < 3)
			goto bad;
		tag = d[off];
		len = kdbx_le16(d + off + 1);
		off += 3;
		if (len > n - off)
			goto bad;
		switch (tag) {
		case T_URI:
		case T_MODULE: {
			char *s = kdbx_strndup((const char *)d + off, len);

			if (s == NULL || strlen(s) != len) {
				free(s);
				goto bad;
			}
			if (tag == T_URI) {
				free(m->uri);
				m->uri = s;
			} else {
				free(m->module);
				m->module = s;
			}
			break;
		}
		case T_CHAL: m->chal = d + off; m->chal_len = len; break;
		case T_CT: m->ct = d + off; m->ct_len = len; break;
		case T_EPH: m->eph = d + off; m->eph_len = len; break;
		case T_SPKI: m->spki = d + off; m->spki_len = len; break;
		case T_OAEP:
			if (len != 1 || (d[off] != 1 && d[off] != 2))
				goto bad;
			m->oaep = d[off] == 2 ? 256 : 1;
			break;
		default: break;
		}
		off += len;
	}
	if (m->uri == NULL)
		goto bad;
	switch (m->mech) {
	case KDBX_PKCS11_MECH_HMAC_SHA256:
	case KDBX_PKCS11_MECH_RSA_SIGN:
		if (m->chal_len == 0)
			goto bad;
		break;
	case KDBX_PKCS11_MECH_ECDH:
		if (m->eph_len == 0 || m->spki_len == 0)
			goto bad;
		break;
	default:
		if (m->ct_len == 0 || (m->mech == KDBX_PKCS11_MECH_RSA_OAEP && m->oaep == 0))
			goto bad;
		break;
	}
	return KDBX_OK;
bad:
	meta_free(m);
	return kdbx_error__set(KDBX_ECORRUPT, "PKCS#11 slot metadata damaged");
}

static int tlv(kdbx_buf *b, unsigned tag, const void *v, size_t len)
{
	int rc;

	if (len > 0xFFFF)
		return kdbx_error__set(KDBX_EINVALID, "PKCS#11 slot field too long");
	if ((rc = kdbx_buf_append_byte(b, (uint8_t)tag)) < 0 ||
	    (rc = kdbx_buf_append_le16(b, (uint16_t)len)) < 0)
		return rc;
	return kdbx_buf_append(b, v, len);
}

static int meta_build(const p11_meta *m, uint8_t **out, size_t *outlen)
{
	kdbx_buf b = KDBX_BUF_INIT;
	int rc;

	rc = kdbx_buf_append_byte(&b, META_VERSION);
	if (rc == KDBX_OK)
		rc = kdbx_buf_append_byte(&b, (uint8_t)m->mech);
	if (rc == KDBX_OK)
		rc = tlv(&b, T_URI, m->uri, strlen(m->uri));
	if (rc == KDBX_OK && m->module != NULL)
		rc = tlv(&b, T_MODULE, m->module, strlen(m->module));
	if (rc == KDBX_OK && m->chal_len)
		rc = tlv(&b, T_CHAL, m->chal, m->chal_len);
	if (rc == KDBX_OK && m->ct_len)
		rc = tlv(&b, T_CT, m->ct, m->ct_len);
	if (rc == KDBX_OK && m->eph_len)
		rc = tlv(&b, T_EPH, m->eph, m->eph_len);
	if (rc == KDBX_OK && m->spki_len)
		rc = tlv(&b, T_SPKI, m->spki, m->spki_len);
	if (rc == KDBX_OK && m->oaep) {
		uint8_t h = m->oaep == 256 ? 2 : 1;

		rc = tlv(&b, T_OAEP, &h, 1);
	}
	if (rc < 0) {
		kdbx_buf_free(&b);
		return rc;
	}
	*out = kdbx_buf_detach(&b, outlen);
	return KDBX_OK;
}

/* URI that names exactly this token and key (serial + label + id + class). */
static int key_uri(const kdbx_p11_token *t, const kdbx_p11_key *k, char **out)
{
	P11KitUri *u = p11_kit_uri_new();
	CK_TOKEN_INFO *ti;
	CK_ATTRIBUTE a;
	char *s = NULL;
	int r;

	if (u == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	ti = p11_kit_uri_get_token_info(u);
	memcpy(ti->label, t->info.label, sizeof(ti->label));
	memcpy(ti->serialNumber, t->info.serialNumber, sizeof(ti->serialNumber));
	memcpy(ti->manufacturerID, t->info.manufacturerID, sizeof(ti->manufacturerID));
	memcpy(ti->model, t->info.model, sizeof(ti->model));
	if (k != NULL) {
		a.type = CKA_CLASS;
		a.pValue = (void *)&k->cls;
		a.ulValueLen = sizeof(k->cls);
		p11_kit_uri_set_attribute(u, &a);
		if (k->id_len > 0) {
			a.type = CKA_ID;
			a.pValue = (void *)k->id;
			a.ulValueLen = k->id_len;
			p11_kit_uri_set_attribute(u, &a);
		}
		if (k->label[0] != '\0') {
			a.type = CKA_LABEL;
			a.pValue = (void *)k->label;
			a.ulValueLen = strlen(k->label);
			p11_kit_uri_set_attribute(u, &a);
		}
	}
	r = p11_kit_uri_format(u, k != NULL ? P11_KIT_URI_FOR_OBJECT_ON_TOKEN : P11_KIT_URI_FOR_TOKEN,
	                       &s);
	p11_kit_uri_free(u);
	if (r != P11_KIT_URI_OK || s == NULL)
		return kdbx_error__set(KDBX_ERROR, "cannot format a PKCS#11 URI");
	*out = kdbx_strdup(s);
	free(s);
	return *out != NULL ? KDBX_OK : kdbx_error__set(KDBX_ENOMEM, "out of memory");
}

/* The token step: raw answer -> 32-byte secret. salt only for ECDH. */
static int token_secret(kdbx_p11_session *ss, const kdbx_p11_key *k, const p11_meta *m,
                        uint8_t out[SECRET_LEN])
{
	kdbx_buf raw = KDBX_BUF_INIT, salt = KDBX_BUF_INIT;
	uint8_t input[51];
	int rc;

	raw.secure = true;
	switch (m->mech) {
	case KDBX_PKCS11_MECH_HMAC_SHA256:
		rc = kdbx_p11__hmac(ss, k, m->chal, m->chal_len, &raw);
		break;
	case KDBX_PKCS11_MECH_RSA_SIGN:
		rc = kdbx_p11__sign_input(m->chal, m->chal_len, input);
		if (rc == KDBX_OK)
			rc = kdbx_p11__rsa_sign(ss, k, input, sizeof(input), &raw);
		break;
	case KDBX_PKCS11_MECH_ECDH:
		rc = kdbx_p11__ecdh(ss, k, m->eph, m->eph_len, &raw);
		if (rc == KDBX_OK && (rc = kdbx_buf_append(&salt, m->eph, m->eph_len)) == KDBX_OK)
			rc = kdbx_p11__host_point(m->spki, m->spki_len, &salt);
		break;
	default:
		rc = kdbx_p11__rsa_decrypt(ss, k, m->mech == KDBX_PKCS11_MECH_RSA_PKCS ? 0 : m->oaep,
		                           m->ct, m->ct_len, &raw);
		if (rc == KDBX_OK && raw.len != SECRET_LEN)
			rc = kdbx_error__set(KDBX_EAUTH, "PKCS#11 slot: decrypted secret has the wrong size");
		break;
	}
	if (rc == KDBX_OK)
		rc = kdbx_p11__normalise(m->mech, raw.data, raw.len, salt.data, salt.len, out);
	kdbx_buf_free(&raw);
	kdbx_buf_free(&salt);
	return rc;
}

static const kdbx_interaction *pick_ia(p11_slotprov *p, const kdbx_slot_context *ctx)
{
	if (ctx != NULL && ctx->interaction != NULL && ctx->interaction->pin != NULL)
		return ctx->interaction;
	return p->have_ia ? &p->ia : (ctx != NULL ? ctx->interaction : NULL);
}

/* Host-side half for public-key mechanisms: fresh secret + new stored data.
 * eph/ct/salt buffers receive the new values; out the normalised secret. */
static int host_wrap(p11_meta *m, kdbx_buf *data, uint8_t out[SECRET_LEN])
{
	kdbx_buf shared = KDBX_BUF_INIT, recip = KDBX_BUF_INIT, salt = KDBX_BUF_INIT;
	uint8_t pt[SECRET_LEN];
	int rc;

	shared.secure = true;
	if (m->mech == KDBX_PKCS11_MECH_ECDH) {
		rc = kdbx_p11__host_ecdh(m->spki, m->spki_len, data, &recip, &shared);
		if (rc == KDBX_OK && (rc = kdbx_buf_append(&salt, data->data, data->len)) == KDBX_OK)
			rc = kdbx_buf_append(&salt, recip.data, recip.len);
		if (rc == KDBX_OK)
			rc = kdbx_p11__normalise(m->mech, shared.data, shared.len, salt.data, salt.len, out);
		m->eph = data->data;
		m->eph_len = data->len;
	} else {
		rc = kdbx_random(pt, sizeof(pt));
		if (rc == KDBX_OK)
			rc = kdbx_p11__host_rsa_encrypt(m->spki, m->spki_len,
			                                m->mech == KDBX_PKCS11_MECH_RSA_PKCS ? 0 : m->oaep,
			                                pt, sizeof(pt), data);
		if (rc == KDBX_OK)
			rc = kdbx_p11__normalise(m->mech, pt, sizeof(pt), NULL, 0, out);
		m->ct = data->data;
		m->ct_len = data->len;
	}
	kdbx_memzero(pt, sizeof(pt));
	kdbx_buf_free(&shared);
	kdbx_buf_free(&recip);
	kdbx_buf_free(&salt);
	return rc;
}

static int p11_enrol(kdbx_slot_provider *self, const kdbx_slot_context *ctx, uint8_t **meta,
                     size_t *meta_len, kdbx_secret **secret)
{
	p11_slotprov *p = (p11_slotprov *)self;
	kdbx_p11_sel sel;
	kdbx_p11_conn c;
	kdbx_p11_key k;
	kdbx_p11_mech *mechs = NULL;
	size_t nmech = 0;
	kdbx_buf data = KDBX_BUF_INIT, spki = KDBX_BUF_INIT;
	p11_meta m;
	uint8_t chal[32], s1[SECRET_LEN], s2[SECRET_LEN];
	int rc, connected = 0;

	*meta = NULL;
	*meta_len = 0;
	*secret = NULL;
	memset(&m, 0, sizeof(m));
	rc = kdbx_p11__sel_init(&sel, &p->opts);
	if (rc < 0)
		return rc;
	rc = kdbx_p11__connect(&c, &sel, 0, 1, pick_ia(p, ctx));
	if (rc < 0)
		goto out;
	connected = 1;
	if ((rc = kdbx_p11__find_key(&c.ss, &sel, &k)) < 0 ||
	    (rc = kdbx_p11__mechs(&c.ss, &mechs, &nmech)) < 0)
		goto out;
	if (ctx != NULL && ctx->options != NULL) {
		const char *o = strstr(ctx->options, "mechanism=");

		if (o != NULL) {
			char name[32];
			size_t l = strcspn(o + 10, ",; ");
			int forced;

			snprintf(name, sizeof(name), "%.*s", (int)(l < 31 ? l : 31), o + 10);
			forced = kdbx_pkcs11_mechanism_from_name(name);
			if (forced < 0) {
				rc = kdbx_error__set(KDBX_EINVALID, "unknown PKCS#11 mechanism '%s'", name);
				goto out;
			}
			sel.mechanism = forced;
		}
	}
	rc = kdbx_p11__choose(&k, mechs, nmech, sel.mechanism);
	if (rc < 0)
		goto out;
	m.mech = rc;
	rc = key_uri(&c.ss.tok, &k, &m.uri);
	if (rc < 0)
		goto out;
	if (sel.module != NULL && (m.module = kdbx_strdup(sel.module)) == NULL) {
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		goto out;
	}
	if (m.mech == KDBX_PKCS11_MECH_HMAC_SHA256 || m.mech == KDBX_PKCS11_MECH_RSA_SIGN) {
		if (ctx != NULL && ctx->nonce != NULL && ctx->nonce_len == sizeof(chal))
			memcpy(chal, ctx->nonce, sizeof(chal));
		else if ((rc = kdbx_random(chal, sizeof(chal))) < 0)
			goto out;
		m.chal = chal;
		m.chal_len = sizeof(chal);
		rc = token_secret(&c.ss, &k, &m, s1);
		if (rc == KDBX_OK && m.mech == KDBX_PKCS11_MECH_RSA_SIGN) {
			/* A signature is only a secret if the token repeats it. */
			rc = token_secret(&c.ss, &k, &m, s2);
			if (rc == KDBX_OK && !kdbx_ct_equal(s1, s2, SECRET_LEN))
				rc = kdbx_error__set(KDBX_EUNSUPPORTED,
				                     "key '%s' signs the same challenge differently each time "
				                     "(randomized signatures) and cannot unlock anything",
				                     k.label);
		}
		if (rc < 0)
			goto out;
	} else {
		if ((rc = kdbx_p11__spki(&c.ss, &k, &spki)) < 0)
			goto out;
		m.spki = spki.data;
		m.spki_len = spki.len;
		m.oaep = m.mech == KDBX_PKCS11_MECH_RSA_OAEP ? 256 : 0;
		for (;;) {
			data.len = 0;
			if ((rc = host_wrap(&m, &data, s1)) < 0)
				goto out;
			/* Atomic enrolment: the token must reproduce the secret now. */
			rc = token_secret(&c.ss, &k, &m, s2);
			if (rc < 0 && m.oaep == 256 && rc != KDBX_EPIN && rc != KDBX_EPINLOCKED &&
			    rc != KDBX_ECANCELLED) {
				/* Many tokens (SoftHSM 2.6) do OAEP with SHA-1 only. */
				m.oaep = 1;
				continue;
			}
			if (rc < 0)
				goto out;
			break;
		}
		if (!kdbx_ct_equal(s1, s2, SECRET_LEN)) {
			rc = kdbx_error__set(KDBX_EDEVICE, "the token's answer does not match its public key");
			goto out;
		}
	}
	rc = kdbx_secret_new(secret, s1, SECRET_LEN);
	if (rc == KDBX_OK)
		rc = meta_build(&m, meta, meta_len);
	if (rc < 0)
		kdbx_secret_free(secret);
out:
	if (connected)
		kdbx_p11__disconnect(&c);
	kdbx_p11__sel_free(&sel);
	free(mechs);
	meta_free(&m);
	kdbx_buf_free(&data);
	kdbx_buf_free(&spki);
	kdbx_memzero(s1, sizeof(s1));
	kdbx_memzero(s2, sizeof(s2));
	return rc;
}

/* Selection for a stored slot: its URI, and the module the caller gave, else
 * the stored one when it still exists, else p11-kit's registry. */
static int stored_sel(p11_slotprov *p, const p11_meta *m, kdbx_p11_sel *sel)
{
	kdbx_pkcs11_options o = KDBX_PKCS11_OPTIONS_INIT;
	int rc;

	o.module = p->opts.module;
	if (o.module == NULL && m->module != NULL &&
	    (strchr(m->module, '/') == NULL || access(m->module, R_OK) == 0))
		o.module = m->module;
	rc = kdbx_p11__sel_init(sel, &o);
	if (rc == KDBX_OK)
		rc = kdbx_p11__sel_add_uri(sel, m->uri);
	if (rc < 0)
		kdbx_p11__sel_free(sel);
	return rc;
}

static int p11_unlock(kdbx_slot_provider *self, const kdbx_slot_context *ctx, const uint8_t *meta,
                      size_t meta_len, kdbx_secret **secret)
{
	p11_slotprov *p = (p11_slotprov *)self;
	kdbx_p11_sel sel;
	kdbx_p11_conn c;
	kdbx_p11_key k;
	p11_meta m;
	uint8_t s[SECRET_LEN];
	int rc;

	*secret = NULL;
	rc = meta_parse(meta, meta_len, &m);
	if (rc < 0)
		return rc;
	rc = stored_sel(p, &m, &sel);
	if (rc < 0) {
		meta_free(&m);
		return rc;
	}
	rc = kdbx_p11__connect(&c, &sel, 0, 1, pick_ia(p, ctx));
	if (rc == KDBX_OK) {
		rc = kdbx_p11__find_key(&c.ss, &sel, &k);
		if (rc == KDBX_OK)
			rc = token_secret(&c.ss, &k, &m, s);
		if (rc == KDBX_OK)
			rc = kdbx_secret_new(secret, s, SECRET_LEN);
		kdbx_p11__disconnect(&c);
	}
	kdbx_memzero(s, sizeof(s));
	kdbx_p11__sel_free(&sel);
	meta_free(&m);
	return rc;
}

/* Token present? Needs no PIN (private objects are invisible before login). */
static int p11_match(kdbx_slot_provider *self, const uint8_t *meta, size_t meta_len)
{
	p11_slotprov *p = (p11_slotprov *)self;
	kdbx_p11_sel sel;
	kdbx_p11_conn c;
	p11_meta m;
	int rc;

	if (meta_parse(meta, meta_len, &m) < 0)
		return KDBX_SLOT_MATCH_NO;
	rc = stored_sel(p, &m, &sel);
	meta_free(&m);
	if (rc < 0)
		return KDBX_SLOT_MATCH_NO;
	rc = kdbx_p11__connect(&c, &sel, 0, 0, NULL);
	kdbx_p11__sel_free(&sel);
	if (rc < 0) {
		kdbx_error_clear();
		return KDBX_SLOT_MATCH_NO;
	}
	kdbx_p11__disconnect(&c);
	return KDBX_SLOT_MATCH_YES;
}

static int p11_rewrap(kdbx_slot_provider *self, const kdbx_slot_context *ctx,
                      const uint8_t *old_meta, size_t old_meta_len, uint8_t **meta,
                      size_t *meta_len, kdbx_secret **secret)
{
	kdbx_buf data = KDBX_BUF_INIT;
	uint8_t s[SECRET_LEN];
	p11_meta m;
	int rc;

	(void)self;
	(void)ctx;
	*meta = NULL;
	*meta_len = 0;
	*secret = NULL;
	rc = meta_parse(old_meta, old_meta_len, &m);
	if (rc < 0)
		return rc;
	if (m.mech == KDBX_PKCS11_MECH_HMAC_SHA256 || m.mech == KDBX_PKCS11_MECH_RSA_SIGN) {
		meta_free(&m);
		return kdbx_error__set(KDBX_EUNSUPPORTED, "this PKCS#11 slot (%s) needs its token to "
		                                          "be re-wrapped",
		                       kdbx_pkcs11_mechanism_name(m.mech));
	}
	rc = host_wrap(&m, &data, s);
	if (rc == KDBX_OK)
		rc = kdbx_secret_new(secret, s, SECRET_LEN);
	if (rc == KDBX_OK)
		rc = meta_build(&m, meta, meta_len);
	if (rc < 0)
		kdbx_secret_free(secret);
	kdbx_memzero(s, sizeof(s));
	kdbx_buf_free(&data);
	meta_free(&m);
	return rc;
}

static int p11_device_id(kdbx_slot_provider *self, const uint8_t *meta, size_t meta_len,
                         char *buf, size_t buflen)
{
	p11_meta m;

	(void)self;
	if (buf == NULL || buflen == 0 || meta_parse(meta, meta_len, &m) < 0)
		return kdbx_error__set(KDBX_EINVALID, "PKCS#11 device id: bad arguments");
	snprintf(buf, buflen, "%s", m.uri);
	meta_free(&m);
	return KDBX_OK;
}

static int p11_describe(kdbx_slot_provider *self, char *buf, size_t buflen)
{
	p11_slotprov *p = (p11_slotprov *)self;

	if (buf == NULL || buflen == 0)
		return kdbx_error__set(KDBX_EINVALID, "describe: no buffer");
	snprintf(buf, buflen, "%s", p->desc);
	return KDBX_OK;
}

static void p11_free(kdbx_slot_provider *self)
{
	p11_slotprov *p = (p11_slotprov *)self;

	if (p == NULL)
		return;
	free(p->uri);
	free(p->module);
	free(p->token_label);
	free(p->token_serial);
	free(p->key_label);
	kdbx_freezero(p, sizeof(*p));
}

static int dup_opt(char **dst, const char **field, const char *src)
{
	if (src == NULL)
		return KDBX_OK;
	*dst = kdbx_strdup(src);
	if (*dst == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	*field = *dst;
	return KDBX_OK;
}

int kdbx_pkcs11_slot_provider_new(kdbx_slot_provider **out, const kdbx_pkcs11_options *opts)
{
	p11_slotprov *p;
	kdbx_p11_sel check;
	int rc;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_pkcs11_slot_provider_new: no output");
	*out = NULL;
	/* Validate the URI / options now so a typo fails before any device work. */
	rc = kdbx_p11__sel_init(&check, opts);
	if (rc < 0)
		return rc;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		kdbx_p11__sel_free(&check);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	kdbx_p11__sel_describe(&check, p->desc + 9, sizeof(p->desc) - 9);
	memcpy(p->desc, "PKCS#11: ", 9);
	kdbx_p11__sel_free(&check);
	if (opts != NULL) {
		p->opts = *opts;
		p->opts.uri = p->opts.module = p->opts.token_label = p->opts.token_serial = NULL;
		p->opts.key_label = NULL;
		p->opts.key_id = NULL;
		p->opts.interaction = NULL;
		if ((rc = dup_opt(&p->uri, &p->opts.uri, opts->uri)) < 0 ||
		    (rc = dup_opt(&p->module, &p->opts.module, opts->module)) < 0 ||
		    (rc = dup_opt(&p->token_label, &p->opts.token_label, opts->token_label)) < 0 ||
		    (rc = dup_opt(&p->token_serial, &p->opts.token_serial, opts->token_serial)) < 0 ||
		    (rc = dup_opt(&p->key_label, &p->opts.key_label, opts->key_label)) < 0) {
			p11_free(&p->parent);
			return rc;
		}
		if (opts->key_id != NULL && opts->key_id_len > 0) {
			if (opts->key_id_len > sizeof(p->key_id)) {
				p11_free(&p->parent);
				return kdbx_error__set(KDBX_EINVALID, "PKCS#11 key id longer than 64 bytes");
			}
			memcpy(p->key_id, opts->key_id, opts->key_id_len);
			p->opts.key_id = p->key_id;
		}
		if (opts->interaction != NULL) {
			p->ia = *opts->interaction;
			p->have_ia = 1;
		}
	} else {
		kdbx_pkcs11_options d = KDBX_PKCS11_OPTIONS_INIT;

		p->opts = d;
	}
	p->parent.version = KDBX_SLOT_PROVIDER_VERSION;
	p->parent.type = "pkcs11";
	p->parent.flags = KDBX_SLOT_PROVIDER_PUBKEY | KDBX_SLOT_PROVIDER_INTERACTIVE;
	p->parent.describe = p11_describe;
	p->parent.enrol = p11_enrol;
	p->parent.unlock = p11_unlock;
	p->parent.match = p11_match;
	p->parent.rewrap_offline = p11_rewrap;
	p->parent.device_id = p11_device_id;
	p->parent.free = p11_free;
	*out = &p->parent;
	return KDBX_OK;
}
