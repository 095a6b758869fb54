/* Unit tests: kdbx_prefault (src/core/prefault.c) never changes what the caller writes,
 * whatever order the two touch the pages in, and stops cleanly early or late. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "core/core.h"

static void fill_and_check(size_t n, bool wait_first)
{
	kdbx_prefault *pf = NULL;
	uint8_t *p = kdbx_secure_alloc(n);
	assert_non_null(p);
	kdbx_prefault_start(&pf, p, n);
	if (wait_first && pf != NULL) {
		/* let the helper run ahead into the pages written below */
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + (i >> 12));
	kdbx_prefault_stop(&pf);
	assert_null(pf);
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(i * 131 + (i >> 12)))
			fail_msg("byte %zu changed", i);
	kdbx_secure_free(p, n);
}

static void test_core_prefault__contents_untouched(void **state)
{
	(void)state;
	fill_and_check((size_t)24 << 20, false);
	fill_and_check((size_t)24 << 20, true);
	fill_and_check(((size_t)9 << 20) + 12345, false); /* not a whole number of pages */
}

static void test_core_prefault__small_or_stopped_at_once(void **state)
{
	kdbx_prefault *pf = (kdbx_prefault *)&pf;
	uint8_t small[4096];
	(void)state;
	kdbx_prefault_start(&pf, small, sizeof(small)); /* below KDBX_PREFAULT_MIN: no thread */
	assert_null(pf);
	kdbx_prefault_stop(&pf); /* NULL-safe */
	size_t n = (size_t)64 << 20;
	uint8_t *p = kdbx_secure_alloc(n);
	assert_non_null(p);
	kdbx_prefault_start(&pf, p, n);
	kdbx_prefault_stop(&pf); /* right away: joins without finishing */
	assert_null(pf);
	p[0] = 1;
	p[n - 1] = 2;
	assert_int_equal(p[0] + p[n - 1], 3);
	kdbx_secure_free(p, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_prefault__contents_untouched),
		cmocka_unit_test(test_core_prefault__small_or_stopped_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
