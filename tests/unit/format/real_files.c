/* Container layer against databases written by KeePassXC and kdbxweb (../shared/interop). */
#include <stdio.h>

#include "unit/format/fixture.h"

static char shared_dir[4096];

typedef struct real_file {
	const char *path;     /* relative to interop/ */
	const char *password; /* NULL = no password component */
	const char *keyfile;  /* relative to the file's directory, NULL = none */
	uint32_t version;
	kdbx_cipher cipher;
	kdbx_kdf_type kdf;
	size_t nbinaries; /* KDBX4 inner-header binaries (ANY: not checked) */
} real_file;
#define ANY SIZE_MAX

static const real_file files[] = {
	{"keepassxc/Format200.kdbx", "a", NULL, KDBX_VERSION_2_0, KDBX_CIPHER_AES256,
	 KDBX_KDF_AES_KDBX3, 0},
	{"keepassxc/Format300.kdbx", "a", NULL, KDBX_VERSION_3_0, KDBX_CIPHER_AES256,
	 KDBX_KDF_AES_KDBX3, 0},
	{"keepassxc/NewDatabase.kdbx", "a", NULL, KDBX_VERSION_3_1, KDBX_CIPHER_AES256,
	 KDBX_KDF_AES_KDBX3, 0},
	{"keepassxc/Compressed.kdbx", "", NULL, KDBX_VERSION_3_1, KDBX_CIPHER_AES256,
	 KDBX_KDF_AES_KDBX3, 0},
	{"keepassxc/FileKeyBinary.kdbx", NULL, "FileKeyBinary.key", 0x00020004u, KDBX_CIPHER_AES256,
	 KDBX_KDF_AES_KDBX3, 0},
	{"keepassxc/Format400.kdbx", "t", NULL, KDBX_VERSION_4_0, KDBX_CIPHER_CHACHA20,
	 KDBX_KDF_ARGON2D, 1},
	{"keepassxc/NewDatabaseBrowser.kdbx", "a", NULL, KDBX_VERSION_4_0, KDBX_CIPHER_AES256,
	 KDBX_KDF_AES_KDBX4, 0},
	{"kdbxweb/Argon2ChaCha.kdbx", "demo", "demo.key", KDBX_VERSION_4_0, KDBX_CIPHER_CHACHA20,
	 KDBX_KDF_ARGON2D, ANY},
	{"kdbxweb/Argon2id.kdbx", "demo", "demo.key", KDBX_VERSION_4_0, KDBX_CIPHER_AES256,
	 KDBX_KDF_ARGON2ID, ANY},
	{"kdbxweb/AesChaCha.kdbx", "demo", "demo.key", KDBX_VERSION_3_1, KDBX_CIPHER_CHACHA20,
	 KDBX_KDF_AES_KDBX3, 0},
	{"kdbxweb/KDBX4.1.kdbx", "test", NULL, KDBX_VERSION_4_1, KDBX_CIPHER_AES256,
	 KDBX_KDF_AES_KDBX4, ANY},
};

/* Further files that must decrypt (credentials from interop/manifest.json). Slow ones
 * (128 MiB Argon2) and hardware-key ones are left to the corpus tests. */
