/* Internal pieces of the TPM 2.0 provider (tpm2-tss ESAPI): connection,
 * storage root key, salted sessions, error mapping, slot metadata. */
#ifndef KDBX_PROVIDERS_TPM2_INT_H
#define KDBX_PROVIDERS_TPM2_INT_H

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "core/core.h"
#include "kdbx/tpm2.h"

/* One open TPM: TCTI + ESAPI context, the SRK when made. */
typedef struct kdbx_tpm2_conn {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR srk;       /* transient primary, ESYS_TR_NONE until kdbx_tpm2__srk */
	TPM2B_NAME srk_name;
	char conf[256];    /* TCTI string used (for messages) */
} kdbx_tpm2_conn;

/* TCTI string: opt, else $KDBX_TPM2_TCTI, else the default. */
const char *kdbx_tpm2__tcti(const char *opt);
int kdbx_tpm2__open(kdbx_tpm2_conn *c, const char *tcti);
void kdbx_tpm2__close(kdbx_tpm2_conn *c);
/* Storage root key from template id (1 = TCG ECC NIST P-256 SRK template)
 * under the owner hierarchy (empty owner auth); not persisted. */
#define KDBX_TPM2_SRK_ECC_P256 1
int kdbx_tpm2__srk(kdbx_tpm2_conn *c, unsigned int template_id);
/* HMAC or policy session salted with the SRK, AES-128-CFB parameter
 * encryption both ways (the first command parameter and the first response
 * parameter cross the bus encrypted). type TPM2_SE_TRIAL: unsalted. */
int kdbx_tpm2__session(kdbx_tpm2_conn *c, TPM2_SE type, ESYS_TR *out);
void kdbx_tpm2__flush(kdbx_tpm2_conn *c, ESYS_TR *h);
/* Dictionary-attack counters (any may be NULL). */
int kdbx_tpm2__da_status(kdbx_tpm2_conn *c, uint32_t *counter, uint32_t *max, uint32_t *recovery);

/* Sets the typed reason and the error; returns code. */
int kdbx_tpm2__set(kdbx_tpm2_reason reason, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Maps a TSS2 return code from `what` to a typed error (message names what
 * failed and how to recover). c may be NULL; with it a PIN error says how
 * many tries are left. */
int kdbx_tpm2__fail(kdbx_tpm2_conn *c, TSS2_RC rc, const char *what);
void kdbx_tpm2__reason_clear(void);

/* PCR bank names. */
int kdbx_tpm2__bank_from_name(const char *name, TPMI_ALG_HASH *alg);
const char *kdbx_tpm2__bank_name(TPMI_ALG_HASH alg);
/* "0,2,7" from a mask (buf >= 64). */
void kdbx_tpm2__pcr_list(uint32_t mask, char *buf, size_t buflen);
/* "0,2,7" or "7" -> mask; -1 on a bad list. */
int kdbx_tpm2__pcr_parse(const char *s, uint32_t *mask);

/* ---- slot metadata (tpm2_meta.c) ---- */
#define KDBX_TPM2_META_V1 1
#define KDBX_TPM2_M_PIN 0x01u
#define KDBX_TPM2_M_PCR 0x02u
#define KDBX_TPM2_M_HANDLE 0x04u

typedef struct kdbx_tpm2_meta {
	uint8_t flags;
	uint8_t srk_template;
	uint32_t handle;
	uint32_t pcr_mask;
	uint16_t pcr_bank;
	uint8_t challenge[32];
	uint8_t pin_salt[16];
	TPM2B_NAME srk_name;
	TPM2B_NAME key_name;
	TPM2B_PUBLIC pub;     /* blob mode */
	TPM2B_PRIVATE priv;   /* blob mode */
	TPM2B_DIGEST policy;  /* PCR (+ auth value) policy, size 0 when none */
} kdbx_tpm2_meta;

int kdbx_tpm2__meta_encode(const kdbx_tpm2_meta *m, uint8_t **out, size_t *len);
int kdbx_tpm2__meta_decode(const uint8_t *in, size_t len, kdbx_tpm2_meta *m);

#endif
