/* Mode 2 (kdbxtool KEK format): the known-answer values of
 * ../shared/reference/kdbxtool-notes.md 3 and 1.2-1.5 reproduce exactly, a
 * file laid out byte by byte as kdbxtool writes it opens, and none of
 * kdbxtool's data-loss cases (notes 1.9) happen here. */
#include "helpers.h"

#define TEST_SECRET "12345678901234567890"
#define JSON "{\"type\":\"yubikey_hmac\",\"label\":\"Primary\",\"id\":\"default\"}"

static void chal32(uint8_t c[32])
{
	for (int i = 0; i < 32; i++)
		c[i] = (uint8_t)i;
}

static void test_kdbxtool__mock_responses(void **state)
{
	static const struct {
		int hash;
		const char *secret;
		size_t len;
		const char *want;
	} v[] = {
		{KDBX_SOFTKEY_SHA1, TEST_SECRET, 20, "15cffaa4124df7121727a79739053d9a7a070202"},
		{KDBX_SOFTKEY_SHA1, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20,
		 "c28c2213077a87d0f245ec3c74a651d200882fe5"},
		{KDBX_SOFTKEY_SHA256, "12345678901234567890123456789012", 32,
		 "db9ea48f4bd471f4c69dcfde61f6f6d0e57c1c38f199f6d7501ebb6119696a76"},
		{KDBX_SOFTKEY_SHA256, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32,
		 "46bd320605c5a6b6163ab70bc6345b92a5f908e79fe58979c23ebb47d1a5e307"},
		{KDBX_SOFTKEY_SHA1, "k", 1, "4ae04bfdfffe6b6942fb318c276768d845682ce0"},
	};
	uint8_t c[32];

	(void)state;
	chal32(c);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		kdbx_provider *p = NULL;
		kdbx_secret *r = NULL;
		assert_int_equal(kdbx_softkey_new_secret(&p, v[i].hash, (const uint8_t *)v[i].secret, v[i].len), 0);
		assert_int_equal(kdbx_slots__cr_ask(p, c, 32, &r), 0);
		assert_int_equal(kdbx_secret_len(r), strlen(v[i].want) / 2);
		assert_hex(kdbx_secret_data(r), v[i].want);
		kdbx_secret_free(&r);
		kdbx_provider_free(&p);
	}
}

static void test_kdbxtool__hkdf_and_wrap_kat(void **state)
{
	uint8_t resp[20], key[32], kek[32], nonce[16], w[64], back[32];

	(void)state;
	unhex("15cffaa4124df7121727a79739053d9a7a070202", resp, 20);
	assert_int_equal(kdbx_hkdf_sha256(resp, 20, NULL, 0, (const uint8_t *)KDBXTOOL_HKDF_INFO,
	                                  strlen(KDBXTOOL_HKDF_INFO), key, 32), 0);
	assert_hex(key, "97ed1f336f0d46726020e191d4d3028c5b1e7b595f2029929ec62a0f363f86b1");
	for (int i = 0; i < 32; i++)
		kek[i] = (uint8_t)(0x40 + i);
	for (int i = 0; i < 16; i++)
		nonce[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(kdbx_kdbxtool__wrap(kek, resp, 20, nonce, w), 0);
	assert_hex(w, "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
	              "56464599fb22272ff345f8fc2eb676e7"
	              "dca89b0102d79b8758f0ccc19f109be46db3f74552fbadcc6f5ac09f295d6756");
	assert_int_equal(kdbx_kdbxtool__unwrap(w, resp, 20, back), 0);
	assert_memory_equal(back, kek, 32);
	/* A flipped tag bit, a wrong response, a short response. */
	w[20] ^= 1;
	assert_int_equal(kdbx_kdbxtool__unwrap(w, resp, 20, back), KDBX_EAUTH);
	w[20] ^= 1;
	resp[0] ^= 1;
	assert_int_equal(kdbx_kdbxtool__unwrap(w, resp, 20, back), KDBX_EAUTH);
	assert_int_equal(kdbx_kdbxtool__unwrap(w, resp, 15, back), KDBX_EDEVICE);
}

static void kat_wrapped(uint8_t w[64])
{
	unhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf56464599fb22272ff345f8fc2eb676e7"
	      "dca89b0102d79b8758f0ccc19f109be46db3f74552fbadcc6f5ac09f295d6756", w, 64);
}