static const real_file more[] = {
	{"keepassxc/FileKeyHex.kdbx", NULL, "FileKeyHex.key", 0, 0, 0, ANY},
	{"keepassxc/FileKeyHashed.kdbx", NULL, "FileKeyHashed.key", 0, 0, 0, ANY},
	{"keepassxc/FileKeyXml.kdbx", NULL, "FileKeyXml.key", 0, 0, 0, ANY},
	{"keepassxc/FileKeyXmlV2.kdbx", NULL, "FileKeyXmlV2.keyx", 0, 0, 0, ANY},
	{"keepassxc/NonAscii.kdbx", "\xce\x94\xc3\xb6\xd8\xb6", NULL, 0, 0, 0, ANY},
	{"keepassxc/ProtectedStrings.kdbx", "masterpw", NULL, 0, 0, 0, ANY},
	{"keepassxc/RecycleBinWithData.kdbx", "123", NULL, 0, 0, 0, ANY},
	{"keepassxc/SyncDatabaseDifferentPassword.kdbx", "b", NULL, 0, 0, 0, ANY},
	{"kdbxweb/Argon2.kdbx", "demo", "demo.key", 0, 0, 0, ANY},
	{"kdbxweb/AesKdfKdbx4.kdbx", "demo", NULL, 0, 0, 0, ANY},
	{"kdbxweb/EmptyPass.kdbx", "", NULL, 0, 0, 0, ANY},
	{"kdbxweb/EmptyPassWithKeyFile.kdbx", "", "EmptyPassWithKeyFile.key", 0, 0, 0, ANY},
	{"kdbxweb/Key32.kdbx", "test", "Key32.key", 0, 0, 0, ANY},
	{"kdbxweb/Key64.kdbx", "test", "Key64.key", 0, 0, 0, ANY},
	{"kdbxweb/KeyV2.kdbx", NULL, "KeyV2.keyx", 0, 0, 0, ANY},
	{"kdbxweb/KeyWithBom.kdbx", "test", "KeyWithBom.key", 0, 0, 0, ANY},
	{"kdbxweb/NoPassWithKeyFile.kdbx", NULL, "NoPassWithKeyFile.key", 0, 0, 0, ANY},
	{"kdbxweb/binkey.kdbx", "test", "binkey.key", 0, 0, 0, ANY},
	{"kdbxweb/cyrillic.kdbx", "\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c", NULL, 0, 0,
	 0, ANY},
	{"kdbxweb/demo.kdbx", "demo", "demo.key", 0, 0, 0, ANY},
};

static void load(const char *rel, kdbx_buf *out)
{
	char path[8192];
	snprintf(path, sizeof(path), "%s/interop/%s", shared_dir, rel);
	*out = (kdbx_buf)KDBX_BUF_INIT;
	assert_int_equal(kdbx_file_read(path, out), KDBX_OK);
}

static kdbx_key *key_for(const real_file *f, const char *password)
{
	kdbx_key *k = NULL;
	assert_int_equal(kdbx_key_new(&k), KDBX_OK);
	if (password != NULL)
		assert_int_equal(kdbx_key_set_password(k, password, strlen(password)), KDBX_OK);
	if (f->keyfile != NULL) {
		char path[8192];
		const char *slash = strrchr(f->path, '/');
		snprintf(path, sizeof(path), "%s/interop/%.*s/%s", shared_dir, (int)(slash - f->path),
		         f->path, f->keyfile);
		assert_int_equal(kdbx_key_set_keyfile(k, path), KDBX_OK);
	}
	return k;
}

/* The document starts xml_skip bytes into the buffer (KDBX4: after the inner header). */
static bool xml_looks_right(const kdbx_container *c)
{
	const char *p = (const char *)c->xml.data + c->xml_skip;
	size_t n = c->xml.len - c->xml_skip;
	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
		p += 3;
		n -= 3;
	}
	if (n < 5 || memcmp(p, "<?xml", 5) != 0)
		return false;
	return memmem(p, n, "<KeePassFile>", 13) != NULL;
}

static void test_format_real_files__open(void **state)
{
	(void)state;
	for (size_t i = 0; i < KDBX_ARRAY_LEN(files); i++) {
		const real_file *f = &files[i];
		kdbx_buf data;
		kdbx_container c;
		load(f->path, &data);
		kdbx_key *k = key_for(f, f->password);
		int rc = kdbx_container_read(&c, data.data, data.len, k, NULL);
		if (rc != KDBX_OK)
			fail_msg("%s: %d %s", f->path, rc, kdbx_error_last());
		assert_int_equal(c.version, f->version);
		assert_int_equal(c.cipher, f->cipher);
		assert_int_equal(c.kdf.type, f->kdf);
		if (f->nbinaries != ANY)
			assert_int_equal(c.nbinaries, f->nbinaries);
		assert_true(c.stream_key_len > 0);
		if (!xml_looks_right(&c))
			fail_msg("%s: payload is not KeePass XML", f->path);
		kdbx_container_free(&c);
		kdbx_key_free(&k);
		kdbx_buf_free(&data);
	}
}

