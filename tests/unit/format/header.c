/* Outer header parse/serialise (keepassxc-notes 3.1, 3.2). */
#include "crypto/crypto.h"
#include "unit/format/fixture.h"

/* Walks the TLV fields of a header; ids[] gets the ids in order; returns the count. */
static size_t walk(const uint8_t *h, size_t n, bool v4, uint8_t *ids, size_t *offs, size_t max)
{
	size_t pos = 12, cnt = 0, lw = v4 ? 4 : 2;
	while (pos + 1 + lw <= n && cnt < max) {
		uint8_t id = h[pos];
		size_t len = v4 ? kdbx_le32(h + pos + 1) : kdbx_le16(h + pos + 1);
		ids[cnt] = id;
		offs[cnt] = pos;
		cnt++;
		pos += 1 + lw + len;
		if (id == 0)
			break;
	}
	return cnt;
}

static void header_of(kdbx_container *c, kdbx_buf *hdr)
{
	*hdr = (kdbx_buf)KDBX_BUF_INIT;
	assert_int_equal(kdbx_header__write(c, hdr), KDBX_OK);
}

static void test_format_header__kdbx3_roundtrip_and_order(void **state)
{
	(void)state;
	kdbx_container c, r;
	kdbx_buf h;
	size_t hl = 0;
	fix_container(&c, KDBX_VERSION_3_1, KDBX_CIPHER_TWOFISH, KDBX_KDF_AES_KDBX3,
	              KDBX_COMPRESS_GZIP, 0);
	c.kdf.rounds = 6000;
	header_of(&c, &h);
	memset(&r, 0, sizeof(r));
	assert_int_equal(kdbx_header__parse(&r, h.data, h.len, &hl), KDBX_OK);
	assert_int_equal(hl, h.len);
	assert_int_equal(r.version, KDBX_VERSION_3_1);
	assert_int_equal(r.cipher, KDBX_CIPHER_TWOFISH);
	assert_int_equal(r.compression, KDBX_COMPRESS_GZIP);
	assert_int_equal(r.kdf.type, KDBX_KDF_AES_KDBX3);
	assert_int_equal(r.kdf.rounds, 6000);
	assert_int_equal(r.kdf.seed_len, 32);
	assert_memory_equal(r.kdf.seed, c.kdf.seed, 32);
	assert_memory_equal(r.master_seed, c.master_seed, 32);
	assert_int_equal(r.iv_len, 16);
	assert_memory_equal(r.iv, c.iv, 16);
	assert_int_equal(r.stream_id, 2);
	assert_int_equal(r.stream_key_len, 32);
	assert_memory_equal(r.stream_key, c.stream_key, 32);
	assert_memory_equal(r.stream_start, c.stream_start, 32);

	uint8_t ids[16];
	size_t offs[16];
	static const uint8_t want[] = {2, 3, 4, 5, 6, 7, 8, 9, 10, 0};
	size_t cnt = walk(h.data, h.len, false, ids, offs, 16);
	assert_int_equal(cnt, sizeof(want));
	assert_memory_equal(ids, want, sizeof(want));
	/* end field: UInt16 length 4, "\r\n\r\n" */
	assert_int_equal(h.len - offs[cnt - 1], 1 + 2 + 4);
	assert_memory_equal(h.data + h.len - 4, "\r\n\r\n", 4);
	kdbx_container_free(&r);
	kdbx_container_free(&c);
	kdbx_buf_free(&h);
}

