/* CTAP2 commands of the software authenticator (CTAP 2.1 section 6):
 * authenticatorMakeCredential (0x01), authenticatorGetAssertion (0x02),
 * authenticatorGetInfo (0x04) and authenticatorClientPIN (0x06), with the
 * hmac-secret extension (section 12.5). Credentials are non-resident and kept
 * in a table; "packed" attestation with a self-signed certificate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/crypto.h>

#include "sim_int.h"

#define PERM_MC 0x01
#define PERM_GA 0x02

/* ---------------- CBOR helpers ---------------- */

static bool get_int(const cbor_item_t *it, int64_t *v)
{
	if (it == NULL)
		return false;
	if (cbor_isa_uint(it)) {
		*v = (int64_t)cbor_get_int(it);
		return true;
	}
	if (cbor_isa_negint(it)) {
		*v = -1 - (int64_t)cbor_get_int(it);
		return true;
	}
	return false;
}

static cbor_item_t *map_int(const cbor_item_t *m, int64_t key)
{
	struct cbor_pair *p;
	int64_t k;

	if (m == NULL || !cbor_isa_map(m))
		return NULL;
	p = cbor_map_handle(m);
	for (size_t i = 0; i < cbor_map_size(m); i++)
		if (get_int(p[i].key, &k) && k == key)
			return p[i].value;
	return NULL;
}

static cbor_item_t *map_str(const cbor_item_t *m, const char *key)
{
	struct cbor_pair *p;
	size_t kl = strlen(key);

	if (m == NULL || !cbor_isa_map(m))
		return NULL;
	p = cbor_map_handle(m);
	for (size_t i = 0; i < cbor_map_size(m); i++)
		if (cbor_isa_string(p[i].key) && cbor_string_is_definite(p[i].key) &&
		    cbor_string_length(p[i].key) == kl && memcmp(cbor_string_handle(p[i].key), key, kl) == 0)
			return p[i].value;
	return NULL;
}

