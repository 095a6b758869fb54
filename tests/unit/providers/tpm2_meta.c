/* TPM provider pieces that need no TPM: slot metadata encode/decode and its
 * damage checks, PCR lists, and the TPM return code -> typed error mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#ifdef KDBX_WITH_TPM2
#include "providers/tpm2_int.h"

static void sample(kdbx_tpm2_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->flags = KDBX_TPM2_M_PIN | KDBX_TPM2_M_PCR;
	m->srk_template = KDBX_TPM2_SRK_ECC_P256;
	m->pcr_mask = 1u << 7;
	m->pcr_bank = TPM2_ALG_SHA256;
	memset(m->challenge, 0xA5, 32);
	memset(m->pin_salt, 0x5A, 16);
	m->srk_name.size = 34;
	memset(m->srk_name.name, 0x11, 34);
	m->key_name.size = 34;
	memset(m->key_name.name, 0x22, 34);
	m->pub.publicArea.type = TPM2_ALG_KEYEDHASH;
	m->pub.publicArea.nameAlg = TPM2_ALG_SHA256;
	m->pub.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_HMAC;
	m->pub.publicArea.parameters.keyedHashDetail.scheme.details.hmac.hashAlg = TPM2_ALG_SHA256;
	m->pub.publicArea.unique.keyedHash.size = 32;
	m->priv.size = 100;
	memset(m->priv.buffer, 0x33, 100);
	m->policy.size = 32;
	memset(m->policy.buffer, 0x44, 32);
}

static void test_tpm2_meta__roundtrip_and_damage(void **state)
{
	kdbx_tpm2_meta m, d;
	uint8_t *b = NULL;
	size_t n = 0;

	(void)state;
	sample(&m);
	assert_int_equal(kdbx_tpm2__meta_encode(&m, &b, &n), KDBX_OK);
	assert_int_equal(b[0], KDBX_TPM2_META_V1);
	assert_int_equal(kdbx_tpm2__meta_decode(b, n, &d), KDBX_OK);
	assert_int_equal(d.flags, m.flags);
	assert_int_equal(d.pcr_mask, 1u << 7);
	assert_int_equal(d.pcr_bank, TPM2_ALG_SHA256);
	assert_memory_equal(d.challenge, m.challenge, 32);
	assert_memory_equal(d.srk_name.name, m.srk_name.name, 34);
	assert_int_equal(d.priv.size, 100);
	assert_int_equal(d.pub.publicArea.type, TPM2_ALG_KEYEDHASH);
	assert_int_equal(d.policy.size, 32);
	/* Every truncation is refused. */
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(kdbx_tpm2__meta_decode(b, i, &d), KDBX_OK);
	/* Trailing bytes, unknown flags, unknown version, flag/mask mismatch. */
	{
		uint8_t *x = malloc(n + 1);
		memcpy(x, b, n);
		x[n] = 0;
		assert_int_equal(kdbx_tpm2__meta_decode(x, n + 1, &d), KDBX_ECORRUPT);
		x[1] |= 0x80;
		assert_int_equal(kdbx_tpm2__meta_decode(x, n, &d), KDBX_ECORRUPT);
		x[1] = KDBX_TPM2_M_PIN; /* PCR mask set without the PCR flag */
		assert_int_equal(kdbx_tpm2__meta_decode(x, n, &d), KDBX_ECORRUPT);
		x[0] = 2;
		assert_int_equal(kdbx_tpm2__meta_decode(x, n, &d), KDBX_EUNSUPPORTED);
		free(x);
	}
	free(b);
	/* Handle mode: no blob, a persistent handle, no PCRs. */
	memset(&m, 0, sizeof(m));
	m.flags = KDBX_TPM2_M_HANDLE;
	m.srk_template = 1;
	m.handle = 0x81000001;
	m.srk_name.size = 2;
	m.key_name.size = 34;
	assert_int_equal(kdbx_tpm2__meta_encode(&m, &b, &n), KDBX_OK);
	assert_int_equal(kdbx_tpm2__meta_decode(b, n, &d), KDBX_OK);
	assert_int_equal(d.handle, 0x81000001);
	b[4] = 0x00; /* 0x81000000 still persistent */
	assert_int_equal(kdbx_tpm2__meta_decode(b, n, &d), KDBX_OK);
	b[7] = 0x80; /* 0x80000000: transient, refused */
	assert_int_equal(kdbx_tpm2__meta_decode(b, n, &d), KDBX_ECORRUPT);
	free(b);
}

static void test_tpm2_meta__pcr_lists(void **state)
{
	uint32_t m = 0;
	char buf[64];

	(void)state;
	assert_int_equal(kdbx_tpm2__pcr_parse("7", &m), 0);
	assert_int_equal(m, 1u << 7);
	assert_int_equal(kdbx_tpm2__pcr_parse("0,2,7", &m), 0);
	assert_int_equal(m, 0x85u);
	kdbx_tpm2__pcr_list(m, buf, sizeof(buf));
	assert_string_equal(buf, "0,2,7");
	assert_int_equal(kdbx_tpm2__pcr_parse("24", &m), -1);
	assert_int_equal(kdbx_tpm2__pcr_parse("", &m), -1);
	assert_int_equal(kdbx_tpm2__pcr_parse("7;8", &m), -1);
	assert_int_equal(kdbx_tpm2__pcr_parse("x", &m), -1);
}

static void test_tpm2_meta__error_mapping(void **state)
{
	(void)state;
	/* Format-1 codes with a session/parameter number still map. */
	assert_int_equal(kdbx_tpm2__fail(NULL, 0x98e, "t"), KDBX_EPIN);
	assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_PIN_WRONG);
	assert_non_null(strstr(kdbx_error_last(), "dictionary-attack"));
	assert_int_equal(kdbx_tpm2__fail(NULL, 0x9a2, "t"), KDBX_EPIN);
	assert_int_equal(kdbx_tpm2__fail(NULL, TPM2_RC_LOCKOUT, "t"), KDBX_EPINLOCKED);
	assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_LOCKOUT);
	assert_int_equal(kdbx_tpm2__fail(NULL, 0x99d, "t"), KDBX_EAUTH);
	assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_PCR_MISMATCH);
	assert_int_equal(kdbx_tpm2__fail(NULL, 0x1df, "t"), KDBX_ENOSLOT);
	assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_WRONG_TPM);
	assert_int_equal(kdbx_tpm2__fail(NULL, 0x18b, "t"), KDBX_ENOSLOT);
	assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_NO_KEY);
	assert_int_equal(kdbx_tpm2__fail(NULL, TSS2_TCTI_RC_IO_ERROR, "t"), KDBX_EDEVICE);
	assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_NO_TPM);
	assert_int_equal(kdbx_tpm2__fail(NULL, 0x101, "t"), KDBX_EDEVICE);
	assert_int_equal(kdbx_tpm2_last_reason(), KDBX_TPM2_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tpm2_meta__roundtrip_and_damage),
		cmocka_unit_test(test_tpm2_meta__pcr_lists),
		cmocka_unit_test(test_tpm2_meta__error_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "skipped: built without KDBX_WITH_TPM2\n");
	return 77;
}
#endif
