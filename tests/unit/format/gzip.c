/* gzip layer (keepassxc-notes 3.6): the libdeflate one-call paths, their fallback to zlib on
 * odd input, and interchange with zlib in both directions. */
#include <zlib.h>

#include "unit/format/fixture.h"

/* Compressible, XML-like bytes with some variety (not all one byte). */
static uint8_t *make_text(size_t n)
{
	uint8_t *p = malloc(n);
	assert_non_null(p);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (i % 64 < 40) ? (uint8_t)("<Entry><String><Key>Title</Key></String>"[i % 40])
		                     : (uint8_t)('a' + (x >> 16) % 26);
	}
	return p;
}

/* zlib's own gzip writer at the given level (what KeePassXC uses). */
static void zlib_gzip(const uint8_t *in, size_t n, int level, kdbx_buf *out)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	uLong bound = deflateBound(&zs, (uLong)n);
	assert_int_equal(kdbx_buf_reserve(out, bound), KDBX_OK);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out->data + out->len;
	zs.avail_out = (uInt)bound;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	out->len += bound - zs.avail_out;
	deflateEnd(&zs);
}

static void test_format_gzip__roundtrip_appends(void **state)
{
	(void)state;
	static const size_t sizes[] = {0, 1, 100, 65536, 3 * 1024 * 1024 + 17};
	for (size_t s = 0; s < KDBX_ARRAY_LEN(sizes); s++) {
		size_t n = sizes[s];
		uint8_t *text = make_text(n > 0 ? n : 1);
		kdbx_buf gz = KDBX_BUF_INIT, out = KDBX_BUF_INIT;
		gz.secure = out.secure = true;
		/* both functions append after what the buffer already holds */
		assert_int_equal(kdbx_buf_append(&gz, "ab", 2), KDBX_OK);
		assert_int_equal(kdbx_gzip__deflate(text, n, &gz), KDBX_OK);
		assert_memory_equal(gz.data, "ab", 2);
		assert_int_equal(gz.data[2], 0x1f);
		assert_int_equal(gz.data[3], 0x8b);
		if (n > 1000)
			assert_true(gz.len - 2 < n / 2);
		assert_int_equal(kdbx_buf_append(&out, "xyz", 3), KDBX_OK);
		assert_int_equal(kdbx_gzip__inflate(gz.data + 2, gz.len - 2, n + 1, &out), KDBX_OK);
		assert_int_equal(out.len, n + 3);
		assert_memory_equal(out.data, "xyz", 3);
		if (n > 0)
			assert_memory_equal(out.data + 3, text, n);
		kdbx_buf_free(&gz);
		kdbx_buf_free(&out);
		free(text);
	}
}

/* Our output is a plain gzip member that zlib reads; zlib's output (levels 1, 6, 9) is read
 * back by us. */
static void test_format_gzip__interchange_with_zlib(void **state)
{
	(void)state;
	size_t n = 300000;
	uint8_t *text = make_text(n);
	kdbx_buf gz = KDBX_BUF_INIT;
	assert_int_equal(kdbx_gzip__deflate(text, n, &gz), KDBX_OK);

	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	uint8_t *back = malloc(n + 1);
	assert_non_null(back);
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = gz.data;
	zs.avail_in = (uInt)gz.len;
	zs.next_out = back;
	zs.avail_out = (uInt)(n + 1);
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, n);
	assert_int_equal(zs.avail_in, 0); /* one member, nothing after it */
	inflateEnd(&zs);
	assert_memory_equal(back, text, n);
	free(back);
	kdbx_buf_free(&gz);

	static const int levels[] = {1, 6, 9};
	for (size_t l = 0; l < KDBX_ARRAY_LEN(levels); l++) {
		kdbx_buf z = KDBX_BUF_INIT, out = KDBX_BUF_INIT;
		out.secure = true;
		zlib_gzip(text, n, levels[l], &z);
		assert_int_equal(kdbx_gzip__inflate(z.data, z.len, KDBX_GZIP_MAX_OUT, &out), KDBX_OK);
		assert_int_equal(out.len, n);
		assert_memory_equal(out.data, text, n);
		kdbx_buf_free(&z);
		kdbx_buf_free(&out);
	}
	free(text);
}

/* Damage that the one-call path detects falls back to zlib, which gives the same verdict
 * and message as before; nothing is left in the output. */
static void test_format_gzip__damage_keeps_zlib_verdict(void **state)
{
	(void)state;
	size_t n = 200000;
	uint8_t *text = make_text(n);
	kdbx_buf gz = KDBX_BUF_INIT;
	assert_int_equal(kdbx_gzip__deflate(text, n, &gz), KDBX_OK);
	size_t crc_at = gz.len - 8;
	struct {
		size_t at;
		const char *msg;
	} cases[] = {
		{crc_at, "compressed payload damaged"},     /* CRC-32 */
		{crc_at + 4, "compressed payload damaged"}, /* ISIZE no longer the size */
		{gz.len / 2, NULL},                         /* deflate data: damaged or truncated */
		{2, "compressed payload damaged"},          /* CM not deflate */
	};
	for (size_t i = 0; i < KDBX_ARRAY_LEN(cases); i++) {
		kdbx_buf bad = KDBX_BUF_INIT, out = KDBX_BUF_INIT;
		out.secure = true;
		assert_int_equal(kdbx_buf_append(&bad, gz.data, gz.len), KDBX_OK);
		bad.data[cases[i].at] ^= 0x01;
		assert_int_equal(kdbx_gzip__inflate(bad.data, bad.len, KDBX_GZIP_MAX_OUT, &out),
		                 KDBX_ECORRUPT);
		if (cases[i].msg != NULL)
			assert_non_null(strstr(kdbx_error_last(), cases[i].msg));
		kdbx_buf_free(&bad);
		kdbx_buf_free(&out);
	}
	/* truncated by the trailer: zlib's own message */
	kdbx_buf out = KDBX_BUF_INIT;
	assert_int_equal(kdbx_gzip__inflate(gz.data, gz.len - 8, KDBX_GZIP_MAX_OUT, &out),
	                 KDBX_ECORRUPT);
	assert_non_null(strstr(kdbx_error_last(), "truncated"));
	kdbx_buf_free(&out);
	kdbx_buf_free(&gz);
	free(text);
}

