/* Canonical JSON dump of a database, built only on the public API so that the
 * same code judges files written by us and by the peers. Names are sorted so
 * the text is independent of the order in which a writer emitted fields. */
#include "dumpjson.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 0001-01-01 -> 1970-01-01 in seconds. */
#define EPOCH_OFFSET INT64_C(62135596800)

void dump_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void dump_sha256_hex(const uint8_t *p, size_t n, char out[65])
{
	uint8_t md[32];
	SHA256(p ? p : (const uint8_t *)"", n, md);
	dump_hex(md, 32, out);
}

void dump_time_iso(kdbx_time t, char buf[32])
{
	if (t == 0) {
		buf[0] = '\0';
		return;
	}
	time_t u = (time_t)(t - EPOCH_OFFSET);
	struct tm tm;
	if (!gmtime_r(&u, &tm)) {
		snprintf(buf, 32, "@%lld", (long long)t);
		return;
	}
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

kdbx_time dump_time_parse(const char *iso)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!iso || !*iso)
		return 0;
	if (sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (kdbx_time)timegm(&tm) + EPOCH_OFFSET;
}

static void add_uuid(cJSON *o, const char *name, const kdbx_uuid *u)
{
	char hex[33];
	if (!u) {
		cJSON_AddNullToObject(o, name);
		return;
	}
	dump_hex(u->bytes, 16, hex);
	cJSON_AddStringToObject(o, name, hex);
}

static void add_str(cJSON *o, const char *name, const char *s)
{
	cJSON_AddStringToObject(o, name, s ? s : "");
}

