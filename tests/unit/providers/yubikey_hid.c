/* USB HID protocol of YubiKey challenge-response, against a software model of
 * the key plugged into the state machine's function table: CRC, frames, chunk
 * sequencing, touch wait, malformed reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "providers/yubikey_proto.h"

/* ---- the software device ---- */
enum fault { F_NONE, F_BAD_CRC, F_OUT_OF_SEQ, F_DROP_PENDING, F_NO_ANSWER, F_KEY_GIVES_UP };

typedef struct model {
	uint8_t secret[20];
	uint8_t frame[KDBX_YK_FRAME];
	uint8_t resp[70];
	size_t resp_chunks, idx;
	int responding;
	int busy_reads;    /* next reads show the write flag */
	int touch_polls;   /* polls answered with 0x20 before the answer (-1: forever) */
	enum fault fault;
	uint8_t seqs[16];  /* status bytes of received chunks */
	size_t nseqs;
	int resets, frames_ok, frames_bad_crc;
	unsigned int now_ms;
	uint8_t last_cmd;
	uint16_t touch_level;
} model;

static void model_answer(model *m, const uint8_t *data, size_t n)
{
	uint16_t crc = (uint16_t)~kdbx_yk__crc16(data, n);
	size_t total = n + 2;

	memset(m->resp, 0, sizeof(m->resp));
	memcpy(m->resp, data, n);
	m->resp[n] = (uint8_t)(crc & 0xFF);
	m->resp[n + 1] = (uint8_t)(crc >> 8);
	if (m->fault == F_BAD_CRC)
		m->resp[0] ^= 1;
	m->resp_chunks = (total + 6) / 7;
	m->idx = 0;
	m->responding = 1;
}

static void model_process(model *m)
{
	uint16_t crc = kdbx_yk__crc16(m->frame, 64);

	if (m->frame[65] != (crc & 0xFF) || m->frame[66] != (crc >> 8)) {
		m->frames_bad_crc++;
		return;
	}
	m->frames_ok++;
	m->last_cmd = m->frame[64];
	if (m->frame[64] == KDBX_YK_CMD_SERIAL) {
		uint8_t s[4] = {0x00, 0xBC, 0x61, 0x4E}; /* 12345678 */
		model_answer(m, s, 4);
	} else if (m->frame[64] == KDBX_YK_CMD_CHAL_HMAC1 || m->frame[64] == KDBX_YK_CMD_CHAL_HMAC2) {
		uint8_t mac[20];
		size_t n = kdbx_yk__variable_len(m->frame);

		assert_int_equal(kdbx_hmac_sha1(m->secret, 20, m->frame, n, mac), 0);
		model_answer(m, mac, 20);
	}
}

static int model_get(void *ctx, uint8_t r[KDBX_YK_REPORT])
{
	model *m = ctx;

	memset(r, 0, KDBX_YK_REPORT);
	if (m->busy_reads > 0) {
		m->busy_reads--;
		r[7] = KDBX_YK_WRITE_FLAG;
		return 0;
	}
	if (!m->responding) {
		r[1] = 5; r[2] = 4; r[3] = 3; r[4] = 7;
		r[5] = (uint8_t)(m->touch_level & 0xFF);
		r[6] = (uint8_t)(m->touch_level >> 8);
		return 0;
	}
	if (m->fault == F_NO_ANSWER)
		return 0;
	if (m->touch_polls != 0) {
		if (m->touch_polls > 0)
			m->touch_polls--;
		r[7] = KDBX_YK_RESP_TIMEOUT_WAIT | 15;
		if (m->touch_polls == 0 && m->fault == F_KEY_GIVES_UP) {
			m->responding = 0;
			m->touch_polls = -2; /* stays "given up" */
		}
		return 0;
	}
	if (m->idx < m->resp_chunks) {
		size_t seq = m->idx;

		if (m->fault == F_DROP_PENDING && m->idx == 2) {
			r[7] = 0;
			return 0;
		}
		if (m->fault == F_OUT_OF_SEQ && m->idx == 2)
			seq = 3;
		memcpy(r, m->resp + m->idx * 7, 7);
		r[7] = (uint8_t)(KDBX_YK_RESP_PENDING | seq);
		m->idx++;
		return 0;
	}
	r[7] = KDBX_YK_RESP_PENDING; /* sequence wrapped to 0: done */
	return 0;
}

