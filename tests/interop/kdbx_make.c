/* kdbx_make: builds a database from a JSON spec through the public API and
 * saves it, so the interop scripts can hand our files to the peers.
 *   kdbx_make SPEC.json OUT.kdbx
 * Spec (every key optional):
 *   {"password": "pw" | null, "keyfile": "path", "cipher": "aes256|chacha20|twofish",
 *    "kdf": {"type": "aes-kdbx3|aes-kdbx4|argon2d|argon2id", "rounds": N,
 *            "iterations": N, "memory": BYTES, "parallelism": N},
 *    "compression": "gzip|none", "import_xml": "path (start from this KeePass XML)",
 *    "meta": {"name", "description", "default_username", "custom_data": {}},
 *    "root": GROUP}
 *   GROUP = {"name", "notes", "tags", "icon", "custom_data", "times", "groups": [GROUP],
 *            "entries": [ENTRY]}
 *   ENTRY = {"fields": {"Title": ...}, "protected": [names], "tags", "icon", "fg", "bg",
 *            "override_url", "quality_check", "expires", "custom_data", "times",
 *            "attachments": {name: text}, "history": [ENTRY without history]}
 *   times = {"creation", "modification", "access", "expiry", "location_changed"}: ISO 8601 UTC. */
#include <kdbx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dumpjson.h"

static int failed(const char *what)
{
	fprintf(stderr, "kdbx_make: %s: %s (%s)\n", what, kdbx_strerror(kdbx_error_last_code()),
	        kdbx_error_last());
	return -1;
}

#define CHECK(call, what)                                                                          \
	do {                                                                                       \
		if ((call) != KDBX_OK)                                                             \
			return failed(what);                                                       \
	} while (0)

static const char *jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else if (buf) {
			buf[n] = '\0';
			if (len)
				*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

static const kdbx_time_field time_fields[] = {KDBX_TIME_CREATION, KDBX_TIME_LAST_MODIFICATION,
                                              KDBX_TIME_LAST_ACCESS, KDBX_TIME_EXPIRY,
                                              KDBX_TIME_LOCATION_CHANGED};
static const char *const time_names[] = {"creation", "modification", "access", "expiry",
                                         "location_changed"};

static int apply_entry_times(kdbx_entry *e, const cJSON *spec)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(spec, "times");
	for (size_t i = 0; t && i < 5; i++) {
		const char *iso = jstr(t, time_names[i]);
		if (iso)
			CHECK(kdbx_entry_set_time(e, time_fields[i], dump_time_parse(iso)), "entry time");
	}
	return 0;
}

static int is_protected(const cJSON *spec, const char *name)
{
	const cJSON *p, *prot = cJSON_GetObjectItemCaseSensitive(spec, "protected");
	cJSON_ArrayForEach(p, prot)
	{
		if (cJSON_IsString(p) && strcmp(p->valuestring, name) == 0)
			return 1;
	}
	return 0;
}

