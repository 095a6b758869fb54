/* Unit tests: composite key and master-key derivation (keepassxc-notes 1.1-1.4).
 * Besides the notes' YubiKey vector, real files from ../shared/interop are checked
 * end to end: KDBX3 via StreamStartBytes, KDBX4 via the header HMAC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "kdbx/provider.h"
#include "keys/keys.h"

static size_t unhex(uint8_t *buf, const char *hex)
{
	size_t n = strlen(hex) / 2;
	assert_int_equal(kdbx_hex_decode(buf, n, hex, 2 * n), KDBX_OK);
	return n;
}

/* ---- a tiny in-test provider: fixed response, or a challenge->response table ---- */
struct test_provider {
	kdbx_provider parent;
	const char *fixed;          /* hex response for any challenge */
	const char *const *table;   /* {challenge hex, response hex, ...}, NULL-terminated */
	uint8_t last_challenge[64];
	size_t last_len;
	int calls;
	int fail;
};

static int tp_respond(kdbx_provider *self, const uint8_t *challenge, size_t len, kdbx_secret **out)
{
	struct test_provider *tp = (struct test_provider *)self;
	uint8_t resp[20];
	char hex[129];

	tp->calls++;
	assert_true(len <= sizeof(tp->last_challenge));
	memcpy(tp->last_challenge, challenge, len);
	tp->last_len = len;
	if (tp->fail)
		return kdbx_error__set(tp->fail, "test provider failure");
	if (tp->fixed != NULL) {
		unhex(resp, tp->fixed);
		return kdbx_secret_new(out, resp, 20);
	}
	kdbx_hex_encode(hex, challenge, len, false);
	for (size_t i = 0; tp->table[i] != NULL; i += 2) {
		if (strcmp(tp->table[i], hex) == 0) {
			unhex(resp, tp->table[i + 1]);
			return kdbx_secret_new(out, resp, 20);
		}
	}
	return kdbx_error__set(KDBX_EDEVICE, "unknown challenge");
}

static void tp_init(struct test_provider *tp)
{
	memset(tp, 0, sizeof(*tp));
	tp->parent.version = KDBX_PROVIDER_VERSION;
	tp->parent.name = "test";
	tp->parent.challenge_response = tp_respond;
}

static void test_keys_derive__yubikey_vector_from_notes(void **state)
{
	struct test_provider tp;
	kdbx_key *k = NULL;
	uint8_t comp[32], c[32], resp[20], hp[32], seed[32] = {0};
	kdbx_iov v[2];
	char hex[65];

	(void)state;
	tp_init(&tp);
	tp.fixed = "ec5f7c1427d8b26b9984228abb98621b1165ba18";
	assert_int_equal(kdbx_key_new(&k), KDBX_OK);
	assert_int_equal(kdbx_key_set_password(k, "a", 1), KDBX_OK);
	assert_int_equal(kdbx_key_add_challenge_response(k, &tp.parent), KDBX_OK);
	assert_int_equal(kdbx_key__composite(k, seed, 32, true, comp), KDBX_OK);
	assert_int_equal(tp.calls, 1);
	/* C = SHA-256(response) = 709b0674...dff5bf6a */
	unhex(resp, tp.fixed);
	assert_int_equal(kdbx_sha256(resp, 20, c), KDBX_OK);
	kdbx_hex_encode(hex, c, 32, false);
	assert_memory_equal(hex, "709b0674", 8);
	assert_memory_equal(hex + 56, "dff5bf6a", 8);
	/* composite = SHA-256(SHA-256("a") || C) = df5d072b...fbd8bfa1 */
	kdbx_hex_encode(hex, comp, 32, false);
	assert_memory_equal(hex, "df5d072b", 8);
	assert_memory_equal(hex + 56, "fbd8bfa1", 8);
	assert_int_equal(kdbx_sha256("a", 1, hp), KDBX_OK);
	v[0] = (kdbx_iov){hp, 32};
	v[1] = (kdbx_iov){c, 32};
	assert_int_equal(kdbx_sha256_v(v, 2, c), KDBX_OK);
	assert_memory_equal(comp, c, 32);
	kdbx_key_free(&k);
}

static kdbx_kdf_params aes_params(uint64_t rounds)
{
	kdbx_kdf_params p;
	memset(&p, 0, sizeof(p));
	p.type = KDBX_KDF_AES_KDBX3;
	p.rounds = rounds;
	p.seed_len = 32;
	for (int i = 0; i < 32; i++)
		p.seed[i] = (uint8_t)(0x40 + i);
	return p;
}