static int model_set(void *ctx, const uint8_t r[KDBX_YK_REPORT])
{
	model *m = ctx;
	uint8_t st = r[7];

	if (st == KDBX_YK_DUMMY_REPORT) {
		m->resets++;
		m->responding = 0;
		return 0;
	}
	assert_true(st & KDBX_YK_WRITE_FLAG);
	if (m->nseqs < sizeof(m->seqs))
		m->seqs[m->nseqs++] = st;
	if ((st & 0x1F) == 0)
		memset(m->frame, 0, sizeof(m->frame));
	assert_true((st & 0x1F) < 10);
	memcpy(m->frame + (st & 0x1F) * 7, r, 7);
	m->busy_reads = 1;
	if ((st & 0x1F) == 9)
		model_process(m);
	return 0;
}

static void model_sleep(void *ctx, unsigned int ms)
{
	((model *)ctx)->now_ms += ms;
}

static model M;
static kdbx_yk_hid_io IO = {model_get, model_set, model_sleep, &M};

static int touches;
static void on_touch(void *ud, const char *desc)
{
	(void)ud;
	assert_non_null(desc);
	touches++;
}
static const kdbx_interaction IA = {on_touch, NULL, NULL, NULL};

static int setup(void **state)
{
	(void)state;
	memset(&M, 0, sizeof(M));
	assert_int_equal(kdbx_hex_decode(M.secret, 20, "1ce30fd78d20dcfa40b50c18779afb0f02288db7", 40), 0);
	touches = 0;
	return 0;
}

/* ---- tests ---- */

static void test_providers_hid__crc16(void **state)
{
	uint8_t buf[22] = "123456789";
	uint16_t c;

	(void)state;
	/* CRC-16 with init 0xFFFF, reflected 0x8408, no final xor ("CRC-16/MCRF4XX"). */
	assert_int_equal(kdbx_yk__crc16(buf, 9), 0x6F91);
	assert_int_equal(kdbx_yk__crc16(buf, 0), 0xFFFF);
	/* Complemented CRC appended little-endian gives the residual. */
	c = (uint16_t)~kdbx_yk__crc16(buf, 20);
	buf[20] = (uint8_t)c;
	buf[21] = (uint8_t)(c >> 8);
	assert_int_equal(kdbx_yk__crc16(buf, 22), KDBX_YK_CRC_RESIDUAL);
}

static void test_providers_hid__frame_layout(void **state)
{
	uint8_t block[64], frame[KDBX_YK_FRAME];
	uint16_t crc;

	(void)state;
	assert_int_equal(kdbx_yk__pad((const uint8_t *)"UnitTest", 8, block), 0);
	assert_memory_equal(block, "UnitTest", 8);
	for (size_t i = 8; i < 64; i++)
		assert_int_equal(block[i], 56);
	assert_int_equal(kdbx_yk__variable_len(block), 8);
	assert_int_equal(kdbx_yk__frame(frame, KDBX_YK_CMD_CHAL_HMAC2, block, 64), 0);
	assert_memory_equal(frame, block, 64);
	assert_int_equal(frame[64], 0x38);
	crc = kdbx_yk__crc16(block, 64);
	assert_int_equal(frame[65], crc & 0xFF);
	assert_int_equal(frame[66], crc >> 8);
	assert_int_equal(frame[67] | frame[68] | frame[69], 0);
	assert_int_equal(kdbx_yk__frame(frame, 0x30, block, 65), KDBX_EINVALID);
	assert_int_equal(kdbx_yk__slot_cmd(1), 0x30);
	assert_int_equal(kdbx_yk__slot_cmd(3), 0);
}

static void test_providers_hid__hmac_roundtrip(void **state)
{
	uint8_t block[64], out[20], want[20];

	(void)state;
	assert_int_equal(kdbx_hex_decode(want, 20, "5e92434f99d3254620392e45da46f77b4661e09b", 40), 0);
	assert_int_equal(kdbx_yk__pad((const uint8_t *)"UnitTest", 8, block), 0);
	assert_int_equal(kdbx_yk__hid_hmac(&IO, 2, block, out, &IA, "test key", 15000), 0);
	assert_memory_equal(out, want, 20);
	assert_int_equal(M.last_cmd, 0x38);
	assert_int_equal(M.frames_ok, 1);
	/* All ten chunks carry data here; sequence numbers 0..9 with the write flag. */
	assert_int_equal(M.nseqs, 10);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(M.seqs[i], 0x80 | i);
	assert_int_equal(touches, 0); /* no touch prompt when the key does not wait */
	assert_true(M.resets >= 1);   /* read mode reset */
}

