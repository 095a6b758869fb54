/* KeePassXC-compatible challenge-response keys: YubiKey / OnlyKey / Nitrokey 3
 * HMAC-SHA1 (PC/SC and USB HID) and the software key ("soft key") that computes
 * the same answers from a known secret (recovery, tests).
 * Protocol: docs/hardware-keys.md; ../shared/reference/keepassxc-notes.md 1.2, 2. */
#ifndef KDBX_YUBIKEY_H
#define KDBX_YUBIKEY_H

#include "common.h"
#include "provider.h"

#define KDBX_SOFTKEY_SHA1 1   /* 20-byte answers, what a YubiKey slot computes */
#define KDBX_SOFTKEY_SHA256 2 /* 32-byte answers */

/* Soft key: answers HMAC(secret, challenge) exactly as a YubiKey slot in
 * variable-length mode does: the challenge is padded to 64 bytes PKCS#7-style
 * (64 - len bytes of value 64 - len) and the HMAC input is that block with its
 * trailing run of bytes equal to the last byte stripped (normally the raw
 * challenge). Challenges longer than 64 bytes -> KDBX_EINVALID.
 *
 * Secret file format: if the content, ignoring leading and trailing ASCII
 * whitespace, is an even number (>= 2) of hex digits, it is hex text (what
 * ykman / ykpersonalize print, e.g. "1ce30fd7...02288db7\n"); otherwise the
 * whole content is the raw secret. 1..1024 bytes. The secret is never taken
 * from a command-line argument: pass a file path or an open descriptor (a
 * pipe works: the descriptor is read to its end but not closed).
 * Expected codes: KDBX_EIO (file unreadable), KDBX_EINVALID (bad hash or empty
 * secret). */
KDBX_EXTERN int kdbx_softkey_new(kdbx_provider **out, int hash, const char *secret_file);
KDBX_EXTERN int kdbx_softkey_new_fd(kdbx_provider **out, int hash, int fd);
/* Secret given as bytes (copied into locked memory). */
KDBX_EXTERN int kdbx_softkey_new_secret(kdbx_provider **out, int hash, const uint8_t *secret,
                                        size_t len);

/* One connected challenge-response key. */
typedef struct kdbx_yubikey_info {
	uint32_t serial;      /* 0 when the key hides it (serial-api-visible off) */
	uint8_t version[3];   /* firmware major, minor, build; 0.0.0 when unknown */
	unsigned int slots;   /* bit 0: slot 1 configured, bit 1: slot 2 configured */
	int touch[2];         /* per slot: 1 touch required, 0 not required, -1 unknown */
	char transport[8];    /* "pcsc" or "usb" */
	char reader[128];     /* PC/SC reader name, or "usb:BUS:ADDR" */
	char model[32];       /* "YubiKey", "OnlyKey", "Nitrokey 3", "Fidesmo", ... */
} kdbx_yubikey_info;

/* Lists the keys connected now (USB first, then PC/SC readers; a key seen on
 * both is listed once, by its USB entry). No key -> KDBX_OK with *count 0.
 * @param[out] out array of *count items, free with kdbx_yubikey_list_free. */
KDBX_EXTERN int kdbx_yubikey_list(kdbx_yubikey_info **out, size_t *count);
KDBX_EXTERN void kdbx_yubikey_list_free(kdbx_yubikey_info **list);

/* A provider answering with HMAC-SHA1 slot 1 or 2 of the key with this serial
 * (serial 0: the only key present; several keys -> KDBX_EDEVICE whose message
 * lists their serials). The device is looked up again on every challenge, so a
 * key removed later gives KDBX_EDEVICE then. cb (copied, may be NULL): touch is
 * called once when the key actually waits for a touch; cancelled is polled.
 * Touch timeout: 15 s, or KDBX_YUBIKEY_TOUCH_TIMEOUT_MS from the environment
 * (100..600000), or kdbx_yubikey_set_touch_timeout.
 * Expected codes: KDBX_EDEVICE (no such key), KDBX_EINVALID (slot not 1/2). */
KDBX_EXTERN int kdbx_yubikey_new(kdbx_provider **out, int slot, uint32_t serial,
                                 const kdbx_interaction *cb);
/* Bounds the wait for a touch (milliseconds, 100..600000). */
KDBX_EXTERN int kdbx_yubikey_set_touch_timeout(kdbx_provider *p, unsigned int ms);

#endif
