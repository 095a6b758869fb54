/* Entry string fields (standard + custom). Protected values stay masked (mask.c). */
#include <stdlib.h>

#include "model/model.h"

/* The standard names are shared by every entry instead of being allocated per field
 * (a large database has hundreds of thousands of them). Never written to. */
static char std_names[5][9] = {"Title", "UserName", "Password", "URL", "Notes"};

char *kdbx_field__std_name(const char *s, size_t n)
{
	int i;

	/* by length and first letter: one comparison */
	switch (n) {
	case 3: i = 3; break;
	case 5: i = s[0] == 'T' ? 0 : 4; break;
	case 8: i = s[0] == 'U' ? 1 : 2; break;
	default: return NULL;
	}
	return memcmp(std_names[i], s, n) == 0 ? std_names[i] : NULL;
}

char *kdbx_field__name_dup(const char *name)
{
	char *n = kdbx_field__std_name(name, strlen(name));

	return n != NULL ? n : kdbx_strdup(name);
}

void kdbx_field__name_free(char *name)
{
	uintptr_t p = (uintptr_t)name, lo = (uintptr_t)&std_names[0][0];

	if (name != NULL && p - lo >= sizeof(std_names))
		free(name);
}

kdbx_field *kdbx_entry__field(const kdbx_entry *e, const char *name)
{
	size_t i;

	if (e == NULL || name == NULL)
		return NULL;
	for (i = 0; i < e->nfields; i++)
		if (e->fields[i].name[0] == name[0] && strcmp(e->fields[i].name, name) == 0)
			return &e->fields[i];
	return NULL;
}

/* Stores a value (plain or masked) into f, replacing the old one. bulk: masked with
 * batch keystream (loading). */
