/* Multi-device enrolment: key slots that each wrap one database key-encryption
 * key (KEK), and the "slot provider" interface devices implement for them.
 * Formats: docs/multi-device-format.md (mode 3, ours) and
 * ../shared/reference/kdbxtool-notes.md section 1 (mode 2, kdbxtool).
 * Implementers: docs/writing-a-provider.md, section "Slot providers". */
#ifndef KDBX_SLOTS_H
#define KDBX_SLOTS_H

#include "common.h"
#include "db.h"
#include "provider.h"
#include "secret.h"

/* ===================================================================== */
/* Slot provider interface (implemented by device drivers)                */
/* ===================================================================== */

#define KDBX_SLOT_PROVIDER_VERSION 1

typedef struct kdbx_slot_provider kdbx_slot_provider;

/* Flags of a slot provider (kdbx_slot_provider.flags). */
#define KDBX_SLOT_PROVIDER_PUBKEY 0x1u        /* rewrap_offline works: new secret without the device */
#define KDBX_SLOT_PROVIDER_MACHINE_BOUND 0x2u /* TPM: warn and require a second slot */
#define KDBX_SLOT_PROVIDER_INTERACTIVE 0x4u   /* unlock may need a touch or a PIN */

/* What the library hands a slot provider on every call. All pointers are
 * borrowed for the duration of the call. */
typedef struct kdbx_slot_context {
	unsigned int version; /* KDBX_SLOT_PROVIDER_VERSION */
	/* Database identity (16 bytes, stable across saves) and the slot id.
	 * A provider may mix them into what it asks the device (e.g. FIDO2
	 * user id), never needs to. */
	const uint8_t *db_id;
	size_t db_id_len;
	uint32_t slot_id;
	const char *label; /* UTF-8 slot label (enrol; NULL elsewhere) */
	/* 32 fresh random bytes drawn by the library for this enrolment/rewrap
	 * (use them as challenge, FIDO2 salt, ... and store what you need of them
	 * in the metadata). NULL on unlock. */
	const uint8_t *nonce;
	size_t nonce_len;
	/* Touch / PIN / cancel callbacks (may have NULL members). */
	const kdbx_interaction *interaction;
	/* Per-call options the caller passed for this type ("uv=1", "pin=1",
	 * "mechanism=rsa-oaep", ...), NUL-terminated, may be NULL. */
	const char *options;
} kdbx_slot_context;

/* Results of match(). */
#define KDBX_SLOT_MATCH_NO 0    /* the device is not the one of this slot: skip without asking */
#define KDBX_SLOT_MATCH_YES 1   /* a connected device is the one of this slot */
#define KDBX_SLOT_MATCH_MAYBE 2 /* cannot tell without asking (tried last, non-interactive only
                                   unless no other slot matches) */

/*
 * A slot provider turns "a device" into a reproducible secret of 16..64 bytes
 * per slot (the library normalises it with HKDF, so its length and
 * distribution do not matter beyond its entropy). Opaque metadata bytes are
 * stored in the slot in the clear (authenticated) and handed back on unlock.
 * Metadata should begin with a provider-defined format version byte.
 *
 * Memory: *meta is allocated with malloc() by the provider and freed with
 * free() by the library; *secret is a kdbx_secret (kdbx_secret_new).
 * Errors: return a negative KDBX_E* code and set the message with the public
 * error API of your provider; expected codes are KDBX_EDEVICE (device missing),
 * KDBX_ETIMEOUT (no touch), KDBX_EPIN (wrong PIN, retries left in the message),
 * KDBX_EPINLOCKED, KDBX_ENOSLOT (credential / key object gone), KDBX_ECANCELLED,
 * KDBX_EUNSUPPORTED (metadata version unknown), KDBX_ECORRUPT (metadata damaged).
 * A provider must never return a secret that is not the device's (no fallback
 * to "trial": the library treats a wrong secret as KDBX_EAUTH).
 */
struct kdbx_slot_provider {
	unsigned int version; /* KDBX_SLOT_PROVIDER_VERSION */
	/* Slot type stored in the slot and used to pick a provider on unlock:
	 * "yubikey-hmac", "softkey", "cr" (generic challenge-response), "fido2",
	 * "pkcs11", "tpm2". At most 31 bytes of [a-z0-9-]. */
	const char *type;
	unsigned int flags; /* KDBX_SLOT_PROVIDER_* */

