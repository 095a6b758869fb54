/* Corpus test: every file of ../shared/interop/manifest.json opens (or fails)
 * as the manifest says, through the public API only, with the content facts of
 * ../shared/reference/keepassxc-notes.md section 5; every file that opens must
 * survive save-to-memory + reopen unchanged. YubiKey files are answered by a
 * provider reading the manifest's challenge/response table or computing the
 * HMAC-SHA1 from the known secret (variable-length mode, notes section 1.2).
 * Prints one line per file; exits 77 when ../shared is absent. */
#include <cjson/cJSON.h>
#include <kdbx.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dumpjson.h"

/* ---- test providers ---- */

typedef struct table_provider {
	kdbx_provider parent; /* first: the library sees a kdbx_provider */
	const cJSON *table;   /* hex challenge -> hex response */
	const char *secret_hex;
	int calls;
} table_provider;

static int unhex(const char *hex, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static int tp_describe(kdbx_provider *self, char *buf, size_t buflen)
{
	(void)self;
	snprintf(buf, buflen, "corpus test provider");
	return 0;
}

static int tp_table(kdbx_provider *self, const uint8_t *challenge, size_t len, kdbx_secret **response)
{
	table_provider *tp = (table_provider *)self;
	char hex[2 * 128 + 1];
	uint8_t resp[64];
	size_t rlen;
	const cJSON *item;
	tp->calls++;
	if (len > 128)
		return KDBX_EDEVICE;
	dump_hex(challenge, len, hex);
	item = cJSON_GetObjectItemCaseSensitive(tp->table, hex);
	if (!cJSON_IsString(item) || unhex(item->valuestring, resp, sizeof(resp), &rlen) != 0) {
		fprintf(stderr, "    provider: unknown challenge %s\n", hex);
		return KDBX_EDEVICE;
	}
	return kdbx_secret_new(response, resp, rlen);
}

/* A YubiKey slot in variable-length HMAC mode: pad to 64 bytes PKCS#7 style as
 * the host does, then drop the trailing run of the last byte as the key does. */
static int tp_hmac(kdbx_provider *self, const uint8_t *challenge, size_t len, kdbx_secret **response)
{
	table_provider *tp = (table_provider *)self;
	uint8_t block[64], key[64], md[EVP_MAX_MD_SIZE];
	size_t klen, n;
	unsigned int mdlen = 0;
	tp->calls++;
	if (len >= 64 || unhex(tp->secret_hex, key, sizeof(key), &klen) != 0)
		return KDBX_EDEVICE;
	memcpy(block, challenge, len);
	memset(block + len, (int)(64 - len), 64 - len);
	n = 64;
	while (n > 0 && block[n - 1] == block[63])
		n--;
	if (!HMAC(EVP_sha1(), key, (int)klen, block, n, md, &mdlen))
		return KDBX_EDEVICE;
	return kdbx_secret_new(response, md, mdlen);
}

/* Owned by the test (static storage): nothing to free. */
static void tp_free(kdbx_provider *self) { (void)self; }

/* ---- reporting ---- */

static int failures, passes;
static char problems[4096];

__attribute__((format(printf, 1, 2))) static void problem(const char *fmt, ...)
{
	size_t used = strlen(problems);
	va_list ap;
	if (used + 4 >= sizeof(problems))
		return;
	if (used)
		strcat(problems, "; ");
	used = strlen(problems);
	va_start(ap, fmt);
	vsnprintf(problems + used, sizeof(problems) - used, fmt, ap);
	va_end(ap);
}

/* ---- content checks ---- */

typedef int (*entry_visit)(kdbx_entry *e, void *ud);

static void walk(kdbx_group *g, entry_visit fn, void *ud)
{
	for (size_t i = 0; i < kdbx_group_entry_count(g); i++)
		fn(kdbx_group_entry_at(g, i), ud);
	for (size_t i = 0; i < kdbx_group_group_count(g); i++)
		walk(kdbx_group_group_at(g, i), fn, ud);
}

static char *reveal(const kdbx_entry *e, const char *name)
{
	kdbx_secret *s = NULL;
	char *copy;
	if (kdbx_entry_field_reveal(&s, e, name) != KDBX_OK)
		return NULL;
	copy = strdup(kdbx_secret_str(s));
	kdbx_secret_free(&s);
	return copy;
}

static int attachment_is(const kdbx_entry *e, const char *name, const char *want)
{
	const uint8_t *d = NULL;
	size_t len = 0;
	return kdbx_entry_attachment(e, name, &d, &len) == KDBX_OK && len == strlen(want) &&
	       memcmp(d, want, len) == 0;
}

struct titles {
	const cJSON *want;
	int found, total;
};

static int visit_title(kdbx_entry *e, void *ud)
{
	struct titles *t = ud;
	char *title = reveal(e, KDBX_FIELD_TITLE);
	const cJSON *w;
	t->total++;
	cJSON_ArrayForEach(w, t->want)
	{
		if (title && cJSON_IsString(w) && strcmp(w->valuestring, title) == 0)
			t->found++;
	}
	free(title);
	return 0;
}

static int visit_format200(kdbx_entry *e, void *ud)
{
	int *ok = ud;
	if (attachment_is(e, "myattach.txt", "abcdefghijk") &&
	    attachment_is(e, "test.txt", "this is a test") && kdbx_entry_history_count(e) == 2)
		*ok = 1;
	return 0;
}

static void check_field(const kdbx_entry *e, const char *name, const char *want, int prot)
{
	char *v = reveal(e, name);
	if (!v || strcmp(v, want) != 0)
		problem("%s is '%s', expected '%s'", name, v ? v : "(absent)", want);
	if (prot >= 0 && kdbx_entry_field_protected(e, name) != prot)
		problem("%s protected=%d, expected %d", name, kdbx_entry_field_protected(e, name), prot);
	free(v);
}

static void check_facts(kdbx_db *db, const char *name, const cJSON *spec)
{
	const cJSON *v;
	char ver[16];
	uint32_t fv = kdbx_db_file_version(db);
	snprintf(ver, sizeof(ver), "%u.%u", (unsigned)(fv >> 16), (unsigned)(fv & 0xffff));
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(spec, "kdbx_version")) &&
	    strcmp(v->valuestring, ver) != 0)
		problem("version %s, expected %s", ver, v->valuestring);
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(spec, "entries")) &&
	    kdbx_db_entry_count(db) != (size_t)v->valueint)
		problem("%zu entries, expected %d", kdbx_db_entry_count(db), v->valueint);
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(spec, "groups")) &&
	    kdbx_db_group_count(db) != (size_t)v->valueint)
		problem("%zu groups, expected %d", kdbx_db_group_count(db), v->valueint);
	if (cJSON_IsArray(v = cJSON_GetObjectItemCaseSensitive(spec, "entries_titles"))) {
		struct titles t = {v, 0, 0};
		walk(kdbx_db_root(db), visit_title, &t);
		if (t.found != cJSON_GetArraySize(v) || t.total != cJSON_GetArraySize(v))
			problem("titles: %d of %d expected found among %d entries", t.found,
			        cJSON_GetArraySize(v), t.total);
	}
	if (strstr(name, "Format200.kdbx")) {
		int ok = 0;
		walk(kdbx_db_root(db), visit_format200, &ok);
		if (!ok)
			problem("no entry with myattach.txt='abcdefghijk', test.txt='this is a test' and "
			        "2 history items");
		const char *root = kdbx_group_name(kdbx_db_root(db));
		if (!root || strcmp(root, "Format200") != 0)
			problem("root group '%s', expected 'Format200'", root ? root : "");
	}
	if (strstr(name, "ProtectedStrings.kdbx")) {
		kdbx_group *root = kdbx_db_root(db);
		const char *dbname = kdbx_db_meta(db, KDBX_META_NAME);
		if (!dbname || strcmp(dbname, "Protected Strings Test") != 0)
			problem("database name '%s'", dbname ? dbname : "");
		if (kdbx_group_entry_count(root) < 1) {
			problem("no entry in the root group");
		} else {
			kdbx_entry *e = kdbx_group_entry_at(root, 0);
			check_field(e, KDBX_FIELD_USERNAME, "Protected User Name", -1);
			check_field(e, KDBX_FIELD_PASSWORD, "ProtectedPassword", -1);
			check_field(e, "TestProtected", "ABC", 1);
			check_field(e, "TestUnprotected", "DEF", 0);
		}
	}
}

