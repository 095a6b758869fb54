/* PKCS#11 tokens (smart cards, PIV, HSMs, SoftHSM2) as challenge-response and
 * slot providers. Tokens and keys are chosen by RFC 7512 URIs (parsed by
 * p11-kit) and/or the explicit fields of kdbx_pkcs11_options; modules come from
 * p11-kit's registry unless a module path is given.
 * Design: ../shared/reference/hwdesign-notes.md 1.1, 3, 5; docs/hardware-keys.md. */
#ifndef KDBX_PKCS11_H
#define KDBX_PKCS11_H

#include "common.h"
#include "provider.h"
#include "slots.h"

/* Mechanisms a key can be used with (kdbx_pkcs11_key_info.mechanism and the
 * "mechanism=" slot option). Every output is normalised to 32 bytes with
 * HKDF-SHA256. */
#define KDBX_PKCS11_MECH_NONE 0
#define KDBX_PKCS11_MECH_HMAC_SHA256 1 /* CKM_SHA256_HMAC on a secret key ("hmac") */
#define KDBX_PKCS11_MECH_ECDH 2        /* CKM_ECDH1_DERIVE, CKD_NULL, stored ephemeral key ("ecdh") */
#define KDBX_PKCS11_MECH_RSA_OAEP 3    /* decrypt a stored CKM_RSA_PKCS_OAEP ciphertext ("rsa-oaep") */
#define KDBX_PKCS11_MECH_RSA_PKCS 4    /* decrypt a stored PKCS#1 v1.5 ciphertext ("rsa-pkcs") */
#define KDBX_PKCS11_MECH_RSA_SIGN 5    /* deterministic CKM_RSA_PKCS signature ("rsa-pkcs-sign") */

/* Static name of a mechanism ("hmac", "ecdh", ...; "none"). */
KDBX_EXTERN const char *kdbx_pkcs11_mechanism_name(int mech);
/* Mechanism for a name, or -1. */
KDBX_EXTERN int kdbx_pkcs11_mechanism_from_name(const char *name);

#define KDBX_PKCS11_OPTIONS_VERSION 1
typedef struct kdbx_pkcs11_options {
	unsigned int version; /* KDBX_PKCS11_OPTIONS_VERSION */
	/* RFC 7512 URI ("pkcs11:token=test;object=ec;type=private", optional
	 * ?module-name= / ?module-path= / ?pin-value= queries). May be NULL. */
	const char *uri;
	/* PKCS#11 module: a path ("/usr/lib/softhsm/libsofthsm2.so", contains a
	 * '/') or a p11-kit module name ("softhsm2"). NULL: every module p11-kit
	 * has registered. */
	const char *module;
	/* Token selection besides the URI: index among the slots that hold a token
	 * (-1 any), label and serial (NULL any). */
	int slot_index;
	const char *token_label;
	const char *token_serial;
	/* Key selection besides the URI: CKA_ID bytes and/or CKA_LABEL. */
	const uint8_t *key_id;
	size_t key_id_len;
	const char *key_label;
	/* KDBX_PKCS11_MECH_* to force one, 0 = choose from what key and token support. */
	int mechanism;
	/* PIN callback (prompt names the token label, retries_left is 1 on the
	 * final try, -1 unknown) and touch callback (PIN-pad readers). Copied. */
	const kdbx_interaction *interaction;
} kdbx_pkcs11_options;
#define KDBX_PKCS11_OPTIONS_INIT {KDBX_PKCS11_OPTIONS_VERSION, NULL, NULL, -1, NULL, NULL, NULL, 0, NULL, 0, NULL}

/*
 * Slot provider ("pkcs11") for multi-device enrolment. opts selects the token
 * and key for enrol (exactly one key must match; several -> KDBX_EINVALID whose
 * message lists the candidates). unlock/match use the token URI, module and
 * mechanism stored in the slot metadata; opts->module, when set, overrides the
 * stored module, and opts->interaction gives the PIN callback.
 * Mechanisms by key: secret key -> HMAC-SHA256; EC key with CKA_DERIVE ->
 * ECDH; RSA key with CKA_DECRYPT -> OAEP (PKCS#1 v1.5 only when the token has
 * no OAEP); RSA key with CKA_SIGN only -> PKCS#1 v1.5 signature (enrolment
 * signs twice and compares). EC keys that can only sign (ECDSA) are refused:
 * ECDSA signatures are randomized. ECDH and RSA decryption slots re-wrap
 * without the token (flag KDBX_SLOT_PROVIDER_PUBKEY per slot).
 * Expected codes: KDBX_EDEVICE (module or token missing), KDBX_EPIN (wrong PIN,
 * the message says "count low" / "final try"), KDBX_EPINLOCKED, KDBX_ENOSLOT
 * (no matching key), KDBX_EINVALID (ambiguous token or key), KDBX_EUNSUPPORTED
 * (key lacks the usage any mechanism needs, or ECDSA-only key).
 */
