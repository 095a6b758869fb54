/* A software CTAP2 authenticator for tests: CTAPHID framing, GetInfo,
 * ClientPIN (PIN/UV auth protocols 1 and 2), MakeCredential and GetAssertion
 * with hmac-secret, user presence / verification and PIN retry counters.
 * It plugs into real libfido2 through fido_dev_set_io_functions, so the
 * library under test and libfido2 itself run unchanged (there is no uhid
 * here, so no other process can see it). Non-resident credentials only.
 * Spec: CTAP 2.1 (client to authenticator protocol), sections 6 and 12. */
#ifndef KDBX_TESTS_FIDO2_SIM_H
#define KDBX_TESTS_FIDO2_SIM_H

#include <stddef.h>
#include <stdint.h>

#include <fido.h>

typedef struct fido2_sim fido2_sim;

typedef struct fido2_sim_config {
	int hmac_secret;   /* supports (and advertises) hmac-secret */
	int protocols;     /* PIN/UV auth protocols: bit 0 = v1, bit 1 = v2 (0 -> both) */
	int permissions;   /* CTAP 2.1 pinUvAuthToken: tokens "...WithPermissions" */
	int builtin_uv;    /* has built-in user verification (a fingerprint reader) */
	int always_uv;     /* alwaysUv: every GetAssertion needs UV */
	const char *product; /* shown in listings */
} fido2_sim_config;

/* Touch behaviour when a command needs user presence. */
#define FIDO2_SIM_TOUCH_YES 1   /* the user touches at once */
#define FIDO2_SIM_TOUCH_NEVER 0 /* nobody touches: CTAP2_ERR_USER_ACTION_TIMEOUT */

int fido2_sim_new(fido2_sim **out, const fido2_sim_config *cfg);
void fido2_sim_free(fido2_sim **sp);

/* Sets the PIN directly (as if set on another machine); retries reset to 8. */
int fido2_sim_set_pin(fido2_sim *s, const char *pin);
void fido2_sim_set_touch(fido2_sim *s, int mode);
/* Built-in UV outcome: 1 the finger matches, 0 it does not. */
void fido2_sim_set_uv_match(fido2_sim *s, int ok);
/* Turns the alwaysUv option on or off (as a user could in the device settings). */
void fido2_sim_set_always_uv(fido2_sim *s, int on);
/* Power cycle: new key agreement key and PIN token, clears the
 * "3 wrong PINs in a row" block (not the retry counter). */
void fido2_sim_power_cycle(fido2_sim *s);
int fido2_sim_pin_retries(const fido2_sim *s);
int fido2_sim_uv_retries(const fido2_sim *s);
/* Number of times the authenticator waited for a touch (sent keepalive
 * UPNEEDED) and of GetAssertion commands seen. */
unsigned int fido2_sim_touch_waits(const fido2_sim *s);
unsigned int fido2_sim_assertions(const fido2_sim *s);
/* Number of credentials made on it. */
size_t fido2_sim_credentials(const fido2_sim *s);

/* The path this sim answers on in fido2_sim_io ("sim:N"). */
const char *fido2_sim_path(const fido2_sim *s);
/* libfido2 I/O functions that reach every live sim by its path. */
const fido_dev_io_t *fido2_sim_io(void);
/* New libfido2 device for s (fido_dev_new + io functions + fido_dev_open),
 * or NULL. */
fido_dev_t *fido2_sim_open(fido2_sim *s);

#endif
