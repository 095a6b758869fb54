/* Transport-independent YubiKey OTP-applet / HID challenge-response protocol.
 * Spec: ../shared/reference/keepassxc-notes.md 1.2 (padding), 2.2 (USB HID
 * frames, CRC, chunking, polling), 2.3 (PC/SC APDUs, status words). */
#ifndef KDBX_PROVIDERS_YUBIKEY_PROTO_H
#define KDBX_PROVIDERS_YUBIKEY_PROTO_H

#include "core/core.h"
#include "kdbx/provider.h"
#include "kdbx/yubikey.h"

#define KDBX_YK_BLOCK 64         /* challenge block size */
#define KDBX_YK_RESP 20          /* HMAC-SHA1 response */
#define KDBX_YK_FRAME 70         /* payload 64 + slot 1 + crc 2 + filler 3 */
#define KDBX_YK_REPORT 8         /* feature report: 7 data bytes + status/sequence */
#define KDBX_YK_CRC_RESIDUAL 0xF0B8u

/* Commands (slot byte of a frame, P1 of an APDU). */
#define KDBX_YK_CMD_CHAL_HMAC1 0x30
#define KDBX_YK_CMD_CHAL_HMAC2 0x38
#define KDBX_YK_CMD_SERIAL 0x10

/* Status byte flags of a feature report. */
#define KDBX_YK_WRITE_FLAG 0x80
#define KDBX_YK_RESP_PENDING 0x40
#define KDBX_YK_RESP_TIMEOUT_WAIT 0x20
#define KDBX_YK_SEQ_MASK 0x1F
#define KDBX_YK_DUMMY_REPORT 0x8F

/* touchLevel bits of the status record. */
#define KDBX_YK_CONFIG1_VALID 0x01
#define KDBX_YK_CONFIG2_VALID 0x02
#define KDBX_YK_CONFIG1_TOUCH 0x04
#define KDBX_YK_CONFIG2_TOUCH 0x08

#define KDBX_YK_TOUCH_TIMEOUT_DEFAULT 15000u

/* ---- challenge block ---- */
/* PKCS#7-style padding to 64 bytes (KeePassXC): len <= 64, else KDBX_EINVALID. */
int kdbx_yk__pad(const uint8_t *chal, size_t len, uint8_t block[KDBX_YK_BLOCK]);
/* Bytes a key in variable-length mode HMACs: the block without its trailing
 * run of bytes equal to the last byte. */
size_t kdbx_yk__variable_len(const uint8_t block[KDBX_YK_BLOCK]);
/* 1 -> 0x30, 2 -> 0x38, else 0. */
uint8_t kdbx_yk__slot_cmd(int slot);
/* Touch timeout from KDBX_YUBIKEY_TOUCH_TIMEOUT_MS or the default. */
unsigned int kdbx_yk__touch_timeout_env(void);

/* ---- CRC-16 (init 0xFFFF, reflected poly 0x8408, not complemented) ---- */
uint16_t kdbx_yk__crc16(const uint8_t *p, size_t n);

/* ---- USB HID frame and feature-report state machine ---- */
/* Builds the 70-byte frame: payload (zero-padded), cmd, CRC16(payload) LE, filler. */
int kdbx_yk__frame(uint8_t frame[KDBX_YK_FRAME], uint8_t cmd, const uint8_t *payload, size_t len);

/* How the state machine reaches the device (libusb, or a software model in
 * tests). Return 0 or a negative KDBX_E* code. */
typedef struct kdbx_yk_hid_io {
	int (*get_feature_report)(void *ctx, uint8_t report[KDBX_YK_REPORT]);
	int (*set_feature_report)(void *ctx, const uint8_t report[KDBX_YK_REPORT]);
	void (*sleep_ms)(void *ctx, unsigned int ms);
	void *ctx;
} kdbx_yk_hid_io;

/* Sends a frame as up to 10 chunks of 7 bytes (sequence | 0x80; all-zero
 * middle chunks skipped), waiting for the key to clear 0x80 before each. */
int kdbx_yk__hid_write(const kdbx_yk_hid_io *io, const uint8_t frame[KDBX_YK_FRAME]);
/* Reads a response of expect bytes (+ CRC, checked against the residual).
 * While the key shows 0x20 (waiting for touch) the interaction touch
 * callback is called once and the wait is extended up to touch_timeout_ms;
 * then KDBX_ETIMEOUT. The key's read mode is always reset (0x8F report). */