KDBX_EXTERN int kdbx_pkcs11_slot_provider_new(kdbx_slot_provider **out,
                                              const kdbx_pkcs11_options *opts);

/* Challenge-response provider (KeePassXC-style composite, mode 1): answers
 * HKDF-SHA256(HMAC-SHA256(key, challenge)) or, for an RSA signing key,
 * HKDF-SHA256 of a PKCS#1 v1.5 signature; 32 bytes. The token is looked up on
 * every challenge. Same selection rules and codes as the slot provider. */
KDBX_EXTERN int kdbx_pkcs11_new(kdbx_provider **out, const kdbx_pkcs11_options *opts);

/* One token or key as listed by kdbx_pkcs11_list. Strings are NUL-terminated. */
typedef struct kdbx_pkcs11_key_info {
	char module[256];       /* module file name */
	int slot_index;         /* index among slots with a token */
	char token_label[33];
	char token_serial[17];
	char token_model[17];
	char manufacturer[33];
	unsigned int token_flags; /* KDBX_PKCS11_TOKEN_* */
	/* Key fields are empty for a token line (is_token non-zero). */
	int is_token;
	char label[128];
	char id_hex[129];       /* CKA_ID in hex */
	char key_type[24];      /* "hmac-secret", "ec-p256", "ec-p384", "rsa-2048", ... */
	int mechanism;          /* KDBX_PKCS11_MECH_*, 0 = unusable */
	char note[160];         /* why it is unusable, or "" */
	char uri[512];          /* URI that selects exactly this key (or token) */
} kdbx_pkcs11_key_info;
#define KDBX_PKCS11_TOKEN_LOGIN 0x1u     /* login required */
#define KDBX_PKCS11_TOKEN_PINPAD 0x2u    /* protected authentication path */
#define KDBX_PKCS11_TOKEN_PIN_LOW 0x4u   /* count low / final try */
#define KDBX_PKCS11_TOKEN_LOCKED 0x8u    /* user PIN locked */
#define KDBX_PKCS11_TOKEN_WRITABLE 0x10u /* keygen possible (not write protected) */

/* Lists tokens (is_token lines) and their usable keys with the mechanism each
 * would use. Keys hidden before login are listed only when login is non-zero
 * (one PIN per token through opts->interaction). opts may be NULL.
 * @param[out] out array of *count, free with kdbx_pkcs11_list_free. */
KDBX_EXTERN int kdbx_pkcs11_list(const kdbx_pkcs11_options *opts, int login,
                                 kdbx_pkcs11_key_info **out, size_t *count);
KDBX_EXTERN void kdbx_pkcs11_list_free(kdbx_pkcs11_key_info **list);

/* Key generation on the selected token (opts: uri / module / token fields;
 * label and id of the new key from opts->key_label / key_id, required).
 * type: "hmac" (32-byte CKK_GENERIC_SECRET with CKA_SIGN), "ec-p256",
 * "ec-p384" (CKA_DERIVE), "rsa-2048", "rsa-3072" (CKA_DECRYPT).
 * Expected codes: KDBX_EDEVICE, KDBX_EPIN, KDBX_EEXISTS (a key with that
 * id or label exists), KDBX_EUNSUPPORTED (token refuses). */
KDBX_EXTERN int kdbx_pkcs11_keygen(const kdbx_pkcs11_options *opts, const char *type);

/* Imports a known HMAC secret (32..512 bytes) as a CKK_GENERIC_SECRET with
 * CKA_SIGN (C_CreateObject), for tests and for keeping a backup of the secret.
 * Same selection and codes as keygen. */
KDBX_EXTERN int kdbx_pkcs11_import_hmac(const kdbx_pkcs11_options *opts, const uint8_t *secret,
                                        size_t len);

#endif
