/* Internal pieces of the PKCS#11 provider shared by src/providers/pkcs11*.c:
 * selection (URI + options), module loading, token/session/login, key search,
 * mechanism choice, token operations and the host-side public-key operations.
 * Spec points followed: hwdesign-notes.md section 5 (OASIS PKCS#11 2.40/3.x). */
#ifndef KDBX_PROVIDERS_PKCS11_INT_H
#define KDBX_PROVIDERS_PKCS11_INT_H

#include "core/core.h"
#include "kdbx/pkcs11.h"

/* p11-kit's pkcs11.h #defines short lowercase names: it comes after every
 * other header (and users of this header include it last as well). */
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>
#include <p11-kit/pkcs11.h>

/* ---- selection (pkcs11_uri.c) ---- */
typedef struct kdbx_p11_sel {
	P11KitUri *uri;     /* token info + object attributes to match (never NULL after init) */
	char *module;       /* explicit module path or p11-kit name, NULL = registry */
	int slot_index;     /* -1 any */
	int mechanism;      /* forced KDBX_PKCS11_MECH_*, 0 auto */
	kdbx_interaction ia;
} kdbx_p11_sel;
int kdbx_p11__sel_init(kdbx_p11_sel *s, const kdbx_pkcs11_options *o);
/* Parses one more URI into s (fields of the URI override). */
int kdbx_p11__sel_add_uri(kdbx_p11_sel *s, const char *uri);
void kdbx_p11__sel_free(kdbx_p11_sel *s);
/* "token='x' serial=... object='y' id=01" summary for messages. */
void kdbx_p11__sel_describe(const kdbx_p11_sel *s, char *buf, size_t len);
/* Copies a blank-padded fixed-width PKCS#11 string into a C string. */
void kdbx_p11__fixed_str(char *dst, size_t dstlen, const unsigned char *src, size_t srclen);

/* ---- modules (pkcs11_module.c) ---- */
#define KDBX_P11_MAX_MODULES 32
typedef struct kdbx_p11_mods {
	CK_FUNCTION_LIST **registry;             /* p11-kit managed list, or NULL */
	CK_FUNCTION_LIST *fl[KDBX_P11_MAX_MODULES];
	char *name[KDBX_P11_MAX_MODULES];
	size_t n;
	int finalize; /* explicit path: we initialised it, so we finalise it */
} kdbx_p11_mods;
/* module: path (contains '/'), p11-kit module name, or NULL (all registered). */
int kdbx_p11__load(kdbx_p11_mods *m, const char *module);
void kdbx_p11__unload(kdbx_p11_mods *m);
/* Unit tests: every load returns this function list (NULL restores loading). */
void kdbx_p11__set_test_module(CK_FUNCTION_LIST *fl);

/* ---- tokens and sessions (pkcs11_session.c) ---- */
typedef struct kdbx_p11_token {
	CK_FUNCTION_LIST *fl;
	const char *module; /* borrowed from kdbx_p11_mods */
	CK_SLOT_ID slot;
	int index;
	CK_TOKEN_INFO info;
	char label[33];
	char serial[17];
} kdbx_p11_token;
/* Exactly one token matching s, or KDBX_EDEVICE (none; lists the tokens seen)
 * / KDBX_EINVALID (several). */
int kdbx_p11__find_token(kdbx_p11_mods *m, const kdbx_p11_sel *s, kdbx_p11_token *out);
/* Calls cb for every slot with a token (index counts them); stops on cb < 0. */
int kdbx_p11__each_token(kdbx_p11_mods *m, int (*cb)(const kdbx_p11_token *t, void *ud), void *ud);

typedef struct kdbx_p11_session {
	kdbx_p11_token tok;
	CK_SESSION_HANDLE h;
	int open;
	char *pin;       /* kdbx_secure_alloc(KDBX_P11_PIN_MAX): kept for CKU_CONTEXT_SPECIFIC */
	int have_pin;
	int pinpad;
	const kdbx_interaction *ia;
} kdbx_p11_session;
#define KDBX_P11_PIN_MAX 256
int kdbx_p11__open(kdbx_p11_session *ss, const kdbx_p11_token *t, int rw);
/* User login as the token flags ask (PIN pad, callback, URI pin-value). One
 * attempt; never retried. */
int kdbx_p11__login(kdbx_p11_session *ss, const kdbx_interaction *ia, const char *uri_pin);
/* CKU_CONTEXT_SPECIFIC login after an *Init of an always-authenticate key. */
int kdbx_p11__context_login(kdbx_p11_session *ss);
void kdbx_p11__close(kdbx_p11_session *ss);
/* Maps a CK_RV to a KDBX code and sets the message "what: CKR_NAME". */
int kdbx_p11__fail(CK_RV rv, const char *what);
const char *kdbx_p11__rv_name(CK_RV rv);

