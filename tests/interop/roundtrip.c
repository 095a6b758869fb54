/* Randomized round trip: generates databases through the public API (unicode,
 * protected fields, attachments, history, custom data, tags, 4.1 fields, plus
 * unknown XML elements brought in by kdbx_db_import_xml), then checks that
 * write -> read -> write -> read loses nothing: the canonical dumps must be
 * identical and the unknown elements must still be in the exported XML.
 *   roundtrip [COUNT] [SEED]   (env KDBX_RT_COUNT / KDBX_RT_SEED work too)
 * Prints the seed so a failure can be replayed. */
#include <kdbx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dumpjson.h"

static uint64_t rng_state;

/* splitmix64: small, seedable, good enough to pick test content. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static unsigned int rn(unsigned int n)
{
	return n ? (unsigned int)(rnd() % n) : 0;
}

/* Pieces of text that stress the XML writer and the UTF-8 handling. */
static const char *const pieces[] = {
	"a", "Z", "0", "word", " ", "  lead", "trail  ", "\n", "\t", "<", ">", "&", "&amp;", "\"", "'",
	"]]>", "é", "ß", "Ω", "пароль", "日本語", "한국어", "עברית", "العربية", "😀", "🚗🐎", "e\xcc\x81",
	"\xe2\x80\x8b", "\r\n", "{REF:T@I:0}", "%s", "\\", "/", ";", ",", "=", "#", "\xef\xbb\xbf"};

static char *rand_text(unsigned int max_pieces)
{
	unsigned int n = rn(max_pieces + 1);
	size_t cap = 1, len = 0;
	char *s;
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++)
		cap += strlen(pieces[i]);
	cap *= (n ? n : 1);
	s = malloc(cap + 1);
	if (!s)
		return NULL;
	for (unsigned int i = 0; i < n; i++) {
		const char *p = pieces[rn((unsigned int)(sizeof(pieces) / sizeof(pieces[0])))];
		memcpy(s + len, p, strlen(p));
		len += strlen(p);
	}
	s[len] = '\0';
	return s;
}

/* A name that is never empty and never one of the standard field names. */
static char *rand_name(const char *prefix, unsigned int i)
{
	char *t = rand_text(3);
	char *s = malloc(strlen(prefix) + (t ? strlen(t) : 0) + 16);
	if (s)
		sprintf(s, "%s%u %s", prefix, i, t ? t : "");
	free(t);
	return s;
}

static kdbx_time rand_time(void)
{
	/* 2000-01-01 .. ~2030 in KDBX seconds. */
	return INT64_C(63082281600) + (kdbx_time)(rnd() % UINT64_C(946080000));
}

static int fail_line;
#define TRY(call)                                                                                  \
	do {                                                                                       \
		if ((call) != KDBX_OK) {                                                           \
			fail_line = __LINE__;                                                      \
			goto fail;                                                                 \
		}                                                                                  \
	} while (0)