static void test_providers_hid__serial_skips_zero_chunks(void **state)
{
	uint32_t serial = 0;
	uint8_t v[3];
	uint16_t tl = 0;

	(void)state;
	assert_int_equal(kdbx_yk__hid_serial(&IO, &serial), 0);
	assert_int_equal(serial, 12345678);
	/* Zero payload: only the first and the last chunk are sent. */
	assert_int_equal(M.nseqs, 2);
	assert_int_equal(M.seqs[0], 0x80);
	assert_int_equal(M.seqs[1], 0x89);
	M.touch_level = KDBX_YK_CONFIG2_VALID;
	assert_int_equal(kdbx_yk__hid_status(&IO, v, &tl), 0);
	assert_int_equal(v[0], 5);
	assert_int_equal(v[2], 3);
	assert_int_equal(tl, KDBX_YK_CONFIG2_VALID);
}

static void test_providers_hid__touch_then_answer(void **state)
{
	uint8_t block[64] = {0}, out[20];

	(void)state;
	M.touch_polls = 6;
	assert_int_equal(kdbx_yk__pad((const uint8_t *)"CLITest", 7, block), 0);
	assert_int_equal(kdbx_yk__hid_hmac(&IO, 1, block, out, &IA, "k", 15000), 0);
	assert_int_equal(touches, 1); /* once, however many polls */
}

static void test_providers_hid__touch_timeout(void **state)
{
	uint8_t block[64] = {0}, out[20];

	(void)state;
	M.touch_polls = -1;
	assert_int_equal(kdbx_yk__hid_hmac(&IO, 1, block, out, &IA, "k", 3000), KDBX_ETIMEOUT);
	assert_int_equal(touches, 1);
	assert_true(M.now_ms >= 3000 && M.now_ms < 3000 + 1500);
	assert_true(M.resets >= 1);
}

static void test_providers_hid__key_gives_up(void **state)
{
	uint8_t block[64] = {0}, out[20];

	(void)state;
	M.touch_polls = 3;
	M.fault = F_KEY_GIVES_UP;
	assert_int_equal(kdbx_yk__hid_hmac(&IO, 1, block, out, &IA, "k", 60000), KDBX_ETIMEOUT);
	assert_true(M.now_ms < 2000);
}

static int cancel_now(void *ud)
{
	(void)ud;
	return 1;
}

static void test_providers_hid__cancel(void **state)
{
	uint8_t block[64] = {0}, out[20];
	kdbx_interaction ia = {on_touch, NULL, cancel_now, NULL};

	(void)state;
	M.touch_polls = -1;
	assert_int_equal(kdbx_yk__hid_hmac(&IO, 1, block, out, &ia, "k", 60000), KDBX_ECANCELLED);
}

static void test_providers_hid__malformed(void **state)
{
	uint8_t block[64] = {0}, out[20];
	enum fault faults[] = {F_BAD_CRC, F_OUT_OF_SEQ, F_DROP_PENDING, F_NO_ANSWER};

	(void)state;
	for (size_t i = 0; i < KDBX_ARRAY_LEN(faults); i++) {
		setup(NULL);
		M.fault = faults[i];
		assert_int_equal(kdbx_yk__hid_hmac(&IO, 1, block, out, &IA, "k", 15000), KDBX_EDEVICE);
		assert_true(M.resets >= 1);
		assert_int_equal(touches, 0);
	}
	/* Invalid slot. */
	assert_int_equal(kdbx_yk__hid_hmac(&IO, 3, block, out, &IA, "k", 15000), KDBX_EINVALID);
}

static int busy_forever(void *ctx, uint8_t r[KDBX_YK_REPORT])
{
	(void)ctx;
	memset(r, 0, KDBX_YK_REPORT);
	r[7] = KDBX_YK_WRITE_FLAG;
	return 0;
}

static void test_providers_hid__write_flag_stuck(void **state)
{
	kdbx_yk_hid_io io = {busy_forever, model_set, model_sleep, &M};
	uint8_t frame[KDBX_YK_FRAME];

	(void)state;
	assert_int_equal(kdbx_yk__frame(frame, 0x30, NULL, 0), 0);
	assert_int_equal(kdbx_yk__hid_write(&io, frame), KDBX_EDEVICE);
	assert_true(M.now_ms >= 1150);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_providers_hid__crc16, setup),
		cmocka_unit_test_setup(test_providers_hid__frame_layout, setup),
		cmocka_unit_test_setup(test_providers_hid__hmac_roundtrip, setup),
		cmocka_unit_test_setup(test_providers_hid__serial_skips_zero_chunks, setup),
		cmocka_unit_test_setup(test_providers_hid__touch_then_answer, setup),
		cmocka_unit_test_setup(test_providers_hid__touch_timeout, setup),
		cmocka_unit_test_setup(test_providers_hid__key_gives_up, setup),
		cmocka_unit_test_setup(test_providers_hid__cancel, setup),
		cmocka_unit_test_setup(test_providers_hid__malformed, setup),
		cmocka_unit_test_setup(test_providers_hid__write_flag_stuck, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