static void test_format_real_files__open_more(void **state)
{
	(void)state;
	for (size_t i = 0; i < KDBX_ARRAY_LEN(more); i++) {
		const real_file *f = &more[i];
		kdbx_buf data;
		kdbx_container c;
		load(f->path, &data);
		kdbx_key *k = key_for(f, f->password);
		int rc = kdbx_container_read(&c, data.data, data.len, k, NULL);
		if (rc != KDBX_OK)
			fail_msg("%s: %d %s", f->path, rc, kdbx_error_last());
		if (!xml_looks_right(&c))
			fail_msg("%s: payload is not KeePass XML", f->path);
		kdbx_container_free(&c);
		kdbx_key_free(&k);
		kdbx_buf_free(&data);
	}
}

static void test_format_real_files__format400_details(void **state)
{
	(void)state;
	kdbx_buf data;
	kdbx_container c;
	load(files[5].path, &data);
	kdbx_key *k = key_for(&files[5], "t");
	assert_int_equal(kdbx_container_read(&c, data.data, data.len, k, NULL), KDBX_OK);
	assert_int_equal(c.kdf.memory, 1u << 20);
	assert_int_equal(c.kdf.iterations, 2);
	assert_int_equal(c.kdf.parallelism, 2);
	assert_int_equal(c.stream_id, 3);
	assert_int_equal(c.nbinaries, 1);
	assert_int_equal(c.binaries[0].flags, 0x00); /* KeePass writes 0, KeePassXC 1 */
	assert_int_equal(c.binaries[0].len, 10);
	assert_memory_equal(c.binaries[0].data, "Format400\n", 10);
	kdbx_container_free(&c);
	kdbx_key_free(&k);
	kdbx_buf_free(&data);
}

static void test_format_real_files__wrong_password(void **state)
{
	(void)state;
	static const size_t which[] = {0, 2, 5, 7, 10};
	for (size_t i = 0; i < KDBX_ARRAY_LEN(which); i++) {
		const real_file *f = &files[which[i]];
		kdbx_buf data;
		kdbx_container c;
		load(f->path, &data);
		kdbx_key *k = key_for(f, "definitely wrong");
		assert_int_equal(kdbx_container_read(&c, data.data, data.len, k, NULL), KDBX_EAUTH);
		kdbx_key_free(&k);
		kdbx_buf_free(&data);
	}
}

/* The protected-stream key of this file was altered: the container still decrypts (KDBX 3 has
 * no header MAC); the header hash we return differs from Meta/HeaderHash, which the XML layer
 * checks. Here: the hash is computed over exactly the header bytes. */
static void test_format_real_files__broken_header_hash_decrypts(void **state)
{
	(void)state;
	kdbx_buf data;
	kdbx_container c;
	real_file f = {"keepassxc/BrokenHeaderHash.kdbx", "", NULL, 0, 0, 0, 0};
	load(f.path, &data);
	kdbx_key *k = key_for(&f, "");
	assert_int_equal(kdbx_container_read(&c, data.data, data.len, k, NULL), KDBX_OK);
	assert_true(xml_looks_right(&c));
	assert_non_null(memmem(c.xml.data, c.xml.len, "<HeaderHash>", 12));
	kdbx_container_free(&c);
	kdbx_key_free(&k);
	kdbx_buf_free(&data);
}

int main(void)
{
	const char *env = getenv("KDBX_SHARED_DIR");
	snprintf(shared_dir, sizeof(shared_dir), "%s", env != NULL ? env : "../shared");
	char probe[8192];
	snprintf(probe, sizeof(probe), "%s/interop/manifest.json", shared_dir);
	FILE *fp = fopen(probe, "rb");
	if (fp == NULL) {
		printf("skipped: ../shared absent\n");
		return 77;
	}
	fclose(fp);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_real_files__open),
		cmocka_unit_test(test_format_real_files__open_more),
		cmocka_unit_test(test_format_real_files__format400_details),
		cmocka_unit_test(test_format_real_files__wrong_password),
		cmocka_unit_test(test_format_real_files__broken_header_hash_decrypts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
