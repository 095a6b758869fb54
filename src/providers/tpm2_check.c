/* Enrolment safety for machine-bound slots (built with and without TPM
 * support): a TPM must not be the only way into a database. */
#include <string.h>

#include "core/core.h"
#include "kdbx/slots.h"
#include "kdbx/tpm2.h"

int kdbx_tpm2_enrol_check(const kdbx_db *db, int force)
{
	kdbx_slot_info *list = NULL;
	size_t n = 0, others = 0;
	int rc;

	if (db == NULL)
		return kdbx_error__set(KDBX_EINVALID, "TPM enrol check: no database");
	if (force)
		return KDBX_OK;
	if (kdbx_slots_mode(db) != KDBX_MODE_NONE) {
		if ((rc = kdbx_slots_list(db, &list, &n)) != KDBX_OK)
			return rc;
		for (size_t i = 0; i < n; i++)
			if (strcmp(list[i].type, "tpm2") != 0)
				others++;
		kdbx_slots_list_free(&list);
	}
	if (others == 0)
		return kdbx_error__set(KDBX_EINVALID,
		                       "a TPM is bound to this machine: if the machine, its mainboard or its "
		                       "TPM is lost or cleared, a database whose only slot is the TPM cannot be "
		                       "opened. Add a recovery key or another device first (or force it)");
	return KDBX_OK;
}
