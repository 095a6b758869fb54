/* FIDO2 authenticators (security keys) with the hmac-secret extension,
 * through libfido2: a slot provider ("fido2") for multi-device enrolment
 * (mode 3) and a challenge-response provider for kdbxtool's "fido2" devices
 * (mode 2). Design: ../shared/reference/hwdesign-notes.md 1.2;
 * docs/hardware-keys.md, section "FIDO2".
 *
 * The secret of a slot is hmac-secret(CredRandom, salt) of a non-resident
 * credential made at enrolment. An authenticator keeps two CredRandoms per
 * credential, one used with user verification (PIN or built-in UV) and one
 * without, so the PIN/UV mode is fixed at enrolment and stored in the slot. */
#ifndef KDBX_FIDO2_H
#define KDBX_FIDO2_H

#include "common.h"
#include "provider.h"
#include "slots.h"

/* Relying party id of new credentials unless opts->rp_id says otherwise. */
#define KDBX_FIDO2_DEFAULT_RP_ID "kdbx"
/* The rp id kdbxtool uses (mode-2 "fido2" devices). */
#define KDBX_FIDO2_KDBXTOOL_RP_ID "kdbxtool"

/* Tri-state requirements of kdbx_fido2_options.pin / uv / up. */
#define KDBX_FIDO2_AUTO -1 /* pin: use the PIN when the device has one; uv: no; up: yes */
#define KDBX_FIDO2_NO 0
#define KDBX_FIDO2_YES 1

/*
 * Where devices come from. By default libfido2 enumerates the USB HID
 * authenticators (fido_dev_info_manifest). A source replaces that list, e.g.
 * to reach a software authenticator in tests through fido_dev_set_io_functions
 * or another transport. open() returns an opened libfido2 device
 * (fido_dev_t *, as void *) that the library then owns (fido_dev_close +
 * fido_dev_free); it is called again for every operation.
 */
typedef struct kdbx_fido2_device_source {
	size_t (*count)(void *userdata);
	/* A stable name of device i (e.g. "sim:0"); NUL-terminated into buf. */
	int (*path)(void *userdata, size_t index, char *buf, size_t buflen);
	/* 0 and *dev set, or a negative KDBX_E* code. */
	int (*open)(void *userdata, size_t index, void **dev);
	void *userdata;
} kdbx_fido2_device_source;

#define KDBX_FIDO2_OPTIONS_VERSION 1
typedef struct kdbx_fido2_options {
	unsigned int version; /* KDBX_FIDO2_OPTIONS_VERSION */
	/* Device path ("/dev/hidraw3", or a source path); NULL: any device.
	 * Enrolment with NULL needs exactly one FIDO2 device with hmac-secret;
	 * unlock with NULL asks every device that holds the credential. */
	const char *device;
	/* Relying party id of new credentials (enrol; NULL: "kdbx") and of the
	 * kdbxtool provider (NULL: "kdbxtool"). Unlock uses the stored rp id. */
	const char *rp_id;
	/* Enrolment requirements, KDBX_FIDO2_AUTO / NO / YES. pin: client PIN;
	 * uv: built-in user verification (fingerprint); up: touch. Enrolment
	 * options "pin=yes|no", "uv=yes|no", "up=yes|no", "rp=ID" in
	 * kdbx_slot_enrol_options.options override these. */
	int pin;
	int uv;
	int up;
	/* libfido2 timeout per operation in ms; 0 or negative: the device's own. */
	int timeout_ms;
	/* PIN (prompt names the device; retries_left from the device) and touch
	 * callbacks. A PIN is asked at most once per operation and never retried. */
	const kdbx_interaction *interaction;
	/* Device list replacement (tests, other transports); NULL: USB HID. Copied. */
	const kdbx_fido2_device_source *source;
	/* kdbxtool provider: the credential id kdbxtool did not store (required). */
	const uint8_t *credential_id;
	size_t credential_id_len;
} kdbx_fido2_options;
#define KDBX_FIDO2_OPTIONS_INIT                                                                  \
	{KDBX_FIDO2_OPTIONS_VERSION, NULL, NULL, KDBX_FIDO2_AUTO, KDBX_FIDO2_AUTO, KDBX_FIDO2_AUTO, 0, \
	 NULL, NULL, NULL, 0}

/*
 * Slot provider ("fido2"). Enrol makes a non-resident ES256 credential with
 * hmac-secret (rp id from opts, user id = the database identity) and stores
 * credential id, rp id, a random 32-byte salt and the up / uv / PIN
 * requirements in the slot. Unlock asks only authenticators that hold the
 * credential: a silent assertion (no touch) finds them when UV is not
 * required; otherwise every device is asked in turn. match() uses the same
 * silent check. One provider serves every FIDO2 slot.
 * Expected codes: KDBX_EDEVICE (no device / device failed), KDBX_ENOSLOT
 * (credential not on any connected device), KDBX_EPIN (wrong PIN, retries
 * left in the message; or a PIN needed and no callback), KDBX_EPINLOCKED (PIN
 * or built-in UV blocked), KDBX_ETIMEOUT (no touch), KDBX_EUNSUPPORTED (no
 * hmac-secret; UV / PIN mode of the slot impossible on the device).
 */
KDBX_EXTERN int kdbx_fido2_slot_provider_new(kdbx_slot_provider **out, const kdbx_fido2_options *opts);

/*
 * Challenge-response provider for kdbxtool's "fido2" devices (mode 2):
 * answers a 32-byte challenge with hmac-secret(salt1 = challenge) of
 * opts->credential_id under rp id opts->rp_id (default "kdbxtool"), with the
 * PIN when the device has one (kdbxtool leaves UV at the client default).
 * kdbxtool does not store the credential id: the user must supply it.
 */
KDBX_EXTERN int kdbx_fido2_new(kdbx_provider **out, const kdbx_fido2_options *opts);

/* One authenticator as listed by kdbx_fido2_list. */
typedef struct kdbx_fido2_device_info {
	char path[256];
	char product[128];
	char manufacturer[128];
	int fido2;          /* speaks CTAP2 */
	int hmac_secret;    /* hmac-secret extension */
	int pin_set;        /* a client PIN is set */
	int pin_retries;    /* -1 unknown / no PIN */
	int builtin_uv;     /* built-in user verification configured */
	int uv_retries;     /* -1 unknown */
	int always_uv;      /* alwaysUv option */
	int protocols;      /* PIN/UV auth protocols: bit 0 = v1, bit 1 = v2 */
	char error[128];    /* why the device could not be queried, or "" */
} kdbx_fido2_device_info;

/* Lists the connected authenticators (opts may be NULL: USB HID). A device
 * that cannot be opened is listed with error set.
 * @param[out] out array of *count (possibly 0), free with kdbx_fido2_list_free. */
KDBX_EXTERN int kdbx_fido2_list(const kdbx_fido2_options *opts, kdbx_fido2_device_info **out, size_t *count);
KDBX_EXTERN void kdbx_fido2_list_free(kdbx_fido2_device_info **list);

#endif
