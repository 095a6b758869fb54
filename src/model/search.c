/* Lookup by path and UUID, search, counts. Paths are "/Group/Sub/Title":
 * the root group's name is never part of a path. */
#include <stdlib.h>

#include "model/model.h"

/* Walks path components; returns the group named by all components but the
 * last (leaf points at the last, possibly empty). NULL if a group is missing. */
static kdbx_group *walk(kdbx_db *db, const char *path, const char **leaf, size_t *leaflen)
{
	kdbx_group *g = db->root;
	const char *p = path, *slash;
	char *name;

	while (*p == '/')
		p++;
	for (;;) {
		slash = strchr(p, '/');
		if (slash == NULL) {
			*leaf = p;
			*leaflen = strlen(p);
			return g;
		}
		if (slash != p) {
			if ((name = kdbx_strndup(p, (size_t)(slash - p))) == NULL)
				return NULL;
			g = kdbx_group_find_group(g, name);
			free(name);
			if (g == NULL)
				return NULL;
		}
		p = slash + 1;
	}
}

kdbx_entry *kdbx_db_find_entry(kdbx_db *db, const char *path)
{
	const char *leaf;
	size_t n;
	kdbx_group *g;

	if (db == NULL || db->root == NULL || path == NULL)
		return NULL;
	if ((g = walk(db, path, &leaf, &n)) == NULL || n == 0)
		return NULL;
	return kdbx_group_find_entry(g, leaf);
}

kdbx_group *kdbx_db_find_group(kdbx_db *db, const char *path)
{
	const char *leaf;
	size_t n;
	kdbx_group *g;

	if (db == NULL || db->root == NULL || path == NULL)
		return NULL;
	if ((g = walk(db, path, &leaf, &n)) == NULL)
		return NULL;
	/* "/", "" and a trailing "/" name the group walked so far. */
	return n == 0 ? g : kdbx_group_find_group(g, leaf);
}

static kdbx_entry *find_entry_uuid(kdbx_group *g, const kdbx_uuid *u)
{
	size_t i;
	kdbx_entry *e;

	for (i = 0; i < g->nentries; i++)
		if (memcmp(g->entries[i]->uuid.bytes, u->bytes, 16) == 0)
			return g->entries[i];
	for (i = 0; i < g->ngroups; i++)
		if ((e = find_entry_uuid(g->groups[i], u)) != NULL)
			return e;
	return NULL;
}

static kdbx_group *find_group_uuid(kdbx_group *g, const kdbx_uuid *u)
{
	size_t i;
	kdbx_group *r;

	if (memcmp(g->uuid.bytes, u->bytes, 16) == 0)
		return g;
	for (i = 0; i < g->ngroups; i++)
		if ((r = find_group_uuid(g->groups[i], u)) != NULL)
			return r;
	return NULL;
}

kdbx_entry *kdbx_db_find_entry_uuid(kdbx_db *db, const kdbx_uuid *uuid)
{
	if (db == NULL || db->root == NULL || uuid == NULL)
		return NULL;
	return find_entry_uuid(db->root, uuid);
}

kdbx_group *kdbx_db_find_group_uuid(kdbx_db *db, const kdbx_uuid *uuid)
{
	if (db == NULL || db->root == NULL || uuid == NULL || kdbx_uuid_is_zero(uuid))
		return NULL;
	return find_group_uuid(db->root, uuid);
}

/* ---- counts ---- */

static size_t count_groups(const kdbx_group *g)
{
	size_t i, n = 1;

	for (i = 0; i < g->ngroups; i++)
		n += count_groups(g->groups[i]);
	return n;
}

static size_t count_entries(const kdbx_group *g)
{
	size_t i, n = g->nentries;

	for (i = 0; i < g->ngroups; i++)
		n += count_entries(g->groups[i]);
	return n;
}

size_t kdbx_db_group_count(kdbx_db *db)
{
	return db != NULL && db->root != NULL ? count_groups(db->root) : 0;
}

