/* Unit tests: key-file formats (keepassxc-notes 3.10), kdbx_keyfile_create, the key
 * object, and the KeePassXC key-file corpus in ../shared/interop/keepassxc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
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

static int parse_str(const char *s, uint8_t out[32])
{
	return kdbx_keyfile__parse((const uint8_t *)s, strlen(s), out);
}

static const char *v2_doc =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<KeyFile>\n\t<Meta>\n\t\t<Version>2.0</Version>\n\t</Meta>\n"
	"\t<Key>\n\t\t<Data Hash=\"FE2949B8\">\n\t\t\tA7007945 D07D54BA 28DF6434 1B4500FC\n"
	"\t\t\t9750DFB1 D36ADA2D 9C32DC19 4C7AB01B\n\t\t</Data>\n\t</Key>\n</KeyFile>\n";
static const char *v2_key = "a7007945d07d54ba28df64341b4500fc9750dfb1d36ada2d9c32dc194c7ab01b";

static void test_keys_keyfile__xml_v2(void **state)
{
	uint8_t out[32], exp[32];
	char buf[1024];

	(void)state;
	unhex(exp, v2_key);
	assert_int_equal(parse_str(v2_doc, out), KDBX_OK);
	assert_memory_equal(out, exp, 32);
	/* UTF-8 BOM tolerated */
	snprintf(buf, sizeof(buf), "\xEF\xBB\xBF%s", v2_doc);
	memset(out, 0, 32);
	assert_int_equal(parse_str(buf, out), KDBX_OK);
	assert_memory_equal(out, exp, 32);
}

static void replace(char *buf, size_t size, const char *doc, const char *from, const char *to)
{
	const char *at = strstr(doc, from);
	assert_non_null(at);
	snprintf(buf, size, "%.*s%s%s", (int)(at - doc), doc, to, at + strlen(from));
}

static void test_keys_keyfile__xml_v2_errors(void **state)
{
	uint8_t out[32];
	char buf[1024];

	(void)state;
	replace(buf, sizeof(buf), v2_doc, "FE2949B8", "FE2949B9");
	assert_int_equal(parse_str(buf, out), KDBX_EKEYFILE);
	assert_non_null(strstr(kdbx_error_last(), "checksum"));
	replace(buf, sizeof(buf), v2_doc, " Hash=\"FE2949B8\"", "");
	assert_int_equal(parse_str(buf, out), KDBX_EKEYFILE);
	replace(buf, sizeof(buf), v2_doc, "A7007945", "X7007945");
	assert_int_equal(parse_str(buf, out), KDBX_EKEYFILE);
	replace(buf, sizeof(buf), v2_doc, "<Version>2.0", "<Version>3.0");
	assert_int_equal(parse_str(buf, out), KDBX_EKEYFILE);
	/* malformed XML with a KeyFile root: an error, never hashed */
	replace(buf, sizeof(buf), v2_doc, "</Key>", "</Kez>");
	assert_int_equal(parse_str(buf, out), KDBX_EKEYFILE);
	replace(buf, sizeof(buf), v2_doc, "</KeyFile>", "");
	assert_int_equal(parse_str(buf, out), KDBX_EKEYFILE);
}

static void test_keys_keyfile__xml_v1(void **state)
{
	const char *doc = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<KeyFile><Meta><Version>1.00</Version></Meta>"
	                  "<Key><Data>nhNal+U9p6h1rWAAJ5YrNkMazMTZkIWLi3WC4JQv5jk=</Data></Key></KeyFile>";
	const char *shortdoc = "<KeyFile><Meta><Version>1.0</Version></Meta><Key><Data>AQID</Data></Key></KeyFile>";
	const char *bad = "<KeyFile><Meta><Version>1.00</Version></Meta><Key><Data>yy</Data></Key></KeyFile>";
	uint8_t out[32], exp[32] = {1, 2, 3};
	kdbx_buf d = KDBX_BUF_INIT;

	(void)state;
	assert_int_equal(kdbx_base64_decode(&d, "nhNal+U9p6h1rWAAJ5YrNkMazMTZkIWLi3WC4JQv5jk=", 44), KDBX_OK);
	assert_int_equal(parse_str(doc, out), KDBX_OK);
	assert_memory_equal(out, d.data, 32);
	kdbx_buf_free(&d);
	/* short data is zero-padded, not hashed */
	assert_int_equal(parse_str(shortdoc, out), KDBX_OK);
	assert_memory_equal(out, exp, 32);
	assert_int_equal(parse_str(bad, out), KDBX_EKEYFILE);
}