static void test_kdbxtool__device_entry_bytes(void **state)
{
	uint8_t w[64];
	kdbx_buf b = KDBX_BUF_INIT;
	kdbxtool_device d;

	(void)state;
	kat_wrapped(w);
	assert_int_equal(kdbx_kdbxtool__serialize("yubikey_hmac", "Primary", "default", w, &b), 0);
	assert_int_equal(b.len, 121);
	assert_memory_equal(b.data, JSON, strlen(JSON));
	assert_int_equal(b.data[strlen(JSON)], 0);
	assert_memory_equal(b.data + 57, w, 64);
	assert_int_equal(kdbx_kdbxtool__parse_device(b.data, b.len, &d), 0);
	assert_string_equal(d.type, "yubikey_hmac");
	assert_string_equal(d.label, "Primary");
	assert_string_equal(d.id, "default");
	kdbx_kdbxtool__device_free(&d);
	/* Non-ASCII labels as json.dumps(ensure_ascii=True) writes them. */
	kdbx_buf_reset(&b);
	assert_int_equal(kdbx_kdbxtool__serialize("fido2", "Cl\xc3\xa9 \"\xf0\x9f\x94\x91\"\n", "x", w, &b), 0);
	assert_memory_equal(b.data, "{\"type\":\"fido2\",\"label\":\"Cl\\u00e9 \\\"\\ud83d\\udd11\\\"\\n\",\"id\":\"x\"}",
	                    strlen("{\"type\":\"fido2\",\"label\":\"Cl\\u00e9 \\\"\\ud83d\\udd11\\\"\\n\",\"id\":\"x\"}"));
	assert_int_equal(kdbx_kdbxtool__parse_device(b.data, b.len, &d), 0);
	assert_string_equal(d.label, "Cl\xc3\xa9 \"\xf0\x9f\x94\x91\"\n");
	kdbx_kdbxtool__device_free(&d);
	kdbx_buf_free(&b);
}

static void test_kdbxtool__device_entry_rejects(void **state)
{
	static const char *bad[] = {
		"{\"type\":\"a\",\"label\":\"b\"}",            /* no id (kdbxtool: KeyError) */
		"{\"type\":\"a\",\"label\":\"b\",\"id\":1}",  /* id not a string */
		"{\"type\":\"a\",\"label\":\"b\",\"id\":\"c\"",  /* unterminated */
		"[1,2]", "", "{\"type\":\"a\\u0000\",\"label\":\"b\",\"id\":\"c\"}",
	};
	uint8_t v[256];
	kdbxtool_device d;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i]);
		memcpy(v, bad[i], n);
		v[n] = 0;
		memset(v + n + 1, 0x55, 64);
		assert_int_equal(kdbx_kdbxtool__parse_device(v, n + 65, &d), KDBX_ECORRUPT);
	}
	/* Extra metadata keys (any JSON type) are kept out of the way. */
	strcpy((char *)v, "{\"type\":\"a\",\"label\":\"b\",\"id\":\"c\",\"x\":{\"y\":[1,true,null,\"z\"]}}");
	size_t n = strlen((char *)v);
	v[n] = 0;
	assert_int_equal(kdbx_kdbxtool__parse_device(v, n + 65, &d), 0);
	kdbx_kdbxtool__device_free(&d);
	/* Wrapped part must be exactly 64 bytes. */
	assert_int_equal(kdbx_kdbxtool__parse_device(v, n + 64, &d), KDBX_ECORRUPT);
	assert_int_equal(kdbx_kdbxtool__parse_device(v, n + 66, &d), KDBX_ECORRUPT);
}

