/* TPM 2.0 slot provider ("tpm2"): an HMAC-SHA256 key inside the TPM answers a
 * per-slot random challenge (hwdesign-notes 1.3 "alternative", 3.2).
 * Why an HMAC key and not a sealed secret: the key never leaves the TPM, not
 * even encrypted for the session; a sealed object would hand the same 32
 * bytes to anyone who satisfies its policy once, while an HMAC answer is
 * bound to the challenge stored in this slot. Keys provisioned by other tools
 * (tpm2_create -G hmac + tpm2_evictcontrol) work the same way in handle mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "kdbx/tpm2.h"
#include "providers/tpm2_int.h"

#define PIN_MAX 256

typedef struct tpm2_sp {
	kdbx_slot_provider parent;
	char *tcti;
	uint32_t handle;
	uint32_t pcr_mask;
	TPMI_ALG_HASH bank;
	int pin;
	kdbx_interaction ia;
	bool have_ia;
} tpm2_sp;

/* Enrolment settings: provider options, then kdbx_slot_context.options. */
typedef struct enrol_cfg {
	const char *tcti;
	char tcti_buf[256];
	uint32_t handle, pcr_mask;
	TPMI_ALG_HASH bank;
	int pin;
} enrol_cfg;

static int parse_options(enrol_cfg *cfg, const char *opts)
{
	char buf[512];
	char *save = NULL;

	if (opts == NULL || *opts == '\0')
		return KDBX_OK;
	if (strlen(opts) >= sizeof(buf))
		return kdbx_error__set(KDBX_EINVALID, "TPM options too long");
	snprintf(buf, sizeof(buf), "%s", opts);
	/* ';' separates options ("tcti=swtpm:host=...,port=..." holds commas). */
	for (char *t = strtok_r(buf, ";", &save); t != NULL; t = strtok_r(NULL, ";", &save)) {
		char *v = strchr(t, '=');
		if (v == NULL)
			return kdbx_error__set(KDBX_EINVALID, "TPM option \"%s\" has no value", t);
		*v++ = '\0';
		if (strcmp(t, "handle") == 0) {
			char *end = NULL;
			unsigned long h = strtoul(v, &end, 0);
			if (*end != '\0' || h < KDBX_TPM2_PERSISTENT_FIRST || h > KDBX_TPM2_PERSISTENT_LAST)
				return kdbx_error__set(KDBX_EINVALID, "TPM handle must be a persistent handle "
				                       "0x81000000..0x81ffffff");
			cfg->handle = (uint32_t)h;
		} else if (strcmp(t, "pcrs") == 0) {
			if (kdbx_tpm2__pcr_parse(v, &cfg->pcr_mask) < 0)
				return kdbx_error__set(KDBX_EINVALID, "bad PCR list \"%s\" (e.g. 7 or 0,2,7)", v);
		} else if (strcmp(t, "bank") == 0) {
			int rc = kdbx_tpm2__bank_from_name(v, &cfg->bank);
			if (rc != KDBX_OK)
				return rc;
		} else if (strcmp(t, "pin") == 0) {
			cfg->pin = strcmp(v, "0") != 0 && strcmp(v, "no") != 0;
		} else if (strcmp(t, "tcti") == 0) {
			snprintf(cfg->tcti_buf, sizeof(cfg->tcti_buf), "%s", v);
			cfg->tcti = cfg->tcti_buf;
		} else {
			return kdbx_error__set(KDBX_EINVALID, "unknown TPM option \"%s\"", t);
		}
	}
	return KDBX_OK;
}

static const kdbx_interaction *interaction(const tpm2_sp *p, const kdbx_slot_context *ctx)
{
	if (ctx != NULL && ctx->interaction != NULL && ctx->interaction->pin != NULL)
		return ctx->interaction;
	return p->have_ia ? &p->ia : NULL;
}

static int ask_pin(const kdbx_interaction *ia, const char *prompt, int retries, char pin[PIN_MAX])
{
	int rc;

	if (ia == NULL || ia->pin == NULL)
		return kdbx_tpm2__set(KDBX_TPM2_PIN_WRONG, KDBX_EPIN, "the TPM key needs a PIN and no PIN "
		                      "callback was given");
	rc = ia->pin(ia->userdata, prompt, retries, pin, PIN_MAX);
	pin[PIN_MAX - 1] = '\0';
	if (rc != 0)
		return kdbx_error__set(KDBX_ECANCELLED, "PIN entry cancelled");
	return KDBX_OK;
}

