/* TPM 2.0 connection: TCTI loader + ESAPI context, the storage root key
 * (TCG "Provisioning Guidance" ECC P-256 SRK template, re-derived from the
 * owner seed each time like Clevis, so no persistent handle is consumed) and
 * SRK-salted sessions with parameter encryption (hwdesign-notes 1.3, 6 #8). */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "providers/tpm2_int.h"

const char *kdbx_tpm2__tcti(const char *opt)
{
	const char *env;

	if (opt != NULL && opt[0] != '\0')
		return opt;
	env = getenv("KDBX_TPM2_TCTI");
	if (env != NULL && env[0] != '\0')
		return env;
	return KDBX_TPM2_DEFAULT_TCTI;
}

int kdbx_tpm2__open(kdbx_tpm2_conn *c, const char *tcti)
{
	const char *conf = kdbx_tpm2__tcti(tcti);
	TSS2_RC rc;

	memset(c, 0, sizeof(*c));
	c->srk = ESYS_TR_NONE;
	snprintf(c->conf, sizeof(c->conf), "%s", conf);
	rc = Tss2_TctiLdr_Initialize(conf, &c->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		c->tcti = NULL;
		return kdbx_tpm2__set(KDBX_TPM2_NO_TPM, KDBX_EDEVICE,
		                      "no TPM at \"%s\" (%s): check the TCTI string, that the device "
		                      "exists and that you may open it (Linux: group tss for /dev/tpmrm0)",
		                      c->conf, Tss2_RC_Decode(rc));
	}
	rc = Esys_Initialize(&c->esys, c->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		c->esys = NULL;
		kdbx_tpm2__close(c);
		return kdbx_tpm2__set(KDBX_TPM2_NO_TPM, KDBX_EDEVICE, "TPM at \"%s\" does not answer (%s)",
		                      conf, Tss2_RC_Decode(rc));
	}
	/* A simulator may come up without TPM2_Startup; a started TPM answers
	 * TPM2_RC_INITIALIZE, which is fine. Any real failure shows in the next
	 * command. */
	rc = Esys_Startup(c->esys, TPM2_SU_CLEAR);
	if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TCTI_RC_LAYER) {
		kdbx_tpm2__close(c);
		return kdbx_tpm2__set(KDBX_TPM2_NO_TPM, KDBX_EDEVICE, "TPM at \"%s\" does not answer (%s)",
		                      conf, Tss2_RC_Decode(rc));
	}
	return KDBX_OK;
}

void kdbx_tpm2__flush(kdbx_tpm2_conn *c, ESYS_TR *h)
{
	if (c->esys != NULL && *h != ESYS_TR_NONE)
		(void)Esys_FlushContext(c->esys, *h);
	*h = ESYS_TR_NONE;
}

void kdbx_tpm2__close(kdbx_tpm2_conn *c)
{
	kdbx_tpm2__flush(c, &c->srk);
	if (c->esys != NULL)
		Esys_Finalize(&c->esys);
	if (c->tcti != NULL)
		Tss2_TctiLdr_Finalize(&c->tcti);
	c->esys = NULL;
	c->tcti = NULL;
}

int kdbx_tpm2__srk(kdbx_tpm2_conn *c, unsigned int template_id)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION pcrs;
	TPM2B_NAME *name = NULL;
	TSS2_RC rc;

	if (c->srk != ESYS_TR_NONE)
		return KDBX_OK;
	if (template_id != KDBX_TPM2_SRK_ECC_P256)
		return kdbx_tpm2__set(KDBX_TPM2_FAILED, KDBX_EUNSUPPORTED, "unknown TPM SRK template %u",
		                      template_id);
	memset(&sens, 0, sizeof(sens));
	memset(&tmpl, 0, sizeof(tmpl));
	memset(&outside, 0, sizeof(outside));
	memset(&pcrs, 0, sizeof(pcrs));
	tmpl.publicArea.type = TPM2_ALG_ECC;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA |
		TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	tmpl.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
	tmpl.publicArea.parameters.eccDetail.symmetric.keyBits.aes = 128;
	tmpl.publicArea.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	tmpl.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	tmpl.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	tmpl.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	rc = Esys_CreatePrimary(c->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
	                        &sens, &tmpl, &outside, &pcrs, &c->srk, NULL, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		c->srk = ESYS_TR_NONE;
		return kdbx_tpm2__fail(c, rc, "creating the storage root key (owner hierarchy)");
	}
	rc = Esys_TR_GetName(c->esys, c->srk, &name);
	if (rc != TSS2_RC_SUCCESS)
		return kdbx_tpm2__fail(c, rc, "reading the SRK name");
	c->srk_name = *name;
	Esys_Free(name);
	return KDBX_OK;
}

int kdbx_tpm2__session(kdbx_tpm2_conn *c, TPM2_SE type, ESYS_TR *out)
{
	TPMT_SYM_DEF sym;
	TSS2_RC rc;
	int r;

	*out = ESYS_TR_NONE;
	memset(&sym, 0, sizeof(sym));
	if (type == TPM2_SE_TRIAL) {
		sym.algorithm = TPM2_ALG_NULL;
		rc = Esys_StartAuthSession(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
		                           ESYS_TR_NONE, NULL, type, &sym, TPM2_ALG_SHA256, out);
		if (rc != TSS2_RC_SUCCESS) {
			*out = ESYS_TR_NONE;
			return kdbx_tpm2__fail(c, rc, "starting a trial policy session");
		}
		return KDBX_OK;
	}
	if ((r = kdbx_tpm2__srk(c, KDBX_TPM2_SRK_ECC_P256)) != KDBX_OK)
		return r;
	sym.algorithm = TPM2_ALG_AES;
	sym.keyBits.aes = 128;
	sym.mode.aes = TPM2_ALG_CFB;
	/* Salted with the SRK: the session key comes from a secret only this
	 * TPM can decrypt, so a bus interposer learns nothing. */
	rc = Esys_StartAuthSession(c->esys, c->srk, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	                           NULL, type, &sym, TPM2_ALG_SHA256, out);
	if (rc != TSS2_RC_SUCCESS) {
		*out = ESYS_TR_NONE;
		return kdbx_tpm2__fail(c, rc, "starting a salted session");
	}
	rc = Esys_TRSess_SetAttributes(c->esys, *out, TPMA_SESSION_CONTINUESESSION | TPMA_SESSION_DECRYPT |
	                               TPMA_SESSION_ENCRYPT, 0xff);
	if (rc != TSS2_RC_SUCCESS) {
		kdbx_tpm2__flush(c, out);
		return kdbx_tpm2__fail(c, rc, "setting session attributes");
	}
	return KDBX_OK;
}

int kdbx_tpm2__da_status(kdbx_tpm2_conn *c, uint32_t *counter, uint32_t *max, uint32_t *recovery)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;

	rc = Esys_GetCapability(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
	                        TPM2_PT_LOCKOUT_COUNTER, 4, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return kdbx_tpm2__fail(NULL, rc, "reading the dictionary-attack state");
	for (UINT32 i = 0; i < cap->data.tpmProperties.count; i++) {
		TPMS_TAGGED_PROPERTY *p = &cap->data.tpmProperties.tpmProperty[i];
		if (p->property == TPM2_PT_LOCKOUT_COUNTER && counter != NULL)
			*counter = p->value;
		else if (p->property == TPM2_PT_MAX_AUTH_FAIL && max != NULL)
			*max = p->value;
		else if (p->property == TPM2_PT_LOCKOUT_RECOVERY && recovery != NULL)
			*recovery = p->value;
	}
	Esys_Free(cap);
	return KDBX_OK;
}