	/* Human-readable description of the device selected for enrolment, e.g.
	 * "YubiKey 5 [12345] slot 2". May be NULL. */
	int (*describe)(kdbx_slot_provider *self, char *buf, size_t buflen);

	/* Enrol: talk to the device, create/derive the secret, return metadata
	 * that lets unlock() find and drive the same device without trial
	 * (serial, credential id + rp id + salt + flags, PKCS#11 URI + mechanism
	 * + ciphertext / ephemeral public key, TPM blobs + SRK name + PCRs ...).
	 * Required. */
	int (*enrol)(kdbx_slot_provider *self, const kdbx_slot_context *ctx, uint8_t **meta,
	             size_t *meta_len, kdbx_secret **secret);

	/* Unlock: metadata -> the same secret as enrol returned. Costs at most one
	 * touch and one PIN entry. Required. */
	int (*unlock)(kdbx_slot_provider *self, const kdbx_slot_context *ctx, const uint8_t *meta,
	              size_t meta_len, kdbx_secret **secret);

	/* Match: is a connected device the one this metadata names? Must not
	 * touch the device in a way that needs user interaction or uses a PIN
	 * try. Returns KDBX_SLOT_MATCH_* or a negative error (treated as NO).
	 * May be NULL (= MAYBE). */
	int (*match)(kdbx_slot_provider *self, const uint8_t *meta, size_t meta_len);

	/* Optional (public-key slots): new metadata and a new secret for the same
	 * device without the device present (KEK rotation on revocation): e.g. a
	 * new RSA-OAEP ciphertext of a fresh secret to the stored public key, or a
	 * new ECDH ephemeral key. NULL when the device is needed. */
	int (*rewrap_offline)(kdbx_slot_provider *self, const kdbx_slot_context *ctx,
	                      const uint8_t *old_meta, size_t old_meta_len, uint8_t **meta,
	                      size_t *meta_len, kdbx_secret **secret);

	/* Optional: a short stable device id for listings ("yubikey:12345/2",
	 * "fido2:cred:3fa9c0d1", "pkcs11:token=Foo;id=%01", "tpm2:srk:000b1a2b")
	 * computed from the metadata alone. NULL -> the library shows the type. */
	int (*device_id)(kdbx_slot_provider *self, const uint8_t *meta, size_t meta_len,
	                 char *buf, size_t buflen);

	/* Required. Frees the provider (called by kdbx_slot_provider_free). */
	void (*free)(kdbx_slot_provider *self);
};

/* Calls p->free (NULL-safe) and sets *pp to NULL. */
KDBX_EXTERN void kdbx_slot_provider_free(kdbx_slot_provider **pp);

/* Generic adapter: a challenge-response kdbx_provider (soft key, or any third
 * party HMAC device) as a symmetric slot provider. Metadata = a per-slot
 * random 32-byte challenge + an optional device fingerprint; the secret is
 * the response to that challenge. type NULL -> "cr" (soft keys: "softkey").
 * take_ownership non-zero: the adapter frees cr. cr non-interactive (soft
 * key): a fingerprint (8 bytes of its answer to a fixed domain-separated
 * challenge) lets match() recognise it; otherwise match() says MAYBE. */
#define KDBX_CR_ADAPTER_OWN 0x1u
#define KDBX_CR_ADAPTER_FINGERPRINT 0x2u
KDBX_EXTERN int kdbx_slot_provider_from_cr(kdbx_slot_provider **out, kdbx_provider *cr,
                                           const char *type, unsigned int flags);

/* YubiKey HMAC-SHA1 slot provider: enrol drives the key with this serial
 * (0 = the only key present) and slot (1/2) and stores serial + slot + a
 * per-slot challenge; unlock/match pick the key by the stored serial, so one
 * provider serves every YubiKey slot. cb copied, may be NULL. */
KDBX_EXTERN int kdbx_yubikey_slot_provider_new(kdbx_slot_provider **out, int slot,
                                               uint32_t serial, const kdbx_interaction *cb);

/* ===================================================================== */
/* Slot API (callers)                                                     */
/* ===================================================================== */