/* ---- connection = modules + token + session (+ login) (pkcs11_conn.c) ---- */
typedef struct kdbx_p11_conn {
	kdbx_p11_mods mods;
	kdbx_p11_session ss;
	int loaded;
} kdbx_p11_conn;
/* Loads the module(s) of s, finds its one token, opens a session and (login
 * non-zero) logs in with the URI pin-value or ia's PIN callback. */
int kdbx_p11__connect(kdbx_p11_conn *c, const kdbx_p11_sel *s, int rw, int login,
                      const kdbx_interaction *ia);
void kdbx_p11__disconnect(kdbx_p11_conn *c);

/* ---- keys (pkcs11_key.c) ---- */
typedef struct kdbx_p11_key {
	CK_OBJECT_HANDLE h;
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE type;
	int can_sign, can_decrypt, can_derive, always_auth;
	char label[128];
	uint8_t id[64];
	size_t id_len;
	unsigned long bits; /* RSA modulus bits, EC field bits, secret bytes*8; 0 unknown */
} kdbx_p11_key;
/* Two-call C_GetAttributeValue into out (appended). KDBX_ENOTFOUND when the
 * attribute is absent or sensitive. */
int kdbx_p11__attr(kdbx_p11_session *ss, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, kdbx_buf *out);
/* Exactly one secret or private key matching s (logged in first when needed). */
int kdbx_p11__find_key(kdbx_p11_session *ss, const kdbx_p11_sel *s, kdbx_p11_key *out);
/* All keys (secret + private) visible in the session; caller frees *out. */
int kdbx_p11__list_keys(kdbx_p11_session *ss, const kdbx_p11_sel *s, kdbx_p11_key **out,
                        size_t *n);
/* "ec-p256", "rsa-2048", "hmac-secret" ... */
void kdbx_p11__key_type_str(const kdbx_p11_key *k, char *buf, size_t len);

/* ---- mechanism choice (pkcs11_mech.c; pure, unit-tested) ---- */
typedef struct kdbx_p11_mech {
	CK_MECHANISM_TYPE type;
	CK_FLAGS flags;
} kdbx_p11_mech;
/* Reads C_GetMechanismList + C_GetMechanismInfo (caller frees *out). */
int kdbx_p11__mechs(kdbx_p11_session *ss, kdbx_p11_mech **out, size_t *n);
/* KDBX_PKCS11_MECH_* for key k on a token offering mechs, honouring forced
 * (0 = auto). Negative KDBX code with an explanation when nothing fits. */
int kdbx_p11__choose(const kdbx_p11_key *k, const kdbx_p11_mech *mechs, size_t n, int forced);

/* ---- token operations (pkcs11_ops.c); outputs in secure buffers ---- */
int kdbx_p11__hmac(kdbx_p11_session *ss, const kdbx_p11_key *k, const uint8_t *data, size_t len,
                   kdbx_buf *out);
int kdbx_p11__rsa_sign(kdbx_p11_session *ss, const kdbx_p11_key *k, const uint8_t *data,
                       size_t len, kdbx_buf *out);
/* oaep_hash: 0 PKCS#1 v1.5, 1 OAEP SHA-1, 256 OAEP SHA-256. */
int kdbx_p11__rsa_decrypt(kdbx_p11_session *ss, const kdbx_p11_key *k, int oaep_hash,
                          const uint8_t *ct, size_t ctlen, kdbx_buf *out);
int kdbx_p11__ecdh(kdbx_p11_session *ss, const kdbx_p11_key *k, const uint8_t *point,
                   size_t pointlen, kdbx_buf *out);
/* DER SubjectPublicKeyInfo of the key (RSA: modulus/exponent; EC: params +
 * point of the key or of the public key object with the same CKA_ID). */
int kdbx_p11__spki(kdbx_p11_session *ss, const kdbx_p11_key *k, kdbx_buf *out);

/* ---- host side (pkcs11_host.c, OpenSSL) ---- */
int kdbx_p11__host_rsa_encrypt(const uint8_t *spki, size_t spkilen, int oaep_hash,
                               const uint8_t *pt, size_t ptlen, kdbx_buf *ct);
/* New ephemeral key on the curve of spki: eph = its uncompressed point,
 * recip = the recipient's point, shared = raw ECDH x coordinate (secure). */
int kdbx_p11__host_ecdh(const uint8_t *spki, size_t spkilen, kdbx_buf *eph, kdbx_buf *recip,
                        kdbx_buf *shared);
/* Uncompressed point of a stored EC public key. */
int kdbx_p11__host_point(const uint8_t *spki, size_t spkilen, kdbx_buf *pt);
/* 32-byte output: HKDF-SHA256(raw, salt, "libkdbx-pkcs11-v1 <mech name>"). */
int kdbx_p11__normalise(int mech, const uint8_t *raw, size_t rawlen, const uint8_t *salt,
                        size_t saltlen, uint8_t out[32]);
/* PKCS#1 v1.5 DigestInfo(SHA-256(domain || challenge)) fed to CKM_RSA_PKCS. */
int kdbx_p11__sign_input(const uint8_t *challenge, size_t len, uint8_t out[51]);

#endif
