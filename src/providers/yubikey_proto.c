/* YubiKey challenge-response protocol pieces shared by the PC/SC and USB HID
 * transports. Spec: ../shared/reference/keepassxc-notes.md 1.2, 2.2, 2.3
 * (KeePassXC / Yubico ykcore behaviour; written from that description). */
#include <stdlib.h>

#include "providers/yubikey_proto.h"

/* ---- challenge block ---- */

int kdbx_yk__pad(const uint8_t *chal, size_t len, uint8_t block[KDBX_YK_BLOCK])
{
	size_t pad;

	if ((chal == NULL && len > 0) || len > KDBX_YK_BLOCK)
		return kdbx_error__set(KDBX_EINVALID, "challenge longer than 64 bytes");
	pad = KDBX_YK_BLOCK - len;
	if (len > 0)
		memcpy(block, chal, len);
	/* KeePassXC pads PKCS#7-style; a key in variable-length mode ignores the
	 * pad value, but peers compare answers, so use the same bytes. */
	memset(block + len, (int)pad, pad);
	return KDBX_OK;
}

size_t kdbx_yk__variable_len(const uint8_t block[KDBX_YK_BLOCK])
{
	size_t n = KDBX_YK_BLOCK;
	uint8_t last = block[KDBX_YK_BLOCK - 1];

	/* The key strips every trailing byte equal to the last one, not "pad
	 * value" bytes: a seed ending in 0x20 loses those bytes too. */
	while (n > 0 && block[n - 1] == last)
		n--;
	return n;
}

uint8_t kdbx_yk__slot_cmd(int slot)
{
	if (slot == 1)
		return KDBX_YK_CMD_CHAL_HMAC1;
	if (slot == 2)
		return KDBX_YK_CMD_CHAL_HMAC2;
	return 0;
}

unsigned int kdbx_yk__touch_timeout_env(void)
{
	const char *s = getenv("KDBX_YUBIKEY_TOUCH_TIMEOUT_MS");
	char *end = NULL;
	unsigned long v;

	if (s == NULL || *s == '\0')
		return KDBX_YK_TOUCH_TIMEOUT_DEFAULT;
	v = strtoul(s, &end, 10);
	if (end == NULL || *end != '\0' || v < 100 || v > 600000)
		return KDBX_YK_TOUCH_TIMEOUT_DEFAULT;
	return (unsigned int)v;
}

/* ---- CRC ---- */

uint16_t kdbx_yk__crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xFFFF;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
	}
	return crc;
}

/* ---- HID frames ---- */

int kdbx_yk__frame(uint8_t frame[KDBX_YK_FRAME], uint8_t cmd, const uint8_t *payload, size_t len)
{
	uint16_t crc;

	if ((payload == NULL && len > 0) || len > KDBX_YK_BLOCK)
		return kdbx_error__set(KDBX_EINVALID, "frame payload longer than 64 bytes");
	memset(frame, 0, KDBX_YK_FRAME);
	if (len > 0)
		memcpy(frame, payload, len);
	frame[KDBX_YK_BLOCK] = cmd;
	crc = kdbx_yk__crc16(frame, KDBX_YK_BLOCK);
	frame[KDBX_YK_BLOCK + 1] = (uint8_t)(crc & 0xFF);
	frame[KDBX_YK_BLOCK + 2] = (uint8_t)(crc >> 8);
	return KDBX_OK;
}

static int io_cancelled(const kdbx_interaction *ia)
{
	return ia != NULL && ia->cancelled != NULL && ia->cancelled(ia->userdata) != 0;
}

static void io_touch(const kdbx_interaction *ia, const char *desc)
{
	if (ia != NULL && ia->touch != NULL)
		ia->touch(ia->userdata, desc != NULL ? desc : "hardware key");
}

/* Tells the key to leave read mode (ykcore's "force key update"). */
static void hid_reset(const kdbx_yk_hid_io *io)
{
	uint8_t r[KDBX_YK_REPORT] = {0};

	r[KDBX_YK_REPORT - 1] = KDBX_YK_DUMMY_REPORT;
	(void)io->set_feature_report(io->ctx, r);
}

