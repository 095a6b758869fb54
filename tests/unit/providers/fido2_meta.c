/* FIDO2 slot metadata (src/providers/fido2_meta.c): exact layout, round trip,
 * and rejection of damaged or future metadata; provider arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kdbx.h"

#ifdef KDBX_WITH_FIDO2
#include "providers/fido2_int.h"

static void sample(fido2_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->flags = FIDO2_F_UP | FIDO2_F_PIN;
	strcpy(m->rp, "kdbx");
	for (size_t i = 0; i < FIDO2_SALT_LEN; i++)
		m->salt[i] = (uint8_t)i;
	m->cred_len = 300;
	for (size_t i = 0; i < m->cred_len; i++)
		m->cred[i] = (uint8_t)(0xA0 + i);
}

static void test_fido2_meta__layout_and_roundtrip(void **state)
{
	fido2_meta m, back;
	uint8_t *b = NULL;
	size_t n = 0;
	char id[64];

	(void)state;
	sample(&m);
	assert_int_equal(kdbx_fido2__meta_encode(&m, &b, &n), 0);
	assert_int_equal(n, 3 + 4 + 32 + 2 + 300);
	assert_int_equal(b[0], 1);                 /* version */
	assert_int_equal(b[1], 0x05);              /* UP | PIN */
	assert_int_equal(b[2], 4);                 /* rp length */
	assert_memory_equal(b + 3, "kdbx", 4);
	assert_int_equal(b[7], 0);                 /* salt starts */
	assert_int_equal(b[7 + 31], 31);
	assert_int_equal(b[39], 300 & 0xff);       /* LE16 credential length */
	assert_int_equal(b[40], 300 >> 8);
	assert_int_equal(b[41], 0xA0);
	assert_int_equal(kdbx_fido2__meta_decode(b, n, &back), 0);
	assert_int_equal(back.flags, m.flags);
	assert_string_equal(back.rp, "kdbx");
	assert_memory_equal(back.salt, m.salt, 32);
	assert_int_equal(back.cred_len, 300);
	assert_memory_equal(back.cred, m.cred, 300);
	assert_int_equal(kdbx_fido2__meta_device_id(&back, id, sizeof(id)), 0);
	assert_memory_equal(id, "fido2:kdbx:", 11);
	assert_int_equal(strlen(id), 11 + 8);
	free(b);
}

static void test_fido2_meta__rejects(void **state)
{
	fido2_meta m, back;
	uint8_t *b = NULL, *c;
	size_t n = 0;

	(void)state;
	sample(&m);
	assert_int_equal(kdbx_fido2__meta_encode(&m, &b, &n), 0);
	/* every truncation and one extra byte */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(kdbx_fido2__meta_decode(b, i, &back), KDBX_ECORRUPT);
	c = malloc(n + 1);
	memcpy(c, b, n);
	c[n] = 0;
	assert_int_equal(kdbx_fido2__meta_decode(c, n + 1, &back), KDBX_ECORRUPT);
	/* unknown flag bits, empty rp, NUL in rp, zero-length credential */
	c[1] = 0x80;
	assert_int_equal(kdbx_fido2__meta_decode(c, n, &back), KDBX_ECORRUPT);
	c[1] = b[1];
	c[4] = 0;
	assert_int_equal(kdbx_fido2__meta_decode(c, n, &back), KDBX_ECORRUPT);
	c[4] = b[4];
	/* a future version is "unsupported", not "corrupt" */
	c[0] = 2;
	assert_int_equal(kdbx_fido2__meta_decode(c, n, &back), KDBX_EUNSUPPORTED);
	free(c);
	free(b);
	/* encode refuses what decode would refuse */
	m.rp[0] = '\0';
	assert_int_equal(kdbx_fido2__meta_encode(&m, &b, &n), KDBX_EINVALID);
	sample(&m);
	m.cred_len = 0;
	assert_int_equal(kdbx_fido2__meta_encode(&m, &b, &n), KDBX_EINVALID);
}

static void test_fido2_meta__provider_arguments(void **state)
{
	kdbx_fido2_options o = KDBX_FIDO2_OPTIONS_INIT;
	kdbx_slot_provider *sp = NULL;
	kdbx_provider *p = NULL;
	uint8_t id[16] = {1};

	(void)state;
	assert_int_equal(kdbx_fido2_slot_provider_new(NULL, &o), KDBX_EINVALID);
	o.version = 99;
	assert_int_equal(kdbx_fido2_slot_provider_new(&sp, &o), KDBX_EINVALID);
	assert_null(sp);
	o.version = KDBX_FIDO2_OPTIONS_VERSION;
	o.rp_id = "";
	assert_int_equal(kdbx_fido2_slot_provider_new(&sp, &o), KDBX_EINVALID);
	o.rp_id = NULL;
	assert_int_equal(kdbx_fido2_slot_provider_new(&sp, &o), 0);
	assert_string_equal(sp->type, "fido2");
	assert_null(sp->rewrap_offline); /* symmetric: needs the device */
	assert_true(sp->flags & KDBX_SLOT_PROVIDER_INTERACTIVE);
	kdbx_slot_provider_free(&sp);
	/* kdbxtool provider: the credential id is required */
	assert_int_equal(kdbx_fido2_new(&p, &o), KDBX_EINVALID);
	o.credential_id = id;
	o.credential_id_len = sizeof(id);
	assert_int_equal(kdbx_fido2_new(&p, &o), 0);
	assert_string_equal(p->name, "fido2");
	kdbx_provider_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fido2_meta__layout_and_roundtrip),
		cmocka_unit_test(test_fido2_meta__rejects),
		cmocka_unit_test(test_fido2_meta__provider_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
static void test_fido2_meta__stub(void **state)
{
	kdbx_slot_provider *sp = NULL;

	(void)state;
	assert_int_equal(kdbx_fido2_slot_provider_new(&sp, NULL), KDBX_EUNSUPPORTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_fido2_meta__stub)};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