/* Save to memory with the open key, reopen, compare counts and full content. */
static void check_resave(kdbx_db *db, const kdbx_key *key)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	kdbx_db *db2 = NULL;
	int rc = kdbx_db_save_memory(db, NULL, &buf, &len);
	if (rc != KDBX_OK) {
		problem("save to memory failed: %s (%s)", kdbx_strerror(rc), kdbx_error_last());
		return;
	}
	rc = kdbx_db_open_memory(&db2, buf, len, key, NULL);
	kdbx_free(buf, len);
	if (rc != KDBX_OK) {
		problem("reopen after save failed: %s (%s)", kdbx_strerror(rc), kdbx_error_last());
		return;
	}
	if (kdbx_db_entry_count(db2) != kdbx_db_entry_count(db) ||
	    kdbx_db_group_count(db2) != kdbx_db_group_count(db))
		problem("after save: %zu entries/%zu groups, before %zu/%zu", kdbx_db_entry_count(db2),
		        kdbx_db_group_count(db2), kdbx_db_entry_count(db), kdbx_db_group_count(db));
	char *a = dump_db_text(db, DUMP_TIMES), *b = dump_db_text(db2, DUMP_TIMES);
	if (a && b && strcmp(a, b) != 0) {
		size_t i = 0;
		while (a[i] && a[i] == b[i])
			i++;
		problem("content changed by save+reopen near '%.80s' vs '%.80s'", a + (i > 40 ? i - 40 : 0),
		        b + (i > 40 ? i - 40 : 0));
	}
	cJSON_free(a);
	cJSON_free(b);
	kdbx_db_free(&db2);
}