static int fill_entry(kdbx_db *db, kdbx_entry *e, int v4)
{
	char *a = NULL, *b = NULL;
	unsigned int nfields = rn(5), natt = rn(4), nhist = rn(4), ncd = v4 ? rn(3) : 0;
	static const char *const std[] = {KDBX_FIELD_USERNAME, KDBX_FIELD_PASSWORD, KDBX_FIELD_URL,
	                                  KDBX_FIELD_NOTES};

	for (unsigned int h = 0; h <= nhist; h++) {
		if (h > 0)
			TRY(kdbx_entry_backup(db, e));
		for (unsigned int i = 0; i < 4; i++) {
			a = rand_text(6);
			TRY(kdbx_entry_set_field(e, std[i], a, i == 1));
			free(a);
			a = NULL;
		}
		for (unsigned int i = 0; i < nfields; i++) {
			char name[32];
			snprintf(name, sizeof(name), "Custom %u ü", i);
			a = rand_text(8);
			TRY(kdbx_entry_set_field(e, name, a, (int)rn(2)));
			free(a);
			a = NULL;
		}
		TRY(kdbx_entry_set_time(e, KDBX_TIME_LAST_MODIFICATION, rand_time()));
	}
	for (unsigned int i = 0; i < natt; i++) {
		uint8_t data[300];
		size_t len = rn(3) == 0 ? 0 : rn(sizeof(data));
		for (size_t k = 0; k < len; k++)
			data[k] = (uint8_t)rnd();
		a = rand_name("file", i);
		/* Same content twice exercises the de-duplicated pool. */
		TRY(kdbx_entry_set_attachment(e, a, i == 1 ? (const uint8_t *)"shared" : data,
		                              i == 1 ? 6 : len));
		free(a);
		a = NULL;
	}
	for (unsigned int i = 0; i < ncd; i++) {
		a = rand_name("cd", i);
		b = rand_text(4);
		TRY(kdbx_entry_set_custom_data(e, a, b));
		free(a);
		free(b);
		a = b = NULL;
	}
	if (rn(2)) {
		TRY(kdbx_entry_set_tags(e, rn(2) ? "alpha;beta" : "тег"));
	}
	TRY(kdbx_entry_set_icon(e, (int)rn(69)));
	if (rn(3) == 0) {
		TRY(kdbx_entry_set_foreground_color(e, "#FF0000"));
		TRY(kdbx_entry_set_background_color(e, "#00FF7F"));
	}
	if (rn(3) == 0) {
		a = rand_text(3);
		TRY(kdbx_entry_set_override_url(e, a));
		free(a);
		a = NULL;
	}
	if (v4 && rn(2))
		TRY(kdbx_entry_set_quality_check(e, 0));
	if (rn(3) == 0) {
		TRY(kdbx_entry_set_autotype_enabled(e, (int)rn(2)));
		TRY(kdbx_entry_set_autotype_sequence(e, "{USERNAME}{TAB}{PASSWORD}{ENTER}"));
		TRY(kdbx_entry_add_autotype_assoc(e, "Firefox - *", rn(2) ? "{PASSWORD}" : ""));
	}
	if (rn(4) == 0) {
		TRY(kdbx_entry_set_expires(e, 1));
		TRY(kdbx_entry_set_time(e, KDBX_TIME_EXPIRY, rand_time()));
	}
	TRY(kdbx_entry_set_time(e, KDBX_TIME_CREATION, rand_time()));
	TRY(kdbx_entry_set_time(e, KDBX_TIME_LAST_ACCESS, rand_time()));
	TRY(kdbx_entry_set_time(e, KDBX_TIME_LOCATION_CHANGED, rand_time()));
	TRY(kdbx_entry_set_time(e, KDBX_TIME_LAST_MODIFICATION, rand_time()));
	return 0;
fail:
	free(a);
	free(b);
	return -1;
}

static int fill_group(kdbx_db *db, kdbx_group *g, int depth, int v4)
{
	char *a = NULL, *b = NULL;
	unsigned int nent = rn(5), nsub = depth < 3 ? rn(3) : 0;
	a = rand_text(4);
	TRY(kdbx_group_set_notes(g, a));
	free(a);
	a = NULL;
	if (v4 && rn(2))
		TRY(kdbx_group_set_tags(g, "work;home"));
	TRY(kdbx_group_set_icon(g, (int)rn(69)));
	if (rn(3) == 0) {
		TRY(kdbx_group_set_enable_autotype(g, rn(2) ? KDBX_FALSE : KDBX_TRUE));
		TRY(kdbx_group_set_enable_searching(g, KDBX_FALSE));
		TRY(kdbx_group_set_default_autotype_sequence(g, "{PASSWORD}{ENTER}"));
	}
	if (v4 && rn(2)) {
		a = rand_name("gcd", 0);
		b = rand_text(3);
		TRY(kdbx_group_set_custom_data(g, a, b));
		free(a);
		free(b);
		a = b = NULL;
	}
	for (unsigned int i = 0; i < nent; i++) {
		kdbx_entry *e = NULL;
		a = rand_name("Entry", i);
		TRY(kdbx_entry_new(&e, g, a));
		free(a);
		a = NULL;
		if (fill_entry(db, e, v4) != 0)
			return -1;
	}
	for (unsigned int i = 0; i < nsub; i++) {
		kdbx_group *c = NULL;
		a = rand_name("Group", i);
		TRY(kdbx_group_add_group(&c, g, a));
		free(a);
		a = NULL;
		if (fill_group(db, c, depth + 1, v4) != 0)
			return -1;
	}
	TRY(kdbx_group_set_time(g, KDBX_TIME_CREATION, rand_time()));
	TRY(kdbx_group_set_time(g, KDBX_TIME_LAST_MODIFICATION, rand_time()));
	return 0;
fail:
	free(a);
	free(b);
	return -1;
}

static void b64(const uint8_t *in, size_t n, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
		             (i + 2 < n ? in[i + 2] : 0);
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = '\0';
}

/* A KeePass XML document with elements no KeePass version defines, in Meta,
 * a group and an entry; the marker strings must survive every save. */