/* authValue: blob mode hashes the PIN with the slot's salt (fixed 32 bytes,
 * no precomputed tables; the TPM's lockout limits guessing); handle mode uses
 * the PIN bytes as given, as tpm2-tools' -p does, so provisioned keys work. */
static int auth_value(const kdbx_tpm2_meta *m, const char *pin, TPM2B_AUTH *auth)
{
	static const char label[] = "kdbx-tpm2-pin-v1";
	size_t n = strlen(pin);

	memset(auth, 0, sizeof(*auth));
	if (m->flags & KDBX_TPM2_M_HANDLE) {
		if (n > 32)
			return kdbx_error__set(KDBX_EINVALID, "TPM key auth value longer than 32 bytes");
		memcpy(auth->buffer, pin, n);
		auth->size = (UINT16)n;
		return KDBX_OK;
	}
	{
		kdbx_iov v[3] = {{label, sizeof(label) - 1}, {m->pin_salt, 16}, {pin, n}};
		auth->size = 32;
		return kdbx_sha256_v(v, 3, auth->buffer);
	}
}

static void pcr_selection(const kdbx_tpm2_meta *m, TPML_PCR_SELECTION *sel)
{
	memset(sel, 0, sizeof(*sel));
	sel->count = 1;
	sel->pcrSelections[0].hash = m->pcr_bank;
	sel->pcrSelections[0].sizeofSelect = 3;
	for (int i = 0; i < 3; i++)
		sel->pcrSelections[0].pcrSelect[i] = (uint8_t)(m->pcr_mask >> (8 * i));
}

/* PolicyPCR (current values) [+ PolicyAuthValue] into a policy session. */
static int apply_policy(kdbx_tpm2_conn *c, const kdbx_tpm2_meta *m, ESYS_TR s)
{
	TPML_PCR_SELECTION sel;
	TPM2B_DIGEST empty;
	TSS2_RC rc;

	memset(&empty, 0, sizeof(empty));
	pcr_selection(m, &sel);
	rc = Esys_PolicyPCR(c->esys, s, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &empty, &sel);
	if (rc != TSS2_RC_SUCCESS)
		return kdbx_tpm2__fail(c, rc, "binding the PCR policy (is the PCR bank allocated?)");
	if (m->flags & KDBX_TPM2_M_PIN) {
		rc = Esys_PolicyAuthValue(c->esys, s, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE);
		if (rc != TSS2_RC_SUCCESS)
			return kdbx_tpm2__fail(c, rc, "adding the PIN to the policy");
	}
	return KDBX_OK;
}

static int policy_digest(kdbx_tpm2_conn *c, kdbx_tpm2_meta *m)
{
	ESYS_TR s = ESYS_TR_NONE;
	TPM2B_DIGEST *d = NULL;
	TSS2_RC trc;
	int rc;

	if ((rc = kdbx_tpm2__session(c, TPM2_SE_TRIAL, &s)) != KDBX_OK)
		return rc;
	if ((rc = apply_policy(c, m, s)) == KDBX_OK) {
		trc = Esys_PolicyGetDigest(c->esys, s, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &d);
		if (trc != TSS2_RC_SUCCESS)
			rc = kdbx_tpm2__fail(c, trc, "computing the policy digest");
		else
			m->policy = *d;
		Esys_Free(d);
	}
	kdbx_tpm2__flush(c, &s);
	return rc;
}