static void add_time(cJSON *o, const char *name, kdbx_time t)
{
	char buf[32];
	dump_time_iso(t, buf);
	cJSON_AddStringToObject(o, name, buf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Builds a sorted object {key: value} from n keys fetched by index. */
typedef const char *(*key_at_fn)(const void *obj, size_t i);
typedef const char *(*value_of_fn)(const void *obj, const char *key);

static cJSON *sorted_map(const void *obj, size_t n, key_at_fn key_at, value_of_fn value_of)
{
	cJSON *m = cJSON_CreateObject();
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	if (!keys)
		return m;
	for (size_t i = 0; i < n; i++)
		keys[i] = key_at(obj, i);
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (size_t i = 0; i < n; i++)
		if (keys[i])
			add_str(m, keys[i], value_of(obj, keys[i]));
	free(keys);
	return m;
}

static const char *ecd_key(const void *o, size_t i) { return kdbx_entry_custom_data_key(o, i); }
static const char *ecd_val(const void *o, const char *k) { return kdbx_entry_custom_data(o, k); }
static const char *gcd_key(const void *o, size_t i) { return kdbx_group_custom_data_key(o, i); }
static const char *gcd_val(const void *o, const char *k) { return kdbx_group_custom_data(o, k); }
static const char *dcd_key(const void *o, size_t i) { return kdbx_db_custom_data_key(o, i); }
static const char *dcd_val(const void *o, const char *k) { return kdbx_db_custom_data(o, k); }

static const char *tristate_name(kdbx_tristate t)
{
	return t == KDBX_TRUE ? "true" : t == KDBX_FALSE ? "false" : "inherit";
}

static cJSON *dump_entry(const kdbx_entry *e, unsigned int flags, int with_history)
{
	cJSON *o = cJSON_CreateObject();
	add_uuid(o, "uuid", kdbx_entry_uuid(e));

	size_t nf = kdbx_entry_field_count(e);
	const char **names = calloc(nf ? nf : 1, sizeof(*names));
	cJSON *fields = cJSON_AddObjectToObject(o, "fields");
	cJSON *prot = cJSON_AddArrayToObject(o, "protected");
	if (names) {
		for (size_t i = 0; i < nf; i++)
			names[i] = kdbx_entry_field_name(e, i);
		qsort(names, nf, sizeof(*names), cmp_str);
		for (size_t i = 0; i < nf; i++) {
			kdbx_secret *s = NULL;
			if (!names[i])
				continue;
			if (kdbx_entry_field_reveal(&s, e, names[i]) == KDBX_OK) {
				add_str(fields, names[i], kdbx_secret_str(s));
				kdbx_secret_free(&s);
			} else {
				cJSON_AddStringToObject(fields, names[i], "<reveal failed>");
			}
			if (kdbx_entry_field_protected(e, names[i]))
				cJSON_AddItemToArray(prot, cJSON_CreateString(names[i]));
		}
		free(names);
	}

	add_str(o, "tags", kdbx_entry_tags(e));
	cJSON_AddNumberToObject(o, "icon", kdbx_entry_icon(e));
	add_uuid(o, "custom_icon", kdbx_entry_custom_icon(e));
	add_str(o, "fg", kdbx_entry_foreground_color(e));
	add_str(o, "bg", kdbx_entry_background_color(e));
	add_str(o, "override_url", kdbx_entry_override_url(e));
	cJSON_AddBoolToObject(o, "expires", kdbx_entry_expires(e));
	cJSON_AddBoolToObject(o, "quality_check", kdbx_entry_quality_check(e));
	add_uuid(o, "previous_parent", kdbx_entry_previous_parent(e));
	if (flags & DUMP_TIMES) {
		cJSON *t = cJSON_AddObjectToObject(o, "times");
		add_time(t, "creation", kdbx_entry_time(e, KDBX_TIME_CREATION));
		add_time(t, "modification", kdbx_entry_time(e, KDBX_TIME_LAST_MODIFICATION));
		add_time(t, "access", kdbx_entry_time(e, KDBX_TIME_LAST_ACCESS));
		add_time(t, "expiry", kdbx_entry_time(e, KDBX_TIME_EXPIRY));
		add_time(t, "location_changed", kdbx_entry_time(e, KDBX_TIME_LOCATION_CHANGED));
	}

	cJSON *at = cJSON_AddObjectToObject(o, "autotype");
	cJSON_AddBoolToObject(at, "enabled", kdbx_entry_autotype_enabled(e));
	add_str(at, "sequence", kdbx_entry_autotype_sequence(e));
	cJSON_AddNumberToObject(at, "obfuscation", kdbx_entry_autotype_obfuscation(e));
	cJSON *assoc = cJSON_AddArrayToObject(at, "assoc");
	for (size_t i = 0; i < kdbx_entry_autotype_assoc_count(e); i++) {
		const char *w = NULL, *s = NULL;
		cJSON *pair = cJSON_CreateArray();
		kdbx_entry_autotype_assoc(e, i, &w, &s);
		cJSON_AddItemToArray(pair, cJSON_CreateString(w ? w : ""));
		cJSON_AddItemToArray(pair, cJSON_CreateString(s ? s : ""));
		cJSON_AddItemToArray(assoc, pair);
	}

	cJSON_AddItemToObject(o, "custom_data",
	                      sorted_map(e, kdbx_entry_custom_data_count(e), ecd_key, ecd_val));

	size_t na = kdbx_entry_attachment_count(e);
	const char **an = calloc(na ? na : 1, sizeof(*an));
	cJSON *atts = cJSON_AddObjectToObject(o, "attachments");
	if (an) {
		for (size_t i = 0; i < na; i++)
			an[i] = kdbx_entry_attachment_name(e, i);
		qsort(an, na, sizeof(*an), cmp_str);
		for (size_t i = 0; i < na; i++) {
			const uint8_t *d = NULL;
			size_t len = 0;
			char hex[65];
			if (!an[i])
				continue;
			if (kdbx_entry_attachment(e, an[i], &d, &len) != KDBX_OK) {
				cJSON_AddStringToObject(atts, an[i], "<unreadable>");
				continue;
			}
			dump_sha256_hex(d, len, hex);
			cJSON_AddStringToObject(atts, an[i], hex);
		}
		free(an);
	}

	if (flags & DUMP_NO_HISTORY)
		return o;
	size_t nh = kdbx_entry_history_count(e);
	cJSON_AddNumberToObject(o, "history_count", (double)nh);
	if (with_history) {
		cJSON *h = cJSON_AddArrayToObject(o, "history");
		for (size_t i = 0; i < nh; i++) {
			kdbx_entry *he = kdbx_entry_history_at(e, i);
			cJSON_AddItemToArray(h, he ? dump_entry(he, flags, 0) : cJSON_CreateNull());
		}
	}
	return o;
}

static cJSON *dump_group(const kdbx_group *g, unsigned int flags)
{
	cJSON *o = cJSON_CreateObject();
	add_uuid(o, "uuid", kdbx_group_uuid(g));
	add_str(o, "name", kdbx_group_name(g));
	add_str(o, "notes", kdbx_group_notes(g));
	add_str(o, "tags", kdbx_group_tags(g));
	cJSON_AddNumberToObject(o, "icon", kdbx_group_icon(g));
	add_uuid(o, "custom_icon", kdbx_group_custom_icon(g));
	cJSON_AddBoolToObject(o, "expires", kdbx_group_expires(g));
	add_str(o, "default_autotype_sequence", kdbx_group_default_autotype_sequence(g));
	add_str(o, "enable_autotype", tristate_name(kdbx_group_enable_autotype(g)));
	add_str(o, "enable_searching", tristate_name(kdbx_group_enable_searching(g)));
	add_uuid(o, "previous_parent", kdbx_group_previous_parent(g));
	if (flags & DUMP_TIMES) {
		cJSON *t = cJSON_AddObjectToObject(o, "times");
		add_time(t, "creation", kdbx_group_time(g, KDBX_TIME_CREATION));
		add_time(t, "modification", kdbx_group_time(g, KDBX_TIME_LAST_MODIFICATION));
		add_time(t, "access", kdbx_group_time(g, KDBX_TIME_LAST_ACCESS));
		add_time(t, "expiry", kdbx_group_time(g, KDBX_TIME_EXPIRY));
		add_time(t, "location_changed", kdbx_group_time(g, KDBX_TIME_LOCATION_CHANGED));
	}
	cJSON_AddItemToObject(o, "custom_data",
	                      sorted_map(g, kdbx_group_custom_data_count(g), gcd_key, gcd_val));
	cJSON *groups = cJSON_AddArrayToObject(o, "groups");
	for (size_t i = 0; i < kdbx_group_group_count(g); i++)
		cJSON_AddItemToArray(groups, dump_group(kdbx_group_group_at(g, i), flags));
	cJSON *entries = cJSON_AddArrayToObject(o, "entries");
	for (size_t i = 0; i < kdbx_group_entry_count(g); i++)
		cJSON_AddItemToArray(entries, dump_entry(kdbx_group_entry_at(g, i), flags, 1));
	return o;
}

cJSON *dump_db(kdbx_db *db, unsigned int flags)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	if (flags & DUMP_SETTINGS) {
		char v[16];
		uint32_t fv = kdbx_db_file_version(db);
		kdbx_kdf_params kdf;
		snprintf(v, sizeof(v), "%u.%u", (unsigned)(fv >> 16), (unsigned)(fv & 0xffff));
		cJSON_AddStringToObject(o, "version", v);
		add_str(o, "cipher", kdbx_cipher_name(kdbx_db_cipher(db)));
		memset(&kdf, 0, sizeof(kdf));
		kdbx_db_kdf(db, &kdf);
		add_str(o, "kdf", kdbx_kdf_name(kdf.type));
		add_str(o, "compression", kdbx_db_compression(db) == KDBX_COMPRESS_GZIP ? "gzip" : "none");
	}
	add_uuid(o, "uuid", kdbx_db_uuid(db));
	cJSON *meta = cJSON_AddObjectToObject(o, "meta");
	add_str(meta, "name", kdbx_db_meta(db, KDBX_META_NAME));
	add_str(meta, "description", kdbx_db_meta(db, KDBX_META_DESCRIPTION));
	add_str(meta, "default_username", kdbx_db_meta(db, KDBX_META_DEFAULT_USERNAME));
	add_str(meta, "color", kdbx_db_meta(db, KDBX_META_COLOR));
	cJSON_AddNumberToObject(meta, "memory_protection", kdbx_db_memory_protection(db));
	cJSON_AddBoolToObject(meta, "recycle_bin_enabled", kdbx_db_recycle_bin_enabled(db));
	kdbx_group *rb = kdbx_db_recycle_bin(db);
	add_uuid(meta, "recycle_bin", rb ? kdbx_group_uuid(rb) : NULL);
	cJSON_AddNumberToObject(meta, "history_max_items", kdbx_db_history_max_items(db));
	cJSON_AddNumberToObject(meta, "history_max_size", (double)kdbx_db_history_max_size(db));
	cJSON_AddItemToObject(meta, "custom_data",
	                      sorted_map(db, kdbx_db_custom_data_count(db), dcd_key, dcd_val));

	cJSON *icons = cJSON_AddArrayToObject(o, "custom_icons");
	for (size_t i = 0; i < kdbx_db_custom_icon_count(db); i++) {
		kdbx_uuid u;
		const uint8_t *d = NULL;
		size_t len = 0;
		const char *name = NULL;
		char hex[65];
		cJSON *ic = cJSON_CreateObject();
		if (kdbx_db_custom_icon(db, i, &u, &d, &len, &name) == KDBX_OK) {
			add_uuid(ic, "uuid", &u);
			dump_sha256_hex(d, len, hex);
			cJSON_AddStringToObject(ic, "sha256", hex);
			add_str(ic, "name", name);
		}
		cJSON_AddItemToArray(icons, ic);
	}
	cJSON *del = cJSON_AddArrayToObject(o, "deleted");
	for (size_t i = 0; i < kdbx_db_deleted_count(db); i++) {
		kdbx_uuid u;
		kdbx_time when = 0;
		cJSON *d = cJSON_CreateObject();
		if (kdbx_db_deleted(db, i, &u, &when) == KDBX_OK) {
			add_uuid(d, "uuid", &u);
			if (flags & DUMP_TIMES)
				add_time(d, "time", when);
		}
		cJSON_AddItemToArray(del, d);
	}
	cJSON_AddNumberToObject(o, "group_count", (double)kdbx_db_group_count(db));
	cJSON_AddNumberToObject(o, "entry_count", (double)kdbx_db_entry_count(db));
	kdbx_group *root = kdbx_db_root(db);
	cJSON_AddItemToObject(o, "root", root ? dump_group(root, flags) : cJSON_CreateNull());
	return o;
}

char *dump_db_text(kdbx_db *db, unsigned int flags)
{
	cJSON *o = dump_db(db, flags);
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	return s;
}