/* Polls until the write flag is clear (the key consumed the previous chunk). */
static int hid_wait_writable(const kdbx_yk_hid_io *io)
{
	uint8_t r[KDBX_YK_REPORT];
	unsigned int waited = 0, step = 1;
	int rc;

	for (;;) {
		rc = io->get_feature_report(io->ctx, r);
		if (rc < 0)
			return rc;
		if ((r[KDBX_YK_REPORT - 1] & KDBX_YK_WRITE_FLAG) == 0)
			return KDBX_OK;
		if (waited >= 1150)
			return kdbx_error__set(KDBX_EDEVICE, "hardware key did not accept data");
		io->sleep_ms(io->ctx, step);
		waited += step;
		step = step * 2 > 100 ? 100 : step * 2;
	}
}

int kdbx_yk__hid_write(const kdbx_yk_hid_io *io, const uint8_t frame[KDBX_YK_FRAME])
{
	uint8_t r[KDBX_YK_REPORT];
	const size_t chunk = KDBX_YK_REPORT - 1;
	const size_t nchunks = KDBX_YK_FRAME / chunk;
	int rc;

	for (size_t seq = 0; seq < nchunks; seq++) {
		int zero = 1;

		memcpy(r, frame + seq * chunk, chunk);
		for (size_t i = 0; i < chunk; i++)
			if (r[i] != 0)
				zero = 0;
		/* The key zero-fills skipped chunks; first and last must be sent. */
		if (zero && seq > 0 && seq < nchunks - 1)
			continue;
		r[chunk] = (uint8_t)(seq | KDBX_YK_WRITE_FLAG);
		rc = hid_wait_writable(io);
		if (rc < 0)
			return rc;
		rc = io->set_feature_report(io->ctx, r);
		if (rc < 0)
			return rc;
	}
	return KDBX_OK;
}

int kdbx_yk__hid_read(const kdbx_yk_hid_io *io, uint8_t *out, size_t expect,
                      const kdbx_interaction *ia, const char *desc, unsigned int touch_timeout_ms)
{
	uint8_t r[KDBX_YK_REPORT];
	uint8_t buf[70];
	const size_t chunk = KDBX_YK_REPORT - 1;
	size_t want = expect + 2, got = 0;
	unsigned int elapsed = 0, deadline = 1000, step = 1;
	int touched = 0, rc = KDBX_OK;
	uint8_t st;

	want = (want + chunk - 1) / chunk * chunk;
	if (want > sizeof(buf))
		return kdbx_error__set(KDBX_EINVALID, "response too long");

	/* Phase 1: wait until the key has a response (or asks for a touch). */
	for (;;) {
		rc = io->get_feature_report(io->ctx, r);
		if (rc < 0)
			goto out;
		st = r[KDBX_YK_REPORT - 1];
		if (st & KDBX_YK_RESP_PENDING)
			break;
		if (st & KDBX_YK_RESP_TIMEOUT_WAIT) {
			if (!touched) {
				touched = 1;
				io_touch(ia, desc);
				deadline = elapsed + touch_timeout_ms;
			}
		} else if (touched) {
			/* The key gave up waiting for its button itself. */
			rc = kdbx_error__set(KDBX_ETIMEOUT, "hardware key was not touched in time");
			goto out;
		}
		if (io_cancelled(ia)) {
			rc = kdbx_error__set(KDBX_ECANCELLED, "cancelled while waiting for the hardware key");
			goto out;
		}
		if (elapsed >= deadline) {
			rc = touched ? kdbx_error__set(KDBX_ETIMEOUT, "hardware key was not touched in time")
			             : kdbx_error__set(KDBX_EDEVICE, "hardware key did not answer");
			goto out;
		}
		io->sleep_ms(io->ctx, step);
		elapsed += step;
		step = step * 2 > 250 ? 250 : step * 2;
	}

	/* Phase 2: 7-byte chunks with sequence 0, 1, 2 ... until it wraps to 0. */
	for (;;) {
		if ((st & KDBX_YK_SEQ_MASK) != got / chunk) {
			rc = kdbx_error__set(KDBX_EDEVICE, "hardware key sent an out-of-sequence report");
			goto out;
		}
		if (got + chunk > want) {
			rc = kdbx_error__set(KDBX_EDEVICE, "hardware key response has the wrong size");
			goto out;
		}
		memcpy(buf + got, r, chunk);
		got += chunk;
		rc = io->get_feature_report(io->ctx, r);
		if (rc < 0)
			goto out;
		st = r[KDBX_YK_REPORT - 1];
		if (!(st & KDBX_YK_RESP_PENDING)) {
			rc = kdbx_error__set(KDBX_EDEVICE, "hardware key aborted its response");
			goto out;
		}
		if ((st & KDBX_YK_SEQ_MASK) == 0)
			break;
	}
	if (got != want) {
		rc = kdbx_error__set(KDBX_EDEVICE, "hardware key response has the wrong size");
		goto out;
	}
	if (kdbx_yk__crc16(buf, expect + 2) != KDBX_YK_CRC_RESIDUAL) {
		rc = kdbx_error__set(KDBX_EDEVICE, "hardware key response failed its CRC check");
		goto out;
	}
	memcpy(out, buf, expect);
	rc = KDBX_OK;
out:
	hid_reset(io);
	kdbx_memzero(buf, sizeof(buf));
	kdbx_memzero(r, sizeof(r));
	return rc;
}

