/* Internal interface of the FIDO2 hmac-secret provider (src/providers/fido2_*.c):
 * device access through libfido2, slot metadata, and the assertion that
 * yields the secret. Public API: include/kdbx/fido2.h. */
#ifndef KDBX_PROVIDERS_FIDO2_INT_H
#define KDBX_PROVIDERS_FIDO2_INT_H

#include <stdbool.h>

#include <fido.h>

#include "core/core.h"
#include "kdbx/fido2.h"

/* ---- slot metadata (fido2_meta.c) ----
 * version 1:  u8 version | u8 flags | u8 rp_len | rp | salt[32] |
 *             u16 LE cred_len | cred
 * Flags are the requirements fixed at enrolment. */
#define FIDO2_META_V1 1
#define FIDO2_F_UP 0x01  /* user presence (touch) */
#define FIDO2_F_UV 0x02  /* built-in user verification */
#define FIDO2_F_PIN 0x04 /* client PIN */
#define FIDO2_F_ALL (FIDO2_F_UP | FIDO2_F_UV | FIDO2_F_PIN)
#define FIDO2_CRED_MAX 1024
#define FIDO2_SALT_LEN 32

typedef struct fido2_meta {
	uint8_t flags;
	char rp[256];
	uint8_t salt[FIDO2_SALT_LEN];
	uint8_t cred[FIDO2_CRED_MAX];
	size_t cred_len;
} fido2_meta;

int kdbx_fido2__meta_encode(const fido2_meta *m, uint8_t **out, size_t *len);
/* KDBX_EUNSUPPORTED for an unknown version, KDBX_ECORRUPT for damage. */
int kdbx_fido2__meta_decode(const uint8_t *b, size_t n, fido2_meta *m);
/* "fido2:<rp>:<first 8 hex of SHA-256(cred)>" */
int kdbx_fido2__meta_device_id(const fido2_meta *m, char *buf, size_t buflen);

/* ---- configuration shared by the providers (fido2_dev.c) ---- */
typedef struct fido2_cfg {
	char *device;
	char *rp_id;
	int pin, uv, up;
	int timeout_ms;
	kdbx_interaction cb;
	bool has_cb;
	kdbx_fido2_device_source source;
	bool has_source;
} fido2_cfg;

int kdbx_fido2__cfg_init(fido2_cfg *cfg, const kdbx_fido2_options *opts);
void kdbx_fido2__cfg_clear(fido2_cfg *cfg);

/* One connected device as enumerated. */
typedef struct fido2_devref {
	char path[256];
	char desc[200]; /* "Product (path)" for prompts and messages */
	size_t index;   /* in the source */
} fido2_devref;

/* Devices (only cfg->device when set). *n may be 0. */
int kdbx_fido2__enumerate(const fido2_cfg *cfg, fido2_devref **out, size_t *n);
/* The same, but no device connected is KDBX_EDEVICE (*out stays NULL). */
int kdbx_fido2__enumerate_connected(const fido2_cfg *cfg, fido2_devref **out, size_t *n);
int kdbx_fido2__open(const fido2_cfg *cfg, const fido2_devref *ref, fido_dev_t **dev);
void kdbx_fido2__close(fido_dev_t **dev);
/* hmac-secret listed in GetInfo's extensions; *always_uv from its options. */
int kdbx_fido2__info(fido_dev_t *dev, bool *hmac_secret, bool *always_uv, int *protocols);

/* Maps a libfido2 error to a KDBX code with a message naming the device. */
int kdbx_fido2__error(int r, const char *what, fido_dev_t *dev, const fido2_devref *ref);

/* Asks the PIN through the callback (prompt names the device, retries from
 * the device). KDBX_EPIN without a callback, KDBX_EPINLOCKED when no retries
 * are left. pin is wiped by the caller. */
int kdbx_fido2__ask_pin(const fido2_cfg *cfg, fido_dev_t *dev, const fido2_devref *ref, char *pin, size_t len);

/* ---- assertions (fido2_assert.c) ---- */
/* Silent assertion (no touch, no PIN, no extension): FIDO_OK when dev holds
 * the credential, FIDO_ERR_NO_CREDENTIALS when not, else the libfido2 error. */
int kdbx_fido2__preflight(const fido2_cfg *cfg, fido_dev_t *dev, const fido2_meta *m);
/* The hmac-secret of m->salt, with the requirements of m->flags. */
int kdbx_fido2__secret(const fido2_cfg *cfg, fido_dev_t *dev, const fido2_devref *ref, const fido2_meta *m,
                       const char *pin, kdbx_secret **out);
/* Finds the device holding m's credential and returns the secret.
 * pin_auto: ignore FIDO2_F_PIN and use the PIN where the device has one
 * (kdbxtool's client default). */
int kdbx_fido2__unlock(const fido2_cfg *cfg, const fido2_meta *m, bool pin_auto, kdbx_secret **out);
/* KDBX_SLOT_MATCH_* for m among the connected devices (never asks the user). */
int kdbx_fido2__match(const fido2_cfg *cfg, const fido2_meta *m);

#endif
