/* KDBX 3.x payload: hashed block stream, gzip, whole-container round trips and damage
 * (keepassxc-notes 3.4, 3.6). */
#include "crypto/crypto.h"
#include "unit/format/fixture.h"

static const char *const PW = "test-password";

static void test_format_kdbx3__hashed_blocks_roundtrip(void **state)
{
	(void)state;
	uint8_t data[100];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	static const size_t sizes[] = {0, 1, 7, 99, 100};
	for (size_t s = 0; s < KDBX_ARRAY_LEN(sizes); s++) {
		kdbx_buf enc = KDBX_BUF_INIT, dec = KDBX_BUF_INIT;
		assert_int_equal(kdbx_kdbx3__hashed_blocks_write(data, sizes[s], 7, &enc), KDBX_OK);
		/* (ceil(n/7) data blocks + final) * 40 header bytes + data */
		assert_int_equal(enc.len, (sizes[s] + 6) / 7 * 40 + 40 + sizes[s]);
		assert_int_equal(kdbx_kdbx3__hashed_blocks_read(enc.data, enc.len, &dec), KDBX_OK);
		assert_int_equal(dec.len, sizes[s]);
		if (sizes[s] > 0)
			assert_memory_equal(dec.data, data, sizes[s]);
		kdbx_buf_free(&enc);
		kdbx_buf_free(&dec);
	}
}

static void test_format_kdbx3__hashed_blocks_damage(void **state)
{
	(void)state;
	uint8_t data[20] = {1, 2, 3};
	kdbx_buf enc = KDBX_BUF_INIT;
	assert_int_equal(kdbx_kdbx3__hashed_blocks_write(data, sizeof(data), 8, &enc), KDBX_OK);
	/* every truncation and every bit flip is refused */
	for (size_t n = 0; n < enc.len; n++) {
		kdbx_buf dec = KDBX_BUF_INIT;
		assert_int_equal(kdbx_kdbx3__hashed_blocks_read(enc.data, n, &dec), KDBX_ECORRUPT);
		kdbx_buf_free(&dec);
	}
	for (size_t i = 0; i < enc.len * 8; i++) {
		kdbx_buf dec = KDBX_BUF_INIT;
		enc.data[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(kdbx_kdbx3__hashed_blocks_read(enc.data, enc.len, &dec), KDBX_ECORRUPT);
		enc.data[i / 8] ^= (uint8_t)(1u << (i % 8));
		kdbx_buf_free(&dec);
	}
	kdbx_buf_free(&enc);
}

static void test_format_kdbx3__gzip_roundtrip_and_cap(void **state)
{
	(void)state;
	size_t n = 200000;
	uint8_t *zeros = calloc(1, n);
	assert_non_null(zeros);
	kdbx_buf gz = KDBX_BUF_INIT, out = KDBX_BUF_INIT;
	assert_int_equal(kdbx_gzip__deflate(zeros, n, &gz), KDBX_OK);
	assert_true(gz.len > 18 && gz.len < n / 100);
	assert_int_equal(gz.data[0], 0x1f); /* gzip magic */
	assert_int_equal(gz.data[1], 0x8b);
	assert_int_equal(kdbx_gzip__inflate(gz.data, gz.len, n, &out), KDBX_OK);
	assert_int_equal(out.len, n);
	assert_memory_equal(out.data, zeros, n);
	/* Bytes after the member are ignored, so the last 4 bytes (read as the
	 * ISIZE size hint) may lie: too small, implausibly large, or zero. */
	static const uint8_t tails[][4] = {{10, 0, 0, 0}, {0, 0, 0, 0x7f}, {0, 0, 0, 0}};
	for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
		kdbx_buf lie = KDBX_BUF_INIT, got = KDBX_BUF_INIT;
		got.secure = true;
		assert_int_equal(kdbx_buf_append(&lie, gz.data, gz.len), KDBX_OK);
		assert_int_equal(kdbx_buf_append(&lie, tails[t], 4), KDBX_OK);
		assert_int_equal(kdbx_gzip__inflate(lie.data, lie.len, n, &got), KDBX_OK);
		assert_int_equal(got.len, n);
		assert_memory_equal(got.data, zeros, n);
		kdbx_buf_free(&got);
		kdbx_buf_free(&lie);
	}
	kdbx_buf_reset(&out);
	/* output above the cap is refused (bomb protection) */
	assert_int_equal(kdbx_gzip__inflate(gz.data, gz.len, n - 1, &out), KDBX_ECORRUPT);
	kdbx_buf_reset(&out);
	for (size_t cut = 0; cut < gz.len; cut++) {
		kdbx_buf_reset(&out);
		assert_int_equal(kdbx_gzip__inflate(gz.data, cut, n, &out), KDBX_ECORRUPT);
	}
	kdbx_buf_free(&out);
	kdbx_buf_free(&gz);
	free(zeros);
}