size_t kdbx_db_entry_count(kdbx_db *db)
{
	return db != NULL && db->root != NULL ? count_entries(db->root) : 0;
}

/* ---- search ---- */

typedef struct search_ctx {
	char **terms;
	size_t nterms;
	const kdbx_group *bin;
	kdbx_entry_cb cb;
	void *ud;
} search_ctx;

static int fold(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive (ASCII fold) substring test; term is already folded. */
static bool contains(const uint8_t *hay, size_t n, const char *term)
{
	size_t tl = strlen(term), i, j;

	if (tl == 0)
		return true;
	for (i = 0; i + tl <= n; i++) {
		for (j = 0; j < tl; j++)
			if (fold(hay[i + j]) != (uint8_t)term[j])
				break;
		if (j == tl)
			return true;
	}
	return false;
}

static bool field_contains(const kdbx_entry *e, const char *name, const char *term)
{
	const kdbx_field *f = kdbx_entry__field(e, name);
	kdbx_buf b = KDBX_BUF_INIT;
	bool hit;

	if (f == NULL)
		return false;
	if (!f->protect)
		return contains((const uint8_t *)f->value, f->len, term);
	/* A protected Title/UserName/URL/Notes (per MemoryProtection) is still searchable. */
	b.secure = true;
	hit = kdbx_field__reveal(e->db, f, &b) == KDBX_OK && contains(b.data, b.len, term);
	kdbx_buf_free(&b);
	return hit;
}

static bool entry_matches(const kdbx_entry *e, const search_ctx *s)
{
	static const char *const names[] = {KDBX_FIELD_TITLE, KDBX_FIELD_USERNAME, KDBX_FIELD_URL,
	                                    KDBX_FIELD_NOTES};
	size_t t, k;

	for (t = 0; t < s->nterms; t++) {
		bool hit = e->tags != NULL && contains((const uint8_t *)e->tags, strlen(e->tags), s->terms[t]);
		for (k = 0; !hit && k < KDBX_ARRAY_LEN(names); k++)
			hit = field_contains(e, names[k], s->terms[t]);
		if (!hit)
			return false;
	}
	return true;
}

/* EnableSearching inherits from the parent when unset (KeePass semantics). */
static int search_group(kdbx_group *g, bool inherited, const search_ctx *s)
{
	bool on = g->enable_searching == KDBX_INHERIT ? inherited : g->enable_searching == KDBX_TRUE;
	size_t i;
	int rc;

	if (g == s->bin)
		return 0;
	if (on)
		for (i = 0; i < g->nentries; i++)
			if (entry_matches(g->entries[i], s) && (rc = s->cb(g->entries[i], s->ud)) != 0)
				return rc;
	for (i = 0; i < g->ngroups; i++)
		if ((rc = search_group(g->groups[i], on, s)) != 0)
			return rc;
	return 0;
}

int kdbx_db_search(kdbx_db *db, const char *query, kdbx_entry_cb cb, void *userdata)
{
	search_ctx s;
	char *q, *p, *tok, *save = NULL;
	int rc = KDBX_OK;

	if (db == NULL || query == NULL || cb == NULL)
		return kdbx_error__set(KDBX_EINVALID, "search: invalid argument");
	if (db->root == NULL)
		return KDBX_OK;
	memset(&s, 0, sizeof(s));
	if ((q = kdbx_strdup(query)) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	for (p = q; *p != '\0'; p++)
		*p = (char)fold((unsigned char)*p);
	/* At most one term per two characters of the query. */
	s.terms = calloc(strlen(q) / 2 + 1, sizeof(*s.terms));
	if (s.terms == NULL) {
		free(q);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	for (tok = strtok_r(q, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save))
		s.terms[s.nterms++] = tok;
	s.bin = kdbx_db_recycle_bin(db);
	s.cb = cb;
	s.ud = userdata;
	(void)search_group(db->root, true, &s);
	free(s.terms);
	free(q);
	return rc;
}
