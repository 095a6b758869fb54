/* Slot-provider hooks of `kdbx device ...` (declared weak in cli/cmd_device.c):
 * --device SPEC for the device families that live outside cmd_device.c, and
 * the providers offered for automatic unlock. PKCS#11: SPEC is an RFC 7512
 * URI ("pkcs11:token=...;object=..."); --pkcs11-module applies. Other
 * families (fido2:, tpm2:) add their branch here. */
#include <string.h>

#include "cli.h"

int cli_slot_device_spec(const char *spec, const kdbx_interaction *cb, kdbx_slot_provider **out);
int cli_slot_providers_auto(kdbx_slot_providers *set, const kdbx_interaction *cb);

int cli_slot_device_spec(const char *spec, const kdbx_interaction *cb, kdbx_slot_provider **out)
{
	(void)cb; /* the PKCS#11 provider prompts with the token label itself */
	if (strncmp(spec, "pkcs11:", 7) == 0) {
		int rc = cli_pkcs11_slot_provider(spec, out);

		return rc < 0 ? rc : 1;
	}
	if (strncmp(spec, "tpm2:", 5) == 0 || strcmp(spec, "tpm2") == 0) {
		int rc = cli_tpm2_slot_provider(spec[4] == ':' ? spec + 5 : "", cb, out);

		return rc < 0 ? rc : 1;
	}
	return 0;
}

int cli_slot_providers_auto(kdbx_slot_providers *set, const kdbx_interaction *cb)
{
	kdbx_slot_provider *p = NULL;
	int rc;

	(void)cb;
	/* Finds its token from the URI stored in each pkcs11 slot. */
	rc = cli_pkcs11_slot_provider(NULL, &p);
	if (rc == KDBX_EUNSUPPORTED)
		return 0; /* built without PKCS#11 */
	if (rc < 0)
		return rc;
	rc = kdbx_slot_providers_add(set, p);
	if (rc < 0) {
		kdbx_slot_provider_free(&p);
		return rc;
	}
	/* TPM: the --tpm2 TCTI or the default one; match() checks the SRK name
	 * stored in each tpm2 slot, so a wrong or missing TPM is skipped. */
	rc = cli_tpm2_slot_provider(NULL, cb, &p);
	if (rc == KDBX_EUNSUPPORTED)
		return 0; /* built without TPM 2.0 */
	if (rc < 0)
		return rc;
	rc = kdbx_slot_providers_add(set, p);
	if (rc < 0)
		kdbx_slot_provider_free(&p);
	return rc;
}