static void roundtrip(kdbx_cipher ci, kdbx_compression comp)
{
	kdbx_container c, r;
	kdbx_buf file = KDBX_BUF_INIT;
	kdbx_key *key = fix_key(PW), *bad = fix_key("wrong");
	fix_container(&c, KDBX_VERSION_3_1, ci, KDBX_KDF_AES_KDBX3, comp, 0);
	fix_write(&c, key, &file);

	assert_int_equal(kdbx_container_read(&r, file.data, file.len, key, NULL), KDBX_OK);
	assert_int_equal(r.version, KDBX_VERSION_3_1);
	assert_int_equal(r.cipher, ci);
	assert_int_equal(r.compression, comp);
	assert_int_equal(r.kdf.type, KDBX_KDF_AES_KDBX3);
	assert_int_equal(r.kdf.rounds, 1);
	assert_int_equal(r.stream_id, 2);
	assert_int_equal(r.stream_key_len, 32);
	assert_memory_equal(r.stream_key, c.stream_key, 32);
	assert_memory_equal(r.header_hash, c.header_hash, 32);
	assert_int_equal(r.xml.len, c.xml.len);
	assert_memory_equal(r.xml.data, c.xml.data, c.xml.len);
	assert_true(r.xml.secure);
	kdbx_container_free(&r);

	assert_int_equal(kdbx_container_read(&r, file.data, file.len, bad, NULL), KDBX_EAUTH);
	assert_null(r.xml.data);

	/* 2.x and 3.0 files have the same layout; their version is only read */
	static const uint32_t old[] = {KDBX_VERSION_2_0, 0x00020004u, KDBX_VERSION_3_0};
	for (size_t i = 0; i < KDBX_ARRAY_LEN(old); i++) {
		kdbx_put_le32(file.data + 8, old[i]);
		assert_int_equal(kdbx_container_read(&r, file.data, file.len, key, NULL), KDBX_OK);
		assert_int_equal(r.version, old[i]);
		assert_memory_equal(r.xml.data, c.xml.data, c.xml.len);
		kdbx_container_free(&r);
	}
	kdbx_buf_free(&file);
	kdbx_container_free(&c);
	kdbx_key_free(&key);
	kdbx_key_free(&bad);
}

static void test_format_kdbx3__roundtrip_all_ciphers(void **state)
{
	(void)state;
	static const kdbx_cipher ciphers[] = {KDBX_CIPHER_AES256, KDBX_CIPHER_TWOFISH,
	                                      KDBX_CIPHER_CHACHA20};
	for (size_t i = 0; i < KDBX_ARRAY_LEN(ciphers); i++) {
		roundtrip(ciphers[i], KDBX_COMPRESS_GZIP);
		roundtrip(ciphers[i], KDBX_COMPRESS_NONE);
	}
}

static void test_format_kdbx3__truncated_everywhere(void **state)
{
	(void)state;
	kdbx_container c, r;
	kdbx_buf file = KDBX_BUF_INIT;
	kdbx_key *key = fix_key(PW);
	fix_container(&c, KDBX_VERSION_3_1, KDBX_CIPHER_AES256, KDBX_KDF_AES_KDBX3,
	              KDBX_COMPRESS_GZIP, 0);
	fix_write(&c, key, &file);
	for (size_t n = 0; n < file.len; n++) {
		int rc = kdbx_container_read(&r, file.data, n, key, NULL);
		assert_true(fix_clean_code(rc));
	}
	kdbx_buf_free(&file);
	kdbx_container_free(&c);
	kdbx_key_free(&key);
}