/* Opened with skip_history: the same content but the history, and read-only. A protected
 * value after a left-out history item only reads right if the item took its keystream. */
static void check_skip_history(kdbx_db *db, const char *path, const kdbx_key *key)
{
	kdbx_open_options opts = KDBX_OPEN_OPTIONS_INIT;
	kdbx_db *light = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;

	opts.skip_history = 1;
	int rc = kdbx_db_open(&light, path, key, &opts);
	if (rc != KDBX_OK) {
		problem("skip_history open failed: %s (%s)", kdbx_strerror(rc), kdbx_error_last());
		return;
	}
	char *a = dump_db_text(db, DUMP_TIMES | DUMP_NO_HISTORY);
	char *b = dump_db_text(light, DUMP_TIMES | DUMP_NO_HISTORY);
	if (!a || !b || strcmp(a, b) != 0)
		problem("skip_history open differs from the full open");
	cJSON_free(a);
	cJSON_free(b);
	if (!kdbx_db_history_skipped(light))
		problem("skip_history open not marked");
	if (kdbx_db_save_memory(light, NULL, &buf, &len) != KDBX_EINVALID)
		problem("a skip_history db was saved");
	kdbx_free(buf, len);
	kdbx_db_free(&light);
}

static void one_file(const char *shared, const char *name, const cJSON *spec)
{
	char path[4096], dir[4096], kf[4096];
	const cJSON *pw = cJSON_GetObjectItemCaseSensitive(spec, "password");
	const cJSON *keyfile = cJSON_GetObjectItemCaseSensitive(spec, "keyfile");
	const cJSON *expect = cJSON_GetObjectItemCaseSensitive(spec, "expect");
	const cJSON *cr = cJSON_GetObjectItemCaseSensitive(spec, "challenge_responses");
	const cJSON *secret = cJSON_GetObjectItemCaseSensitive(spec, "yubikey_hmac_secret");
	const char *exp = cJSON_IsString(expect) ? expect->valuestring : "open";
	static table_provider tp;
	kdbx_key *key = NULL;
	kdbx_db *db = NULL;
	int rc = KDBX_OK;

	problems[0] = '\0';
	snprintf(path, sizeof(path), "%s/interop/%s", shared, name);
	snprintf(dir, sizeof(dir), "%s", path);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';

	memset(&tp, 0, sizeof(tp));
	tp.parent.version = KDBX_PROVIDER_VERSION;
	tp.parent.name = "corpus-test";
	tp.parent.describe = tp_describe;
	tp.parent.free = tp_free;
	if (cJSON_IsObject(cr)) {
		tp.table = cr;
		tp.parent.challenge_response = tp_table;
	} else if (cJSON_IsString(secret)) {
		tp.secret_hex = secret->valuestring;
		tp.parent.challenge_response = tp_hmac;
	}

	if (kdbx_key_new(&key) != KDBX_OK) {
		problem("kdbx_key_new failed");
		goto report;
	}
	if (cJSON_IsString(pw))
		rc = kdbx_key_set_password(key, pw->valuestring, strlen(pw->valuestring));
	if (rc == KDBX_OK && cJSON_IsString(keyfile)) {
		if (snprintf(kf, sizeof(kf), "%s/%s", dir, keyfile->valuestring) >= (int)sizeof(kf))
			problem("key file path too long");
		rc = kdbx_key_set_keyfile(key, kf);
	}
	if (rc == KDBX_OK && tp.parent.challenge_response) {
		/* First: without the hardware key the file must not open. */
		rc = kdbx_db_open(&db, path, key, NULL);
		if (rc == KDBX_OK)
			problem("opened WITHOUT the challenge-response key");
		else if (kdbx_error_last()[0] == '\0')
			problem("failure without message");
		kdbx_db_free(&db);
		rc = kdbx_key_add_challenge_response(key, &tp.parent);
	}
	if (rc == KDBX_OK)
		rc = kdbx_db_open(&db, path, key, NULL);

	if (strcmp(exp, "open") == 0) {
		if (rc != KDBX_OK) {
			problem("open failed: %s (%s)", kdbx_strerror(rc), kdbx_error_last());
		} else {
			if (tp.parent.challenge_response && tp.calls == 0)
				problem("provider never asked");
			check_facts(db, name, spec);
			check_skip_history(db, path, key);
			/* A recorded table answers only the file's own seeds, and every
			 * save draws new ones: those files cannot be re-saved here. */
			if (!tp.table)
				check_resave(db, key);
		}
	} else if (strcmp(exp, "keyfile_error") == 0) {
		if (rc != KDBX_EKEYFILE)
			problem("got %s (%d), expected KDBX_EKEYFILE", kdbx_strerror(rc), rc);
	} else { /* "fail" */
		if (rc == KDBX_OK)
			problem("opened, but must be refused");
		else if (rc >= 0 || kdbx_error_last()[0] == '\0' || rc == KDBX_ENOMEM || rc == KDBX_ERROR)
			problem("unclean error %d '%s'", rc, kdbx_error_last());
	}
report:
	if (problems[0]) {
		failures++;
		printf("FAIL %-45s %s\n", name, problems);
	} else {
		passes++;
		if (rc == KDBX_OK && db)
			printf("ok   %-45s %s, %zu entries, %zu groups\n", name, exp, kdbx_db_entry_count(db),
			       kdbx_db_group_count(db));
		else
			printf("ok   %-45s %s: %s\n", name, exp, kdbx_strerror(rc));
	}
	fflush(stdout);
	kdbx_db_free(&db);
	kdbx_key_free(&key);
}