/* HMAC(key, challenge) in a salted, encrypted session. */
static int run_hmac(kdbx_tpm2_conn *c, const kdbx_tpm2_meta *m, ESYS_TR key, const TPM2B_AUTH *auth,
                    kdbx_secret **secret)
{
	ESYS_TR s = ESYS_TR_NONE;
	TPM2B_MAX_BUFFER in;
	TPM2B_DIGEST *out = NULL;
	TSS2_RC trc;
	int rc;

	bool policy = (m->flags & KDBX_TPM2_M_PCR) != 0;
	if ((rc = kdbx_tpm2__session(c, policy ? TPM2_SE_POLICY : TPM2_SE_HMAC, &s)) != KDBX_OK)
		return rc;
	if (policy && (rc = apply_policy(c, m, s)) != KDBX_OK)
		goto out;
	trc = Esys_TR_SetAuth(c->esys, key, auth);
	if (trc != TSS2_RC_SUCCESS) {
		rc = kdbx_tpm2__fail(c, trc, "setting the key authorization");
		goto out;
	}
	memset(&in, 0, sizeof(in));
	in.size = 32;
	memcpy(in.buffer, m->challenge, 32);
	trc = Esys_HMAC(c->esys, key, s, ESYS_TR_NONE, ESYS_TR_NONE, &in, TPM2_ALG_NULL, &out);
	if (trc != TSS2_RC_SUCCESS) {
		rc = kdbx_tpm2__fail(c, trc, "asking the TPM key");
		goto out;
	}
	if (out->size < 16) {
		rc = kdbx_tpm2__set(KDBX_TPM2_FAILED, KDBX_EDEVICE, "TPM HMAC answer too short");
		goto out;
	}
	rc = kdbx_secret_new(secret, out->buffer, out->size);
out:
	if (out != NULL) {
		kdbx_memzero(out, sizeof(*out));
		Esys_Free(out);
	}
	kdbx_tpm2__flush(c, &s);
	return rc;
}

static bool name_eq(const TPM2B_NAME *a, const TPM2B_NAME *b)
{
	return a->size == b->size && memcmp(a->name, b->name, a->size) == 0;
}

/* Persistent key of handle mode; checks it is an HMAC key and, when expect
 * is set, that it is the enrolled one. */
static int open_handle(kdbx_tpm2_conn *c, uint32_t handle, const TPM2B_NAME *expect, ESYS_TR *key,
                       TPM2B_NAME *name_out)
{
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_NAME *name = NULL;
	TSS2_RC trc;
	int rc = KDBX_OK;

	trc = Esys_TR_FromTPMPublic(c->esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, key);
	if (trc != TSS2_RC_SUCCESS) {
		*key = ESYS_TR_NONE;
		rc = kdbx_tpm2__fail(c, trc, "opening the persistent TPM key");
		if (kdbx_tpm2_last_reason() == KDBX_TPM2_NO_KEY || kdbx_tpm2_last_reason() == KDBX_TPM2_FAILED)
			rc = kdbx_tpm2__set(KDBX_TPM2_NO_KEY, KDBX_ENOSLOT,
			                    "no key at TPM handle 0x%08x on this TPM (wrong TPM, or the key was "
			                    "evicted)", (unsigned)handle);
		return rc;
	}
	trc = Esys_ReadPublic(c->esys, *key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name, NULL);
	if (trc != TSS2_RC_SUCCESS) {
		rc = kdbx_tpm2__fail(c, trc, "reading the persistent TPM key");
	} else if (pub->publicArea.type != TPM2_ALG_KEYEDHASH ||
	           pub->publicArea.parameters.keyedHashDetail.scheme.scheme != TPM2_ALG_HMAC ||
	           !(pub->publicArea.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT)) {
		rc = kdbx_tpm2__set(KDBX_TPM2_NO_KEY, expect ? KDBX_ENOSLOT : KDBX_EUNSUPPORTED,
		                    "TPM handle 0x%08x is not an HMAC key (make one with tpm2_create -G hmac "
		                    "-c key.ctx; tpm2_evictcontrol -c key.ctx 0x%08x)", (unsigned)handle,
		                    (unsigned)handle);
	} else if (expect != NULL && !name_eq(expect, name)) {
		rc = kdbx_tpm2__set(KDBX_TPM2_WRONG_TPM, KDBX_ENOSLOT,
		                    "TPM handle 0x%08x holds another key than the enrolled one (wrong TPM, or "
		                    "the key was replaced)", (unsigned)handle);
	} else if (name_out != NULL) {
		*name_out = *name;
	}
	Esys_Free(pub);
	Esys_Free(name);
	if (rc != KDBX_OK) {
		(void)Esys_TR_Close(c->esys, key);
		*key = ESYS_TR_NONE;
	}
	return rc;
}