/* The PublicCustomData TLV of notes 1.2, byte by byte. */
static void kdbxtool_pcd(kdbx_buf *b, const uint8_t salt[32], const uint8_t w[64])
{
	static const uint8_t one = 0x02;

	assert_int_equal(kdbx_buf_append(b, "\x00\x01", 2), 0);
	assert_int_equal(kdbx_buf_append(b, "\x42\x13\x00\x00\x00" "KDBXTOOL_CR_VERSION" "\x01\x00\x00\x00", 28), 0);
	assert_int_equal(kdbx_buf_append(b, &one, 1), 0);
	assert_int_equal(kdbx_buf_append(b, "\x42\x10\x00\x00\x00" "KDBXTOOL_CR_SALT" "\x20\x00\x00\x00", 25), 0);
	assert_int_equal(kdbx_buf_append(b, salt, 32), 0);
	assert_int_equal(kdbx_buf_append(b, "\x42\x14\x00\x00\x00" "KDBXTOOL_CR_DEVICE_0" "\x79\x00\x00\x00", 29), 0);
	assert_int_equal(kdbx_buf_append(b, JSON, strlen(JSON) + 1), 0);
	assert_int_equal(kdbx_buf_append(b, w, 64), 0);
	assert_int_equal(kdbx_buf_append_byte(b, 0), 0);
	assert_int_equal(b->len, 239);
}

/* A database as kdbxtool lays it out: PublicCustomData of notes 1.2 with the
 * known-answer salt / wrapped KEK, payload keyed with M = T XOR KEK. */
static void make_kdbxtool_file(uint8_t **img, size_t *len)
{
	kdbx_db *db = quick_db("password");
	kdbx_buf pcd = KDBX_BUF_INIT;
	uint8_t salt[32], w[64], kek[32];
	kdbx_key *k = pw_key("password");

	chal32(salt);
	kat_wrapped(w);
	kdbxtool_pcd(&pcd, salt, w);
	db->public_custom_data = kdbx_buf_detach(&pcd, &db->public_custom_data_len);
	for (int i = 0; i < 32; i++)
		kek[i] = (uint8_t)(0x40 + i);
	assert_int_equal(kdbx_key__set_kek(k, KDBX_KEK_XOR, kek), 0);
	assert_int_equal(kdbx_db_save_memory(db, k, img, len), 0);
	kdbx_key_free(&k);
	kdbx_db_free(&db);
}

/* Independent check of the key schedule of notes 1.5 on that file: header
 * HMAC recomputed from T XOR KEK by hand. */
static void test_kdbxtool__key_schedule_by_hand(void **state)
{
	uint8_t *img = NULL, comp[32], t[32], hmac_base[64], blk[64], mac[32], one = 1;
	size_t len = 0, hl = 0;
	kdbx_container c;
	uint8_t pwh[32];
	uint64_t idx = UINT64_MAX;
	uint8_t idx_le[8];

	(void)state;
	make_kdbxtool_file(&img, &len);
	memset(&c, 0, sizeof(c));
	assert_int_equal(kdbx_header__parse(&c, img, len, &hl), 0);
	assert_int_equal(c.public_custom_data_len, 239);
	assert_int_equal(kdbx_sha256("password", 8, pwh), 0);
	assert_int_equal(kdbx_sha256(pwh, 32, comp), 0);
	assert_int_equal(kdbx_kdf_run(&c.kdf, comp, t), 0);
	for (int i = 0; i < 32; i++)
		t[i] ^= (uint8_t)(0x40 + i);
	kdbx_iov v[3] = {{c.master_seed, 32}, {t, 32}, {&one, 1}};
	assert_int_equal(kdbx_sha512_v(v, 3, hmac_base), 0);
	for (int i = 0; i < 8; i++)
		idx_le[i] = (uint8_t)(idx >> (8 * i));
	kdbx_iov bv[2] = {{idx_le, 8}, {hmac_base, 64}};
	assert_int_equal(kdbx_sha512_v(bv, 2, blk), 0);
	assert_int_equal(kdbx_hmac_sha256(blk, 64, img, hl, mac), 0);
	/* After the header: SHA-256(header) then HMAC. */
	assert_memory_equal(img + hl + 32, mac, 32);
	kdbx_container_free(&c);
	kdbx_free(img, len);
}

