/* PC/SC side of YubiKey challenge-response: APDU bytes, status-word mapping,
 * GET RESPONSE chaining and the touch retry loop, against a fake card. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "providers/yubikey_proto.h"

typedef struct card {
	int aid_ok;          /* index of the AID that selects (-1: none) */
	int touch_left;      /* 6985 answers before the HMAC (-1: forever) */
	uint16_t hmac_sw;    /* forced SW for HMAC (0: normal) */
	size_t hmac_len;     /* response length (20 normally) */
	int chain;           /* answer HMAC through 61xx + GET RESPONSE */
	int fail_transmit;   /* transport error (card gone) */
	uint8_t pending[64];
	size_t npending;
	uint8_t last_apdu[80];
	size_t last_len, ncmds, nselect;
	unsigned int now_ms;
	uint8_t secret[20];
} card;

static void put_sw(uint8_t *resp, size_t *len, size_t n, uint16_t sw)
{
	resp[n] = (uint8_t)(sw >> 8);
	resp[n + 1] = (uint8_t)sw;
	*len = n + 2;
}

static int card_transmit(void *ctx, const uint8_t *a, size_t n, uint8_t *resp, size_t *rlen)
{
	static const uint8_t aids[3][4] = {{0x05, 0x27, 0x20, 0x01}, {0x05, 0x27, 0x21, 0x01},
	                                   {0x06, 0x17, 0x00, 0x07}};
	card *c = ctx;

	c->ncmds++;
	assert_true(n <= sizeof(c->last_apdu));
	memcpy(c->last_apdu, a, n);
	c->last_len = n;
	if (c->fail_transmit)
		return kdbx_error__set(KDBX_EDEVICE, "card removed");
	if (a[1] == 0xA4) {
		c->nselect++;
		assert_int_equal(a[0], 0x00);
		assert_int_equal(a[2], 0x04);
		assert_int_equal(a[4], n - 5);
		assert_int_equal(a[5], 0xA0);
		if (c->aid_ok >= 0 && memcmp(a + 8, aids[c->aid_ok], 4) == 0) {
			uint8_t st[6] = {5, 4, 3, 9, KDBX_YK_CONFIG2_VALID | KDBX_YK_CONFIG2_TOUCH, 0};
			memcpy(resp, st, 6);
			put_sw(resp, rlen, 6, 0x9000);
		} else {
			put_sw(resp, rlen, 0, 0x6A82);
		}
		return 0;
	}
	if (a[1] == 0xC0) {
		size_t k = a[4] < c->npending ? a[4] : c->npending;
		memcpy(resp, c->pending, k);
		memmove(c->pending, c->pending + k, c->npending - k);
		c->npending -= k;
		put_sw(resp, rlen, k, c->npending > 0 ? (uint16_t)(0x6100 | c->npending) : 0x9000);
		return 0;
	}
	if (a[1] == 0x01 && a[2] == 0x10) {
		uint8_t s[4] = {0x01, 0x02, 0x03, 0x04};
		memcpy(resp, s, 4);
		put_sw(resp, rlen, 4, 0x9000);
		return 0;
	}
	if (a[1] == 0x01 && (a[2] == 0x30 || a[2] == 0x38)) {
		uint8_t mac[20];

		assert_int_equal(n, 69);
		assert_int_equal(a[4], 0x40);
		if (c->hmac_sw != 0) {
			put_sw(resp, rlen, 0, c->hmac_sw);
			return 0;
		}
		if (c->touch_left != 0) {
			if (c->touch_left > 0)
				c->touch_left--;
			put_sw(resp, rlen, 0, 0x6985);
			return 0;
		}
		assert_int_equal(kdbx_hmac_sha1(c->secret, 20, a + 5, kdbx_yk__variable_len(a + 5), mac), 0);
		if (c->chain) {
			memcpy(resp, mac, 8);
			memcpy(c->pending, mac + 8, 12);
			c->npending = 12;
			put_sw(resp, rlen, 8, 0x610C);
			return 0;
		}
		memcpy(resp, mac, c->hmac_len);
		put_sw(resp, rlen, c->hmac_len, 0x9000);
		return 0;
	}
	put_sw(resp, rlen, 0, 0x6D00);
	return 0;
}