int kdbx_yk__hid_hmac(const kdbx_yk_hid_io *io, int slot, const uint8_t block[KDBX_YK_BLOCK],
                      uint8_t out[KDBX_YK_RESP], const kdbx_interaction *ia, const char *desc,
                      unsigned int touch_timeout_ms)
{
	uint8_t frame[KDBX_YK_FRAME];
	uint8_t cmd = kdbx_yk__slot_cmd(slot);
	int rc;

	if (cmd == 0)
		return kdbx_error__set(KDBX_EINVALID, "slot must be 1 or 2");
	rc = kdbx_yk__frame(frame, cmd, block, KDBX_YK_BLOCK);
	if (rc == KDBX_OK)
		rc = kdbx_yk__hid_write(io, frame);
	kdbx_memzero(frame, sizeof(frame));
	if (rc < 0)
		return rc;
	return kdbx_yk__hid_read(io, out, KDBX_YK_RESP, ia, desc, touch_timeout_ms);
}

int kdbx_yk__hid_serial(const kdbx_yk_hid_io *io, uint32_t *serial)
{
	uint8_t frame[KDBX_YK_FRAME], b[4];
	int rc;

	rc = kdbx_yk__frame(frame, KDBX_YK_CMD_SERIAL, NULL, 0);
	if (rc == KDBX_OK)
		rc = kdbx_yk__hid_write(io, frame);
	if (rc == KDBX_OK)
		rc = kdbx_yk__hid_read(io, b, sizeof(b), NULL, NULL, 0);
	if (rc < 0)
		return rc;
	*serial = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
	return KDBX_OK;
}

int kdbx_yk__hid_status(const kdbx_yk_hid_io *io, uint8_t version[3], uint16_t *touch_level)
{
	uint8_t r[KDBX_YK_REPORT];
	int rc = io->get_feature_report(io->ctx, r);

	if (rc < 0)
		return rc;
	/* Status record: reserved, major, minor, build, pgmSeq, touchLevel LE16. */
	memcpy(version, r + 1, 3);
	*touch_level = (uint16_t)(r[5] | (r[6] << 8));
	return KDBX_OK;
}

/* ---- PC/SC APDUs ---- */