static int srk_check(kdbx_tpm2_conn *c, const kdbx_tpm2_meta *m)
{
	int rc = kdbx_tpm2__srk(c, m->srk_template);

	if (rc != KDBX_OK)
		return rc;
	if (!name_eq(&c->srk_name, &m->srk_name))
		return kdbx_tpm2__set(KDBX_TPM2_WRONG_TPM, KDBX_ENOSLOT,
		                      "this is not the TPM the slot was enrolled on (storage root key name "
		                      "differs: another machine, or the TPM was cleared)");
	return KDBX_OK;
}

/* Key of the slot: loaded blob (transient, flush) or persistent (close). */
static int open_key(kdbx_tpm2_conn *c, const kdbx_tpm2_meta *m, ESYS_TR *key)
{
	TSS2_RC trc;
	int rc;

	*key = ESYS_TR_NONE;
	if (m->flags & KDBX_TPM2_M_HANDLE)
		return open_handle(c, m->handle, &m->key_name, key, NULL);
	if ((rc = srk_check(c, m)) != KDBX_OK)
		return rc;
	trc = Esys_Load(c->esys, c->srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &m->priv, &m->pub, key);
	if (trc != TSS2_RC_SUCCESS) {
		*key = ESYS_TR_NONE;
		return kdbx_tpm2__fail(c, trc, "loading the TPM key blob");
	}
	return KDBX_OK;
}

static void close_key(kdbx_tpm2_conn *c, const kdbx_tpm2_meta *m, ESYS_TR *key)
{
	if (*key == ESYS_TR_NONE)
		return;
	if (m->flags & KDBX_TPM2_M_HANDLE)
		(void)Esys_TR_Close(c->esys, key);
	else
		kdbx_tpm2__flush(c, key);
	*key = ESYS_TR_NONE;
}

/* Creates the HMAC key under the SRK (blob mode). */
static int create_key(kdbx_tpm2_conn *c, kdbx_tpm2_meta *m, const TPM2B_AUTH *auth)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION none;
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR s = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc;

	memset(&sens, 0, sizeof(sens));
	memset(&tmpl, 0, sizeof(tmpl));
	memset(&outside, 0, sizeof(outside));
	memset(&none, 0, sizeof(none));
	if (m->flags & KDBX_TPM2_M_PIN)
		sens.sensitive.userAuth = *auth;
	tmpl.publicArea.type = TPM2_ALG_KEYEDHASH;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	/* fixedTPM/fixedParent: the key cannot be duplicated off this TPM.
	 * noDA without a PIN (nothing to guess, and unclean shutdowns must not
	 * lock it out); with a PIN the DA lockout is what limits guessing. With
	 * a PCR policy the key is usable through its policy only. */
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
		TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN;
	if (!(m->flags & KDBX_TPM2_M_PCR))
		tmpl.publicArea.objectAttributes |= TPMA_OBJECT_USERWITHAUTH;
	if (!(m->flags & KDBX_TPM2_M_PIN))
		tmpl.publicArea.objectAttributes |= TPMA_OBJECT_NODA;
	tmpl.publicArea.authPolicy = m->policy;
	tmpl.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_HMAC;
	tmpl.publicArea.parameters.keyedHashDetail.scheme.details.hmac.hashAlg = TPM2_ALG_SHA256;
	/* The salted session encrypts inSensitive, which holds the PIN's authValue. */
	if ((rc = kdbx_tpm2__session(c, TPM2_SE_HMAC, &s)) != KDBX_OK)
		return rc;
	trc = Esys_Create(c->esys, c->srk, s, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl, &outside, &none, &priv,
	                  &pub, NULL, NULL, NULL);
	kdbx_memzero(&sens, sizeof(sens));
	kdbx_tpm2__flush(c, &s);
	if (trc != TSS2_RC_SUCCESS)
		return kdbx_tpm2__fail(c, trc, "creating the TPM HMAC key");
	m->priv = *priv;
	m->pub = *pub;
	Esys_Free(priv);
	Esys_Free(pub);
	return KDBX_OK;
}