static int field_store(kdbx_db *db, kdbx_field *f, const char *value, size_t len, bool protect,
                       bool bulk)
{
	char *v;

	bool pooled;

	if (protect)
		return bulk ? kdbx_mask__field_bulk(db, f, value, len) : kdbx_mask__field(db, f, value, len);
	if (len == SIZE_MAX)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	v = bulk && db != NULL ? kdbx_arena__alloc(&db->arena, len + 1) : NULL;
	pooled = v != NULL;
	if (v == NULL && (v = malloc(len + 1)) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	if (len > 0)
		memcpy(v, value, len);
	v[len] = '\0';
	if (f->pooled)
		; /* released with the database */
	else if (f->protect)
		kdbx_freezero(f->value, f->len);
	else
		free(f->value);
	f->value = v;
	f->len = len;
	f->protect = false;
	f->pooled = pooled;
	memset(f->nonce, 0, sizeof(f->nonce));
	return KDBX_OK;
}

/* Geometric growth: loading appends ~7 fields per entry record, so the first array has
 * room for the 5 standard fields and two custom ones. While loading it comes from the
 * arena; an arena array that has to grow is copied to the heap. */
static int fields_grow(kdbx_entry *e, bool bulk)
{
	size_t cap = e->nfields < 4 ? 8 : e->nfields * 2;
	kdbx_field *fields = NULL;

	if (cap > SIZE_MAX / sizeof(*fields))
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	if (e->fields == NULL && bulk && e->db != NULL &&
	    (fields = kdbx_arena__zalloc(&e->db->arena, cap * sizeof(*fields))) != NULL) {
		e->fields_pooled = true;
	} else if (e->fields_pooled) {
		if ((fields = malloc(cap * sizeof(*fields))) == NULL)
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		memcpy(fields, e->fields, e->nfields * sizeof(*fields));
		e->fields_pooled = false;
	} else if ((fields = realloc(e->fields, cap * sizeof(*fields))) == NULL) {
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	e->fields = fields;
	e->fields_cap = cap;
	return KDBX_OK;
}

/* bulk: loading (batch masking, arena values, name borrowed from the database). */
static int field_append(kdbx_entry *e, char *name, const char *value, size_t len, bool protect,
                        bool bulk)
{
	kdbx_field *f, *fields;
	int rc;

	if (e == NULL || name == NULL || (value == NULL && len > 0)) {
		if (!bulk)
			kdbx_field__name_free(name);
		return kdbx_error__set(KDBX_EINVALID, "add field: invalid argument");
	}
	if (value == NULL)
		value = "";
	if (e->nfields >= e->fields_cap && (rc = fields_grow(e, bulk)) != KDBX_OK) {
		if (!bulk)
			kdbx_field__name_free(name);
		return rc;
	}
	fields = e->fields;
	f = &fields[e->nfields];
	memset(f, 0, sizeof(*f));
	if ((rc = field_store(e->db, f, value, len, protect, bulk)) != KDBX_OK) {
		if (!bulk)
			kdbx_field__name_free(name);
		return rc;
	}
	f->name = name;
	f->name_pooled = bulk;
	e->nfields++;
	return KDBX_OK;
}

int kdbx_entry__add_field(kdbx_entry *e, char *name, const char *value, size_t len, bool protect)
{
	kdbx_field *f;

	if (e == NULL || name == NULL || (value == NULL && len > 0)) {
		kdbx_field__name_free(name);
		return kdbx_error__set(KDBX_EINVALID, "add field: invalid argument");
	}
	if ((f = kdbx_entry__field(e, name)) != NULL) {
		kdbx_field__name_free(name);
		return field_store(e->db, f, value != NULL ? value : "", len, protect, false);
	}
	return field_append(e, name, value, len, protect, false);
}

/* Only the XML reader appends without a lookup: a whole database is being loaded. */
int kdbx_entry__append_field(kdbx_entry *e, char *name, const char *value, size_t len,
                             bool protect)
{
	return field_append(e, name, value, len, protect, true);
}

/* ---- public API ---- */

size_t kdbx_entry_field_count(const kdbx_entry *e)
{
	return e != NULL ? e->nfields : 0;
}

const char *kdbx_entry_field_name(const kdbx_entry *e, size_t i)
{
	if (e == NULL || i >= e->nfields)
		return NULL;
	return e->fields[i].name;
}

int kdbx_entry_has_field(const kdbx_entry *e, const char *name)
{
	return kdbx_entry__field(e, name) != NULL;
}

int kdbx_entry_field_protected(const kdbx_entry *e, const char *name)
{
	const kdbx_field *f = kdbx_entry__field(e, name);

	return f != NULL && f->protect;
}

const char *kdbx_entry_field(const kdbx_entry *e, const char *name)
{
	const kdbx_field *f = kdbx_entry__field(e, name);

	if (f == NULL || f->protect)
		return NULL;
	return f->value;
}

const char *kdbx_entry_title(const kdbx_entry *e)
{
	const char *t = kdbx_entry_field(e, KDBX_FIELD_TITLE);

	return t != NULL ? t : "";
}

int kdbx_entry_field_reveal(kdbx_secret **out, const kdbx_entry *e, const char *name)
{
	kdbx_buf b = KDBX_BUF_INIT;
	const kdbx_field *f;
	int rc;

	if (out == NULL || e == NULL || name == NULL)
		return kdbx_error__set(KDBX_EINVALID, "field reveal: invalid argument");
	*out = NULL;
	if ((f = kdbx_entry__field(e, name)) == NULL)
		return kdbx_error__set(KDBX_ENOTFOUND, "no field named \"%s\"", name);
	b.secure = true;
	if ((rc = kdbx_field__reveal(e->db, f, &b)) == KDBX_OK)
		rc = kdbx_secret_new(out, b.len > 0 ? b.data : NULL, b.len);
	kdbx_buf_free(&b);
	return rc;
}

/* Standard fields the Meta MemoryProtection flags protect on save: applying
 * them here too keeps a field's state the same before and after a reopen. */
static bool meta_protects(const kdbx_db *db, const char *name)
{
	static const struct {
		const char *name;
		unsigned int flag;
	} map[] = {
		{KDBX_FIELD_TITLE, KDBX_PROTECT_TITLE},     {KDBX_FIELD_USERNAME, KDBX_PROTECT_USERNAME},
		{KDBX_FIELD_PASSWORD, KDBX_PROTECT_PASSWORD}, {KDBX_FIELD_URL, KDBX_PROTECT_URL},
		{KDBX_FIELD_NOTES, KDBX_PROTECT_NOTES},
	};
	size_t i;

	if (db == NULL)
		return false;
	for (i = 0; i < KDBX_ARRAY_LEN(map); i++)
		if (strcmp(name, map[i].name) == 0)
			return (db->meta.memory_protection & map[i].flag) != 0;
	return false;
}

int kdbx_entry_set_field(kdbx_entry *e, const char *name, const char *value, int protect)
{
	char *n;
	int rc;

	if (e == NULL || name == NULL || name[0] == '\0' || value == NULL)
		return kdbx_error__set(KDBX_EINVALID, "set field: invalid argument");
	if (!kdbx_utf8_valid(name, strlen(name)) || !kdbx_utf8_valid(value, strlen(value)))
		return kdbx_error__set(KDBX_EINVALID, "set field: not valid UTF-8");
	if ((n = kdbx_field__name_dup(name)) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	rc = kdbx_entry__add_field(e, n, value, strlen(value), protect || meta_protects(e->db, name));
	if (rc == KDBX_OK)
		e->times.modification = kdbx_time_now();
	return rc;
}

int kdbx_entry_remove_field(kdbx_entry *e, const char *name)
{
	kdbx_field *f = kdbx_entry__field(e, name);
	size_t i;

	if (f == NULL)
		return kdbx_error__set(KDBX_ENOTFOUND, "no field named \"%s\"", name ? name : "");
	i = (size_t)(f - e->fields);
	if (!f->name_pooled)
		kdbx_field__name_free(f->name);
	if (f->pooled)
		; /* released with the database */
	else if (f->protect)
		kdbx_freezero(f->value, f->len);
	else
		free(f->value);
	memmove(&e->fields[i], &e->fields[i + 1], (e->nfields - i - 1) * sizeof(*f));
	e->nfields--;
	e->times.modification = kdbx_time_now();
	return KDBX_OK;
}

bool kdbx_entry__title_equals(const kdbx_entry *e, const char *title)
{
	const kdbx_field *f = kdbx_entry__field(e, KDBX_FIELD_TITLE);
	kdbx_buf b = KDBX_BUF_INIT;
	bool eq;

	if (f == NULL)
		return title[0] == '\0';
	if (!f->protect)
		return f->len == strlen(title) && memcmp(f->value, title, f->len) == 0;
	b.secure = true;
	eq = kdbx_field__reveal(e->db, f, &b) == KDBX_OK && b.len == strlen(title) &&
	     memcmp(b.data, title, b.len) == 0;
	kdbx_buf_free(&b);
	return eq;
}