static void card_sleep(void *ctx, unsigned int ms)
{
	((card *)ctx)->now_ms += ms;
}

static card C;
static kdbx_yk_apdu_io IO = {card_transmit, card_sleep, &C};
static int touches;
static void on_touch(void *ud, const char *d)
{
	(void)ud;
	(void)d;
	touches++;
}
static const kdbx_interaction IA = {on_touch, NULL, NULL, NULL};

static int setup(void **state)
{
	(void)state;
	memset(&C, 0, sizeof(C));
	C.hmac_len = 20;
	assert_int_equal(kdbx_hex_decode(C.secret, 20, "1ce30fd78d20dcfa40b50c18779afb0f02288db7", 40), 0);
	touches = 0;
	return 0;
}

static void unit_test_block(uint8_t block[64])
{
	assert_int_equal(kdbx_yk__pad((const uint8_t *)"UnitTest", 8, block), 0);
}

static void test_providers_apdu__sw_mapping(void **state)
{
	(void)state;
	assert_int_equal(kdbx_yk__sw_error(0x9000), KDBX_OK);
	assert_int_equal(kdbx_yk__sw_error(0x6985), KDBX_ETIMEOUT);
	assert_int_equal(kdbx_yk__sw_error(0x6A82), KDBX_ENOSLOT);
	assert_int_equal(kdbx_yk__sw_error(0x6D00), KDBX_ENOSLOT);
	assert_int_equal(kdbx_yk__sw_error(0x6F00), KDBX_EDEVICE);
	assert_int_equal(kdbx_yk__sw_error(0x6A80), KDBX_EDEVICE);
}

static void test_providers_apdu__select_order(void **state)
{
	uint8_t v[3];
	uint16_t tl = 0;
	const char *model = NULL;
	uint32_t serial = 0;

	(void)state;
	C.aid_ok = 1; /* only the OATH AID (Nitrokey 3) answers */
	assert_int_equal(kdbx_yk__apdu_select(&IO, v, &tl, &model), 0);
	assert_int_equal(C.nselect, 2);
	assert_string_equal(model, "Nitrokey 3");
	assert_int_equal(v[0], 5);
	assert_int_equal(tl, KDBX_YK_CONFIG2_VALID | KDBX_YK_CONFIG2_TOUCH);

	setup(NULL);
	C.aid_ok = 2;
	assert_int_equal(kdbx_yk__apdu_select(&IO, NULL, NULL, &model), 0);
	assert_int_equal(C.last_len, 5 + 11);
	assert_string_equal(model, "Fidesmo");

	setup(NULL);
	C.aid_ok = -1;
	assert_int_equal(kdbx_yk__apdu_select(&IO, NULL, NULL, NULL), KDBX_ENOTFOUND);
	assert_int_equal(C.nselect, 3);

	setup(NULL);
	assert_int_equal(kdbx_yk__apdu_serial(&IO, &serial), 0);
	assert_int_equal(serial, 0x01020304);
	assert_int_equal(C.last_len, 5);
	assert_int_equal(C.last_apdu[4], 0x06);
}

static void test_providers_apdu__hmac(void **state)
{
	uint8_t block[64], out[20], want[20];

	(void)state;
	assert_int_equal(kdbx_hex_decode(want, 20, "5e92434f99d3254620392e45da46f77b4661e09b", 40), 0);
	unit_test_block(block);
	assert_int_equal(kdbx_yk__apdu_hmac(&IO, 2, block, out, &IA, "k", 15000), 0);
	assert_memory_equal(out, want, 20);
	assert_int_equal(C.last_apdu[2], 0x38);
	assert_memory_equal(C.last_apdu + 5, block, 64);
	assert_int_equal(touches, 0);

	/* 61xx -> GET RESPONSE 00 C0 00 00 0C */
	setup(NULL);
	C.chain = 1;
	assert_int_equal(kdbx_yk__apdu_hmac(&IO, 1, block, out, &IA, "k", 15000), 0);
	assert_memory_equal(out, want, 20);
	assert_int_equal(C.last_apdu[1], 0xC0);
	assert_int_equal(C.last_apdu[4], 0x0C);
}