static void test_keys_derive__formulas(void **state)
{
	struct test_provider tp;
	kdbx_key *k = NULL;
	kdbx_kdf_params p = aes_params(100);
	uint8_t ms[32], ck[32], hk[64], comp[32], t[32], c[32], exp[64], resp[20], one = 1;

	(void)state;
	for (int i = 0; i < 32; i++)
		ms[i] = (uint8_t)(0x90 + i);
	tp_init(&tp);
	tp.fixed = "00112233445566778899aabbccddeeff00112233";
	unhex(resp, tp.fixed);
	assert_int_equal(kdbx_sha256(resp, 20, c), KDBX_OK);
	assert_int_equal(kdbx_key_new(&k), KDBX_OK);
	assert_int_equal(kdbx_key_set_password(k, "pw", 2), KDBX_OK);
	assert_int_equal(kdbx_key_set_keyfile_data(k, "0123456789abcdef0123456789abcdef", 32), KDBX_OK);
	assert_int_equal(kdbx_key_add_challenge_response(k, &tp.parent), KDBX_OK);

	/* KDBX3: C outside the KDF, challenge = master seed */
	assert_int_equal(kdbx_key__derive(k, 0x00030001, &p, ms, ck, NULL, NULL, NULL), KDBX_OK);
	assert_int_equal(tp.last_len, 32);
	assert_memory_equal(tp.last_challenge, ms, 32);
	assert_int_equal(kdbx_key__composite(k, NULL, 0, false, comp), KDBX_OK);
	assert_int_equal(kdbx_kdf_transform(&p, comp, t, NULL, NULL), KDBX_OK);
	{
		kdbx_iov v[3] = {{ms, 32}, {c, 32}, {t, 32}};
		assert_int_equal(kdbx_sha256_v(v, 3, exp), KDBX_OK);
	}
	assert_memory_equal(ck, exp, 32);

	/* KDBX4 (AES-KDF, KDBX4 semantics): C inside, challenge = KDF seed */
	p.type = KDBX_KDF_AES_KDBX4;
	assert_int_equal(kdbx_key__derive(k, 0x00040000, &p, ms, ck, hk, NULL, NULL), KDBX_OK);
	assert_memory_equal(tp.last_challenge, p.seed, 32);
	assert_int_equal(kdbx_key__composite(k, p.seed, 32, true, comp), KDBX_OK);
	assert_int_equal(kdbx_kdf_transform(&p, comp, t, NULL, NULL), KDBX_OK);
	{
		kdbx_iov v[2] = {{ms, 32}, {t, 32}};
		kdbx_iov h[3] = {{ms, 32}, {t, 32}, {&one, 1}};
		assert_int_equal(kdbx_sha256_v(v, 2, exp), KDBX_OK);
		assert_memory_equal(ck, exp, 32);
		assert_int_equal(kdbx_sha512_v(h, 3, exp), KDBX_OK);
		assert_memory_equal(hk, exp, 64);
	}
	assert_int_equal(kdbx_key__derive(k, 0x00040000, &p, ms, ck, NULL, NULL, NULL), KDBX_EINVALID);

	/* provider errors propagate unchanged */
	tp.fail = KDBX_ETIMEOUT;
	assert_int_equal(kdbx_key__derive(k, 0x00040000, &p, ms, ck, hk, NULL, NULL), KDBX_ETIMEOUT);
	assert_string_equal(kdbx_error_last(), "test provider failure");
	/* absurd KDF parameters are refused before the device is asked */
	tp.fail = 0;
	tp.calls = 0;
	p.rounds = ((uint64_t)1 << 41);
	assert_int_equal(kdbx_key__derive(k, 0x00040000, &p, ms, ck, hk, NULL, NULL), KDBX_EUNSUPPORTED);
	assert_int_equal(tp.calls, 0);
	kdbx_key_free(&k);

	/* empty key */
	assert_int_equal(kdbx_key_new(&k), KDBX_OK);
	p.rounds = 10;
	assert_int_equal(kdbx_key__derive(k, 0x00040000, &p, ms, ck, hk, NULL, NULL), KDBX_EINVALID);
	kdbx_key_free(&k);
}

/* ---- real files ---- */
static const char *shared_dir(void)
{
	const char *d = getenv("KDBX_SHARED_DIR");
	return d != NULL ? d : "../shared";
}