int kdbx_yk__hid_read(const kdbx_yk_hid_io *io, uint8_t *out, size_t expect,
                      const kdbx_interaction *ia, const char *desc, unsigned int touch_timeout_ms);
/* Full HMAC-SHA1 exchange; block = padded challenge. */
int kdbx_yk__hid_hmac(const kdbx_yk_hid_io *io, int slot, const uint8_t block[KDBX_YK_BLOCK],
                      uint8_t out[KDBX_YK_RESP], const kdbx_interaction *ia, const char *desc,
                      unsigned int touch_timeout_ms);
int kdbx_yk__hid_serial(const kdbx_yk_hid_io *io, uint32_t *serial);
/* version[3], touch_level from a plain status report. */
int kdbx_yk__hid_status(const kdbx_yk_hid_io *io, uint8_t version[3], uint16_t *touch_level);

/* ---- PC/SC (ISO 7816 APDUs to the OTP applet) ---- */
typedef struct kdbx_yk_apdu_io {
	/* Sends apdu, receives up to *resp_len bytes (data + SW1 SW2). */
	int (*transmit)(void *ctx, const uint8_t *apdu, size_t n, uint8_t *resp, size_t *resp_len);
	void (*sleep_ms)(void *ctx, unsigned int ms);
	void *ctx;
} kdbx_yk_apdu_io;

/* Maps a status word to 0 or a KDBX_E* code: 9000 ok, 6985 KDBX_ETIMEOUT
 * (touch needed / timed out), 6A82 and 6Dxx KDBX_ENOSLOT, else KDBX_EDEVICE.
 * Sets no error message. */
int kdbx_yk__sw_error(uint16_t sw);
/* Sends apdu, follows 61xx with GET RESPONSE, returns data (without SW) in
 * out (capacity *out_len) and the final SW. */
int kdbx_yk__apdu(const kdbx_yk_apdu_io *io, const uint8_t *apdu, size_t n, uint8_t *out,
                  size_t *out_len, uint16_t *sw);
/* SELECTs the OTP applet (three AIDs in KeePassXC's order). On success the
 * optional outputs get the status record (version, touch level) and the
 * model guessed from the AID. KDBX_ENOTFOUND when no AID answers 9000. */
int kdbx_yk__apdu_select(const kdbx_yk_apdu_io *io, uint8_t version[3], uint16_t *touch_level,
                         const char **model);
int kdbx_yk__apdu_serial(const kdbx_yk_apdu_io *io, uint32_t *serial);
/* HMAC with 6985 handling: touch callback once, retry every 250 ms until
 * touch_timeout_ms -> KDBX_ETIMEOUT. Exactly 20 bytes + 9000, else KDBX_ENOSLOT. */
int kdbx_yk__apdu_hmac(const kdbx_yk_apdu_io *io, int slot, const uint8_t block[KDBX_YK_BLOCK],
                       uint8_t out[KDBX_YK_RESP], const kdbx_interaction *ia, const char *desc,
                       unsigned int touch_timeout_ms);

/* ---- transports (yubikey_pcsc.c, yubikey_hid.c) ---- */
/* Appends connected keys to *list (realloc'd array of *count items). */
int kdbx_yk__pcsc_list(kdbx_yubikey_info **list, size_t *count);
int kdbx_yk__pcsc_hmac(uint32_t serial, int slot, const uint8_t block[KDBX_YK_BLOCK],
                       uint8_t out[KDBX_YK_RESP], const kdbx_interaction *ia,
                       unsigned int touch_timeout_ms);
int kdbx_yk__hid_list(kdbx_yubikey_info **list, size_t *count);
int kdbx_yk__usb_hmac(uint32_t serial, int slot, const uint8_t block[KDBX_YK_BLOCK],
                      uint8_t out[KDBX_YK_RESP], const kdbx_interaction *ia,
                      unsigned int touch_timeout_ms);
/* Grows *list by one zeroed item (touch = -1) and returns it, or NULL. */
kdbx_yubikey_info *kdbx_yk__list_add(kdbx_yubikey_info **list, size_t *count);

#endif
