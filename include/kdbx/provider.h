/* The challenge-response provider interface (implementers: docs/writing-a-provider.md).
 * A provider answers a challenge with a secret response; it knows nothing of KDBX. */
#ifndef KDBX_PROVIDER_H
#define KDBX_PROVIDER_H

#include "common.h"

#define KDBX_PROVIDER_VERSION 1

/* Interaction callbacks a provider may call while it works. */
typedef struct kdbx_interaction {
	/* Called once when the device actually waits for a touch. */
	void (*touch)(void *userdata, const char *device_description);
	/* Asks for a PIN; writes a NUL-terminated PIN into buf. Return 0, or
	 * KDBX_ECANCELLED. retries_left is -1 when unknown. */
	int (*pin)(void *userdata, const char *prompt, int retries_left, char *buf, size_t buflen);
	/* Polled during long waits; non-zero cancels (KDBX_ECANCELLED). */
	int (*cancelled)(void *userdata);
	void *userdata;
} kdbx_interaction;

struct kdbx_provider {
	unsigned int version; /* KDBX_PROVIDER_VERSION */
	const char *name;     /* "yubikey", "softkey", "fido2", "pkcs11", "tpm2" */
	/* Human-readable description of the selected device, e.g. "YubiKey 5 [12345] slot 2". */
	int (*describe)(kdbx_provider *self, char *buf, size_t buflen);
	/* Answers challenge (raw bytes; transport-specific padding is the
	 * provider's job). *response is caller-owned. Errors: KDBX_EDEVICE,
	 * KDBX_ETIMEOUT, KDBX_ENOSLOT, KDBX_EPIN, KDBX_EPINLOCKED, KDBX_ECANCELLED. */
	int (*challenge_response)(kdbx_provider *self, const uint8_t *challenge, size_t len,
	                          kdbx_secret **response);
	void (*free)(kdbx_provider *self);
	kdbx_interaction interaction;
};

/* Calls p->free (NULL-safe) and sets *pp to NULL. */
KDBX_EXTERN void kdbx_provider_free(kdbx_provider **pp);

/* Largest response any built-in provider returns (HMAC-SHA256 = 32; HMAC-SHA1 = 20). */
#define KDBX_PROVIDER_RESPONSE_MAX 64

/* Checked call of p->challenge_response: rejects a NULL provider, an unknown
 * vtable version or a missing callback with KDBX_EINVALID, and a provider that
 * answers 0 or more than KDBX_PROVIDER_RESPONSE_MAX bytes with KDBX_EDEVICE.
 * @param[out] response caller-owned, free with kdbx_secret_free.
 * Expected codes: KDBX_EDEVICE (device missing or failed), KDBX_ETIMEOUT
 * (touch not given in time), KDBX_ENOSLOT (slot / credential not configured). */
KDBX_EXTERN int kdbx_provider_challenge_response(kdbx_provider *p, const uint8_t *challenge,
                                                 size_t len, kdbx_secret **response);

/* Writes p->describe (or p->name when a provider has no describe) into buf,
 * always NUL-terminated. */
KDBX_EXTERN int kdbx_provider_describe(kdbx_provider *p, char *buf, size_t buflen);

/* Replaces the interaction callbacks (copied; cb NULL clears them). */
KDBX_EXTERN int kdbx_provider_set_interaction(kdbx_provider *p, const kdbx_interaction *cb);

#endif
