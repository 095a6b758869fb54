/* TPM 2.0 as a slot provider (tpm2-tss ESAPI; any TCTI: the kernel resource
 * manager device, swtpm, mssim...). Design: ../shared/reference/hwdesign-notes.md
 * 1.3, 2.2, 3.2, 6; user guide: docs/hardware-keys.md, "TPM 2.0". */
#ifndef KDBX_TPM2_H
#define KDBX_TPM2_H

#include "common.h"
#include "provider.h"
#include "slots.h"

/* Default TCTI: the kernel's TPM resource manager. */
#define KDBX_TPM2_DEFAULT_TCTI "device:/dev/tpmrm0"

/* First persistent handle of the owner range (TCG provisioning guidance SRK
 * slot, and the shape kdbxtool proposed for a provisioned HMAC key). */
#define KDBX_TPM2_PERSISTENT_FIRST 0x81000000u
#define KDBX_TPM2_PERSISTENT_LAST 0x81FFFFFFu

#define KDBX_TPM2_OPTIONS_VERSION 1
typedef struct kdbx_tpm2_options {
	unsigned int version; /* KDBX_TPM2_OPTIONS_VERSION */
	/* TCTI configuration "name:conf" ("device:/dev/tpmrm0",
	 * "swtpm:host=127.0.0.1,port=2321"); NULL: $KDBX_TPM2_TCTI, else
	 * KDBX_TPM2_DEFAULT_TCTI. Copied. Used for enrol and unlock (the slot does
	 * not store it: the same TPM can be reached in another way). */
	const char *tcti;
	/* Enrol only. 0: create an HMAC key under the storage root key and keep
	 * its blob in the slot (default, no persistent handle used). A persistent
	 * handle (0x81000000..0x81FFFFFF): use that existing keyed-hash HMAC key
	 * (provisioned by tpm2-tools or another program); its authValue is the
	 * PIN when pin is set, else empty. */
	uint32_t handle;
	/* Enrol only: PCRs (bit i = PCR i, 0..23) the key is bound to with
	 * PolicyPCR on their values at enrolment; 0 = none (default). Blob mode only. */
	uint32_t pcr_mask;
	/* Enrol only: PCR bank "sha256" (default), "sha1", "sha384". */
	const char *pcr_bank;
	/* Enrol only: protect the key with a PIN (asked through interaction->pin
	 * twice at enrolment, once at unlock). PIN objects count toward the TPM's
	 * dictionary-attack lockout; PIN-less objects are noDA. */
	int pin;
	/* PIN callback. Copied. */
	const kdbx_interaction *interaction;
} kdbx_tpm2_options;
#define KDBX_TPM2_OPTIONS_INIT {KDBX_TPM2_OPTIONS_VERSION, NULL, 0, 0, NULL, 0, NULL}

/*
 * Slot provider ("tpm2", flags PUBKEY|MACHINE_BOUND, INTERACTIVE with a PIN).
 * Enrol creates (or, in handle mode, uses) a TPM HMAC-SHA256 key and stores
 * in the slot: its public/private blob, the SRK template id and SRK name, the
 * key name, the PCR bank/selection and policy digest, the PIN flag and a
 * random 32-byte challenge; the secret is HMAC(key, challenge), computed in
 * the TPM in a session salted with the SRK with parameter encryption, so
 * neither the challenge answer nor the PIN crosses the bus in clear.
 * kdbx_slot_context.options (enrol) may override: "handle=0x81000001",
 * "pcrs=0,2,7", "bank=sha256", "pin=1", "tcti=...".
 * rewrap_offline is present but HMAC keys need the TPM: it returns
 * KDBX_EUNSUPPORTED, so revocation asks the TPM (or drops the slot).
 * A TPM is bound to one machine: callers should make sure another slot or a
 * recovery key exists (kdbx_tpm2_enrol_check does that check).
 * Expected codes (kdbx_tpm2_last_reason gives the typed reason):
 * KDBX_EDEVICE (no TPM / TCTI failed), KDBX_ENOSLOT (wrong TPM, or the
 * persistent key is gone), KDBX_EAUTH (PCR values changed), KDBX_EPIN
 * (wrong PIN), KDBX_EPINLOCKED (dictionary-attack lockout).
 */
KDBX_EXTERN int kdbx_tpm2_slot_provider_new(kdbx_slot_provider **out, const kdbx_tpm2_options *opts);

/* Typed reason of the last TPM failure on this thread. */
typedef enum kdbx_tpm2_reason {
	KDBX_TPM2_OK = 0,
	KDBX_TPM2_NO_TPM = 1,       /* TCTI cannot be loaded / TPM does not answer (KDBX_EDEVICE) */
	KDBX_TPM2_WRONG_TPM = 2,    /* SRK name differs / blob of another TPM (KDBX_ENOSLOT) */
	KDBX_TPM2_NO_KEY = 3,       /* persistent handle empty or another key (KDBX_ENOSLOT) */
	KDBX_TPM2_PCR_MISMATCH = 4, /* PCR values differ from enrolment (KDBX_EAUTH) */
	KDBX_TPM2_PIN_WRONG = 5,    /* authValue check failed (KDBX_EPIN) */
	KDBX_TPM2_LOCKOUT = 6,      /* dictionary-attack lockout (KDBX_EPINLOCKED) */
	KDBX_TPM2_FAILED = 7        /* any other TPM error (KDBX_EDEVICE) */
} kdbx_tpm2_reason;
KDBX_EXTERN kdbx_tpm2_reason kdbx_tpm2_last_reason(void);

/* Enrolment safety: a TPM dies with its machine (or a firmware reset), so a
 * database must not have a TPM slot as its only way in. Returns KDBX_OK when
 * db has a slot of another type or a recovery key (or force is non-zero),
 * else KDBX_EINVALID with a message that says to add a recovery key or
 * another device first. */
KDBX_EXTERN int kdbx_tpm2_enrol_check(const kdbx_db *db, int force);

/* What `kdbx tpm2 info` shows. Strings NUL-terminated. */
typedef struct kdbx_tpm2_info {
	char tcti[256];
	char manufacturer[5];   /* "IBM ", "INTC", ... */
	char vendor[33];        /* vendor strings 1..4 */
	uint32_t firmware[2];   /* TPM2_PT_FIRMWARE_VERSION_1/2 */
	uint32_t spec_level, spec_revision;
	uint32_t lockout_counter, max_auth_fail, lockout_interval, lockout_recovery;
	int in_lockout;         /* TPMA_PERMANENT inLockout */
	char pcr_banks[64];     /* banks with at least one PCR allocated: "sha1,sha256" */
	char srk_name[140];     /* hex name of the SRK our template gives (blob mode) */
} kdbx_tpm2_info;

/* Reads the properties of the TPM at tcti (NULL: default). Expected codes:
 * KDBX_EDEVICE. */
KDBX_EXTERN int kdbx_tpm2_get_info(const char *tcti, kdbx_tpm2_info *out);

/* Resets the dictionary-attack counter with the lockout hierarchy's auth
 * (NULL or "" = empty, the default of a new TPM / swtpm). Expected codes:
 * KDBX_EDEVICE, KDBX_EAUTH (wrong lockout auth), KDBX_EPINLOCKED (the
 * lockout hierarchy itself is locked out: wait lockout_recovery seconds). */
KDBX_EXTERN int kdbx_tpm2_reset_lockout(const char *tcti, const char *lockout_auth);

#endif