static int tpm2_enrol(kdbx_slot_provider *self, const kdbx_slot_context *ctx, uint8_t **meta,
                      size_t *meta_len, kdbx_secret **secret)
{
	tpm2_sp *p = (tpm2_sp *)self;
	enrol_cfg cfg;
	kdbx_tpm2_meta m;
	kdbx_tpm2_conn c;
	TPM2B_AUTH auth;
	ESYS_TR key = ESYS_TR_NONE;
	char pin[PIN_MAX], pin2[PIN_MAX];
	int rc;

	kdbx_tpm2__reason_clear();
	*secret = NULL;
	*meta = NULL;
	memset(&cfg, 0, sizeof(cfg));
	memset(&m, 0, sizeof(m));
	memset(&auth, 0, sizeof(auth));
	pin[0] = pin2[0] = '\0';
	cfg.tcti = p->tcti;
	cfg.handle = p->handle;
	cfg.pcr_mask = p->pcr_mask;
	cfg.bank = p->bank;
	cfg.pin = p->pin;
	if (ctx == NULL || ctx->nonce == NULL || ctx->nonce_len != 32)
		return kdbx_error__set(KDBX_EINVALID, "TPM enrol: no challenge");
	if ((rc = parse_options(&cfg, ctx->options)) != KDBX_OK)
		return rc;
	if (cfg.handle != 0 && cfg.pcr_mask != 0)
		return kdbx_error__set(KDBX_EINVALID, "PCR binding needs a key made by libkdbx (no handle): a "
		                       "provisioned key carries its own policy");
	m.srk_template = KDBX_TPM2_SRK_ECC_P256;
	m.handle = cfg.handle;
	m.pcr_mask = cfg.pcr_mask;
	m.pcr_bank = cfg.pcr_mask ? cfg.bank : 0;
	m.flags = (uint8_t)((cfg.pin ? KDBX_TPM2_M_PIN : 0) | (cfg.pcr_mask ? KDBX_TPM2_M_PCR : 0) |
	                    (cfg.handle ? KDBX_TPM2_M_HANDLE : 0));
	memcpy(m.challenge, ctx->nonce, 32);
	if ((rc = kdbx_random(m.pin_salt, 16)) != KDBX_OK)
		return rc;
	if (cfg.pin) {
		const kdbx_interaction *ia = interaction(p, ctx);
		if (cfg.handle) {
			rc = ask_pin(ia, "PIN (auth value) of the TPM key", -1, pin);
		} else if ((rc = ask_pin(ia, "New TPM PIN", -1, pin)) == KDBX_OK &&
		           (rc = ask_pin(ia, "Repeat the TPM PIN", -1, pin2)) == KDBX_OK) {
			if (strcmp(pin, pin2) != 0)
				rc = kdbx_error__set(KDBX_EINVALID, "the two TPM PINs differ");
			else if (pin[0] == '\0')
				rc = kdbx_error__set(KDBX_EINVALID, "empty TPM PIN");
		}
		if (rc == KDBX_OK)
			rc = auth_value(&m, pin, &auth);
		kdbx_memzero(pin, sizeof(pin));
		kdbx_memzero(pin2, sizeof(pin2));
		if (rc != KDBX_OK)
			return rc;
	}
	if ((rc = kdbx_tpm2__open(&c, cfg.tcti)) != KDBX_OK)
		goto wipe;
	if ((rc = kdbx_tpm2__srk(&c, m.srk_template)) != KDBX_OK)
		goto out;
	m.srk_name = c.srk_name;
	if (cfg.handle) {
		rc = open_handle(&c, cfg.handle, NULL, &key, &m.key_name);
	} else {
		TPM2B_NAME *name = NULL;
		TSS2_RC trc;
		if (m.flags & KDBX_TPM2_M_PCR) {
			if ((rc = policy_digest(&c, &m)) != KDBX_OK)
				goto out;
		}
		if ((rc = create_key(&c, &m, &auth)) != KDBX_OK || (rc = open_key(&c, &m, &key)) != KDBX_OK)
			goto out;
		trc = Esys_TR_GetName(c.esys, key, &name);
		if (trc != TSS2_RC_SUCCESS) {
			rc = kdbx_tpm2__fail(&c, trc, "reading the key name");
			goto out;
		}
		m.key_name = *name;
		Esys_Free(name);
	}
	/* Enrolment answers through the same path as unlock, so a slot that
	 * could not be opened is never written. */
	if (rc == KDBX_OK && (rc = run_hmac(&c, &m, key, &auth, secret)) == KDBX_OK)
		rc = kdbx_tpm2__meta_encode(&m, meta, meta_len);
	if (rc != KDBX_OK)
		kdbx_secret_free(secret);
out:
	close_key(&c, &m, &key);
	kdbx_tpm2__close(&c);
wipe:
	kdbx_memzero(&auth, sizeof(auth));
	return rc;
}