/* Protection modes of a database. */
typedef enum kdbx_slot_mode {
	KDBX_MODE_NONE = 0,     /* password / key file only */
	KDBX_MODE_KEEPASSXC = 1,/* one challenge-response key in the composite (KeePassXC) */
	KDBX_MODE_KDBXTOOL = 2, /* kdbxtool KEK format version 2 */
	KDBX_MODE_SLOTS = 3     /* our slot format (docs/multi-device-format.md) */
} kdbx_slot_mode;

/* A set of slot providers the library may use (unlock picks among them by
 * slot type + match()). The set owns what is added. */
typedef struct kdbx_slot_providers kdbx_slot_providers;
KDBX_EXTERN int kdbx_slot_providers_new(kdbx_slot_providers **out);
KDBX_EXTERN int kdbx_slot_providers_add(kdbx_slot_providers *set, kdbx_slot_provider *p);
KDBX_EXTERN void kdbx_slot_providers_free(kdbx_slot_providers **setp);

/* One slot as listed. Strings are NUL-terminated copies. */
typedef struct kdbx_slot_info {
	uint32_t id;          /* mode 3 slot id; mode 2: the <n> of KDBXTOOL_CR_DEVICE_<n> */
	char label[257];
	char type[32];        /* slot provider type, "recovery" for a recovery key */
	char device_id[128];  /* provider device_id(), or mode-2 "id" */
	kdbx_time created;    /* 0 unknown (mode 2) */
	kdbx_time last_used;  /* 0 never / unknown */
	unsigned int flags;   /* KDBX_SLOT_F_* */
} kdbx_slot_info;
#define KDBX_SLOT_F_RECOVERY 0x1u    /* printable recovery key */
#define KDBX_SLOT_F_PUBKEY 0x2u      /* re-wrappable without the device */
#define KDBX_SLOT_F_DEVICE_ONLY 0x4u /* unlocks without password (policy) */

/* Mode of an open database (from its public custom data). */
KDBX_EXTERN kdbx_slot_mode kdbx_slots_mode(const kdbx_db *db);
/* Mode of a file without decrypting it (header only). */
KDBX_EXTERN int kdbx_slots_file_mode(const char *path, kdbx_slot_mode *mode);

/* Lists the slots of an open database (or of a file, header only).
 * @param[out] out array of *count, free with kdbx_slots_list_free. */
KDBX_EXTERN int kdbx_slots_list(const kdbx_db *db, kdbx_slot_info **out, size_t *count);
KDBX_EXTERN int kdbx_slots_list_file(const char *path, kdbx_slot_info **out, size_t *count);
KDBX_EXTERN void kdbx_slots_list_free(kdbx_slot_info **list);

/* Unlock options. */
#define KDBX_SLOT_OPEN_OPTIONS_VERSION 1
typedef struct kdbx_slot_open_options {
	unsigned int version;
	const kdbx_slot_providers *providers; /* may be NULL: password-only files only */
	const char *recovery_key;             /* printable recovery key, or NULL */
	int device_only;                      /* reserved (0): whether a password is needed is the
	                                         file's policy (kdbx_slots_set_policy) */
	const kdbx_interaction *interaction;  /* touch / PIN for slot providers */
	const kdbx_open_options *open;        /* passed to kdbx_db_open */
} kdbx_slot_open_options;
#define KDBX_SLOT_OPEN_OPTIONS_INIT {KDBX_SLOT_OPEN_OPTIONS_VERSION, NULL, NULL, 0, NULL, NULL}

/* Opens any database: password-only, mode 1 (key carries the provider),
 * mode 2 or 3 (a matching connected device from opts->providers, or the
 * recovery key, unwraps the KEK; the db keeps it so saves need no device).
 * Expected: KDBX_EAUTH (wrong password or wrong device), KDBX_EDEVICE (no
 * device matching a slot; message names the slots), KDBX_ECORRUPT. */
KDBX_EXTERN int kdbx_slots_open(kdbx_db **out, const char *path, const kdbx_key *key,
                                const kdbx_slot_open_options *opts);
KDBX_EXTERN int kdbx_slots_open_memory(kdbx_db **out, const void *data, size_t len,
                                       const kdbx_key *key, const kdbx_slot_open_options *opts);