static void test_kdbxtool__file_from_kat_opens(void **state)
{
	uint8_t *img = NULL;
	size_t len = 0;
	kdbx_key *k = pw_key("password");
	kdbx_slot_providers *set = set_of(soft_slot(TEST_SECRET), NULL);
	kdbx_slot_providers *wrong = set_of(soft_slot("another secret 12345"), NULL);
	kdbx_db *db = NULL;
	kdbx_slot_info *l = NULL;
	size_t n = 0;

	(void)state;
	make_kdbxtool_file(&img, &len);
	assert_int_equal(open_img(img, len, k, set, NULL, &db), 0);
	assert_string_equal(first_title(db), "hello");
	assert_int_equal(kdbx_slots_mode(db), KDBX_MODE_KDBXTOOL);
	assert_int_equal(kdbx_slots_list(db, &l, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].label, "Primary");
	assert_string_equal(l[0].type, "yubikey_hmac");
	assert_string_equal(l[0].device_id, "default");
	kdbx_slots_list_free(&l);
	kdbx_db_free(&db);
	/* The provider can also ride on the key, kdbxtool style. */
	{
		kdbx_provider *p = softkey(KDBX_SOFTKEY_SHA1, TEST_SECRET);
		kdbx_key *k2 = pw_key("password");
		assert_int_equal(kdbx_key_add_challenge_response(k2, p), 0);
		assert_int_equal(open_img(img, len, k2, NULL, NULL, &db), 0);
		kdbx_db_free(&db);
		kdbx_key_free(&k2);
		kdbx_provider_free(&p);
	}
	/* Errors: wrong device, no device, wrong password + right device. */
	assert_int_equal(open_img(img, len, k, wrong, NULL, &db), KDBX_EAUTH);
	assert_int_equal(open_img(img, len, k, NULL, NULL, &db), KDBX_EDEVICE);
	{
		kdbx_key *bad = pw_key("wrong");
		assert_int_equal(open_img(img, len, bad, set, NULL, &db), KDBX_EAUTH);
		kdbx_key_free(&bad);
	}
	/* A plain open (no KEK) is refused as wrong credentials, never garbage. */
	assert_int_equal(kdbx_db_open_memory(&db, img, len, k, NULL), KDBX_EAUTH);
	kdbx_free(img, len);
	kdbx_slot_providers_free(&set);
	kdbx_slot_providers_free(&wrong);
	kdbx_key_free(&k);
}

/* kdbxtool-notes 1.9: re-save after a KDF change, re-save (seeds always new
 * here), password change, save with an explicit key, reload then save. */
static void test_kdbxtool__no_data_loss(void **state)
{
	uint8_t *img = NULL, *img2 = NULL;
	size_t len = 0, len2 = 0;
	kdbx_key *k = pw_key("password");
	kdbx_slot_providers *set = set_of(soft_slot(TEST_SECRET), NULL);
	kdbx_db *db = NULL, *db2 = NULL;
	kdbx_kdf_params p;

	(void)state;
	make_kdbxtool_file(&img, &len);
	assert_int_equal(open_img(img, len, k, set, NULL, &db), 0);
	/* KDF change */
	assert_int_equal(kdbx_kdf_defaults(&p, KDBX_KDF_ARGON2ID), 0);
	p.memory = 1024 * 1024;
	p.iterations = 1;
	p.parallelism = 1;
	assert_int_equal(kdbx_db_set_kdf(db, &p), 0);
	assert_int_equal(reopen(db, k, set, NULL, &db2, &img2, &len2), 0);
	assert_string_equal(first_title(db2), "hello");
	/* Saved without a device, new seeds every time. */
	kdbx_db_free(&db);
	assert_int_equal(reopen(db2, k, set, NULL, &db, NULL, NULL), 0);
	kdbx_db_free(&db);
	/* Save with an explicit key (no KEK in it) keeps the KEK. */
	{
		uint8_t *b = NULL;
		size_t n = 0;
		assert_int_equal(kdbx_db_save_memory(db2, k, &b, &n), 0);
		assert_int_equal(open_img(b, n, k, set, NULL, &db), 0);
		kdbx_db_free(&db);
		kdbx_free(b, n);
	}
	/* New password: the device still opens it with the new password. */
	{
		kdbx_key *k2 = pw_key("new password");
		assert_int_equal(kdbx_db_set_key(db2, k2), 0);
		assert_int_equal(reopen(db2, k2, set, NULL, &db, NULL, NULL), 0);
		kdbx_db_free(&db);
		assert_int_equal(reopen(db2, k, set, NULL, &db, NULL, NULL), KDBX_EAUTH);
		kdbx_key_free(&k2);
	}
	kdbx_db_free(&db2);
	kdbx_free(img, len);
	kdbx_free(img2, len2);
	kdbx_slot_providers_free(&set);
	kdbx_key_free(&k);
}