static int tpm2_unlock(kdbx_slot_provider *self, const kdbx_slot_context *ctx, const uint8_t *meta,
                       size_t meta_len, kdbx_secret **secret)
{
	tpm2_sp *p = (tpm2_sp *)self;
	kdbx_tpm2_meta m;
	kdbx_tpm2_conn c;
	TPM2B_AUTH auth;
	ESYS_TR key = ESYS_TR_NONE;
	int rc;

	kdbx_tpm2__reason_clear();
	*secret = NULL;
	memset(&auth, 0, sizeof(auth));
	if ((rc = kdbx_tpm2__meta_decode(meta, meta_len, &m)) != KDBX_OK)
		return rc;
	if ((rc = kdbx_tpm2__open(&c, p->tcti)) != KDBX_OK)
		return rc;
	if ((rc = open_key(&c, &m, &key)) != KDBX_OK)
		goto out;
	if (m.flags & KDBX_TPM2_M_PIN) {
		uint32_t cnt = 0, max = 0;
		char pin[PIN_MAX];
		int left = -1;
		/* The PIN is asked only once the right TPM and key are found. */
		if (kdbx_tpm2__da_status(&c, &cnt, &max, NULL) == KDBX_OK && max > 0)
			left = cnt < max ? (int)(max - cnt) : 0;
		kdbx_error_clear();
		pin[0] = '\0';
		rc = ask_pin(interaction(p, ctx), "TPM PIN", left, pin);
		if (rc == KDBX_OK)
			rc = auth_value(&m, pin, &auth);
		kdbx_memzero(pin, sizeof(pin));
		if (rc != KDBX_OK)
			goto out;
	}
	rc = run_hmac(&c, &m, key, &auth, secret);
out:
	kdbx_memzero(&auth, sizeof(auth));
	close_key(&c, &m, &key);
	kdbx_tpm2__close(&c);
	return rc;
}

static int tpm2_match(kdbx_slot_provider *self, const uint8_t *meta, size_t meta_len)
{
	tpm2_sp *p = (tpm2_sp *)self;
	kdbx_tpm2_meta m;
	kdbx_tpm2_conn c;
	ESYS_TR key = ESYS_TR_NONE;
	int rc;

	kdbx_tpm2__reason_clear();
	if ((rc = kdbx_tpm2__meta_decode(meta, meta_len, &m)) != KDBX_OK)
		return rc;
	if ((rc = kdbx_tpm2__open(&c, p->tcti)) != KDBX_OK)
		return rc;
	/* Names only: no authorization is used, so no PIN try is spent. */
	if (m.flags & KDBX_TPM2_M_HANDLE)
		rc = open_handle(&c, m.handle, &m.key_name, &key, NULL);
	else
		rc = srk_check(&c, &m);
	close_key(&c, &m, &key);
	kdbx_tpm2__close(&c);
	if (rc == KDBX_OK)
		return KDBX_SLOT_MATCH_YES;
	if (rc == KDBX_ENOSLOT) {
		kdbx_error_clear();
		return KDBX_SLOT_MATCH_NO;
	}
	return rc;
}

static void hex4(const TPM2B_NAME *n, char out[9])
{
	/* Skip the 2-byte name algorithm id. */
	if (n->size >= 6)
		kdbx_hex_encode(out, n->name + 2, 4, false);
	else
		snprintf(out, 9, "none");
}