static bool load(const char *rel, kdbx_buf *b)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/interop/%s", shared_dir(), rel);
	return kdbx_file_read(path, b) == KDBX_OK;
}

struct hdr {
	uint32_t version;
	int cipher;
	uint8_t master_seed[32];
	uint8_t iv[16];
	uint8_t start_bytes[32];
	kdbx_kdf_params kdf;
	size_t hdr_len;
};

static void parse_vd(const uint8_t *d, size_t n, kdbx_kdf_params *p)
{
	size_t i = 2;
	while (i < n && d[i] != 0) {
		uint8_t type = d[i];
		uint32_t nl = kdbx_le32(d + i + 1);
		const char *name = (const char *)d + i + 5;
		uint32_t vl = kdbx_le32(d + i + 5 + nl);
		const uint8_t *v = d + i + 9 + nl;
		(void)type;
		if (nl == 5 && memcmp(name, "$UUID", 5) == 0)
			p->type = (kdbx_kdf_type)kdbx_kdf__from_uuid(v, true);
		else if (nl == 1 && name[0] == 'R') p->rounds = kdbx_le64(v);
		else if (nl == 1 && name[0] == 'I') p->iterations = kdbx_le64(v);
		else if (nl == 1 && name[0] == 'M') p->memory = kdbx_le64(v);
		else if (nl == 1 && name[0] == 'P') p->parallelism = kdbx_le32(v);
		else if (nl == 1 && name[0] == 'V') p->version = kdbx_le32(v);
		else if (nl == 1 && name[0] == 'S') {
			memcpy(p->seed, v, vl);
			p->seed_len = vl;
		}
		i += 9 + nl + vl;
	}
}

static void parse_header(const kdbx_buf *b, struct hdr *h)
{
	size_t i = 12;
	bool v4;

	memset(h, 0, sizeof(*h));
	h->version = kdbx_le32(b->data + 8);
	v4 = h->version >= 0x00040000;
	h->kdf.type = KDBX_KDF_AES_KDBX3;
	for (;;) {
		uint8_t id = b->data[i];
		size_t len = v4 ? kdbx_le32(b->data + i + 1) : kdbx_le16(b->data + i + 1);
		const uint8_t *d = b->data + i + (v4 ? 5 : 3);
		i += (v4 ? 5 : 3) + len;
		switch (id) {
		case 0: h->hdr_len = i; return;
		case 2: h->cipher = kdbx_cipher__from_uuid(d); break;
		case 4: memcpy(h->master_seed, d, 32); break;
		case 5: memcpy(h->kdf.seed, d, 32); h->kdf.seed_len = 32; break;
		case 6: h->kdf.rounds = kdbx_le64(d); break;
		case 7: memcpy(h->iv, d, len); break;
		case 9: memcpy(h->start_bytes, d, 32); break;
		case 11: parse_vd(d, len, &h->kdf); break;
		default: break;
		}
	}
}

/* Returns true if key opens the file (KDBX3: start bytes, KDBX4: header HMAC). */
static bool key_opens(const kdbx_buf *b, const kdbx_key *k)
{
	struct hdr h;
	uint8_t ck[32], hk[64], blk[64], mac[32];
	kdbx_buf plain = KDBX_BUF_INIT;
	bool ok;

	parse_header(b, &h);
	assert_int_equal(kdbx_key__derive(k, h.version, &h.kdf, h.master_seed, ck, hk, NULL, NULL), KDBX_OK);
	if (h.version < 0x00040000) {
		if (kdbx_cipher_decrypt((kdbx_cipher)h.cipher, ck, h.iv, b->data + h.hdr_len, b->len - h.hdr_len,
		                        &plain) != KDBX_OK) {
			kdbx_buf_free(&plain); /* out stays caller-owned on failure */
			return false;
		}
		ok = plain.len >= 32 && memcmp(plain.data, h.start_bytes, 32) == 0;
		kdbx_buf_free(&plain);
		return ok;
	}
	{
		uint8_t idx[8];
		kdbx_iov v[2] = {{idx, 8}, {hk, 64}};
		kdbx_put_le64(idx, UINT64_MAX);
		assert_int_equal(kdbx_sha512_v(v, 2, blk), KDBX_OK);
	}
	assert_int_equal(kdbx_hmac_sha256(blk, 64, b->data, h.hdr_len, mac), KDBX_OK);
	return memcmp(mac, b->data + h.hdr_len + 32, 32) == 0;
}