/* Sets the entry to the state described by spec (fields not named are removed). */
static int apply_entry_state(kdbx_entry *e, const cJSON *spec)
{
	const cJSON *fields = cJSON_GetObjectItemCaseSensitive(spec, "fields");
	const cJSON *f, *v;
	const char *s;

	for (size_t i = kdbx_entry_field_count(e); i-- > 0;) {
		const char *name = kdbx_entry_field_name(e, i);
		if (name && !cJSON_GetObjectItemCaseSensitive(fields, name) &&
		    strcmp(name, KDBX_FIELD_TITLE) != 0) {
			char *copy = strdup(name);
			if (!copy)
				return -1;
			int rc = kdbx_entry_remove_field(e, copy);
			free(copy);
			if (rc != KDBX_OK)
				return failed("remove field");
		}
	}
	cJSON_ArrayForEach(f, fields)
	{
		if (cJSON_IsString(f))
			CHECK(kdbx_entry_set_field(e, f->string, f->valuestring, is_protected(spec, f->string)),
			      "set field");
	}
	if ((s = jstr(spec, "tags")))
		CHECK(kdbx_entry_set_tags(e, s), "tags");
	if ((s = jstr(spec, "fg")))
		CHECK(kdbx_entry_set_foreground_color(e, s), "fg");
	if ((s = jstr(spec, "bg")))
		CHECK(kdbx_entry_set_background_color(e, s), "bg");
	if ((s = jstr(spec, "override_url")))
		CHECK(kdbx_entry_set_override_url(e, s), "override url");
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(spec, "icon")))
		CHECK(kdbx_entry_set_icon(e, v->valueint), "icon");
	if (cJSON_IsBool(v = cJSON_GetObjectItemCaseSensitive(spec, "quality_check")))
		CHECK(kdbx_entry_set_quality_check(e, cJSON_IsTrue(v)), "quality check");
	if (cJSON_IsBool(v = cJSON_GetObjectItemCaseSensitive(spec, "expires")))
		CHECK(kdbx_entry_set_expires(e, cJSON_IsTrue(v)), "expires");
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(spec, "custom_data"))
	{
		if (cJSON_IsString(f))
			CHECK(kdbx_entry_set_custom_data(e, f->string, f->valuestring), "custom data");
	}
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(spec, "attachments"))
	{
		if (cJSON_IsString(f))
			CHECK(kdbx_entry_set_attachment(e, f->string, (const uint8_t *)f->valuestring,
			                                strlen(f->valuestring)),
			      "attachment");
	}
	return apply_entry_times(e, spec);
}

static int make_entry(kdbx_db *db, kdbx_group *g, const cJSON *spec)
{
	kdbx_entry *e = NULL;
	const cJSON *h;
	const char *title = jstr(cJSON_GetObjectItemCaseSensitive(spec, "fields"), "Title");
	CHECK(kdbx_entry_new(&e, g, title ? title : ""), "new entry");
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(spec, "history"))
	{
		if (apply_entry_state(e, h) != 0)
			return -1;
		CHECK(kdbx_entry_backup(db, e), "history backup");
	}
	return apply_entry_state(e, spec);
}

static int make_group(kdbx_db *db, kdbx_group *g, const cJSON *spec)
{
	const cJSON *c, *v;
	const char *s;
	if ((s = jstr(spec, "name")))
		CHECK(kdbx_group_set_name(g, s), "group name");
	if ((s = jstr(spec, "notes")))
		CHECK(kdbx_group_set_notes(g, s), "group notes");
	if ((s = jstr(spec, "tags")))
		CHECK(kdbx_group_set_tags(g, s), "group tags");
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(spec, "icon")))
		CHECK(kdbx_group_set_icon(g, v->valueint), "group icon");
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(spec, "custom_data"))
	{
		if (cJSON_IsString(c))
			CHECK(kdbx_group_set_custom_data(g, c->string, c->valuestring), "group custom data");
	}
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(spec, "entries"))
	{
		if (make_entry(db, g, c) != 0)
			return -1;
	}
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(spec, "groups"))
	{
		kdbx_group *child = NULL;
		const char *name = jstr(c, "name");
		CHECK(kdbx_group_add_group(&child, g, name ? name : "Group"), "add group");
		if (make_group(db, child, c) != 0)
			return -1;
	}
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(spec, "times");
	for (size_t i = 0; t && i < 5; i++) {
		const char *iso = jstr(t, time_names[i]);
		if (iso)
			CHECK(kdbx_group_set_time(g, time_fields[i], dump_time_parse(iso)), "group time");
	}
	return 0;
}