static void test_keys_keyfile__fallbacks(void **state)
{
	uint8_t out[32], exp[32];
	const char *hex64 = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
	const char *other = "<root><KeyFile/></root>";

	(void)state;
	/* 32 raw bytes */
	assert_int_equal(parse_str("0123456789abcdef0123456789abcdef", out), KDBX_OK);
	assert_memory_equal(out, "0123456789abcdef0123456789abcdef", 32);
	/* 64 hex characters */
	assert_int_equal(parse_str(hex64, out), KDBX_OK);
	unhex(exp, hex64);
	assert_memory_equal(out, exp, 32);
	/* 64 characters that are not all hex: hashed */
	assert_int_equal(parse_str("g0112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF", out), KDBX_OK);
	assert_int_equal(kdbx_sha256("g0112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF", 64, exp), KDBX_OK);
	assert_memory_equal(out, exp, 32);
	/* XML whose root is not KeyFile falls through to hashing */
	assert_int_equal(parse_str(other, out), KDBX_OK);
	assert_int_equal(kdbx_sha256(other, strlen(other), exp), KDBX_OK);
	assert_memory_equal(out, exp, 32);
	/* text that merely starts with '<' */
	assert_int_equal(parse_str("<not xml at all", out), KDBX_OK);
	assert_int_equal(kdbx_sha256("<not xml at all", 15, exp), KDBX_OK);
	assert_memory_equal(out, exp, 32);
	assert_int_equal(kdbx_keyfile__parse((const uint8_t *)"", 0, out), KDBX_EKEYFILE);
}