static int write_unknown_xml(const char *path, uint64_t seed)
{
	uint8_t u1[16], u2[16];
	char s1[32], s2[32];
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (int i = 0; i < 16; i++) {
		u1[i] = (uint8_t)rnd();
		u2[i] = (uint8_t)rnd();
	}
	b64(u1, 16, s1);
	b64(u2, 16, s2);
	fprintf(f,
	        "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\n"
	        "<KeePassFile><Meta><Generator>roundtrip</Generator><DatabaseName>RT</DatabaseName>"
	        "<XUnknownMeta kind=\"m\">meta-%llu</XUnknownMeta></Meta><Root><Group><UUID>%s</UUID>"
	        "<Name>Root</Name><XUnknownGroup a=\"1\"><Inner>group-%llu</Inner></XUnknownGroup>"
	        "<Entry><UUID>%s</UUID><String><Key>Title</Key><Value>imported</Value></String>"
	        "<XUnknownEntry>entry-%llu</XUnknownEntry></Entry></Group></Root></KeePassFile>\n",
	        (unsigned long long)seed, s1, (unsigned long long)seed, s2, (unsigned long long)seed);
	return fclose(f) == 0 ? 0 : -1;
}

static void show_diff(const char *a, const char *b)
{
	size_t i = 0;
	while (a[i] && a[i] == b[i])
		i++;
	size_t from = i > 150 ? i - 150 : 0;
	fprintf(stderr, "  first difference at byte %zu\n  before: %.300s\n  after:  %.300s\n", i,
	        a + from, b + from);
}

static int save_reopen(kdbx_db *db, const kdbx_key *key, kdbx_db **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = kdbx_db_save_memory(db, key, &buf, &len);
	if (rc != KDBX_OK)
		return rc;
	rc = kdbx_db_open_memory(out, buf, len, key, NULL);
	kdbx_free(buf, len);
	return rc;
}