/* Offset of the value of header field id (KDBX3 layout), or 0. */
static size_t field_value(const kdbx_buf *f, uint8_t id)
{
	size_t pos = 12;
	while (pos + 3 <= f->len) {
		size_t len = kdbx_le16(f->data + pos + 1);
		if (f->data[pos] == id)
			return pos + 3;
		if (f->data[pos] == 0)
			break;
		pos += 3 + len;
	}
	return 0;
}

/* KDBX3 has no header MAC: a read that succeeds after a flip must either give a different
 * header hash (the XML layer compares it with Meta/HeaderHash) or the original XML. */
static void test_format_kdbx3__every_bit_flip_is_safe(void **state)
{
	(void)state;
	kdbx_container c, r;
	kdbx_buf file = KDBX_BUF_INIT;
	kdbx_key *key = fix_key(PW);
	fix_container(&c, KDBX_VERSION_3_1, KDBX_CIPHER_AES256, KDBX_KDF_AES_KDBX3,
	              KDBX_COMPRESS_GZIP, 0);
	fix_write(&c, key, &file);
	size_t rounds = field_value(&file, 6);
	assert_true(rounds > 0);
	size_t unsupported = 0;
	for (size_t i = 0; i < file.len * 8; i++) {
		size_t byte = i / 8;
		if (byte >= rounds && byte < rounds + 8) {
			size_t bit = (byte - rounds) * 8 + i % 8;
			/* 2^20..2^30 rounds are legitimate (just slow): not worth the test time */
			if (bit >= 20 && bit <= 30)
				continue;
		}
		file.data[byte] ^= (uint8_t)(1u << (i % 8));
		int rc = kdbx_container_read(&r, file.data, file.len, key, NULL);
		if (rc == KDBX_OK) {
			bool hash_differs = memcmp(r.header_hash, c.header_hash, 32) != 0;
			bool same_xml = r.xml.len == c.xml.len &&
			                memcmp(r.xml.data, c.xml.data, c.xml.len) == 0;
			assert_true(hash_differs || same_xml);
			kdbx_container_free(&r);
		} else {
			assert_true(fix_clean_code(rc));
			if (rc == KDBX_EUNSUPPORTED)
				unsupported++;
		}
		file.data[byte] ^= (uint8_t)(1u << (i % 8));
	}
	/* rounds bits 31..63 hit the sanity cap */
	assert_true(unsupported >= 33);
	kdbx_buf_free(&file);
	kdbx_container_free(&c);
	kdbx_key_free(&key);
}

static void test_format_kdbx3__kdf_limits(void **state)
{
	(void)state;
	kdbx_kdf_params p;
	kdbx_open_options o = KDBX_OPEN_OPTIONS_INIT;
	fix_kdf(&p, KDBX_KDF_AES_KDBX3);
	p.rounds = (uint64_t)1 << 40;
	assert_int_equal(kdbx_container__check_kdf_limits(&p, NULL), KDBX_EUNSUPPORTED);
	o.skip_kdf_limits = 1;
	assert_int_equal(kdbx_container__check_kdf_limits(&p, &o), KDBX_OK);
	fix_kdf(&p, KDBX_KDF_ARGON2D);
	assert_int_equal(kdbx_container__check_kdf_limits(&p, NULL), KDBX_OK);
	p.memory = (uint64_t)1 << 40;
	assert_int_equal(kdbx_container__check_kdf_limits(&p, NULL), KDBX_EUNSUPPORTED);
	fix_kdf(&p, KDBX_KDF_ARGON2ID);
	p.iterations = (uint64_t)1 << 40;
	assert_int_equal(kdbx_container__check_kdf_limits(&p, NULL), KDBX_EUNSUPPORTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_kdbx3__hashed_blocks_roundtrip),
		cmocka_unit_test(test_format_kdbx3__hashed_blocks_damage),
		cmocka_unit_test(test_format_kdbx3__gzip_roundtrip_and_cap),
		cmocka_unit_test(test_format_kdbx3__roundtrip_all_ciphers),
		cmocka_unit_test(test_format_kdbx3__truncated_everywhere),
		cmocka_unit_test(test_format_kdbx3__every_bit_flip_is_safe),
		cmocka_unit_test(test_format_kdbx3__kdf_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