/* A header CRC-16 (FHCRC) is checked by zlib, not by libdeflate: such members go the zlib way. */
static void test_format_gzip__header_crc_checked(void **state)
{
	(void)state;
	size_t n = 5000;
	uint8_t *text = make_text(n);
	kdbx_buf gz = KDBX_BUF_INIT;
	assert_int_equal(kdbx_gzip__deflate(text, n, &gz), KDBX_OK);
	assert_int_equal(gz.data[3], 0); /* no flags: we insert the 2-byte CRC after the header */
	for (int good = 0; good <= 1; good++) {
		kdbx_buf h = KDBX_BUF_INIT, out = KDBX_BUF_INIT;
		assert_int_equal(kdbx_buf_append(&h, gz.data, 10), KDBX_OK);
		h.data[3] = 0x02;
		uint16_t crc = (uint16_t)crc32(0, h.data, 10);
		if (!good)
			crc ^= 0x5555;
		uint8_t le[2] = {(uint8_t)crc, (uint8_t)(crc >> 8)};
		assert_int_equal(kdbx_buf_append(&h, le, 2), KDBX_OK);
		assert_int_equal(kdbx_buf_append(&h, gz.data + 10, gz.len - 10), KDBX_OK);
		int rc = kdbx_gzip__inflate(h.data, h.len, KDBX_GZIP_MAX_OUT, &out);
		if (good) {
			assert_int_equal(rc, KDBX_OK);
			assert_int_equal(out.len, n);
			assert_memory_equal(out.data, text, n);
		} else {
			assert_int_equal(rc, KDBX_ECORRUPT);
		}
		kdbx_buf_free(&h);
		kdbx_buf_free(&out);
	}
	kdbx_buf_free(&gz);
	free(text);
}

/* Bytes after the member are ignored; when their last 4 bytes happen to equal the size the
 * one-call path is taken and must give the same result. */
static void test_format_gzip__trailing_bytes(void **state)
{
	(void)state;
	size_t n = 70000;
	uint8_t *text = make_text(n);
	kdbx_buf gz = KDBX_BUF_INIT;
	assert_int_equal(kdbx_gzip__deflate(text, n, &gz), KDBX_OK);
	const uint8_t *isize = gz.data + gz.len - 4;
	uint8_t tails[3][8] = {{1, 2, 3, 4, 0, 0, 0, 0}, {0}, {9, 9, 9, 9, 0, 0, 0, 0}};
	memcpy(tails[0] + 4, isize, 4);                       /* plausible and exact */
	memcpy(tails[1], gz.data, 8);                         /* start of a second member */
	kdbx_put_le32(tails[2] + 4, (uint32_t)(n - 1));       /* plausible, one short */
	for (size_t t = 0; t < 3; t++) {
		kdbx_buf in = KDBX_BUF_INIT, out = KDBX_BUF_INIT;
		out.secure = true;
		assert_int_equal(kdbx_buf_append(&in, gz.data, gz.len), KDBX_OK);
		assert_int_equal(kdbx_buf_append(&in, tails[t], 8), KDBX_OK);
		assert_int_equal(kdbx_gzip__inflate(in.data, in.len, KDBX_GZIP_MAX_OUT, &out), KDBX_OK);
		assert_int_equal(out.len, n);
		assert_memory_equal(out.data, text, n);
		kdbx_buf_free(&in);
		kdbx_buf_free(&out);
	}
	kdbx_buf_free(&gz);
	free(text);
}

/* A large secure output is a (huge-page) mapping: whole pages can be released from its front
 * and the rest stays intact. */
static void test_format_gzip__large_secure_release_front(void **state)
{
	(void)state;
	size_t n = 6 * 1024 * 1024 + 123;
	uint8_t *text = make_text(n);
	kdbx_buf gz = KDBX_BUF_INIT, out = KDBX_BUF_INIT;
	gz.secure = out.secure = true;
	assert_int_equal(kdbx_gzip__deflate(text, n, &gz), KDBX_OK);
	assert_int_equal(kdbx_gzip__inflate(gz.data, gz.len, KDBX_GZIP_MAX_OUT, &out), KDBX_OK);
	assert_int_equal(out.len, n);
	size_t drop = 3 * 1024 * 1024 + 5000;
	uint8_t *before = out.data;
	kdbx_buf_release_front(&out, drop);
	size_t dropped = (size_t)(out.data - before);
	assert_true(dropped > 0 && dropped <= drop);
	assert_int_equal(out.len, n - dropped);
	assert_memory_equal(out.data, text + dropped, n - dropped);
	kdbx_buf_free(&out);
	kdbx_buf_free(&gz);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_gzip__roundtrip_appends),
		cmocka_unit_test(test_format_gzip__interchange_with_zlib),
		cmocka_unit_test(test_format_gzip__damage_keeps_zlib_verdict),
		cmocka_unit_test(test_format_gzip__header_crc_checked),
		cmocka_unit_test(test_format_gzip__trailing_bytes),
		cmocka_unit_test(test_format_gzip__large_secure_release_front),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
