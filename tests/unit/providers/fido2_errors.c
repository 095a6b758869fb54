/* CTAP / libfido2 errors -> typed KDBX errors (src/providers/fido2_dev.c):
 * every error a user can cause maps to the code the slot API documents, and
 * the message names the device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kdbx.h"

#ifdef KDBX_WITH_FIDO2
#include "providers/fido2_int.h"

static void test_fido2_errors__typed(void **state)
{
	static const struct {
		int fido, kdbx;
	} map[] = {
		{FIDO_ERR_NO_CREDENTIALS, KDBX_ENOSLOT},      {FIDO_ERR_INVALID_CREDENTIAL, KDBX_ENOSLOT},
		{FIDO_ERR_PIN_INVALID, KDBX_EPIN},            {FIDO_ERR_PIN_BLOCKED, KDBX_EPINLOCKED},
		{FIDO_ERR_PIN_AUTH_BLOCKED, KDBX_EPINLOCKED}, {FIDO_ERR_PIN_REQUIRED, KDBX_EPIN},
		{FIDO_ERR_UV_BLOCKED, KDBX_EPINLOCKED},       {FIDO_ERR_UV_INVALID, KDBX_EPIN},
		{FIDO_ERR_ACTION_TIMEOUT, KDBX_ETIMEOUT},     {FIDO_ERR_USER_ACTION_TIMEOUT, KDBX_ETIMEOUT},
		{FIDO_ERR_KEEPALIVE_CANCEL, KDBX_ECANCELLED}, {FIDO_ERR_OPERATION_DENIED, KDBX_ECANCELLED},
		{FIDO_ERR_UNSUPPORTED_EXTENSION, KDBX_EUNSUPPORTED},
		{FIDO_ERR_UNSUPPORTED_OPTION, KDBX_EUNSUPPORTED}, {FIDO_ERR_RX, KDBX_ETIMEOUT},
		{FIDO_ERR_TX, KDBX_EDEVICE},                  {FIDO_ERR_INTERNAL, KDBX_EDEVICE},
	};
	fido2_devref ref;

	(void)state;
	memset(&ref, 0, sizeof(ref));
	strcpy(ref.desc, "Test Key (sim:0)");
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		assert_int_equal(kdbx_fido2__error(map[i].fido, "op", NULL, &ref), map[i].kdbx);
		assert_int_equal(kdbx_error_last_code(), map[i].kdbx);
		assert_non_null(strstr(kdbx_error_last(), "Test Key (sim:0)"));
	}
	/* without a device handle the retries are unknown, not invented */
	assert_int_equal(kdbx_fido2__error(FIDO_ERR_PIN_INVALID, "op", NULL, &ref), KDBX_EPIN);
	assert_null(strstr(kdbx_error_last(), "left"));
}

static void test_fido2_errors__pin_callback(void **state)
{
	fido2_cfg cfg;
	fido2_devref ref;
	char pin[16];

	(void)state;
	memset(&ref, 0, sizeof(ref));
	strcpy(ref.desc, "Test Key");
	assert_int_equal(kdbx_fido2__cfg_init(&cfg, NULL), 0);
	/* no callback: a typed error, never a silent empty PIN */
	assert_int_equal(kdbx_fido2__ask_pin(&cfg, NULL, &ref, pin, sizeof(pin)), KDBX_EPIN);
	assert_non_null(strstr(kdbx_error_last(), "no PIN callback"));
	kdbx_fido2__cfg_clear(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fido2_errors__typed),
		cmocka_unit_test(test_fido2_errors__pin_callback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
/* Built without FIDO2: the entry points exist and say so. */
static void test_fido2_errors__stub(void **state)
{
	kdbx_fido2_device_info *l = NULL;
	size_t n = 1;

	(void)state;
	assert_int_equal(kdbx_fido2_list(NULL, &l, &n), KDBX_EUNSUPPORTED);
	assert_null(l);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_fido2_errors__stub)};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