static void test_providers_apdu__touch(void **state)
{
	uint8_t block[64], out[20];

	(void)state;
	unit_test_block(block);
	C.touch_left = 4;
	assert_int_equal(kdbx_yk__apdu_hmac(&IO, 1, block, out, &IA, "k", 15000), 0);
	assert_int_equal(touches, 1);
	assert_int_equal(C.now_ms, 4 * 250);

	setup(NULL);
	C.touch_left = -1;
	assert_int_equal(kdbx_yk__apdu_hmac(&IO, 1, block, out, &IA, "k", 2000), KDBX_ETIMEOUT);
	assert_int_equal(touches, 1);
	assert_int_equal(C.now_ms, 2000);
}

static void test_providers_apdu__errors(void **state)
{
	uint8_t block[64], out[20];

	(void)state;
	unit_test_block(block);
	C.hmac_sw = 0x6A82;
	assert_int_equal(kdbx_yk__apdu_hmac(&IO, 1, block, out, &IA, "k", 15000), KDBX_ENOSLOT);
	C.hmac_sw = 0x6D00;
	assert_int_equal(kdbx_yk__apdu_hmac(&IO, 1, block, out, &IA, "k", 15000), KDBX_ENOSLOT);
	C.hmac_sw = 0x6F00;
	assert_int_equal(kdbx_yk__apdu_hmac(&IO, 1, block, out, &IA, "k", 15000), KDBX_EDEVICE);
	C.hmac_sw = 0;
	C.hmac_len = 0; /* 9000 without data: slot not configured */
	assert_int_equal(kdbx_yk__apdu_hmac(&IO, 1, block, out, &IA, "k", 15000), KDBX_ENOSLOT);
	C.hmac_len = 19;
	assert_int_equal(kdbx_yk__apdu_hmac(&IO, 1, block, out, &IA, "k", 15000), KDBX_ENOSLOT);
	C.hmac_len = 20;
	C.fail_transmit = 1;
	assert_int_equal(kdbx_yk__apdu_hmac(&IO, 1, block, out, &IA, "k", 15000), KDBX_EDEVICE);
	assert_int_equal(kdbx_yk__apdu_hmac(&IO, 0, block, out, &IA, "k", 15000), KDBX_EINVALID);
	assert_int_equal(touches, 0);
}

static int short_transmit(void *ctx, const uint8_t *a, size_t n, uint8_t *resp, size_t *rlen)
{
	(void)ctx;
	(void)a;
	(void)n;
	resp[0] = 0x90;
	*rlen = 1;
	return 0;
}

static int chain_forever(void *ctx, const uint8_t *a, size_t n, uint8_t *resp, size_t *rlen)
{
	(void)ctx;
	(void)a;
	(void)n;
	resp[0] = 0xAA;
	resp[1] = 0x61;
	resp[2] = 0x01;
	*rlen = 3;
	return 0;
}

static void test_providers_apdu__malformed(void **state)
{
	kdbx_yk_apdu_io io1 = {short_transmit, card_sleep, &C};
	kdbx_yk_apdu_io io2 = {chain_forever, card_sleep, &C};
	uint8_t block[64] = {0}, out[20];

	(void)state;
	assert_int_equal(kdbx_yk__apdu_hmac(&io1, 1, block, out, &IA, "k", 15000), KDBX_EDEVICE);
	assert_int_equal(kdbx_yk__apdu_hmac(&io2, 1, block, out, &IA, "k", 15000), KDBX_EDEVICE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_providers_apdu__sw_mapping, setup),
		cmocka_unit_test_setup(test_providers_apdu__select_order, setup),
		cmocka_unit_test_setup(test_providers_apdu__hmac, setup),
		cmocka_unit_test_setup(test_providers_apdu__touch, setup),
		cmocka_unit_test_setup(test_providers_apdu__errors, setup),
		cmocka_unit_test_setup(test_providers_apdu__malformed, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