static int one(uint64_t seed, const char *tmpdir)
{
	static const kdbx_kdf_type kdfs[] = {KDBX_KDF_AES_KDBX3, KDBX_KDF_AES_KDBX4, KDBX_KDF_ARGON2D,
	                                     KDBX_KDF_ARGON2ID};
	kdbx_db *db = NULL, *db2 = NULL, *db3 = NULL;
	kdbx_key *key = NULL;
	kdbx_kdf_params kdf;
	char *d1 = NULL, *d2 = NULL, *d3 = NULL, *a = NULL;
	uint8_t *xml = NULL;
	size_t xml_len = 0;
	int with_unknown, ok = 0;
	char xmlpath[4096];

	rng_state = seed;
	kdbx_kdf_type kt = kdfs[rn(4)];
	int v4 = kt != KDBX_KDF_AES_KDBX3;
	with_unknown = rn(4) == 0;
	if (with_unknown) {
		snprintf(xmlpath, sizeof(xmlpath), "%s/rt-%llu.xml", tmpdir, (unsigned long long)seed);
		if (write_unknown_xml(xmlpath, seed) != 0) {
			fprintf(stderr, "cannot write %s\n", xmlpath);
			return -1;
		}
		int rc = kdbx_db_import_xml(&db, xmlpath);
		unlink(xmlpath);
		TRY(rc);
	} else {
		TRY(kdbx_db_new(&db, rn(2) ? "Root" : "Корень"));
	}
	TRY(kdbx_kdf_defaults(&kdf, kt));
	kdf.rounds = 16;
	kdf.iterations = 1;
	kdf.memory = 64 * 1024;
	kdf.parallelism = 1;
	TRY(kdbx_db_set_kdf(db, &kdf));
	TRY(kdbx_db_set_cipher(db, (kdbx_cipher)rn(3)));
	TRY(kdbx_db_set_compression(db, rn(2) ? KDBX_COMPRESS_GZIP : KDBX_COMPRESS_NONE));
	a = rand_text(4);
	TRY(kdbx_db_set_meta(db, KDBX_META_NAME, a));
	free(a);
	a = rand_text(4);
	TRY(kdbx_db_set_meta(db, KDBX_META_DESCRIPTION, a));
	free(a);
	a = NULL;
	if (rn(2))
		TRY(kdbx_db_set_custom_data(db, "KPXC_TEST", "value ✓"));
	if (rn(3) == 0) {
		uint8_t icon[64];
		for (size_t k = 0; k < sizeof(icon); k++)
			icon[k] = (uint8_t)rnd();
		TRY(kdbx_db_add_custom_icon(db, icon, sizeof(icon), v4 ? "icon" : NULL, NULL));
	}
	TRY(kdbx_db_set_recycle_bin_enabled(db, (int)rn(2)));
	if (fill_group(db, kdbx_db_root(db), 0, v4) != 0)
		goto fail;
	/* Deleting gives recycle-bin moves or DeletedObjects records. */
	kdbx_group *root = kdbx_db_root(db);
	/* (Only without recycle bin in KDBX 3.1: the move records
	 * PreviousParentGroup, which rightly forces KDBX 4.1.) */
	if (kdbx_group_entry_count(root) > 1 && rn(2) && (v4 || !kdbx_db_recycle_bin_enabled(db)))
		/* The last one: entry 0 may be the imported one with unknown XML. */
		TRY(kdbx_entry_delete(db, kdbx_group_entry_at(root, kdbx_group_entry_count(root) - 1)));

	TRY(kdbx_key_new(&key));
	TRY(kdbx_key_set_password(key, "rt-pass ü", strlen("rt-pass ü")));
	TRY(save_reopen(db, key, &db2));
	TRY(save_reopen(db2, key, &db3));

	d1 = dump_db_text(db, DUMP_TIMES);
	d2 = dump_db_text(db2, DUMP_TIMES);
	d3 = dump_db_text(db3, DUMP_TIMES);
	if (!d1 || !d2 || !d3) {
		fprintf(stderr, "dump failed\n");
		goto out;
	}
	if (strcmp(d1, d2) != 0) {
		fprintf(stderr, "content changed by the first save (kdf %s)\n", kdbx_kdf_name(kt));
		show_diff(d1, d2);
		goto out;
	}
	if (strcmp(d2, d3) != 0) {
		fprintf(stderr, "content changed by the second save (kdf %s)\n", kdbx_kdf_name(kt));
		show_diff(d2, d3);
		goto out;
	}
	if (kdbx_db_cipher(db3) != kdbx_db_cipher(db)) {
		fprintf(stderr, "cipher changed: %s -> %s\n", kdbx_cipher_name(kdbx_db_cipher(db)),
		        kdbx_cipher_name(kdbx_db_cipher(db3)));
		goto out;
	}
	kdbx_kdf_params k3;
	kdbx_db_kdf(db3, &k3);
	if (k3.type != kt) {
		fprintf(stderr, "KDF changed: %s -> %s\n", kdbx_kdf_name(kt), kdbx_kdf_name(k3.type));
		goto out;
	}
	if (with_unknown) {
		char marker[64];
		TRY(kdbx_db_export_xml_memory(db3, &xml, &xml_len));
		const char *what[] = {"meta", "group", "entry"};
		const char *elem[] = {"<XUnknownMeta", "<XUnknownGroup", "<XUnknownEntry"};
		for (int i = 0; i < 3; i++) {
			snprintf(marker, sizeof(marker), "%s-%llu", what[i], (unsigned long long)seed);
			if (!memmem(xml, xml_len, marker, strlen(marker)) ||
			    !memmem(xml, xml_len, elem[i], strlen(elem[i]))) {
				fprintf(stderr, "unknown element %s (%s) lost after two saves\n", elem[i] + 1,
				        marker);
				goto out;
			}
		}
	}
	ok = 1;
	goto out;
fail:
	fprintf(stderr, "API call failed at roundtrip.c:%d: %s (%s)\n", fail_line,
	        kdbx_strerror(kdbx_error_last_code()), kdbx_error_last());
out:
	if (xml)
		kdbx_free(xml, xml_len);
	cJSON_free(d1);
	cJSON_free(d2);
	cJSON_free(d3);
	free(a);
	kdbx_key_free(&key);
	kdbx_db_free(&db);
	kdbx_db_free(&db2);
	kdbx_db_free(&db3);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *env;
	unsigned long count = 200;
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	unsigned long failures = 0;
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	if ((env = getenv("KDBX_RT_COUNT")))
		count = strtoul(env, NULL, 10);
	if ((env = getenv("KDBX_RT_SEED")))
		seed = strtoull(env, NULL, 10);
	if (argc > 1)
		count = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		seed = strtoull(argv[2], NULL, 10);

	printf("roundtrip: %lu databases, seed %llu\n", count, (unsigned long long)seed);
	for (unsigned long i = 0; i < count; i++) {
		if (one(seed + i, tmpdir) != 0) {
			fprintf(stderr, "roundtrip: FAILED database %lu: replay with KDBX_RT_SEED=%llu "
			                "KDBX_RT_COUNT=1 (run seed %llu)\n",
			        i, (unsigned long long)(seed + i), (unsigned long long)seed);
			if (++failures >= 5)
				break;
		}
	}
	printf("roundtrip: %lu passed, %lu failed (seed %llu)\n", count - failures, failures,
	       (unsigned long long)seed);
	return failures ? 1 : 0;
}
