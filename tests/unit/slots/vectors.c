/* The test vectors of docs/multi-device-format.md section 10, computed
 * independently (Python, pyca/cryptography) and checked here against the C
 * implementation: slot table bytes, key derivation, AAD, wrapping, recovery
 * key text, and the soft-key adapter's metadata. */
#include "helpers.h"

#define V_TABLE                                                                                     \
	"4b444258534c4f5403000001000102030405060708090a0b0c0d0e0f0200000001004f0000000100000001000000" \
	"009fbce00e00000007736f66746b657907005072696d617279220000000100202122232425262728292a2b2c2d2e" \
	"2f303132333435363738393a3b3c3d3e3f000000000000000001000101000000c0c1c2c3c4c5c6c7c8c9cacb6b51" \
	"19bc37b87ee2da6b467115f836b347bcfcf57cb8bdc22b2143af64b35ede5bf93b9b0f9f84376e53e99cc88944fe"
#define V_RESPONSE "9c15c5dd4df16e3a7ce6c2879f8eb569c3b23857"
#define V_GROUP_KEY "288d102667fecfe82944f8a2eb6378704f5a1452dd706e5d38f0fd3348eb90d9"
#define V_AAD                                                                                       \
	"6b6462782d736c6f74732d76330003000001000102030405060708090a0b0c0d0e0f010100000001000000010000" \
	"00009fbce00e00000007736f66746b657907005072696d617279220000000100202122232425262728292a2b2c2d" \
	"2e2f303132333435363738393a3b3c3d3e3f"
#define V_COMPOSITE_K "8ba4d58fe5d9460bea5d8b1be15901ab791f581f18984ee5bc2d862d6b12d940"
#define V_RECOVERY "AAAQE-AYEAU-DAOCA-JBIFQ-YDIOB-4IBCE-QTCQK-RMFYY-DENBW-HA5DY-PWGDI"

static void test_vectors__table_and_wrap(void **state)
{
	uint8_t t[sizeof(V_TABLE) / 2], kek[32], key[32];
	v3_state st;
	kdbx_buf out = KDBX_BUF_INIT, aad = KDBX_BUF_INIT;
	kdbx_secret *resp = NULL;

	(void)state;
	unhex(V_TABLE, t, sizeof(t));
	assert_int_equal(kdbx_v3__parse(&st, t, sizeof(t)), 0);
	assert_int_equal(st.nslots, 1);
	assert_int_equal(st.ngroups, 1);
	assert_string_equal(st.slots[0].label, "Primary");
	assert_string_equal(st.slots[0].type, "softkey");
	assert_int_equal(st.slots[0].created, 63900000000LL);
	/* re-serialises to the same bytes */
	assert_int_equal(kdbx_v3__write(&st, &out), 0);
	assert_int_equal(out.len, sizeof(t));
	assert_memory_equal(out.data, t, sizeof(t));
	/* the soft key's answer to the slot challenge */
	{
		kdbx_provider *p = softkey(KDBX_SOFTKEY_SHA1, "12345678901234567890");
		assert_int_equal(kdbx_provider_challenge_response(p, st.slots[0].meta + 2, 32, &resp), 0);
		assert_hex(kdbx_secret_data(resp), V_RESPONSE);
		kdbx_provider_free(&p);
	}
	assert_int_equal(kdbx_v3__group_key(&st, &st.groups[0], &resp, key), 0);
	assert_hex(key, V_GROUP_KEY);
	assert_int_equal(kdbx_v3__group_aad(&st, &st.groups[0], &aad), 0);
	assert_int_equal(aad.len, strlen(V_AAD) / 2);
	assert_hex(aad.data, V_AAD);
	assert_int_equal(kdbx_v3__group_open(&st, &st.groups[0], &resp, kek), 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(kek[i], 0x40 + i);
	/* the composite-key component of the KEK */
	assert_int_equal(kdbx_hmac_sha256(kek, 32, "kdbx-slots-v3 composite", 23, key), 0);
	assert_hex(key, V_COMPOSITE_K);
	kdbx_secret_free(&resp);
	kdbx_buf_free(&out);
	kdbx_buf_free(&aad);
	kdbx_v3__free(&st);
}

static void test_vectors__recovery_text(void **state)
{
	uint8_t k[32], back[32];
	kdbx_secret *t = NULL;

	(void)state;
	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)i;
	assert_int_equal(kdbx_v3__recovery_format(k, &t), 0);
	assert_string_equal(kdbx_secret_str(t), V_RECOVERY);
	assert_int_equal(kdbx_v3__recovery_parse(V_RECOVERY, back), 0);
	assert_memory_equal(back, k, 32);
	kdbx_secret_free(&t);
}

static void test_vectors__softkey_adapter_metadata(void **state)
{
	kdbx_slot_provider *sp = NULL;
	kdbx_slot_context ctx;
	uint8_t nonce[32], *meta = NULL;
	size_t ml = 0;
	kdbx_secret *s = NULL;

	(void)state;
	for (int i = 0; i < 32; i++)
		nonce[i] = (uint8_t)(0x20 + i);
	assert_int_equal(kdbx_slot_provider_from_cr(&sp, softkey(KDBX_SOFTKEY_SHA1, "12345678901234567890"), NULL,
	                                            KDBX_CR_ADAPTER_OWN), 0);
	assert_string_equal(sp->type, "softkey");
	memset(&ctx, 0, sizeof(ctx));
	ctx.version = KDBX_SLOT_PROVIDER_VERSION;
	ctx.nonce = nonce;
	ctx.nonce_len = 32;
	assert_int_equal(sp->enrol(sp, &ctx, &meta, &ml, &s), 0);
	assert_int_equal(ml, 34);
	assert_int_equal(meta[0], 1);
	assert_int_equal(meta[1], 0);
	assert_memory_equal(meta + 2, nonce, 32);
	assert_hex(kdbx_secret_data(s), V_RESPONSE);
	assert_int_equal(sp->match(sp, meta, ml), KDBX_SLOT_MATCH_MAYBE);
	kdbx_secret_free(&s);
	free(meta);
	kdbx_slot_provider_free(&sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors__table_and_wrap),
		cmocka_unit_test(test_vectors__recovery_text),
		cmocka_unit_test(test_vectors__softkey_adapter_metadata),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