static int tpm2_device_id(kdbx_slot_provider *self, const uint8_t *meta, size_t meta_len, char *buf,
                          size_t buflen)
{
	kdbx_tpm2_meta m;
	char h[9];
	int rc;

	(void)self;
	if ((rc = kdbx_tpm2__meta_decode(meta, meta_len, &m)) != KDBX_OK)
		return rc;
	if (m.flags & KDBX_TPM2_M_HANDLE) {
		hex4(&m.key_name, h);
		snprintf(buf, buflen, "tpm2:0x%08x:%s", (unsigned)m.handle, h);
	} else {
		hex4(&m.srk_name, h);
		snprintf(buf, buflen, "tpm2:srk:%s", h);
	}
	return KDBX_OK;
}

static int tpm2_describe(kdbx_slot_provider *self, char *buf, size_t buflen)
{
	tpm2_sp *p = (tpm2_sp *)self;
	char pcrs[64];

	kdbx_tpm2__pcr_list(p->pcr_mask, pcrs, sizeof(pcrs));
	if (p->handle)
		snprintf(buf, buflen, "TPM 2.0 (%s) key 0x%08x%s", kdbx_tpm2__tcti(p->tcti), (unsigned)p->handle,
		         p->pin ? " with PIN" : "");
	else
		snprintf(buf, buflen, "TPM 2.0 (%s)%s%s%s%s", kdbx_tpm2__tcti(p->tcti), p->pcr_mask ? " PCRs " : "",
		         pcrs, p->pcr_mask ? " " : "", p->pin ? " with PIN" : "");
	return KDBX_OK;
}

static void tpm2_free(kdbx_slot_provider *self)
{
	tpm2_sp *p = (tpm2_sp *)self;

	if (p == NULL)
		return;
	free(p->tcti);
	free(p);
}

int kdbx_tpm2_slot_provider_new(kdbx_slot_provider **out, const kdbx_tpm2_options *opts)
{
	tpm2_sp *p;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "TPM slot provider: no output");
	*out = NULL;
	if (opts != NULL && opts->version != KDBX_TPM2_OPTIONS_VERSION)
		return kdbx_error__set(KDBX_EINVALID, "TPM options: unknown version");
	if (opts != NULL && opts->handle != 0 &&
	    (opts->handle < KDBX_TPM2_PERSISTENT_FIRST || opts->handle > KDBX_TPM2_PERSISTENT_LAST))
		return kdbx_error__set(KDBX_EINVALID, "TPM handle must be a persistent handle 0x81000000..0x81ffffff");
	if (opts != NULL && opts->pcr_mask >= (1u << 24))
		return kdbx_error__set(KDBX_EINVALID, "TPM PCRs are numbered 0..23");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	p->bank = TPM2_ALG_SHA256;
	if (opts != NULL) {
		int rc;
		if (opts->tcti != NULL && (p->tcti = kdbx_strdup(opts->tcti)) == NULL) {
			free(p);
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		}
		if (opts->pcr_bank != NULL && (rc = kdbx_tpm2__bank_from_name(opts->pcr_bank, &p->bank)) != KDBX_OK) {
			tpm2_free(&p->parent);
			return rc;
		}
		p->handle = opts->handle;
		p->pcr_mask = opts->pcr_mask;
		p->pin = opts->pin != 0;
		if (opts->interaction != NULL) {
			p->ia = *opts->interaction;
			p->have_ia = true;
		}
	}
	p->parent.version = KDBX_SLOT_PROVIDER_VERSION;
	p->parent.type = "tpm2";
	/* HMAC keys cannot answer without the TPM: no PUBKEY flag and no
	 * rewrap_offline, so a revocation asks this TPM again (or drops it). */
	p->parent.flags = KDBX_SLOT_PROVIDER_MACHINE_BOUND | (p->pin ? KDBX_SLOT_PROVIDER_INTERACTIVE : 0u);
	p->parent.describe = tpm2_describe;
	p->parent.enrol = tpm2_enrol;
	p->parent.unlock = tpm2_unlock;
	p->parent.match = tpm2_match;
	p->parent.rewrap_offline = NULL;
	p->parent.device_id = tpm2_device_id;
	p->parent.free = tpm2_free;
	*out = &p->parent;
	return KDBX_OK;
}
