/* The YubiKey provider over PC/SC against the emulated stack (private pcscd +
 * vpcd + scripts/lab/yk_card.py): list, answers equal to the soft key,
 * GET RESPONSE chaining, touch handling, unconfigured slot, removed key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

#include "kdbx.h"
#include "yubikey_lab.h"

static char opts_default[700];

static int touches;
static void on_touch(void *ud, const char *desc)
{
	(void)ud;
	assert_non_null(strstr(desc, "424242"));
	touches++;
}
static const kdbx_interaction IA = {on_touch, NULL, NULL, NULL};

static void expect_same_as_softkey(kdbx_provider *yk, const char *secret_file)
{
	kdbx_provider *soft = NULL;
	kdbx_secret *a = NULL, *b = NULL;
	uint8_t seed[32];

	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(0x51 * i + 3);
	assert_int_equal(kdbx_softkey_new(&soft, KDBX_SOFTKEY_SHA1, secret_file), 0);
	assert_int_equal(kdbx_provider_challenge_response(yk, seed, sizeof(seed), &a), 0);
	assert_int_equal(kdbx_provider_challenge_response(soft, seed, sizeof(seed), &b), 0);
	assert_int_equal(kdbx_secret_len(a), 20);
	assert_memory_equal(kdbx_secret_data(a), kdbx_secret_data(b), 20);
	kdbx_secret_free(&a);
	kdbx_secret_free(&b);
	/* KeePassXC's vector through the whole stack. */
	assert_int_equal(kdbx_provider_challenge_response(yk, (const uint8_t *)"UnitTest", 8, &a), 0);
	assert_int_equal(kdbx_provider_challenge_response(soft, (const uint8_t *)"UnitTest", 8, &b), 0);
	assert_memory_equal(kdbx_secret_data(a), kdbx_secret_data(b), 20);
	kdbx_secret_free(&a);
	kdbx_secret_free(&b);
	kdbx_provider_free(&soft);
}

static void test_integration_yk__list(void **state)
{
	kdbx_yubikey_info *list = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(kdbx_yubikey_list(&list, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].serial, LAB_SERIAL);
	assert_string_equal(list[0].transport, "pcsc");
	assert_non_null(strstr(list[0].reader, "Virtual PCD"));
	assert_int_equal(list[0].slots, 2u); /* only slot 2 programmed */
	assert_int_equal(list[0].version[0], 5);
	assert_string_equal(list[0].model, "YubiKey");
	kdbx_yubikey_list_free(&list);
	assert_null(list);
}

static void test_integration_yk__hmac(void **state)
{
	kdbx_provider *yk = NULL;
	char desc[128];

	(void)state;
	/* serial 0 = the only key present */
	assert_int_equal(kdbx_yubikey_new(&yk, 2, 0, &IA), 0);
	assert_int_equal(kdbx_provider_describe(yk, desc, sizeof(desc)), 0);
	assert_non_null(strstr(desc, "424242"));
	expect_same_as_softkey(yk, lab_secret_file);
	assert_int_equal(touches, 0);
	kdbx_provider_free(&yk);

	assert_int_equal(kdbx_yubikey_new(&yk, 2, LAB_SERIAL, NULL), 0);
	expect_same_as_softkey(yk, lab_secret_file);
	kdbx_provider_free(&yk);

	assert_int_equal(kdbx_yubikey_new(&yk, 2, 999, NULL), KDBX_EDEVICE);
	assert_null(yk);
	assert_int_equal(kdbx_yubikey_new(&yk, 3, 0, NULL), KDBX_EINVALID);
}

static void test_integration_yk__unconfigured_slot(void **state)
{
	kdbx_provider *yk = NULL;
	kdbx_secret *r = NULL;

	(void)state;
	assert_int_equal(kdbx_yubikey_new(&yk, 1, LAB_SERIAL, NULL), 0);
	assert_int_equal(kdbx_provider_challenge_response(yk, (const uint8_t *)"x", 1, &r), KDBX_ENOSLOT);
	assert_null(r);
	kdbx_provider_free(&yk);
}

static void test_integration_yk__chained_and_touch(void **state)
{
	char opts[900];
	kdbx_provider *yk = NULL;

	(void)state;
	snprintf(opts, sizeof(opts), "%s --chain --touch 3", opts_default);
	assert_int_equal(lab_card(opts), 0);
	touches = 0;
	assert_int_equal(kdbx_yubikey_new(&yk, 2, LAB_SERIAL, &IA), 0);
	expect_same_as_softkey(yk, lab_secret_file);
	assert_int_equal(touches, 1); /* shown once, only because the key waited */
	kdbx_provider_free(&yk);
	assert_int_equal(lab_card(opts_default), 0);
}

static void test_integration_yk__touch_timeout(void **state)
{
	char opts[900];
	kdbx_provider *yk = NULL;
	kdbx_secret *r = NULL;
	struct timespec t0, t1;
	double secs;

	(void)state;
	snprintf(opts, sizeof(opts), "%s --touch -1", opts_default);
	assert_int_equal(lab_card(opts), 0);
	touches = 0;
	assert_int_equal(kdbx_yubikey_new(&yk, 2, LAB_SERIAL, &IA), 0);
	assert_int_equal(kdbx_yubikey_set_touch_timeout(yk, 1000), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(kdbx_provider_challenge_response(yk, (const uint8_t *)"x", 1, &r),
	                 KDBX_ETIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs >= 0.9 && secs < 5.0);
	assert_int_equal(touches, 1);
	kdbx_provider_free(&yk);
	assert_int_equal(lab_card(opts_default), 0);
}

static void test_integration_yk__removed(void **state)
{
	kdbx_provider *yk = NULL;
	kdbx_secret *r = NULL;
	kdbx_yubikey_info *list = NULL;
	size_t n = 5;

	(void)state;
	assert_int_equal(kdbx_yubikey_new(&yk, 2, LAB_SERIAL, NULL), 0);
	assert_int_equal(lab_card_stop(), 0);
	assert_int_equal(kdbx_provider_challenge_response(yk, (const uint8_t *)"x", 1, &r), KDBX_EDEVICE);
	assert_non_null(strstr(kdbx_error_last(), "424242"));
	assert_int_equal(kdbx_yubikey_list(&list, &n), 0);
	assert_int_equal(n, 0);
	kdbx_provider_free(&yk);
	assert_int_equal(kdbx_yubikey_new(&yk, 2, 0, NULL), KDBX_EDEVICE);
	/* Plugged in again: works with the same provider settings. */
	assert_int_equal(lab_card(opts_default), 0);
	assert_int_equal(kdbx_yubikey_new(&yk, 2, 0, NULL), 0);
	expect_same_as_softkey(yk, lab_secret_file);
	kdbx_provider_free(&yk);
}

static int group_setup(void **state)
{
	(void)state;
	lab_prepare("ykpcsc");
	snprintf(opts_default, sizeof(opts_default), "--serial %u --slot2-file %s", LAB_SERIAL,
	         lab_secret_file);
	if (lab_start(opts_default) != 0) {
		lab_stop();
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	lab_stop();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integration_yk__list),
		cmocka_unit_test(test_integration_yk__hmac),
		cmocka_unit_test(test_integration_yk__unconfigured_slot),
		cmocka_unit_test(test_integration_yk__chained_and_touch),
		cmocka_unit_test(test_integration_yk__touch_timeout),
		cmocka_unit_test(test_integration_yk__removed),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