static bool get_bytes(const cbor_item_t *it, const uint8_t **b, size_t *n)
{
	if (it == NULL || !cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
		return false;
	*b = cbor_bytestring_handle(it);
	*n = cbor_bytestring_length(it);
	return true;
}

static bool get_text(const cbor_item_t *it, char *buf, size_t buflen)
{
	size_t n;

	if (it == NULL || !cbor_isa_string(it) || !cbor_string_is_definite(it) ||
	    (n = cbor_string_length(it)) >= buflen)
		return false;
	memcpy(buf, cbor_string_handle(it), n);
	buf[n] = '\0';
	return true;
}

static int get_bool(const cbor_item_t *it, int def)
{
	if (it == NULL || !cbor_is_bool(it))
		return def;
	return cbor_get_bool(it) ? 1 : 0;
}

/* Smallest encoding: libfido2 reads map keys as 8-bit integers only. */
static cbor_item_t *build_int(int64_t v)
{
	uint64_t u = v >= 0 ? (uint64_t)v : (uint64_t)(-1 - v);

	if (u <= 0xff)
		return v >= 0 ? cbor_build_uint8((uint8_t)u) : cbor_build_negint8((uint8_t)u);
	if (u <= 0xffff)
		return v >= 0 ? cbor_build_uint16((uint16_t)u) : cbor_build_negint16((uint16_t)u);
	return v >= 0 ? cbor_build_uint64(u) : cbor_build_negint64(u);
}

static void put(cbor_item_t *m, cbor_item_t *k, cbor_item_t *v)
{
	(void)cbor_map_add(m, (struct cbor_pair){.key = cbor_move(k), .value = cbor_move(v)});
}

/* COSE_Key of a P-256 public key: {1: 2, 3: alg, -1: 1, -2: x, -3: y}. */
static cbor_item_t *cose_key(EVP_PKEY *k, int64_t alg)
{
	uint8_t x[32], y[32];
	cbor_item_t *m;

	if (sim_pub_xy(k, x, y) != 0 || (m = cbor_new_definite_map(5)) == NULL)
		return NULL;
	put(m, build_int(1), build_int(2));
	put(m, build_int(3), build_int(alg));
	put(m, build_int(-1), build_int(1));
	put(m, build_int(-2), cbor_build_bytestring(x, 32));
	put(m, build_int(-3), cbor_build_bytestring(y, 32));
	return m;
}

static bool cose_xy(const cbor_item_t *m, uint8_t x[32], uint8_t y[32])
{
	const uint8_t *bx, *by;
	size_t nx, ny;
	int64_t kty, crv;

	if (!get_int(map_int(m, 1), &kty) || kty != 2 || !get_int(map_int(m, -1), &crv) || crv != 1 ||
	    !get_bytes(map_int(m, -2), &bx, &nx) || nx != 32 || !get_bytes(map_int(m, -3), &by, &ny) || ny != 32)
		return false;
	memcpy(x, bx, 32);
	memcpy(y, by, 32);
	return true;
}

/* Serialises status + body (body may be NULL) into *out. */
static uint8_t finish(cbor_item_t *body, uint8_t **out, size_t *len)
{
	unsigned char *buf = NULL;
	size_t sz = 0, n = 0;

	if (body != NULL) {
		n = cbor_serialize_alloc(body, &buf, &sz);
		cbor_decref(&body);
		if (n == 0) {
			free(buf);
			return ST_OTHER;
		}
	}
	*out = malloc(n + 1);
	if (*out == NULL) {
		free(buf);
		return ST_OTHER;
	}
	(*out)[0] = ST_OK;
	if (n > 0)
		memcpy(*out + 1, buf, n);
	*len = n + 1;
	free(buf);
	return ST_OK;
}

static bool proto_ok(const fido2_sim *s, int64_t p)
{
	return (p == 1 && (s->cfg.protocols & 1)) || (p == 2 && (s->cfg.protocols & 2));
}

/* ---------------- authenticatorGetInfo ---------------- */

static uint8_t get_info(fido2_sim *s, uint8_t **out, size_t *len)
{
	cbor_item_t *m = cbor_new_definite_map(6), *v, *e, *o, *p;
	size_t nopt = 4 + (s->cfg.builtin_uv ? 1 : 0) + (s->cfg.permissions ? 1 : 0) + (s->cfg.always_uv ? 1 : 0);

	v = cbor_new_definite_array(2);
	(void)cbor_array_push(v, cbor_move(cbor_build_string("FIDO_2_0")));
	(void)cbor_array_push(v, cbor_move(cbor_build_string(s->cfg.permissions ? "FIDO_2_1" : "FIDO_2_1_PRE")));
	e = cbor_new_definite_array(s->cfg.hmac_secret ? 1 : 0);
	if (s->cfg.hmac_secret)
		(void)cbor_array_push(e, cbor_move(cbor_build_string("hmac-secret")));
	/* Canonical CBOR key order (shorter first, then bytewise): libfido2 checks it. */
	o = cbor_new_definite_map(nopt);
	put(o, cbor_build_string("rk"), cbor_build_bool(false));
	put(o, cbor_build_string("up"), cbor_build_bool(true));
	if (s->cfg.builtin_uv)
		put(o, cbor_build_string("uv"), cbor_build_bool(true));
	put(o, cbor_build_string("plat"), cbor_build_bool(false));
	if (s->cfg.always_uv)
		put(o, cbor_build_string("alwaysUv"), cbor_build_bool(true));
	put(o, cbor_build_string("clientPin"), cbor_build_bool(s->pin_set));
	if (s->cfg.permissions)
		put(o, cbor_build_string("pinUvAuthToken"), cbor_build_bool(true));
	p = cbor_new_definite_array(2);
	if (s->cfg.protocols & 2)
		(void)cbor_array_push(p, cbor_move(cbor_build_uint8(2)));
	if (s->cfg.protocols & 1)
		(void)cbor_array_push(p, cbor_move(cbor_build_uint8(1)));
	put(m, build_int(1), v);
	put(m, build_int(2), e);
	put(m, build_int(3), cbor_build_bytestring(s->aaguid, 16));
	put(m, build_int(4), o);
	put(m, build_int(5), build_int(1200));
	put(m, build_int(6), p);
	return finish(m, out, len);
}

/* ---------------- authenticatorClientPIN ---------------- */

static void new_key_agreement(fido2_sim *s)
{
	EVP_PKEY *k = NULL;

	if (sim_keygen(&k) == 0) {
		EVP_PKEY_free(s->ka_key);
		s->ka_key = k;
	}
}

static uint8_t shared_from(fido2_sim *s, const cbor_item_t *cose, int64_t proto, sim_shared *sh)
{
	uint8_t x[32], y[32];

	if (!proto_ok(s, proto))
		return ST_INVALID_PARAMETER;
	if (!cose_xy(cose, x, y))
		return ST_MISSING_PARAMETER;
	return sim_shared_secret(s->ka_key, x, y, (int)proto, sh) == 0 ? ST_OK : ST_INVALID_PARAMETER;
}

/* A successful UV (PIN or built-in) hands out a fresh token (section 6.5.5.7). */
static uint8_t give_token(fido2_sim *s, const sim_shared *sh, unsigned int perms, const char *rp, uint8_t **out,
                          size_t *len)
{
	uint8_t enc[48];
	size_t el = 0;
	cbor_item_t *m;

	sim_random(s->token, sizeof(s->token));
	s->token_valid = true;
	s->token_perms = perms;
	snprintf(s->token_rp, sizeof(s->token_rp), "%s", rp != NULL ? rp : "");
	if (sim_encrypt(sh, s->token, 32, enc, &el) != 0)
		return ST_OTHER;
	m = cbor_new_definite_map(1);
	put(m, build_int(2), cbor_build_bytestring(enc, el));
	return finish(m, out, len);
}

static uint8_t client_pin(fido2_sim *s, const cbor_item_t *req, uint8_t **out, size_t *len)
{
	int64_t proto = 0, sub = 0, perms = PERM_MC | PERM_GA;
	const uint8_t *b, *auth;
	size_t n, al;
	sim_shared sh;
	uint8_t st, buf[96];
	size_t bl = 0;
	char rp[256] = "";
	cbor_item_t *m;

	if (!get_int(map_int(req, 2), &sub))
		return ST_MISSING_PARAMETER;
	(void)get_int(map_int(req, 1), &proto);
	switch (sub) {
	case 1: /* getPINRetries */
		m = cbor_new_definite_map(1);
		put(m, build_int(3), build_int(s->pin_retries));
		return finish(m, out, len);
	case 7: /* getUVRetries */
		if (!s->cfg.builtin_uv)
			return ST_INVALID_SUBCOMMAND;
		m = cbor_new_definite_map(1);
		put(m, build_int(5), build_int(s->uv_retries));
		return finish(m, out, len);
	case 2: /* getKeyAgreement */
		if (!proto_ok(s, proto))
			return ST_INVALID_PARAMETER;
		m = cbor_new_definite_map(1);
		put(m, build_int(1), cose_key(s->ka_key, -25));
		return finish(m, out, len);
	case 3: /* setPIN */
		if (s->pin_set)
			return ST_NOT_ALLOWED;
		if ((st = shared_from(s, map_int(req, 3), proto, &sh)) != ST_OK)
			return st;
		if (!get_bytes(map_int(req, 5), &b, &n) || !get_bytes(map_int(req, 4), &auth, &al))
			return ST_MISSING_PARAMETER;
		if (sim_verify((int)proto, sh.hmac_key, 32, b, n, auth, al) != 0)
			return ST_PIN_AUTH_INVALID;
		if (n > sizeof(buf) || sim_decrypt(&sh, b, n, buf, &bl) != 0 || bl != 64)
			return ST_PIN_AUTH_INVALID;
		n = strnlen((const char *)buf, 64);
		if (n < 4 || n > 63)
			return ST_PIN_POLICY_VIOLATION;
		buf[n] = '\0';
		fido2_sim_set_pin(s, (const char *)buf);
		OPENSSL_cleanse(buf, sizeof(buf));
		return finish(NULL, out, len);
	case 5: /* getPinToken */
	case 9: /* getPinUvAuthTokenUsingPinWithPermissions */
		if (sub == 9) {
			if (!s->cfg.permissions)
				return ST_INVALID_SUBCOMMAND;
			if (!get_int(map_int(req, 9), &perms) || perms == 0)
				return ST_MISSING_PARAMETER;
			(void)get_text(map_int(req, 10), rp, sizeof(rp));
		}
		if (!s->pin_set)
			return ST_PIN_NOT_SET;
		if (s->pin_retries <= 0)
			return ST_PIN_BLOCKED;
		if (s->pin_fails_in_row >= 3)
			return ST_PIN_AUTH_BLOCKED;
		if ((st = shared_from(s, map_int(req, 3), proto, &sh)) != ST_OK)
			return st;
		if (!get_bytes(map_int(req, 6), &b, &n))
			return ST_MISSING_PARAMETER;
		s->pin_retries--;
		if (n > sizeof(buf) || sim_decrypt(&sh, b, n, buf, &bl) != 0 || bl != 16 ||
		    CRYPTO_memcmp(buf, s->pin_hash, 16) != 0) {
			new_key_agreement(s);
			s->pin_fails_in_row++;
			if (s->pin_retries <= 0)
				return ST_PIN_BLOCKED;
			return s->pin_fails_in_row >= 3 ? ST_PIN_AUTH_BLOCKED : ST_PIN_INVALID;
		}
		s->pin_retries = SIM_PIN_RETRIES;
		s->pin_fails_in_row = 0;
		return give_token(s, &sh, (unsigned int)perms, rp[0] ? rp : NULL, out, len);
	case 6: /* getPinUvAuthTokenUsingUvWithPermissions: built-in UV */
		if (!s->cfg.builtin_uv || !s->cfg.permissions)
			return ST_INVALID_SUBCOMMAND;
		if (!get_int(map_int(req, 9), &perms) || perms == 0)
			return ST_MISSING_PARAMETER;
		(void)get_text(map_int(req, 10), rp, sizeof(rp));
		if (s->uv_retries <= 0)
			return ST_UV_BLOCKED;
		if ((st = shared_from(s, map_int(req, 3), proto, &sh)) != ST_OK)
			return st;
		if (!s->uv_match) {
			s->uv_retries--;
			return s->uv_retries <= 0 ? ST_UV_BLOCKED : ST_UV_INVALID;
		}
		s->uv_retries = SIM_UV_RETRIES;
		return give_token(s, &sh, (unsigned int)perms, rp[0] ? rp : NULL, out, len);
	default:
		return ST_INVALID_SUBCOMMAND;
	}
}

/* ---------------- user verification / presence ---------------- */

/* pinUvAuthParam (key pk) over the client data hash with the current token. */
static uint8_t check_uv_param(fido2_sim *s, const cbor_item_t *req, int pk, int pp, const uint8_t *cdh,
                              unsigned int perm, const char *rp, bool *uv)
{
	const uint8_t *auth;
	size_t al;
	int64_t proto = 1;

	if (!get_bytes(map_int(req, pk), &auth, &al))
		return ST_OK;
	if (!get_int(map_int(req, pp), &proto))
		return ST_MISSING_PARAMETER;
	if (!proto_ok(s, proto))
		return ST_INVALID_PARAMETER;
	if (!s->token_valid || sim_verify((int)proto, s->token, 32, cdh, 32, auth, al) != 0)
		return ST_PIN_AUTH_INVALID;
	if (!(s->token_perms & perm) || (s->token_rp[0] && strcmp(s->token_rp, rp) != 0))
		return ST_UNAUTHORIZED_PERMISSION;
	/* CTAP 2.1: a token with permissions is used once for mc / ga. */
	if (s->cfg.permissions)
		s->token_perms &= ~perm;
	*uv = true;
	return ST_OK;
}

/* options.uv = true without a token: the authenticator's own UV. */
static uint8_t builtin_uv(fido2_sim *s, bool *uv)
{
	if (!s->cfg.builtin_uv)
		return ST_INVALID_OPTION;
	if (s->uv_retries <= 0)
		return ST_UV_BLOCKED;
	if (!s->uv_match) {
		s->uv_retries--;
		return s->uv_retries <= 0 ? ST_UV_BLOCKED : ST_UV_INVALID;
	}
	s->uv_retries = SIM_UV_RETRIES;
	*uv = true;
	return ST_OK;
}

static uint8_t presence(fido2_sim *s, bool *upneeded)
{
	*upneeded = true;
	s->touch_waits++;
	return s->touch == FIDO2_SIM_TOUCH_YES ? ST_OK : ST_USER_ACTION_TIMEOUT;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---------------- authenticatorMakeCredential ---------------- */

static uint8_t make_credential(fido2_sim *s, const cbor_item_t *req, uint8_t **out, size_t *len, bool *upneeded)
{
	const uint8_t *cdh;
	size_t cl;
	char rp[256];
	cbor_item_t *params = map_int(req, 4), *ext = map_int(req, 6), *opts = map_int(req, 7);
	bool alg_ok = false, uv = false, want_hmac;
	sim_cred *c;
	uint8_t st, ad[512], sig[80];
	size_t adl = 0, sl = sizeof(sig);
	unsigned char *pk = NULL, *ex = NULL;
	size_t pkl = 0, pksz = 0, exl = 0, exsz = 0;
	cbor_item_t *pkey, *em, *m, *att, *x5c;

	if (!get_bytes(map_int(req, 1), &cdh, &cl) || cl != 32 || !get_text(map_str(map_int(req, 2), "id"), rp, sizeof(rp)) ||
	    map_int(req, 3) == NULL || params == NULL || !cbor_isa_array(params))
		return ST_MISSING_PARAMETER;
	for (size_t i = 0; i < cbor_array_size(params); i++) {
		int64_t a;
		if (get_int(map_str(cbor_array_handle(params)[i], "alg"), &a) && a == -7)
			alg_ok = true;
	}
	if (!alg_ok)
		return ST_UNSUPPORTED_ALGORITHM;
	if (get_bool(map_str(opts, "rk"), 0))
		return ST_UNSUPPORTED_OPTION; /* non-resident credentials only */
	if ((st = check_uv_param(s, req, 8, 9, cdh, PERM_MC, rp, &uv)) != ST_OK)
		return st;
	if (!uv && get_bool(map_str(opts, "uv"), 0) && (st = builtin_uv(s, &uv)) != ST_OK)
		return st;
	/* CTAP 2.0 behaviour (no makeCredUvNotRqd): a PIN protects creation. */
	if (!uv && s->pin_set)
		return ST_PUAT_REQUIRED;
	if ((st = presence(s, upneeded)) != ST_OK)
		return st;
	if (s->ncreds >= SIM_MAX_CREDS)
		return ST_OTHER;
	want_hmac = s->cfg.hmac_secret && get_bool(map_str(ext, "hmac-secret"), 0) == 1;
	c = &s->creds[s->ncreds];
	memset(c, 0, sizeof(*c));
	if (sim_keygen(&c->key) != 0)
		return ST_OTHER;
	sim_random(c->id, sizeof(c->id));
	sim_sha256((const uint8_t *)rp, strlen(rp), NULL, 0, c->rp_hash);
	c->hmac_secret = want_hmac;
	sim_random(c->cred_random_uv, 32);
	sim_random(c->cred_random_nouv, 32);
	s->ncreds++;

	pkey = cose_key(c->key, -7);
	pkl = cbor_serialize_alloc(pkey, &pk, &pksz);
	cbor_decref(&pkey);
	if (want_hmac) {
		em = cbor_new_definite_map(1);
		put(em, cbor_build_string("hmac-secret"), cbor_build_bool(true));
		exl = cbor_serialize_alloc(em, &ex, &exsz);
		cbor_decref(&em);
	}
	memcpy(ad, c->rp_hash, 32);
	ad[32] = 0x01 | (uv ? 0x04 : 0) | 0x40 | (want_hmac ? 0x80 : 0);
	be32(ad + 33, ++s->counter);
	memcpy(ad + 37, s->aaguid, 16);
	ad[53] = 0;
	ad[54] = SIM_CRED_ID_LEN;
	memcpy(ad + 55, c->id, SIM_CRED_ID_LEN);
	adl = 55 + SIM_CRED_ID_LEN;
	if (pkl == 0 || adl + pkl + exl > sizeof(ad)) {
		free(pk);
		free(ex);
		return ST_OTHER;
	}
	memcpy(ad + adl, pk, pkl);
	adl += pkl;
	if (exl > 0)
		memcpy(ad + adl, ex, exl);
	adl += exl;
	free(pk);
	free(ex);
	if (sim_sign(s->att_key, ad, adl, cdh, 32, sig, &sl) != 0)
		return ST_OTHER;
	att = cbor_new_definite_map(3);
	put(att, cbor_build_string("alg"), build_int(-7));
	put(att, cbor_build_string("sig"), cbor_build_bytestring(sig, sl));
	x5c = cbor_new_definite_array(1);
	(void)cbor_array_push(x5c, cbor_move(cbor_build_bytestring(s->att_cert, s->att_cert_len)));
	put(att, cbor_build_string("x5c"), x5c);
	m = cbor_new_definite_map(3);
	put(m, build_int(1), cbor_build_string("packed"));
	put(m, build_int(2), cbor_build_bytestring(ad, adl));
	put(m, build_int(3), att);
	return finish(m, out, len);
}

/* ---------------- authenticatorGetAssertion ---------------- */

/* hmac-secret input {1: keyAgreement, 2: saltEnc, 3: saltAuth, 4: protocol}
 * -> encrypted HMAC-SHA-256(CredRandom, salt1 [, salt2]). */
static uint8_t hmac_secret(fido2_sim *s, const sim_cred *c, const cbor_item_t *in, bool uv, uint8_t *enc,
                           size_t *enclen)
{
	const uint8_t *salt_enc, *salt_auth;
	size_t sel, sal, saltl = 0;
	int64_t proto = 1;
	sim_shared sh;
	uint8_t salts[80], outp[64], st;

	if (map_int(in, 4) != NULL && !get_int(map_int(in, 4), &proto))
		return ST_INVALID_PARAMETER;
	if ((st = shared_from(s, map_int(in, 1), proto, &sh)) != ST_OK)
		return st;
	if (!get_bytes(map_int(in, 2), &salt_enc, &sel) || !get_bytes(map_int(in, 3), &salt_auth, &sal))
		return ST_MISSING_PARAMETER;
	if (sim_verify((int)proto, sh.hmac_key, 32, salt_enc, sel, salt_auth, sal) != 0)
		return ST_PIN_AUTH_INVALID;
	if (sel > sizeof(salts) || sim_decrypt(&sh, salt_enc, sel, salts, &saltl) != 0 || (saltl != 32 && saltl != 64))
		return ST_INVALID_LENGTH;
	/* Two secrets per credential: with and without UV (section 12.5). */
	sim_hmac256(uv ? c->cred_random_uv : c->cred_random_nouv, 32, salts, 32, outp);
	if (saltl == 64)
		sim_hmac256(uv ? c->cred_random_uv : c->cred_random_nouv, 32, salts + 32, 32, outp + 32);
	st = sim_encrypt(&sh, outp, saltl, enc, enclen) == 0 ? ST_OK : ST_OTHER;
	OPENSSL_cleanse(outp, sizeof(outp));
	OPENSSL_cleanse(salts, sizeof(salts));
	OPENSSL_cleanse(&sh, sizeof(sh));
	return st;
}

static uint8_t get_assertion(fido2_sim *s, const cbor_item_t *req, uint8_t **out, size_t *len, bool *upneeded)
{
	const uint8_t *cdh;
	size_t cl;
	char rp[256];
	uint8_t rp_hash[32], st, ad[256], sig[80], enc[96];
	size_t adl, sl = sizeof(sig), encl = 0;
	cbor_item_t *allow = map_int(req, 3), *ext = map_int(req, 4), *opts = map_int(req, 5), *hs, *m, *d;
	const sim_cred *c = NULL;
	bool uv = false, up;
	unsigned char *ex = NULL;
	size_t exl = 0, exsz = 0;

	s->assertions++;
	if (!get_text(map_int(req, 1), rp, sizeof(rp)) || !get_bytes(map_int(req, 2), &cdh, &cl) || cl != 32)
		return ST_MISSING_PARAMETER;
	if ((st = check_uv_param(s, req, 6, 7, cdh, PERM_GA, rp, &uv)) != ST_OK)
		return st;
	if (!uv && get_bool(map_str(opts, "uv"), 0) && (st = builtin_uv(s, &uv)) != ST_OK)
		return st;
	if (!uv && s->cfg.always_uv)
		return ST_PUAT_REQUIRED;
	up = get_bool(map_str(opts, "up"), 1) == 1;
	sim_sha256((const uint8_t *)rp, strlen(rp), NULL, 0, rp_hash);
	for (size_t i = 0; allow != NULL && cbor_isa_array(allow) && i < cbor_array_size(allow) && c == NULL; i++) {
		const uint8_t *id;
		size_t il;
		if (!get_bytes(map_str(cbor_array_handle(allow)[i], "id"), &id, &il) || il != SIM_CRED_ID_LEN)
			continue;
		for (size_t k = 0; k < s->ncreds; k++)
			if (memcmp(s->creds[k].id, id, il) == 0 && memcmp(s->creds[k].rp_hash, rp_hash, 32) == 0)
				c = &s->creds[k];
	}
	if (c == NULL)
		return ST_NO_CREDENTIALS;
	if (up && (st = presence(s, upneeded)) != ST_OK)
		return st;
	hs = s->cfg.hmac_secret && c->hmac_secret ? map_str(ext, "hmac-secret") : NULL;
	if (hs != NULL) {
		cbor_item_t *em;
		if ((st = hmac_secret(s, c, hs, uv, enc, &encl)) != ST_OK)
			return st;
		em = cbor_new_definite_map(1);
		put(em, cbor_build_string("hmac-secret"), cbor_build_bytestring(enc, encl));
		exl = cbor_serialize_alloc(em, &ex, &exsz);
		cbor_decref(&em);
		if (exl == 0 || 37 + exl > sizeof(ad)) {
			free(ex);
			return ST_OTHER;
		}
	}
	memcpy(ad, rp_hash, 32);
	ad[32] = (up ? 0x01 : 0) | (uv ? 0x04 : 0) | (hs != NULL ? 0x80 : 0);
	be32(ad + 33, ++s->counter);
	adl = 37;
	if (exl > 0)
		memcpy(ad + adl, ex, exl);
	adl += exl;
	free(ex);
	if (sim_sign(c->key, ad, adl, cdh, 32, sig, &sl) != 0)
		return ST_OTHER;
	d = cbor_new_definite_map(2);
	put(d, cbor_build_string("id"), cbor_build_bytestring(c->id, SIM_CRED_ID_LEN));
	put(d, cbor_build_string("type"), cbor_build_string("public-key"));
	m = cbor_new_definite_map(3);
	put(m, build_int(1), d);
	put(m, build_int(2), cbor_build_bytestring(ad, adl));
	put(m, build_int(3), cbor_build_bytestring(sig, sl));
	return finish(m, out, len);
}

void sim_ctap(fido2_sim *s, const uint8_t *req, size_t len, uint8_t **resp, size_t *resp_len, bool *upneeded)
{
	struct cbor_load_result r;
	cbor_item_t *m = NULL;
	uint8_t st;

	*resp = NULL;
	*resp_len = 0;
	*upneeded = false;
	if (len < 1) {
		st = ST_INVALID_LENGTH;
		goto error;
	}
	if (len > 1) {
		m = cbor_load(req + 1, len - 1, &r);
		if (m == NULL || !cbor_isa_map(m)) {
			st = ST_INVALID_CBOR;
			goto error;
		}
	}
	switch (req[0]) {
	case 0x01:
		st = m != NULL ? make_credential(s, m, resp, resp_len, upneeded) : ST_MISSING_PARAMETER;
		break;
	case 0x02:
		st = m != NULL ? get_assertion(s, m, resp, resp_len, upneeded) : ST_MISSING_PARAMETER;
		break;
	case 0x04:
		st = get_info(s, resp, resp_len);
		break;
	case 0x06:
		st = m != NULL ? client_pin(s, m, resp, resp_len) : ST_MISSING_PARAMETER;
		break;
	default:
		st = ST_INVALID_COMMAND;
		break;
	}
	if (m != NULL)
		cbor_decref(&m);
	if (st == ST_OK)
		return;
error:
	free(*resp);
	*resp = malloc(1);
	if (*resp != NULL) {
		(*resp)[0] = st;
		*resp_len = 1;
	}
}