int kdbx_yk__sw_error(uint16_t sw)
{
	if (sw == 0x9000)
		return KDBX_OK;
	if (sw == 0x6985)
		return KDBX_ETIMEOUT;
	if (sw == 0x6A82 || (sw >> 8) == 0x6D)
		return KDBX_ENOSLOT;
	return KDBX_EDEVICE;
}

int kdbx_yk__apdu(const kdbx_yk_apdu_io *io, const uint8_t *apdu, size_t n, uint8_t *out,
                  size_t *out_len, uint16_t *sw)
{
	uint8_t resp[258];
	uint8_t getresp[5] = {0x00, 0xC0, 0x00, 0x00, 0x00};
	size_t cap = *out_len, have = 0, rlen;
	int rc;

	*out_len = 0;
	for (int round = 0; round < 16; round++) {
		rlen = sizeof(resp);
		rc = round == 0 ? io->transmit(io->ctx, apdu, n, resp, &rlen)
		                : io->transmit(io->ctx, getresp, sizeof(getresp), resp, &rlen);
		if (rc < 0)
			goto out;
		if (rlen < 2 || rlen > sizeof(resp)) {
			rc = kdbx_error__set(KDBX_EDEVICE, "malformed answer from the card");
			goto out;
		}
		if (have + rlen - 2 > cap) {
			rc = kdbx_error__set(KDBX_EDEVICE, "answer from the card is too long");
			goto out;
		}
		memcpy(out + have, resp, rlen - 2);
		have += rlen - 2;
		*sw = (uint16_t)((resp[rlen - 2] << 8) | resp[rlen - 1]);
		if (resp[rlen - 2] != 0x61) {
			*out_len = have;
			rc = KDBX_OK;
			goto out;
		}
		/* 61xx: xx more bytes wait for GET RESPONSE (00 means 256). */
		getresp[4] = resp[rlen - 1];
	}
	rc = kdbx_error__set(KDBX_EDEVICE, "card kept announcing more data");
out:
	kdbx_memzero(resp, sizeof(resp));
	return rc;
}

static const uint8_t yk_aids[][12] = {
	/* length, AID: Yubico OTP applet, Yubico OATH (Nitrokey 3 secrets app), Fidesmo */
	{7, 0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01},
	{7, 0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01},
	{11, 0xA0, 0x00, 0x00, 0x06, 0x17, 0x00, 0x07, 0x53, 0x4E, 0xAF, 0x01},
};
static const char *const yk_aid_models[] = {"YubiKey", "Nitrokey 3", "Fidesmo"};

int kdbx_yk__apdu_select(const kdbx_yk_apdu_io *io, uint8_t version[3], uint16_t *touch_level,
                         const char **model)
{
	uint8_t apdu[5 + 11], data[64];
	size_t dlen;
	uint16_t sw = 0;
	int rc;

	for (size_t i = 0; i < KDBX_ARRAY_LEN(yk_aids); i++) {
		size_t alen = yk_aids[i][0];

		apdu[0] = 0x00;
		apdu[1] = 0xA4;
		apdu[2] = 0x04;
		apdu[3] = 0x00;
		apdu[4] = (uint8_t)alen;
		memcpy(apdu + 5, yk_aids[i] + 1, alen);
		dlen = sizeof(data);
		rc = kdbx_yk__apdu(io, apdu, 5 + alen, data, &dlen, &sw);
		if (rc < 0)
			return rc;
		if (sw != 0x9000)
			continue;
		if (version != NULL) {
			memset(version, 0, 3);
			if (dlen >= 3)
				memcpy(version, data, 3);
		}
		if (touch_level != NULL)
			*touch_level = dlen >= 6 ? (uint16_t)(data[4] | (data[5] << 8)) : 0;
		if (model != NULL)
			*model = yk_aid_models[i];
		return KDBX_OK;
	}
	return kdbx_error__set(KDBX_ENOTFOUND, "no challenge-response applet on this card");
}

