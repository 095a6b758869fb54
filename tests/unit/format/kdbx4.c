/* KDBX 4.x payload: HMAC block stream, inner header, whole-container round trips and damage
 * (keepassxc-notes 3.3, 3.6). */
#include "crypto/crypto.h"
#include "unit/format/fixture.h"

static const char *const PW = "test-password";

static void test_format_kdbx4__hmac_blocks_roundtrip(void **state)
{
	(void)state;
	uint8_t key[64], data[50];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(255 - i);
	static const size_t sizes[] = {0, 1, 16, 49, 50};
	for (size_t s = 0; s < KDBX_ARRAY_LEN(sizes); s++) {
		kdbx_buf enc = KDBX_BUF_INIT, dec = KDBX_BUF_INIT;
		assert_int_equal(kdbx_kdbx4__hmac_blocks_write(data, sizes[s], 16, key, &enc), KDBX_OK);
		assert_int_equal(enc.len, (sizes[s] + 15) / 16 * 36 + 36 + sizes[s]);
		assert_int_equal(kdbx_kdbx4__hmac_blocks_read(enc.data, enc.len, key, &dec), KDBX_OK);
		assert_int_equal(dec.len, sizes[s]);
		if (sizes[s] > 0)
			assert_memory_equal(dec.data, data, sizes[s]);
		kdbx_buf_free(&enc);
		kdbx_buf_free(&dec);
	}
}

/* Known answer: block 0 MAC = HMAC-SHA256(SHA512(LE64(0)||K), LE64(0)||LE32(len)||data). */
static void test_format_kdbx4__hmac_block_known_answer(void **state)
{
	(void)state;
	uint8_t k[64] = {0}, bk[64], mac[32], le[12] = {0};
	kdbx_buf enc = KDBX_BUF_INIT;
	k[0] = 0x42;
	assert_int_equal(kdbx_kdbx4__hmac_blocks_write((const uint8_t *)"abc", 3, 1024, k, &enc),
	                 KDBX_OK);
	kdbx_iov v[2] = {{le, 8}, {k, 64}};
	assert_int_equal(kdbx_sha512_v(v, 2, bk), KDBX_OK);
	le[8] = 3;
	kdbx_iov m[2] = {{le, 12}, {"abc", 3}};
	assert_int_equal(kdbx_hmac_sha256_v(bk, 64, m, 2, mac), KDBX_OK);
	assert_memory_equal(enc.data, mac, 32);
	assert_int_equal(kdbx_le32(enc.data + 32), 3);
	/* final block: index 1, length 0, still authenticated */
	le[0] = 1;
	le[8] = 0;
	assert_int_equal(kdbx_sha512_v(v, 2, bk), KDBX_OK);
	kdbx_iov e[1] = {{le, 12}};
	assert_int_equal(kdbx_hmac_sha256_v(bk, 64, e, 1, mac), KDBX_OK);
	assert_memory_equal(enc.data + 39, mac, 32);
	kdbx_buf_free(&enc);
}