static void test_format_header__kdbx4_argon2_roundtrip_and_order(void **state)
{
	(void)state;
	kdbx_container c, r;
	kdbx_buf h, pcd = KDBX_BUF_INIT;
	kdbx_vdict d = {NULL, 0};
	size_t hl = 0;
	fix_container(&c, KDBX_VERSION_4_1, KDBX_CIPHER_CHACHA20, KDBX_KDF_ARGON2ID,
	              KDBX_COMPRESS_NONE, 0);
	c.kdf.memory = 64u << 20;
	c.kdf.iterations = 10;
	c.kdf.parallelism = 4;
	assert_int_equal(kdbx_vdict_set(&d, 0x18, "KPXC_PUBLIC_NAME", "x", 1), KDBX_OK);
	assert_int_equal(kdbx_vdict_write(&d, &pcd), KDBX_OK);
	kdbx_vdict_free(&d);
	c.public_custom_data = kdbx_buf_detach(&pcd, &c.public_custom_data_len);
	header_of(&c, &h);

	memset(&r, 0, sizeof(r));
	assert_int_equal(kdbx_header__parse(&r, h.data, h.len, &hl), KDBX_OK);
	assert_int_equal(hl, h.len);
	assert_int_equal(r.version, KDBX_VERSION_4_1);
	assert_int_equal(r.cipher, KDBX_CIPHER_CHACHA20);
	assert_int_equal(r.compression, KDBX_COMPRESS_NONE);
	assert_int_equal(r.iv_len, 12);
	assert_memory_equal(r.iv, c.iv, 12);
	assert_int_equal(r.kdf.type, KDBX_KDF_ARGON2ID);
	assert_int_equal(r.kdf.memory, 64u << 20);
	assert_int_equal(r.kdf.iterations, 10);
	assert_int_equal(r.kdf.parallelism, 4);
	assert_int_equal(r.kdf.version, 0x13);
	assert_memory_equal(r.kdf.seed, c.kdf.seed, 32);
	assert_int_equal(r.public_custom_data_len, c.public_custom_data_len);
	assert_memory_equal(r.public_custom_data, c.public_custom_data, c.public_custom_data_len);

	uint8_t ids[16];
	size_t offs[16];
	static const uint8_t want[] = {2, 3, 4, 7, 11, 12, 0};
	size_t cnt = walk(h.data, h.len, true, ids, offs, 16);
	assert_int_equal(cnt, sizeof(want));
	assert_memory_equal(ids, want, sizeof(want));
	assert_int_equal(h.len - offs[cnt - 1], 1 + 4 + 4);

	/* KDF dictionary keys in KeePassXC's order */
	kdbx_vdict kdf;
	const uint8_t *f = h.data + offs[4];
	assert_int_equal(kdbx_vdict_parse(&kdf, f + 5, kdbx_le32(f + 1)), KDBX_OK);
	static const char *const keys[] = {"$UUID", "I", "M", "P", "S", "V"};
	assert_int_equal(kdf.count, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(kdf.items[i].name, keys[i]);
	kdbx_vdict_free(&kdf);
	kdbx_container_free(&r);
	kdbx_container_free(&c);
	kdbx_buf_free(&h);
}

static void test_format_header__kdbx4_aes_kdf_uses_c9d9_uuid(void **state)
{
	(void)state;
	static const uint8_t c9[4] = {0xc9, 0xd9, 0xf3, 0x9a};
	kdbx_container c, r;
	kdbx_buf h;
	size_t hl = 0;
	fix_container(&c, KDBX_VERSION_4_0, KDBX_CIPHER_AES256, KDBX_KDF_AES_KDBX4,
	              KDBX_COMPRESS_GZIP, 0);
	c.kdf.rounds = 1000000;
	header_of(&c, &h);
	uint8_t ids[16];
	size_t offs[16];
	size_t cnt = walk(h.data, h.len, true, ids, offs, 16);
	assert_int_equal(cnt, 6);
	assert_int_equal(ids[4], 11);
	kdbx_vdict kdf;
	const uint8_t *f = h.data + offs[4];
	assert_int_equal(kdbx_vdict_parse(&kdf, f + 5, kdbx_le32(f + 1)), KDBX_OK);
	assert_int_equal(kdf.count, 3);
	assert_string_equal(kdf.items[0].name, "$UUID");
	assert_memory_equal(kdf.items[0].value, c9, 4);
	assert_string_equal(kdf.items[1].name, "R");
	assert_string_equal(kdf.items[2].name, "S");
	kdbx_vdict_free(&kdf);

	memset(&r, 0, sizeof(r));
	assert_int_equal(kdbx_header__parse(&r, h.data, h.len, &hl), KDBX_OK);
	assert_int_equal(r.kdf.type, KDBX_KDF_AES_KDBX4);
	assert_int_equal(r.kdf.rounds, 1000000);
	kdbx_container_free(&r);
	kdbx_container_free(&c);
	kdbx_buf_free(&h);
}

/* Inserts a raw field just before the end field. */
static void insert_field(kdbx_buf *h, bool v4, uint8_t id, const uint8_t *data, size_t n,
                         kdbx_buf *out)
{
	size_t endlen = 1 + (v4 ? 4 : 2) + 4;
	*out = (kdbx_buf)KDBX_BUF_INIT;
	assert_int_equal(kdbx_buf_append(out, h->data, h->len - endlen), KDBX_OK);
	assert_int_equal(kdbx_buf_append_byte(out, id), KDBX_OK);
	if (v4)
		assert_int_equal(kdbx_buf_append_le32(out, (uint32_t)n), KDBX_OK);
	else
		assert_int_equal(kdbx_buf_append_le16(out, (uint16_t)n), KDBX_OK);
	assert_int_equal(kdbx_buf_append(out, data, n), KDBX_OK);
	assert_int_equal(kdbx_buf_append(out, h->data + h->len - endlen, endlen), KDBX_OK);
}

static int parse_buf(const kdbx_buf *b)
{
	kdbx_container r;
	size_t hl = 0;
	memset(&r, 0, sizeof(r));
	int rc = kdbx_header__parse(&r, b->data, b->len, &hl);
	if (rc == KDBX_OK)
		assert_int_equal(hl, b->len);
	kdbx_container_free(&r);
	return rc;
}

static void test_format_header__kdbx4_rejects_legacy_fields(void **state)
{
	(void)state;
	static const uint8_t legacy[] = {5, 6, 8, 9, 10};
	uint8_t val[32] = {2};
	kdbx_container c;
	kdbx_buf h, b;
	fix_container(&c, KDBX_VERSION_4_0, KDBX_CIPHER_AES256, KDBX_KDF_ARGON2D,
	              KDBX_COMPRESS_GZIP, 0);
	header_of(&c, &h);
	assert_int_equal(parse_buf(&h), KDBX_OK);
	for (size_t i = 0; i < sizeof(legacy); i++) {
		size_t n = legacy[i] == 6 ? 8 : legacy[i] == 10 ? 4 : 32;
		insert_field(&h, true, legacy[i], val, n, &b);
		assert_int_equal(parse_buf(&b), KDBX_ECORRUPT);
		kdbx_buf_free(&b);
	}
	/* comment and unknown ids are skipped */
	insert_field(&h, true, 1, (const uint8_t *)"hello", 5, &b);
	assert_int_equal(parse_buf(&b), KDBX_OK);
	kdbx_buf_free(&b);
	insert_field(&h, true, 200, val, 3, &b);
	assert_int_equal(parse_buf(&b), KDBX_OK);
	kdbx_buf_free(&b);
	kdbx_container_free(&c);
	kdbx_buf_free(&h);
}

static void test_format_header__kdbx3_unknown_and_comment_skipped(void **state)
{
	(void)state;
	kdbx_container c;
	kdbx_buf h, b;
	uint8_t val[4] = {1, 0, 0, 0};
	fix_container(&c, KDBX_VERSION_3_1, KDBX_CIPHER_AES256, KDBX_KDF_AES_KDBX3,
	              KDBX_COMPRESS_GZIP, 0);
	header_of(&c, &h);
	insert_field(&h, false, 1, (const uint8_t *)"comment", 7, &b);
	assert_int_equal(parse_buf(&b), KDBX_OK);
	kdbx_buf_free(&b);
	insert_field(&h, false, 77, val, 4, &b);
	assert_int_equal(parse_buf(&b), KDBX_OK);
	kdbx_buf_free(&b);
	/* ArcFour inner stream is refused, an invalid id is damage */
	insert_field(&h, false, 10, val, 4, &b);
	assert_int_equal(parse_buf(&b), KDBX_EUNSUPPORTED);
	kdbx_buf_free(&b);
	val[0] = 7;
	insert_field(&h, false, 10, val, 4, &b);
	assert_int_equal(parse_buf(&b), KDBX_ECORRUPT);
	kdbx_buf_free(&b);
	/* a 31-byte master seed */
	uint8_t seed[31] = {0};
	insert_field(&h, false, 4, seed, sizeof(seed), &b);
	assert_int_equal(parse_buf(&b), KDBX_ECORRUPT);
	kdbx_buf_free(&b);
	/* unknown cipher UUID, unknown compression */
	uint8_t uuid[16] = {0x11};
	insert_field(&h, false, 2, uuid, 16, &b);
	assert_int_equal(parse_buf(&b), KDBX_EUNSUPPORTED);
	kdbx_buf_free(&b);
	val[0] = 2;
	insert_field(&h, false, 3, val, 4, &b);
	assert_int_equal(parse_buf(&b), KDBX_EUNSUPPORTED);
	kdbx_buf_free(&b);
	kdbx_container_free(&c);
	kdbx_buf_free(&h);
}

static void test_format_header__signatures_and_versions(void **state)
{
	(void)state;
	kdbx_container c;
	kdbx_buf h;
	fix_container(&c, KDBX_VERSION_3_1, KDBX_CIPHER_AES256, KDBX_KDF_AES_KDBX3,
	              KDBX_COMPRESS_GZIP, 0);
	header_of(&c, &h);
	kdbx_put_le32(h.data + 4, 0xB54BFB65u); /* KeePass 1 */
	assert_int_equal(parse_buf(&h), KDBX_EUNSUPPORTED);
	kdbx_put_le32(h.data + 4, 0xB54BFB66u);
	assert_int_equal(parse_buf(&h), KDBX_ECORRUPT);
	kdbx_put_le32(h.data + 4, KDBX_SIG2);
	h.data[0] ^= 1;
	assert_int_equal(parse_buf(&h), KDBX_ECORRUPT);
	h.data[0] ^= 1;
	kdbx_put_le32(h.data + 8, 0x00050000u);
	assert_int_equal(parse_buf(&h), KDBX_EUNSUPPORTED);
	kdbx_put_le32(h.data + 8, 0x00010000u);
	assert_int_equal(parse_buf(&h), KDBX_EUNSUPPORTED);
	/* 2.x and 3.0 use the same layout */
	kdbx_put_le32(h.data + 8, KDBX_VERSION_2_0);
	assert_int_equal(parse_buf(&h), KDBX_OK);
	kdbx_put_le32(h.data + 8, 0x00020004u);
	assert_int_equal(parse_buf(&h), KDBX_OK);
	kdbx_put_le32(h.data + 8, KDBX_VERSION_3_0);
	assert_int_equal(parse_buf(&h), KDBX_OK);
	/* the writer only writes 3.1 / 4.0 / 4.1 */
	kdbx_buf w = KDBX_BUF_INIT;
	c.version = KDBX_VERSION_3_0;
	assert_int_equal(kdbx_header__write(&c, &w), KDBX_EINVALID);
	kdbx_buf_free(&w);
	kdbx_container_free(&c);
	kdbx_buf_free(&h);
}

static void truncate_all(uint32_t ver, kdbx_kdf_type kt)
{
	kdbx_container c;
	kdbx_buf h;
	fix_container(&c, ver, KDBX_CIPHER_AES256, kt, KDBX_COMPRESS_GZIP, 0);
	header_of(&c, &h);
	for (size_t n = 0; n < h.len; n++) {
		kdbx_container r;
		size_t hl = 0;
		memset(&r, 0, sizeof(r));
		assert_int_equal(kdbx_header__parse(&r, h.data, n, &hl), KDBX_ECORRUPT);
		kdbx_container_free(&r);
	}
	kdbx_container_free(&c);
	kdbx_buf_free(&h);
}

static void test_format_header__truncated_everywhere(void **state)
{
	(void)state;
	truncate_all(KDBX_VERSION_3_1, KDBX_KDF_AES_KDBX3);
	truncate_all(KDBX_VERSION_4_0, KDBX_KDF_ARGON2D);
	truncate_all(KDBX_VERSION_4_1, KDBX_KDF_AES_KDBX4);
}

static void test_format_header__every_bit_flip_is_safe(void **state)
{
	(void)state;
	static const uint32_t vers[] = {KDBX_VERSION_3_1, KDBX_VERSION_4_0};
	for (size_t v = 0; v < 2; v++) {
		kdbx_container c;
		kdbx_buf h;
		fix_container(&c, vers[v], KDBX_CIPHER_AES256,
		              v == 0 ? KDBX_KDF_AES_KDBX3 : KDBX_KDF_ARGON2D, KDBX_COMPRESS_GZIP, 0);
		header_of(&c, &h);
		for (size_t i = 0; i < h.len * 8; i++) {
			h.data[i / 8] ^= (uint8_t)(1u << (i % 8));
			kdbx_container r;
			size_t hl = 0;
			memset(&r, 0, sizeof(r));
			int rc = kdbx_header__parse(&r, h.data, h.len, &hl);
			assert_true(rc == KDBX_OK || fix_clean_code(rc));
			if (rc == KDBX_OK)
				assert_true(hl <= h.len);
			kdbx_container_free(&r);
			h.data[i / 8] ^= (uint8_t)(1u << (i % 8));
		}
		kdbx_container_free(&c);
		kdbx_buf_free(&h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_header__kdbx3_roundtrip_and_order),
		cmocka_unit_test(test_format_header__kdbx4_argon2_roundtrip_and_order),
		cmocka_unit_test(test_format_header__kdbx4_aes_kdf_uses_c9d9_uuid),
		cmocka_unit_test(test_format_header__kdbx4_rejects_legacy_fields),
		cmocka_unit_test(test_format_header__kdbx3_unknown_and_comment_skipped),
		cmocka_unit_test(test_format_header__signatures_and_versions),
		cmocka_unit_test(test_format_header__truncated_everywhere),
		cmocka_unit_test(test_format_header__every_bit_flip_is_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
