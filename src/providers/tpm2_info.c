/* TPM properties for `kdbx tpm2 info`, dictionary-attack reset, and the
 * "not the only slot" enrolment check (TPM 2.0 Part 2, 6.13 TPM_PT). */
#include <stdio.h>
#include <string.h>

#include "providers/tpm2_int.h"

static void be_chars(uint32_t v, char *out)
{
	for (int i = 0; i < 4; i++) {
		char ch = (char)((v >> (24 - 8 * i)) & 0xFF);
		out[i] = (ch >= 0x20 && ch < 0x7F) ? ch : ' ';
	}
}

static int props(kdbx_tpm2_conn *c, TPM2_PT first, kdbx_tpm2_info *out)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;

	rc = Esys_GetCapability(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES, first,
	                        TPM2_MAX_TPM_PROPERTIES, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return kdbx_tpm2__fail(c, rc, "reading TPM properties");
	for (UINT32 i = 0; i < cap->data.tpmProperties.count; i++) {
		uint32_t v = cap->data.tpmProperties.tpmProperty[i].value;
		switch (cap->data.tpmProperties.tpmProperty[i].property) {
		case TPM2_PT_LEVEL: out->spec_level = v; break;
		case TPM2_PT_REVISION: out->spec_revision = v; break;
		case TPM2_PT_MANUFACTURER: be_chars(v, out->manufacturer); break;
		case TPM2_PT_VENDOR_STRING_1: be_chars(v, out->vendor); break;
		case TPM2_PT_VENDOR_STRING_2: be_chars(v, out->vendor + 4); break;
		case TPM2_PT_VENDOR_STRING_3: be_chars(v, out->vendor + 8); break;
		case TPM2_PT_VENDOR_STRING_4: be_chars(v, out->vendor + 12); break;
		case TPM2_PT_FIRMWARE_VERSION_1: out->firmware[0] = v; break;
		case TPM2_PT_FIRMWARE_VERSION_2: out->firmware[1] = v; break;
		case TPM2_PT_PERMANENT: out->in_lockout = (v & TPMA_PERMANENT_INLOCKOUT) != 0; break;
		case TPM2_PT_LOCKOUT_COUNTER: out->lockout_counter = v; break;
		case TPM2_PT_MAX_AUTH_FAIL: out->max_auth_fail = v; break;
		case TPM2_PT_LOCKOUT_INTERVAL: out->lockout_interval = v; break;
		case TPM2_PT_LOCKOUT_RECOVERY: out->lockout_recovery = v; break;
		default: break;
		}
	}
	Esys_Free(cap);
	return KDBX_OK;
}

static int banks(kdbx_tpm2_conn *c, kdbx_tpm2_info *out)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;
	size_t n = 0;

	rc = Esys_GetCapability(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS, 0, 1, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return kdbx_tpm2__fail(c, rc, "reading PCR banks");
	for (UINT32 i = 0; i < cap->data.assignedPCR.count; i++) {
		const TPMS_PCR_SELECTION *s = &cap->data.assignedPCR.pcrSelections[i];
		bool any = false;
		for (int b = 0; b < s->sizeofSelect; b++)
			any = any || s->pcrSelect[b] != 0;
		if (any && n < sizeof(out->pcr_banks))
			n += (size_t)snprintf(out->pcr_banks + n, sizeof(out->pcr_banks) - n, "%s%s", n ? "," : "",
			                      kdbx_tpm2__bank_name(s->hash));
	}
	Esys_Free(cap);
	return KDBX_OK;
}

int kdbx_tpm2_get_info(const char *tcti, kdbx_tpm2_info *out)
{
	kdbx_tpm2_conn c;
	int rc;

	kdbx_tpm2__reason_clear();
	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "TPM info: no output");
	memset(out, 0, sizeof(*out));
	if ((rc = kdbx_tpm2__open(&c, tcti)) != KDBX_OK)
		return rc;
	snprintf(out->tcti, sizeof(out->tcti), "%s", c.conf);
	if ((rc = props(&c, TPM2_PT_FIXED, out)) == KDBX_OK && (rc = props(&c, TPM2_PT_VAR, out)) == KDBX_OK &&
	    (rc = banks(&c, out)) == KDBX_OK) {
		/* The SRK may be refused when an owner password is set: info still works. */
		if (kdbx_tpm2__srk(&c, KDBX_TPM2_SRK_ECC_P256) == KDBX_OK)
			kdbx_hex_encode(out->srk_name, c.srk_name.name,
			                c.srk_name.size < (sizeof(out->srk_name) - 1) / 2 ? c.srk_name.size
			                                                                  : (sizeof(out->srk_name) - 1) / 2,
			                false);
		else
			kdbx_error_clear();
	}
	kdbx_tpm2__close(&c);
	return rc;
}

int kdbx_tpm2_reset_lockout(const char *tcti, const char *lockout_auth)
{
	kdbx_tpm2_conn c;
	TPM2B_AUTH auth;
	TSS2_RC trc;
	int rc = KDBX_OK;

	kdbx_tpm2__reason_clear();
	memset(&auth, 0, sizeof(auth));
	if (lockout_auth != NULL) {
		size_t n = strlen(lockout_auth);
		if (n > sizeof(auth.buffer))
			return kdbx_error__set(KDBX_EINVALID, "lockout authorization too long");
		memcpy(auth.buffer, lockout_auth, n);
		auth.size = (UINT16)n;
	}
	if ((rc = kdbx_tpm2__open(&c, tcti)) != KDBX_OK)
		return rc;
	trc = Esys_TR_SetAuth(c.esys, ESYS_TR_RH_LOCKOUT, &auth);
	if (trc == TSS2_RC_SUCCESS)
		trc = Esys_DictionaryAttackLockReset(c.esys, ESYS_TR_RH_LOCKOUT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		                                     ESYS_TR_NONE);
	if (trc != TSS2_RC_SUCCESS) {
		rc = kdbx_tpm2__fail(&c, trc, "resetting the dictionary-attack lockout");
		if (rc == KDBX_EPIN)
			rc = kdbx_tpm2__set(KDBX_TPM2_PIN_WRONG, KDBX_EAUTH, "wrong lockout authorization");
	}
	kdbx_memzero(&auth, sizeof(auth));
	kdbx_tpm2__close(&c);
	return rc;
}
