/* Internal state of the software authenticator (fido2_sim.h). */
#ifndef KDBX_TESTS_FIDO2_SIM_INT_H
#define KDBX_TESTS_FIDO2_SIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "fido2_sim.h"

/* CTAP2 status codes used here (CTAP 2.1 section 8.2). */
#define ST_OK 0x00
#define ST_INVALID_COMMAND 0x01
#define ST_INVALID_PARAMETER 0x02
#define ST_INVALID_LENGTH 0x03
#define ST_INVALID_CBOR 0x12
#define ST_MISSING_PARAMETER 0x14
#define ST_UNSUPPORTED_ALGORITHM 0x26
#define ST_UNSUPPORTED_OPTION 0x2B
#define ST_INVALID_OPTION 0x2C
#define ST_NO_CREDENTIALS 0x2E
#define ST_USER_ACTION_TIMEOUT 0x2F
#define ST_NOT_ALLOWED 0x30
#define ST_PIN_INVALID 0x31
#define ST_PIN_BLOCKED 0x32
#define ST_PIN_AUTH_INVALID 0x33
#define ST_PIN_AUTH_BLOCKED 0x34
#define ST_PIN_NOT_SET 0x35
#define ST_PUAT_REQUIRED 0x36
#define ST_PIN_POLICY_VIOLATION 0x37
#define ST_UV_BLOCKED 0x3C
#define ST_INVALID_SUBCOMMAND 0x3E
#define ST_UV_INVALID 0x3F
#define ST_UNAUTHORIZED_PERMISSION 0x40
#define ST_OTHER 0x7F

#define SIM_MAX_CREDS 32
#define SIM_CRED_ID_LEN 48
#define SIM_PIN_RETRIES 8
#define SIM_UV_RETRIES 3

typedef struct sim_cred {
	uint8_t id[SIM_CRED_ID_LEN];
	uint8_t rp_hash[32];
	EVP_PKEY *key;
	bool hmac_secret;
	uint8_t cred_random_uv[32];
	uint8_t cred_random_nouv[32];
} sim_cred;

struct fido2_sim {
	fido2_sim_config cfg;
	char path[32];
	uint8_t aaguid[16];
	EVP_PKEY *att_key;
	uint8_t *att_cert;
	size_t att_cert_len;
	EVP_PKEY *ka_key; /* ClientPIN key agreement key (P-256) */
	/* PIN state */
	bool pin_set;
	uint8_t pin_hash[16];
	int pin_retries;
	int pin_fails_in_row; /* 3 -> PIN_AUTH_BLOCKED until power cycle */
	int uv_retries;
	bool uv_match;
	uint8_t token[32];
	bool token_valid;
	unsigned int token_perms;
	char token_rp[256];
	/* behaviour and counters */
	int touch;
	unsigned int touch_waits, assertions;
	uint32_t counter;
	sim_cred creds[SIM_MAX_CREDS];
	size_t ncreds;
	uint8_t cid_next[4]; /* next CTAPHID channel id handed out by INIT */
};

/* Shared secret of a PIN/UV auth protocol (1 or 2). */
typedef struct sim_shared {
	int proto;
	uint8_t hmac_key[32];
	uint8_t aes_key[32];
} sim_shared;

/* ---- sim_crypto.c ---- */
int sim_keygen(EVP_PKEY **out);
/* x, y coordinates (32 bytes each) of a P-256 key. */
int sim_pub_xy(EVP_PKEY *k, uint8_t x[32], uint8_t y[32]);
/* ECDH of our key agreement key with the platform key (x, y), then the
 * protocol's KDF (v1: SHA-256(Z); v2: HKDF "CTAP2 HMAC key" / "CTAP2 AES key"). */
int sim_shared_secret(EVP_PKEY *ours, const uint8_t x[32], const uint8_t y[32], int proto,
                      sim_shared *out);
/* Protocol encrypt / decrypt (AES-256-CBC, v1 zero IV, v2 random IV prefix). */
int sim_encrypt(const sim_shared *s, const uint8_t *in, size_t len, uint8_t *out, size_t *outlen);
int sim_decrypt(const sim_shared *s, const uint8_t *in, size_t len, uint8_t *out, size_t *outlen);
/* authenticate(key, msg) compared with param (v1: first 16 bytes of the HMAC;
 * v2: all 32). Returns 0 when they match. */
int sim_verify(int proto, const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len,
               const uint8_t *param, size_t plen);
void sim_sha256(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[32]);
void sim_hmac256(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len, uint8_t out[32]);
/* DER ECDSA signature of SHA-256(a || b). */
int sim_sign(EVP_PKEY *k, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
             uint8_t *sig, size_t *siglen);
/* Self-signed attestation certificate (DER) for k. */
int sim_att_cert(EVP_PKEY *k, uint8_t **der, size_t *len);
void sim_random(uint8_t *p, size_t n);

/* ---- sim_ctap.c ---- */
/* Runs one CTAP2 CBOR command; writes status + CBOR into *resp (malloc'd).
 * *upneeded is set when the authenticator waited for a touch. */
void sim_ctap(fido2_sim *s, const uint8_t *req, size_t len, uint8_t **resp, size_t *resp_len,
              bool *upneeded);

#endif