static int set_kdf(kdbx_db *db, const cJSON *spec)
{
	static const char *const names[] = {"aes-kdbx3", "aes-kdbx4", "argon2d", "argon2id"};
	static const kdbx_kdf_type types[] = {KDBX_KDF_AES_KDBX3, KDBX_KDF_AES_KDBX4, KDBX_KDF_ARGON2D,
	                                      KDBX_KDF_ARGON2ID};
	const char *type = jstr(spec, "type");
	kdbx_kdf_params p;
	const cJSON *v;
	size_t i;
	if (!type)
		return 0;
	for (i = 0; i < 4 && strcmp(type, names[i]) != 0; i++)
		;
	if (i == 4) {
		fprintf(stderr, "kdbx_make: unknown KDF %s\n", type);
		return -1;
	}
	CHECK(kdbx_kdf_defaults(&p, types[i]), "kdf defaults");
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(spec, "rounds")))
		p.rounds = (uint64_t)v->valuedouble;
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(spec, "iterations")))
		p.iterations = (uint64_t)v->valuedouble;
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(spec, "memory")))
		p.memory = (uint64_t)v->valuedouble;
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(spec, "parallelism")))
		p.parallelism = (uint32_t)v->valuedouble;
	CHECK(kdbx_db_set_kdf(db, &p), "set kdf");
	return 0;
}

static int build(kdbx_db **dbp, const cJSON *spec)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(spec, "meta"), *c;
	const char *s;
	if ((s = jstr(spec, "import_xml")))
		CHECK(kdbx_db_import_xml(dbp, s), "import xml");
	else
		CHECK(kdbx_db_new(dbp, NULL), "new db");
	kdbx_db *db = *dbp;
	if ((s = jstr(spec, "cipher"))) {
		kdbx_cipher ci = strcmp(s, "chacha20") == 0  ? KDBX_CIPHER_CHACHA20
		                 : strcmp(s, "twofish") == 0 ? KDBX_CIPHER_TWOFISH
		                                             : KDBX_CIPHER_AES256;
		CHECK(kdbx_db_set_cipher(db, ci), "set cipher");
	}
	if ((s = jstr(spec, "compression")))
		CHECK(kdbx_db_set_compression(db, strcmp(s, "none") == 0 ? KDBX_COMPRESS_NONE
		                                                         : KDBX_COMPRESS_GZIP),
		      "set compression");
	if (set_kdf(db, cJSON_GetObjectItemCaseSensitive(spec, "kdf")) != 0)
		return -1;
	if ((s = jstr(meta, "name")))
		CHECK(kdbx_db_set_meta(db, KDBX_META_NAME, s), "meta name");
	if ((s = jstr(meta, "description")))
		CHECK(kdbx_db_set_meta(db, KDBX_META_DESCRIPTION, s), "meta description");
	if ((s = jstr(meta, "default_username")))
		CHECK(kdbx_db_set_meta(db, KDBX_META_DEFAULT_USERNAME, s), "meta default username");
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(meta, "custom_data"))
	{
		if (cJSON_IsString(c))
			CHECK(kdbx_db_set_custom_data(db, c->string, c->valuestring), "meta custom data");
	}
	if ((c = cJSON_GetObjectItemCaseSensitive(spec, "root")))
		return make_group(db, kdbx_db_root(db), c);
	return 0;
}

int main(int argc, char **argv)
{
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	cJSON *spec = NULL;
	char *text;
	int ret = 1;
	const char *s;

	if (argc != 3) {
		fprintf(stderr, "usage: kdbx_make SPEC.json OUT.kdbx\n");
		return 2;
	}
	if (!(text = read_all(argv[1], NULL)) || !(spec = cJSON_Parse(text))) {
		fprintf(stderr, "kdbx_make: cannot read spec %s\n", argv[1]);
		free(text);
		return 2;
	}
	free(text);
	if (build(&db, spec) != 0)
		goto out;
	if (kdbx_key_new(&key) != KDBX_OK)
		goto out;
	if ((s = jstr(spec, "password")) && kdbx_key_set_password(key, s, strlen(s)) != KDBX_OK) {
		failed("password");
		goto out;
	}
	if ((s = jstr(spec, "keyfile")) && kdbx_key_set_keyfile(key, s) != KDBX_OK) {
		failed("keyfile");
		goto out;
	}
	if (kdbx_db_save(db, argv[2], key) != KDBX_OK) {
		failed("save");
		goto out;
	}
	ret = 0;
out:
	kdbx_key_free(&key);
	kdbx_db_free(&db);
	cJSON_Delete(spec);
	return ret;
}