/* Enrolment options. */
#define KDBX_SLOT_ENROL_OPTIONS_VERSION 1
typedef struct kdbx_slot_enrol_options {
	unsigned int version;
	kdbx_slot_mode mode;                 /* 0 = keep the current mode, or 3 for a new one */
	const char *label;                   /* required, unique, 1..256 bytes UTF-8 */
	const kdbx_interaction *interaction;
	const char *options;                 /* passed to the provider (kdbx_slot_context.options) */
} kdbx_slot_enrol_options;
#define KDBX_SLOT_ENROL_OPTIONS_INIT {KDBX_SLOT_ENROL_OPTIONS_VERSION, KDBX_MODE_NONE, NULL, NULL, NULL}

/* Enrols a device (atomic: the device answers before anything changes). A
 * database without slots switches to mode 3 (or mode 2 if asked). The db must
 * have a key (opened, or kdbx_db_set_key) and, for an existing slot table, have
 * been opened with kdbx_slots_open. Changes the in-memory db; save to write
 * (no device needed). Expected: KDBX_EEXISTS (label taken), KDBX_EDEVICE,
 * KDBX_EUNSUPPORTED (k-of-n policy set: use kdbx_slots_set_policy). */
KDBX_EXTERN int kdbx_slots_enrol(kdbx_db *db, kdbx_slot_provider *p,
                                 const kdbx_slot_enrol_options *opts, uint32_t *slot_id);

/* Revokes a slot by label and rotates the KEK: public-key slots are
 * re-wrapped offline, symmetric slots are re-wrapped with their device from
 * providers (must be connected) unless drop_missing, which drops them.
 * Recovery keys are dropped unless a new one is made (kdbx_slots_recovery_add).
 * Expected: KDBX_ENOTFOUND, KDBX_EDEVICE (a kept device is missing). */
KDBX_EXTERN int kdbx_slots_revoke(kdbx_db *db, const char *label,
                                  const kdbx_slot_providers *providers, int drop_missing,
                                  const kdbx_interaction *interaction);
/* Rotates the KEK keeping all slots, with the same device rules as revoke
 * (public-key slots get fresh secrets offline; symmetric slots keep their
 * challenge and are asked once). Recovery keys are dropped. */
KDBX_EXTERN int kdbx_slots_rotate(kdbx_db *db, const kdbx_slot_providers *providers,
                                  int drop_missing, const kdbx_interaction *interaction);

/* Adds a printable recovery key slot (one per database: replaces an older
 * one; the KEK stays, so run kdbx_slots_rotate if an old key may have
 * leaked). @param[out] out the key text (caller-owned kdbx_secret, 11 groups
 * of 5 base32 characters), shown once to the user. It opens the database
 * (with the password unless device-only) through
 * kdbx_slot_open_options.recovery_key. */
KDBX_EXTERN int kdbx_slots_recovery_add(kdbx_db *db, kdbx_secret **out);
KDBX_EXTERN int kdbx_slots_recovery_remove(kdbx_db *db);

/* k-of-n: k devices (k >= 1, k <= number of device slots) must answer.
 * k = 1 restores "any one". device_only non-zero (explicit request): the
 * database opens with the devices alone, password / key file are not part of
 * its key any more. Turning it off needs a password or key file on the db
 * key (kdbx_db_set_key). Rotates the KEK and re-wraps every slot, so it needs
 * the same devices as rotate; recovery keys are dropped. */
KDBX_EXTERN int kdbx_slots_set_policy(kdbx_db *db, unsigned int k, int device_only,
                                      const kdbx_slot_providers *providers,
                                      const kdbx_interaction *interaction);

/* Converts between modes (atomic; in memory; save to write):
 * 1 -> 3: the mode-1 provider of the db key becomes the first slot (cr must
 *         be a slot provider for that device);
 * 3 -> 1: needs exactly one symmetric HMAC-SHA1 slot provider p (the
 *         KeePassXC mode needs that device on every save);
 * 2 -> 3: every kdbxtool device is re-enrolled from providers;
 * any -> 0 (password only). */
KDBX_EXTERN int kdbx_slots_convert(kdbx_db *db, kdbx_slot_mode to,
                                   const kdbx_slot_providers *providers,
                                   const kdbx_interaction *interaction);

/* Human-readable warning for a mode (what other apps can / cannot open it),
 * NULL for modes every KeePass app reads. Static string. */
KDBX_EXTERN const char *kdbx_slots_mode_warning(kdbx_slot_mode mode);

#endif