static void test_keys_keyfile__create(void **state)
{
	char dir[] = "/tmp/kdbx-keyfile-XXXXXX", path[64];
	kdbx_buf b = KDBX_BUF_INIT;
	uint8_t out[32];
	struct stat st;
	const char *data;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/new.keyx", dir);
	assert_int_equal(kdbx_keyfile_create(path), KDBX_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(kdbx_keyfile_create(path), KDBX_EEXISTS);
	assert_int_equal(kdbx_file_read(path, &b), KDBX_OK);
	assert_int_equal(kdbx_buf_append_byte(&b, 0), KDBX_OK);
	data = (const char *)b.data;
	assert_true(strncmp(data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KeyFile>", 48) == 0);
	assert_non_null(strstr(data, "<Version>2.0</Version>"));
	assert_non_null(strstr(data, "<Data Hash=\""));
	/* uppercase hex only, 8 groups of 8 */
	{
		const char *from = strstr(data, "<Data Hash=\"") + 12, *to = strstr(data, "</Data>");
		int groups = 0;
		assert_non_null(to);
		for (const char *c = from; c < to; c++) {
			assert_false(*c >= 'a' && *c <= 'f');
			if ((c == from || c[-1] == ' ' || c[-1] == '\n') && c[0] >= '0' && c[0] <= 'F' && c[0] != '>')
				groups++;
		}
		assert_int_equal(groups, 9); /* the hash + 8 data groups */
	}
	/* parses back through the v2 path with a valid hash */
	assert_int_equal(kdbx_keyfile__parse(b.data, b.len - 1, out), KDBX_OK);
	kdbx_buf_free(&b);
	unlink(path);
	rmdir(dir);
	assert_int_equal(kdbx_keyfile_create("/nonexistent-kdbx-dir/x.keyx"), KDBX_EIO);
}

static void test_keys_key__components(void **state)
{
	kdbx_key *k = NULL, *d = NULL;
	kdbx_provider p;
	uint8_t comp[32], exp[32];

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(kdbx_key_new(&k), KDBX_OK);
	assert_false(kdbx_key_has_password(k));
	assert_false(kdbx_key_has_keyfile(k));
	assert_false(kdbx_key_has_challenge_response(k));
	assert_int_equal(kdbx_key__composite(k, NULL, 0, false, comp), KDBX_EINVALID);
	/* empty password is a component: SHA-256(SHA-256("")) */
	assert_int_equal(kdbx_key_set_password(k, "", 0), KDBX_OK);
	assert_true(kdbx_key_has_password(k));
	assert_int_equal(kdbx_key__composite(k, NULL, 0, false, comp), KDBX_OK);
	assert_int_equal(kdbx_sha256("", 0, exp), KDBX_OK);
	assert_int_equal(kdbx_sha256(exp, 32, exp), KDBX_OK);
	assert_memory_equal(comp, exp, 32);
	assert_int_equal(kdbx_key_set_keyfile_data(k, "0123456789abcdef0123456789abcdef", 32), KDBX_OK);
	assert_true(kdbx_key_has_keyfile(k));
	/* a provider without the callback or with a wrong version is refused */
	assert_int_equal(kdbx_key_add_challenge_response(k, &p), KDBX_EINVALID);
	assert_false(kdbx_key_has_challenge_response(k));
	assert_int_equal(kdbx_key_set_keyfile(k, "/nonexistent/key"), KDBX_EKEYFILE);
	assert_true(kdbx_key_has_keyfile(k)); /* unchanged on failure */
	assert_int_equal(kdbx_key__dup(&d, k), KDBX_OK);
	assert_true(kdbx_key_has_password(d) && kdbx_key_has_keyfile(d));
	assert_int_equal(kdbx_key__composite(d, NULL, 0, false, exp), KDBX_OK);
	assert_int_equal(kdbx_key__composite(k, NULL, 0, false, comp), KDBX_OK);
	assert_memory_equal(comp, exp, 32);
	assert_int_equal(kdbx_key_clear_password(k), KDBX_OK);
	assert_int_equal(kdbx_key_clear_keyfile(k), KDBX_OK);
	assert_false(kdbx_key_has_password(k) || kdbx_key_has_keyfile(k));
	assert_true(kdbx_key_has_password(d)); /* the copy is independent */
	kdbx_key_free(&k);
	kdbx_key_free(&d);
	assert_null(k);
	kdbx_key_free(&k);
}

/* Every FileKey* key file of the KeePassXC corpus: parses, or fails with
 * KDBX_EKEYFILE for the deliberately broken ones. */
static void test_keys_keyfile__keepassxc_corpus(void **state)
{
	static const struct {
		const char *name;
		int rc;
		const char *prefix; /* expected component prefix (hex) or NULL */
	} files[] = {
		{"FileKeyBinary.key", KDBX_OK, NULL},
		{"FileKeyHashed.key", KDBX_OK, NULL},
		{"FileKeyHashed2.key", KDBX_OK, NULL},
		{"FileKeyHex.key", KDBX_OK, NULL},
		{"FileKeyXml.key", KDBX_OK, "9e135a97e53da7a875ad6000"},
		{"FileKeyXmlBrokenBase64.key", KDBX_EKEYFILE, NULL},
		{"FileKeyXmlV2.keyx", KDBX_OK, "a7007945d07d54ba"},
		{"FileKeyXmlV2BrokenHex.keyx", KDBX_EKEYFILE, NULL},
		{"FileKeyXmlV2HashFail.keyx", KDBX_EKEYFILE, NULL},
		{"KeyFileProtected.key", KDBX_OK, NULL},
		{"KeyFileProtectedNoPassword.key", KDBX_OK, NULL},
	};
	const char *shared = *state;

	for (size_t i = 0; i < KDBX_ARRAY_LEN(files); i++) {
		char path[1024], hex[65];
		kdbx_buf b = KDBX_BUF_INIT;
		uint8_t out[32], h[32];
		kdbx_key *k = NULL;

		snprintf(path, sizeof(path), "%s/interop/keepassxc/%s", shared, files[i].name);
		assert_int_equal(kdbx_file_read(path, &b), KDBX_OK);
		assert_int_equal(kdbx_keyfile__parse(b.data, b.len, out), files[i].rc);
		assert_int_equal(kdbx_key_new(&k), KDBX_OK);
		assert_int_equal(kdbx_key_set_keyfile(k, path), files[i].rc);
		kdbx_key_free(&k);
		if (files[i].rc == KDBX_OK) {
			kdbx_hex_encode(hex, out, 32, false);
			if (files[i].prefix != NULL)
				assert_memory_equal(hex, files[i].prefix, strlen(files[i].prefix));
			if (b.len == 32)
				assert_memory_equal(out, b.data, 32);
			if (strstr(files[i].name, "Hashed") != NULL || strstr(files[i].name, "Protected") != NULL) {
				assert_int_equal(kdbx_sha256(b.data, b.len, h), KDBX_OK);
				assert_memory_equal(out, h, 32);
			}
		}
		kdbx_buf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest base[] = {
		cmocka_unit_test(test_keys_keyfile__xml_v2),
		cmocka_unit_test(test_keys_keyfile__xml_v2_errors),
		cmocka_unit_test(test_keys_keyfile__xml_v1),
		cmocka_unit_test(test_keys_keyfile__fallbacks),
		cmocka_unit_test(test_keys_keyfile__create),
		cmocka_unit_test(test_keys_key__components),
	};
	const char *shared = getenv("KDBX_SHARED_DIR");
	char probe[1024];
	int rc = cmocka_run_group_tests(base, NULL, NULL);

	if (shared == NULL)
		shared = "../shared";
	snprintf(probe, sizeof(probe), "%s/interop/keepassxc/FileKeyXmlV2.keyx", shared);
	if (access(probe, R_OK) != 0) {
		printf("skipped: ../shared absent\n");
		return rc != 0 ? rc : 77;
	}
	{
		const struct CMUnitTest corpus[] = {
			cmocka_unit_test_prestate(test_keys_keyfile__keepassxc_corpus, (void *)shared),
		};
		return rc | cmocka_run_group_tests(corpus, NULL, NULL);
	}
}