int kdbx_yk__apdu_serial(const kdbx_yk_apdu_io *io, uint32_t *serial)
{
	static const uint8_t apdu[5] = {0x00, 0x01, KDBX_YK_CMD_SERIAL, 0x00, 0x06};
	uint8_t d[16];
	size_t dlen = sizeof(d);
	uint16_t sw = 0;
	int rc = kdbx_yk__apdu(io, apdu, sizeof(apdu), d, &dlen, &sw);

	if (rc < 0)
		return rc;
	if (sw != 0x9000 || dlen < 4)
		return kdbx_error__set(KDBX_EDEVICE, "hardware key did not report its serial (SW %04X)", sw);
	*serial = ((uint32_t)d[0] << 24) | ((uint32_t)d[1] << 16) | ((uint32_t)d[2] << 8) | d[3];
	return KDBX_OK;
}

int kdbx_yk__apdu_hmac(const kdbx_yk_apdu_io *io, int slot, const uint8_t block[KDBX_YK_BLOCK],
                       uint8_t out[KDBX_YK_RESP], const kdbx_interaction *ia, const char *desc,
                       unsigned int touch_timeout_ms)
{
	uint8_t apdu[5 + KDBX_YK_BLOCK], d[64];
	uint8_t cmd = kdbx_yk__slot_cmd(slot);
	unsigned int elapsed = 0;
	int touched = 0, rc;
	uint16_t sw = 0;
	size_t dlen;

	if (cmd == 0)
		return kdbx_error__set(KDBX_EINVALID, "slot must be 1 or 2");
	apdu[0] = 0x00;
	apdu[1] = 0x01;
	apdu[2] = cmd;
	apdu[3] = 0x00;
	apdu[4] = KDBX_YK_BLOCK;
	memcpy(apdu + 5, block, KDBX_YK_BLOCK);
	for (;;) {
		dlen = sizeof(d);
		rc = kdbx_yk__apdu(io, apdu, sizeof(apdu), d, &dlen, &sw);
		if (rc < 0)
			goto out;
		if (sw == 0x9000) {
			/* KeePassXC treats any other length as "slot not configured". */
			if (dlen != KDBX_YK_RESP) {
				rc = kdbx_error__set(KDBX_ENOSLOT, "slot %d of the hardware key is not "
				                     "configured for challenge-response", slot);
				goto out;
			}
			memcpy(out, d, KDBX_YK_RESP);
			rc = KDBX_OK;
			goto out;
		}
		rc = kdbx_yk__sw_error(sw);
		if (rc == KDBX_ENOSLOT) {
			rc = kdbx_error__set(KDBX_ENOSLOT, "slot %d of the hardware key is not "
			                     "configured for challenge-response", slot);
			goto out;
		}
		if (rc != KDBX_ETIMEOUT) {
			rc = kdbx_error__set(KDBX_EDEVICE, "hardware key refused the challenge (SW %04X)", sw);
			goto out;
		}
		/* 6985: the key waits for its button (or is locked). */
		if (!touched) {
			touched = 1;
			io_touch(ia, desc);
		}
		if (io_cancelled(ia)) {
			rc = kdbx_error__set(KDBX_ECANCELLED, "cancelled while waiting for the hardware key");
			goto out;
		}
		if (elapsed >= touch_timeout_ms) {
			rc = kdbx_error__set(KDBX_ETIMEOUT, "hardware key was not touched in time");
			goto out;
		}
		io->sleep_ms(io->ctx, 250);
		elapsed += 250;
	}
out:
	kdbx_memzero(apdu, sizeof(apdu));
	kdbx_memzero(d, sizeof(d));
	return rc;
}

kdbx_yubikey_info *kdbx_yk__list_add(kdbx_yubikey_info **list, size_t *count)
{
	kdbx_yubikey_info *n = realloc(*list, (*count + 1) * sizeof(**list));

	if (n == NULL)
		return NULL;
	*list = n;
	memset(&n[*count], 0, sizeof(n[*count]));
	n[*count].touch[0] = n[*count].touch[1] = -1;
	return &n[(*count)++];
}