/* Enrolling in mode 2 here writes what kdbxtool reads: items in its order,
 * its JSON, a 32-byte salt, and a KEK that XORs T. */
static void test_kdbxtool__enrol_writes_kdbxtool_layout(void **state)
{
	kdbx_db *db = quick_db("password"), *db2 = NULL;
	kdbx_key *k = pw_key("password");
	kdbx_slot_provider *a = soft_slot(TEST_SECRET), *b = soft_slot("second device secret");
	kdbx_slot_providers *sa = set_of(a, NULL), *sb = set_of(b, NULL);
	kdbx_slot_enrol_options o = KDBX_SLOT_ENROL_OPTIONS_INIT;
	kdbx_vdict d;
	uint32_t id = 99;

	(void)state;
	o.mode = KDBX_MODE_KDBXTOOL;
	o.label = "Primary";
	assert_int_equal(kdbx_slots_enrol(db, a, &o, &id), 0);
	assert_int_equal(id, 0);
	o.label = "Backup";
	o.mode = KDBX_MODE_NONE; /* keeps mode 2 */
	assert_int_equal(kdbx_slots_enrol(db, b, &o, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(kdbx_slots_enrol(db, b, &o, &id), KDBX_EEXISTS);
	assert_int_equal(kdbx_vdict_parse(&d, db->public_custom_data, db->public_custom_data_len), 0);
	assert_int_equal(d.count, 4);
	assert_string_equal(d.items[0].name, "KDBXTOOL_CR_VERSION");
	assert_int_equal(d.items[0].value[0], 2);
	assert_string_equal(d.items[1].name, "KDBXTOOL_CR_SALT");
	assert_int_equal(d.items[1].len, 32);
	assert_string_equal(d.items[2].name, "KDBXTOOL_CR_DEVICE_0");
	assert_int_equal(d.items[2].len, 121);
	assert_memory_equal(d.items[2].value, JSON, strlen(JSON) + 1);
	kdbx_vdict_free(&d);
	/* Either device opens it. */
	assert_int_equal(reopen(db, k, sa, NULL, &db2, NULL, NULL), 0);
	kdbx_db_free(&db2);
	assert_int_equal(reopen(db, k, sb, NULL, &db2, NULL, NULL), 0);
	/* Revoke rotates salt and KEK here (unlike kdbxtool), b re-challenged. */
	assert_int_equal(kdbx_slots_revoke(db2, "Primary", sb, 0, NULL), 0);
	{
		kdbx_db *db3 = NULL;
		assert_int_equal(reopen(db2, k, sa, NULL, &db3, NULL, NULL), KDBX_EAUTH);
		assert_int_equal(reopen(db2, k, sb, NULL, &db3, NULL, NULL), 0);
		kdbx_db_free(&db3);
	}
	kdbx_db_free(&db2);
	kdbx_slot_providers_free(&sa);
	kdbx_slot_providers_free(&sb);
	kdbx_db_free(&db);
	kdbx_key_free(&k);
}

/* A KDBX 3.1 database enrolled in mode 2 is written as KDBX 4 and opens. */
static void test_kdbxtool__kdbx3_input(void **state)
{
	kdbx_db *db = quick_db("password"), *db2 = NULL;
	kdbx_key *k = pw_key("password");
	kdbx_slot_provider *a = soft_slot(TEST_SECRET);
	kdbx_slot_providers *sa = set_of(a, NULL);
	kdbx_slot_enrol_options o = KDBX_SLOT_ENROL_OPTIONS_INIT;
	kdbx_kdf_params p;
	uint8_t *b = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(kdbx_kdf_defaults(&p, KDBX_KDF_AES_KDBX3), 0);
	p.rounds = 100;
	assert_int_equal(kdbx_db_set_kdf(db, &p), 0);
	assert_int_equal(kdbx_db_save_memory(db, NULL, &b, &n), 0);
	kdbx_db_free(&db);
	assert_int_equal(kdbx_db_open_memory(&db, b, n, k, NULL), 0);
	kdbx_free(b, n);
	assert_int_equal(kdbx_db_file_version(db), 0x00030001);
	o.mode = KDBX_MODE_KDBXTOOL;
	o.label = "Primary";
	assert_int_equal(kdbx_slots_enrol(db, a, &o, NULL), 0);
	assert_int_equal(reopen(db, k, sa, NULL, &db2, NULL, NULL), 0);
	assert_true(kdbx_db_file_version(db2) >= 0x00040000);
	assert_string_equal(first_title(db2), "hello");
	kdbx_db_free(&db2);
	kdbx_db_free(&db);
	kdbx_slot_providers_free(&sa);
	kdbx_key_free(&k);
}

/* Damaged kdbxtool header data: unknown version, no salt, every entry broken. */
static void test_kdbxtool__damaged_items(void **state)
{
	static const struct {
		const char *name;
		const char *value;
		size_t len;
		int want;
	} v[] = {
		{"KDBXTOOL_CR_VERSION", "\x01", 1, KDBX_EUNSUPPORTED},
		{"KDBXTOOL_CR_SALT", NULL, 0, KDBX_ECORRUPT},
		{"KDBXTOOL_CR_DEVICE_0", "{\"type\":\"x\"}\0", 13, KDBX_ECORRUPT},
	};
	kdbx_key *k = pw_key("password");
	kdbx_slot_providers *set = set_of(soft_slot(TEST_SECRET), NULL);

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		kdbx_db *db = quick_db("password"), *o = NULL;
		kdbx_buf pcd = KDBX_BUF_INIT;
		uint8_t salt[32], w[64], kek[32], *img = NULL;
		size_t len = 0;
		kdbx_key *kk = pw_key("password");
		chal32(salt);
		kat_wrapped(w);
		kdbxtool_pcd(&pcd, salt, w);
		db->public_custom_data = kdbx_buf_detach(&pcd, &db->public_custom_data_len);
		assert_int_equal(kdbx_db__public_set(db, v[i].name, 0x42, v[i].value, v[i].len), 0);
		for (int j = 0; j < 32; j++)
			kek[j] = (uint8_t)(0x40 + j);
		assert_int_equal(kdbx_key__set_kek(kk, KDBX_KEK_XOR, kek), 0);
		assert_int_equal(kdbx_db_save_memory(db, kk, &img, &len), 0);
		assert_int_equal(open_img(img, len, k, set, NULL, &o), v[i].want);
		assert_null(o);
		kdbx_free(img, len);
		kdbx_key_free(&kk);
		kdbx_db_free(&db);
	}
	kdbx_slot_providers_free(&set);
	kdbx_key_free(&k);
}

/* A salt ending in 0x20 is asked the yubikit way: the soft key (and a real
 * key) hash the raw 32 bytes, as kdbxtool's MockYubiKey does. */
static void test_kdbxtool__salt_ending_in_0x20(void **state)
{
	uint8_t salt[32], want[20];
	kdbx_provider *p = softkey(KDBX_SOFTKEY_SHA1, TEST_SECRET);
	kdbx_secret *r = NULL;

	(void)state;
	chal32(salt);
	salt[31] = 0x20;
	assert_int_equal(kdbx_hmac_sha1((const uint8_t *)TEST_SECRET, 20, salt, 32, want), 0);
	assert_int_equal(kdbx_slots__cr_ask(p, salt, 32, &r), 0);
	assert_memory_equal(kdbx_secret_data(r), want, 20);
	kdbx_secret_free(&r);
	kdbx_provider_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kdbxtool__mock_responses),
		cmocka_unit_test(test_kdbxtool__hkdf_and_wrap_kat),
		cmocka_unit_test(test_kdbxtool__device_entry_bytes),
		cmocka_unit_test(test_kdbxtool__device_entry_rejects),
		cmocka_unit_test(test_kdbxtool__key_schedule_by_hand),
		cmocka_unit_test(test_kdbxtool__file_from_kat_opens),
		cmocka_unit_test(test_kdbxtool__no_data_loss),
		cmocka_unit_test(test_kdbxtool__enrol_writes_kdbxtool_layout),
		cmocka_unit_test(test_kdbxtool__kdbx3_input),
		cmocka_unit_test(test_kdbxtool__damaged_items),
		cmocka_unit_test(test_kdbxtool__salt_ending_in_0x20),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