int main(void)
{
	const char *shared = getenv("KDBX_SHARED_DIR");
	char mpath[4096];
	struct stat st;
	FILE *f;
	char *text;
	long n;
	cJSON *manifest, *files, *item;

	if (!shared)
		shared = "../shared";
	snprintf(mpath, sizeof(mpath), "%s/interop/manifest.json", shared);
	if (stat(mpath, &st) != 0) {
		printf("skipped: ../shared absent (%s)\n", mpath);
		return 77;
	}
	if (!(f = fopen(mpath, "rb")) || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || !(text = malloc((size_t)n + 1)) ||
	    fread(text, 1, (size_t)n, f) != (size_t)n) {
		printf("FAIL cannot read %s\n", mpath);
		return 1;
	}
	fclose(f);
	text[n] = '\0';
	manifest = cJSON_Parse(text);
	free(text);
	files = cJSON_GetObjectItemCaseSensitive(manifest, "files");
	if (!cJSON_IsObject(files)) {
		printf("FAIL manifest has no files\n");
		cJSON_Delete(manifest);
		return 1;
	}
	cJSON_ArrayForEach(item, files) one_file(shared, item->string, item);
	printf("corpus: %d files as expected, %d not\n", passes, failures);
	cJSON_Delete(manifest);
	return failures || !passes ? 1 : 0;
}