static const char *const yk_table[] = {
	"011ed85afa703341893596fba2da60b6cacabaa5468a0e9ea74698b901bc89ab", "ae7244b336f3360e4669ec9eaf4ddc23785aef03",
	"0ba4bbdf2e44fe56b64136a5086ba3ab814130d8e3fe7ed0e869cc976af6c12a", "18350f73193e1c89211921d3016bfe3ddfc54d3e",
	NULL};

static void check_yubikey_file(const char *rel)
{
	kdbx_buf b = KDBX_BUF_INIT;
	struct test_provider tp;
	kdbx_key *k = NULL, *nocr = NULL;

	if (!load(rel, &b))
		fail_msg("cannot read %s", rel);
	tp_init(&tp);
	tp.table = yk_table;
	assert_int_equal(kdbx_key_new(&k), KDBX_OK);
	assert_int_equal(kdbx_key_set_password(k, "demo", 4), KDBX_OK);
	assert_int_equal(kdbx_key_add_challenge_response(k, &tp.parent), KDBX_OK);
	assert_true(key_opens(&b, k));
	assert_int_equal(tp.calls, 1);
	/* without the hardware component the same password must fail */
	assert_int_equal(kdbx_key_new(&nocr), KDBX_OK);
	assert_int_equal(kdbx_key_set_password(nocr, "demo", 4), KDBX_OK);
	assert_false(key_opens(&b, nocr));
	kdbx_key_free(&k);
	kdbx_key_free(&nocr);
	kdbx_buf_free(&b);
}

static void test_keys_derive__yubikey_kdbx3_file(void **state)
{
	(void)state;
	check_yubikey_file("kdbxweb/YubiKey3.kdbx");
}

static void test_keys_derive__yubikey_kdbx4_file(void **state)
{
	(void)state;
	check_yubikey_file("kdbxweb/YubiKey4.kdbx");
}

static void test_keys_derive__keyfile_only_kdbx3(void **state)
{
	kdbx_buf b = KDBX_BUF_INIT;
	kdbx_key *k = NULL;
	char path[1024];

	(void)state;
	assert_true(load("keepassxc/FileKeyXmlV2.kdbx", &b));
	snprintf(path, sizeof(path), "%s/interop/keepassxc/FileKeyXmlV2.keyx", shared_dir());
	assert_int_equal(kdbx_key_new(&k), KDBX_OK);
	assert_int_equal(kdbx_key_set_keyfile(k, path), KDBX_OK);
	assert_true(key_opens(&b, k));
	/* an empty password is a component: adding it must break the key */
	assert_int_equal(kdbx_key_set_password(k, "", 0), KDBX_OK);
	assert_false(key_opens(&b, k));
	kdbx_key_free(&k);
	kdbx_buf_free(&b);
}

static void test_keys_derive__password_kdbx4_argon2(void **state)
{
	kdbx_buf b = KDBX_BUF_INIT;
	kdbx_key *k = NULL;

	(void)state;
	/* Format400: ChaCha20, Argon2d 1 MiB, password "t" */
	assert_true(load("keepassxc/Format400.kdbx", &b));
	assert_int_equal(kdbx_key_new(&k), KDBX_OK);
	assert_int_equal(kdbx_key_set_password(k, "t", 1), KDBX_OK);
	assert_true(key_opens(&b, k));
	assert_int_equal(kdbx_key_set_password(k, "T", 1), KDBX_OK);
	assert_false(key_opens(&b, k));
	kdbx_key_free(&k);
	kdbx_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest base[] = {
		cmocka_unit_test(test_keys_derive__yubikey_vector_from_notes),
		cmocka_unit_test(test_keys_derive__formulas),
	};
	const struct CMUnitTest files[] = {
		cmocka_unit_test(test_keys_derive__yubikey_kdbx3_file),
		cmocka_unit_test(test_keys_derive__yubikey_kdbx4_file),
		cmocka_unit_test(test_keys_derive__keyfile_only_kdbx3),
		cmocka_unit_test(test_keys_derive__password_kdbx4_argon2),
	};
	char probe[1024];
	int rc = cmocka_run_group_tests(base, NULL, NULL);

	snprintf(probe, sizeof(probe), "%s/interop/manifest.json", shared_dir());
	if (access(probe, R_OK) != 0) {
		printf("skipped: ../shared absent\n");
		return rc != 0 ? rc : 77;
	}
	return rc | cmocka_run_group_tests(files, NULL, NULL);
}
