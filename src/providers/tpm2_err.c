/* TPM error mapping: TSS2 return codes -> libkdbx codes plus a typed reason
 * (kdbx_tpm2_last_reason) and a message that says how to recover. TPM
 * format-1 codes carry the handle/session/parameter number in their upper
 * bits; those are masked off before comparing (TPM 2.0 Part 2, 6.6). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/tpm2_int.h"

static _Thread_local kdbx_tpm2_reason last_reason;

kdbx_tpm2_reason kdbx_tpm2_last_reason(void)
{
	return last_reason;
}

void kdbx_tpm2__reason_clear(void)
{
	last_reason = KDBX_TPM2_OK;
}

int kdbx_tpm2__set(kdbx_tpm2_reason reason, int code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	last_reason = reason;
	return kdbx_error__set(code, "%s", msg);
}

int kdbx_tpm2__fail(kdbx_tpm2_conn *c, TSS2_RC rc, const char *what)
{
	TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
	TSS2_RC tpm, base;

	if (layer == TSS2_TCTI_RC_LAYER)
		return kdbx_tpm2__set(KDBX_TPM2_NO_TPM, KDBX_EDEVICE, "TPM%s%s does not answer while %s (%s)",
		                      c != NULL ? " at " : "", c != NULL ? c->conf : "", what,
		                      Tss2_RC_Decode(rc));
	if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER)
		return kdbx_tpm2__set(KDBX_TPM2_FAILED, KDBX_EDEVICE, "TPM software stack error while %s (%s)",
		                      what, Tss2_RC_Decode(rc));
	tpm = rc & 0xFFFFu;
	base = (tpm & TPM2_RC_FMT1) ? (tpm & (TPM2_RC_FMT1 | 0x3Fu)) : tpm;
	switch (base) {
	case TPM2_RC_LOCKOUT: {
		uint32_t rec = 0;
		if (c != NULL && c->esys != NULL && kdbx_tpm2__da_status(c, NULL, NULL, &rec) != KDBX_OK)
			kdbx_error_clear();
		return kdbx_tpm2__set(KDBX_TPM2_LOCKOUT, KDBX_EPINLOCKED,
		                      "the TPM is in dictionary-attack lockout after too many wrong PINs "
		                      "(while %s): wait %u s for one more try, or reset it with the lockout "
		                      "authorization (kdbx tpm2 reset-lockout / tpm2_dictionarylockout -c)",
		                      what, (unsigned)rec);
	}
	case TPM2_RC_AUTH_FAIL:
	case TPM2_RC_BAD_AUTH: {
		uint32_t cnt = 0, max = 0;
		bool da = base == TPM2_RC_AUTH_FAIL;
		if (da && c != NULL && c->esys != NULL && kdbx_tpm2__da_status(c, &cnt, &max, NULL) != KDBX_OK) {
			kdbx_error_clear();
			max = 0;
		}
		if (da && max > 0)
			return kdbx_tpm2__set(KDBX_TPM2_PIN_WRONG, KDBX_EPIN,
			                      "wrong TPM PIN (%s): wrong PINs count toward the TPM's "
			                      "dictionary-attack lockout, %u of %u tries left before it locks",
			                      what, (unsigned)(cnt < max ? max - cnt : 0), (unsigned)max);
		return kdbx_tpm2__set(KDBX_TPM2_PIN_WRONG, KDBX_EPIN, "wrong TPM PIN (%s)%s", what,
		                      da ? ": wrong PINs count toward the TPM's dictionary-attack lockout" : "");
	}
	case TPM2_RC_POLICY_FAIL:
	case TPM2_RC_PCR_CHANGED:
		return kdbx_tpm2__set(KDBX_TPM2_PCR_MISMATCH, KDBX_EAUTH,
		                      "the TPM refused the key while %s: the PCR values it is bound to changed "
		                      "since enrolment (firmware, bootloader or Secure Boot update?). Open the "
		                      "database with another slot or the recovery key, then enrol the TPM again",
		                      what);
	case TPM2_RC_INTEGRITY:
		return kdbx_tpm2__set(KDBX_TPM2_WRONG_TPM, KDBX_ENOSLOT,
		                      "the TPM key blob does not load on this TPM (made by another TPM, or "
		                      "the TPM was cleared) while %s", what);
	case TPM2_RC_HANDLE:
		return kdbx_tpm2__set(KDBX_TPM2_NO_KEY, KDBX_ENOSLOT, "no such TPM object while %s", what);
	default:
		return kdbx_tpm2__set(KDBX_TPM2_FAILED, KDBX_EDEVICE, "TPM error while %s: %s (0x%x)", what,
		                      Tss2_RC_Decode(rc), (unsigned)rc);
	}
}

static const struct {
	const char *name;
	TPMI_ALG_HASH alg;
} banks[] = {{"sha1", TPM2_ALG_SHA1}, {"sha256", TPM2_ALG_SHA256}, {"sha384", TPM2_ALG_SHA384},
             {"sha512", TPM2_ALG_SHA512}, {"sm3_256", TPM2_ALG_SM3_256}};

int kdbx_tpm2__bank_from_name(const char *name, TPMI_ALG_HASH *alg)
{
	for (size_t i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
		if (name != NULL && strcmp(name, banks[i].name) == 0) {
			*alg = banks[i].alg;
			return KDBX_OK;
		}
	return kdbx_error__set(KDBX_EINVALID, "unknown PCR bank \"%s\" (sha1, sha256, sha384, sha512)",
	                       name != NULL ? name : "");
}

const char *kdbx_tpm2__bank_name(TPMI_ALG_HASH alg)
{
	for (size_t i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
		if (banks[i].alg == alg)
			return banks[i].name;
	return "unknown";
}

void kdbx_tpm2__pcr_list(uint32_t mask, char *buf, size_t buflen)
{
	size_t n = 0;

	if (buflen == 0)
		return;
	buf[0] = '\0';
	for (unsigned i = 0; i < 24 && n < buflen; i++)
		if (mask & (1u << i))
			n += (size_t)snprintf(buf + n, buflen - n, "%s%u", n ? "," : "", i);
}

int kdbx_tpm2__pcr_parse(const char *s, uint32_t *mask)
{
	uint32_t m = 0;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		char *end = NULL;
		unsigned long v;
		if (*s < '0' || *s > '9')
			return -1;
		v = strtoul(s, &end, 10);
		if (v > 23)
			return -1;
		m |= 1u << v;
		s = end;
		if (*s == ',' || *s == '+')
			s++;
		else if (*s != '\0')
			return -1;
	}
	*mask = m;
	return 0;
}