static void test_format_kdbx4__hmac_blocks_damage(void **state)
{
	(void)state;
	uint8_t key[64] = {1}, data[40] = {9};
	kdbx_buf enc = KDBX_BUF_INIT;
	assert_int_equal(kdbx_kdbx4__hmac_blocks_write(data, sizeof(data), 16, key, &enc), KDBX_OK);
	for (size_t n = 0; n < enc.len; n++) {
		kdbx_buf dec = KDBX_BUF_INIT;
		assert_int_equal(kdbx_kdbx4__hmac_blocks_read(enc.data, n, key, &dec), KDBX_ECORRUPT);
		kdbx_buf_free(&dec);
	}
	for (size_t i = 0; i < enc.len * 8; i++) {
		kdbx_buf dec = KDBX_BUF_INIT;
		enc.data[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(kdbx_kdbx4__hmac_blocks_read(enc.data, enc.len, key, &dec), KDBX_ECORRUPT);
		enc.data[i / 8] ^= (uint8_t)(1u << (i % 8));
		kdbx_buf_free(&dec);
	}
	/* swapping two equal-size blocks breaks the per-index keys */
	uint8_t tmp[52];
	memcpy(tmp, enc.data, 52);
	memmove(enc.data, enc.data + 52, 52);
	memcpy(enc.data + 52, tmp, 52);
	kdbx_buf dec = KDBX_BUF_INIT;
	assert_int_equal(kdbx_kdbx4__hmac_blocks_read(enc.data, enc.len, key, &dec), KDBX_ECORRUPT);
	kdbx_buf_free(&dec);
	kdbx_buf_free(&enc);
}

static void roundtrip(uint32_t ver, kdbx_cipher ci, kdbx_kdf_type kt, kdbx_compression comp)
{
	kdbx_container c, r;
	kdbx_buf file = KDBX_BUF_INIT, pcd = KDBX_BUF_INIT;
	kdbx_vdict d = {NULL, 0};
	kdbx_key *key = fix_key(PW), *bad = fix_key("wrong");
	fix_container(&c, ver, ci, kt, comp, 2);
	assert_int_equal(kdbx_vdict_set(&d, 0x42, "KPXC_PUBLIC_UUID", "0123456789abcdef", 16),
	                 KDBX_OK);
	assert_int_equal(kdbx_vdict_write(&d, &pcd), KDBX_OK);
	kdbx_vdict_free(&d);
	c.public_custom_data = kdbx_buf_detach(&pcd, &c.public_custom_data_len);
	fix_write(&c, key, &file);

	assert_int_equal(kdbx_container_read(&r, file.data, file.len, key, NULL), KDBX_OK);
	assert_int_equal(r.version, ver);
	assert_int_equal(r.cipher, ci);
	assert_int_equal(r.compression, comp);
	assert_int_equal(r.kdf.type, kt == KDBX_KDF_AES_KDBX3 ? KDBX_KDF_AES_KDBX4 : kt);
	assert_memory_equal(r.kdf.seed, c.kdf.seed, 32);
	assert_memory_equal(r.master_seed, c.master_seed, 32);
	assert_int_equal(r.iv_len, ci == KDBX_CIPHER_CHACHA20 ? 12 : 16);
	assert_int_equal(r.stream_id, 3);
	assert_int_equal(r.stream_key_len, 64);
	assert_memory_equal(r.stream_key, c.stream_key, 64);
	assert_memory_equal(r.header_hash, c.header_hash, 32);
	assert_int_equal(r.public_custom_data_len, c.public_custom_data_len);
	assert_memory_equal(r.public_custom_data, c.public_custom_data, c.public_custom_data_len);
	assert_int_equal(r.nbinaries, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(r.binaries[i].flags, c.binaries[i].flags);
		assert_int_equal(r.binaries[i].len, c.binaries[i].len);
		assert_memory_equal(r.binaries[i].data, c.binaries[i].data, c.binaries[i].len);
	}
	assert_int_equal(r.xml.len - r.xml_skip, c.xml.len);
	assert_memory_equal(r.xml.data + r.xml_skip, c.xml.data, c.xml.len);
	kdbx_container_free(&r);

	assert_int_equal(kdbx_container_read(&r, file.data, file.len, bad, NULL), KDBX_EAUTH);
	assert_null(r.binaries);
	kdbx_buf_free(&file);
	kdbx_container_free(&c);
	kdbx_key_free(&key);
	kdbx_key_free(&bad);
}

static void test_format_kdbx4__roundtrip_matrix(void **state)
{
	(void)state;
	static const kdbx_cipher ciphers[] = {KDBX_CIPHER_AES256, KDBX_CIPHER_TWOFISH,
	                                      KDBX_CIPHER_CHACHA20};
	static const kdbx_kdf_type kdfs[] = {KDBX_KDF_AES_KDBX4, KDBX_KDF_ARGON2D,
	                                     KDBX_KDF_ARGON2ID};
	for (size_t i = 0; i < KDBX_ARRAY_LEN(ciphers); i++) {
		for (size_t j = 0; j < KDBX_ARRAY_LEN(kdfs); j++) {
			roundtrip(KDBX_VERSION_4_0, ciphers[i], kdfs[j], KDBX_COMPRESS_GZIP);
			roundtrip(KDBX_VERSION_4_1, ciphers[i], kdfs[j], KDBX_COMPRESS_NONE);
		}
	}
}

static void test_format_kdbx4__large_payload_multi_block(void **state)
{
	(void)state;
	kdbx_container c, r;
	kdbx_buf file = KDBX_BUF_INIT;
	kdbx_key *key = fix_key(PW);
	fix_container(&c, KDBX_VERSION_4_0, KDBX_CIPHER_AES256, KDBX_KDF_ARGON2D,
	              KDBX_COMPRESS_NONE, 0);
	/* 2.5 MiB of XML -> three HMAC data blocks */
	kdbx_buf_reset(&c.xml);
	for (size_t i = 0; i < (5u << 19) / 16; i++)
		assert_int_equal(kdbx_buf_append(&c.xml, "<!-- padding -->", 16), KDBX_OK);
	fix_write(&c, key, &file);
	assert_int_equal(kdbx_container_read(&r, file.data, file.len, key, NULL), KDBX_OK);
	assert_int_equal(r.xml.len - r.xml_skip, c.xml.len);
	assert_memory_equal(r.xml.data + r.xml_skip, c.xml.data, c.xml.len);
	kdbx_container_free(&r);
	kdbx_buf_free(&file);
	kdbx_container_free(&c);
	kdbx_key_free(&key);
}

static void test_format_kdbx4__truncated_everywhere(void **state)
{
	(void)state;
	kdbx_container c, r;
	kdbx_buf file = KDBX_BUF_INIT;
	kdbx_key *key = fix_key(PW);
	fix_container(&c, KDBX_VERSION_4_0, KDBX_CIPHER_CHACHA20, KDBX_KDF_ARGON2D,
	              KDBX_COMPRESS_GZIP, 1);
	fix_write(&c, key, &file);
	for (size_t n = 0; n < file.len; n++) {
		int rc = kdbx_container_read(&r, file.data, n, key, NULL);
		assert_true(fix_clean_code(rc));
	}
	kdbx_buf_free(&file);
	kdbx_container_free(&c);
	kdbx_key_free(&key);
}

/* Header, header hash, header HMAC and every block are authenticated: every flip fails. */
static void flip_all(kdbx_cipher ci, kdbx_kdf_type kt)
{
	kdbx_container c, r;
	kdbx_buf file = KDBX_BUF_INIT;
	kdbx_key *key = fix_key(PW);
	fix_container(&c, KDBX_VERSION_4_1, ci, kt, KDBX_COMPRESS_GZIP, 2);
	fix_write(&c, key, &file);
	size_t auth = 0;
	for (size_t i = 0; i < file.len * 8; i++) {
		file.data[i / 8] ^= (uint8_t)(1u << (i % 8));
		int rc = kdbx_container_read(&r, file.data, file.len, key, NULL);
		assert_true(fix_clean_code(rc));
		if (rc == KDBX_EAUTH)
			auth++;
		file.data[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	/* exactly the 256 bits of the stored header HMAC give "wrong credentials" */
	assert_int_equal(auth, 256);
	kdbx_buf_free(&file);
	kdbx_container_free(&c);
	kdbx_key_free(&key);
}

static void test_format_kdbx4__every_bit_flip_fails(void **state)
{
	(void)state;
	flip_all(KDBX_CIPHER_AES256, KDBX_KDF_AES_KDBX4);
	flip_all(KDBX_CIPHER_CHACHA20, KDBX_KDF_ARGON2ID);
}

static void test_format_kdbx4__write_rejects_bad_settings(void **state)
{
	(void)state;
	kdbx_container c;
	kdbx_buf hdr = KDBX_BUF_INIT;
	fix_container(&c, KDBX_VERSION_4_0, KDBX_CIPHER_AES256, KDBX_KDF_ARGON2D,
	              KDBX_COMPRESS_GZIP, 0);
	c.cipher = KDBX_CIPHER_AES128; /* read-only cipher */
	assert_int_equal(kdbx_container_write_header(&c, &hdr), KDBX_EINVALID);
	c.cipher = KDBX_CIPHER_CHACHA20; /* IV still 16 bytes */
	assert_int_equal(kdbx_container_write_header(&c, &hdr), KDBX_EINVALID);
	c.version = KDBX_VERSION_3_1;
	c.cipher = KDBX_CIPHER_AES256; /* KDBX 3.1 with Argon2 */
	assert_int_equal(kdbx_container_write_header(&c, &hdr), KDBX_EINVALID);
	kdbx_buf_free(&hdr);
	kdbx_container_free(&c);
}

static void test_format_kdbx4__new_seeds(void **state)
{
	(void)state;
	kdbx_container a, b;
	fix_container(&a, KDBX_VERSION_4_0, KDBX_CIPHER_CHACHA20, KDBX_KDF_ARGON2D,
	              KDBX_COMPRESS_GZIP, 0);
	fix_container(&b, KDBX_VERSION_4_0, KDBX_CIPHER_CHACHA20, KDBX_KDF_ARGON2D,
	              KDBX_COMPRESS_GZIP, 0);
	assert_int_equal(a.iv_len, 12);
	assert_int_equal(a.stream_id, 3);
	assert_int_equal(a.stream_key_len, 64);
	assert_int_equal(a.kdf.seed_len, 32);
	assert_memory_not_equal(a.master_seed, b.master_seed, 32);
	assert_memory_not_equal(a.kdf.seed, b.kdf.seed, 32);
	assert_memory_not_equal(a.stream_key, b.stream_key, 64);
	kdbx_container_free(&a);
	kdbx_container_free(&b);
	fix_container(&a, KDBX_VERSION_3_1, KDBX_CIPHER_AES256, KDBX_KDF_AES_KDBX3,
	              KDBX_COMPRESS_GZIP, 0);
	assert_int_equal(a.iv_len, 16);
	assert_int_equal(a.stream_id, 2);
	assert_int_equal(a.stream_key_len, 32);
	kdbx_container_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_kdbx4__hmac_blocks_roundtrip),
		cmocka_unit_test(test_format_kdbx4__hmac_block_known_answer),
		cmocka_unit_test(test_format_kdbx4__hmac_blocks_damage),
		cmocka_unit_test(test_format_kdbx4__roundtrip_matrix),
		cmocka_unit_test(test_format_kdbx4__large_payload_multi_block),
		cmocka_unit_test(test_format_kdbx4__truncated_everywhere),
		cmocka_unit_test(test_format_kdbx4__every_bit_flip_fails),
		cmocka_unit_test(test_format_kdbx4__write_rejects_bad_settings),
		cmocka_unit_test(test_format_kdbx4__new_seeds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
