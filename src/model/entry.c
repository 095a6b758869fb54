/* Entries: allocation, properties, creation and moves (include/kdbx/entry.h). */
#include <stdlib.h>

#include "model/model.h"

int kdbx_entry__alloc(kdbx_entry **out, kdbx_db *db, bool loading)
{
	kdbx_entry *e = NULL;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "entry alloc: NULL");
	*out = NULL;
	if (loading && db != NULL && (e = kdbx_arena__zalloc(&db->arena, sizeof(*e))) != NULL)
		e->pooled = true;
	else if ((e = calloc(1, sizeof(*e))) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	e->db = db;
	e->quality_check = 1;
	e->autotype_enabled = true;
	*out = e;
	return KDBX_OK;
}

void kdbx_entry__free(kdbx_entry *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nfields; i++) {
		if (!e->fields[i].name_pooled)
			kdbx_field__name_free(e->fields[i].name);
		if (e->fields[i].pooled)
			; /* released with the database */
		else if (e->fields[i].protect)
			kdbx_freezero(e->fields[i].value, e->fields[i].len);
		else
			free(e->fields[i].value);
	}
	if (!e->fields_pooled)
		free(e->fields);
	for (i = 0; i < e->nattachments; i++) {
		free(e->attachments[i].name);
		if (e->db != NULL)
			kdbx_db__bin_unref(e->db, e->attachments[i].bin);
	}
	free(e->attachments);
	for (i = 0; i < e->nassocs; i++) {
		free(e->assocs[i].window);
		free(e->assocs[i].sequence);
	}
	free(e->assocs);
	for (i = 0; i < e->nhistory; i++)
		kdbx_entry__free(e->history[i]);
	free(e->history);
	free(e->fg_color);
	free(e->bg_color);
	free(e->override_url);
	free(e->tags);
	free(e->autotype_sequence);
	kdbx_kvlist_free(&e->custom_data);
	kdbx_unknown_free(&e->unknown);
	if (!e->pooled)
		free(e);
}

int kdbx_entry__append_history(kdbx_entry *e, kdbx_entry *h)
{
	kdbx_entry **p;

	if (e == NULL || h == NULL)
		return kdbx_error__set(KDBX_EINVALID, "append history: NULL");
	p = realloc(e->history, (e->nhistory + 1) * sizeof(*p));
	if (p == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	e->history = p;
	h->parent = NULL;
	e->history[e->nhistory++] = h;
	return KDBX_OK;
}

/* Replaces *slot with a copy of s ("" stored as NULL). */
static int set_str(char **slot, const char *s)
{
	char *c = NULL;

	if (s != NULL && s[0] != '\0') {
		if (!kdbx_utf8_valid(s, strlen(s)))
			return kdbx_error__set(KDBX_EINVALID, "not valid UTF-8");
		if ((c = kdbx_strdup(s)) == NULL)
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	free(*slot);
	*slot = c;
	return KDBX_OK;
}

static int touch(kdbx_entry *e, int rc)
{
	if (rc == KDBX_OK)
		e->times.modification = kdbx_time_now();
	return rc;
}

#define CHECK_E(e)                                                                                 \
	do {                                                                                       \
		if ((e) == NULL)                                                                   \
			return kdbx_error__set(KDBX_EINVALID, "%s: NULL entry", __func__);         \
	} while (0)

const kdbx_uuid *kdbx_entry_uuid(const kdbx_entry *e) { return e != NULL ? &e->uuid : NULL; }
kdbx_group *kdbx_entry_group(const kdbx_entry *e) { return e != NULL ? e->parent : NULL; }

const char *kdbx_entry_tags(const kdbx_entry *e)
{
	return e != NULL && e->tags != NULL ? e->tags : "";
}

int kdbx_entry_set_tags(kdbx_entry *e, const char *tags)
{
	CHECK_E(e);
	return touch(e, set_str(&e->tags, tags));
}

int kdbx_entry_icon(const kdbx_entry *e) { return e != NULL ? e->icon : 0; }

int kdbx_entry_set_icon(kdbx_entry *e, int icon)
{
	CHECK_E(e);
	if (icon < 0)
		return kdbx_error__set(KDBX_EINVALID, "icon id must not be negative");
	e->icon = icon;
	return touch(e, KDBX_OK);
}

const kdbx_uuid *kdbx_entry_custom_icon(const kdbx_entry *e)
{
	return e != NULL && e->has_custom_icon ? &e->custom_icon : NULL;
}

int kdbx_entry_set_custom_icon(kdbx_entry *e, const kdbx_uuid *icon)
{
	CHECK_E(e);
	if (icon == NULL || kdbx_uuid_is_zero(icon)) {
		e->has_custom_icon = false;
		memset(&e->custom_icon, 0, sizeof(e->custom_icon));
	} else {
		e->custom_icon = *icon;
		e->has_custom_icon = true;
	}
	return touch(e, KDBX_OK);
}

const char *kdbx_entry_foreground_color(const kdbx_entry *e)
{
	return e != NULL && e->fg_color != NULL ? e->fg_color : "";
}

int kdbx_entry_set_foreground_color(kdbx_entry *e, const char *c)
{
	CHECK_E(e);
	return touch(e, set_str(&e->fg_color, c));
}

const char *kdbx_entry_background_color(const kdbx_entry *e)
{
	return e != NULL && e->bg_color != NULL ? e->bg_color : "";
}

int kdbx_entry_set_background_color(kdbx_entry *e, const char *c)
{
	CHECK_E(e);
	return touch(e, set_str(&e->bg_color, c));
}

const char *kdbx_entry_override_url(const kdbx_entry *e)
{
	return e != NULL && e->override_url != NULL ? e->override_url : "";
}

int kdbx_entry_set_override_url(kdbx_entry *e, const char *url)
{
	CHECK_E(e);
	return touch(e, set_str(&e->override_url, url));
}

kdbx_time *kdbx_times__field(kdbx_times *t, kdbx_time_field f)
{
	switch (f) {
	case KDBX_TIME_CREATION: return &t->creation;
	case KDBX_TIME_LAST_MODIFICATION: return &t->modification;
	case KDBX_TIME_LAST_ACCESS: return &t->access;
	case KDBX_TIME_EXPIRY: return &t->expiry;
	case KDBX_TIME_LOCATION_CHANGED: return &t->location_changed;
	}
	return NULL;
}

kdbx_time kdbx_entry_time(const kdbx_entry *e, kdbx_time_field f)
{
	kdbx_time *p;

	if (e == NULL)
		return 0;
	p = kdbx_times__field((kdbx_times *)&e->times, f);
	return p != NULL ? *p : 0;
}

int kdbx_entry_set_time(kdbx_entry *e, kdbx_time_field f, kdbx_time t)
{
	kdbx_time *p;

	CHECK_E(e);
	if ((p = kdbx_times__field(&e->times, f)) == NULL || t < 0)
		return kdbx_error__set(KDBX_EINVALID, "invalid time field or value");
	*p = t;
	return KDBX_OK;
}

int kdbx_entry_expires(const kdbx_entry *e) { return e != NULL && e->times.expires; }

int kdbx_entry_set_expires(kdbx_entry *e, int expires)
{
	CHECK_E(e);
	e->times.expires = expires != 0;
	return touch(e, KDBX_OK);
}

int kdbx_entry_quality_check(const kdbx_entry *e) { return e == NULL || e->quality_check != 0; }

int kdbx_entry_set_quality_check(kdbx_entry *e, int on)
{
	CHECK_E(e);
	e->quality_check = on != 0;
	return touch(e, KDBX_OK);
}

const kdbx_uuid *kdbx_entry_previous_parent(const kdbx_entry *e)
{
	return e != NULL && e->has_prev_parent ? &e->prev_parent : NULL;
}

const char *kdbx_entry_custom_data(const kdbx_entry *e, const char *key)
{
	const kdbx_kv *kv = e != NULL ? kdbx_kvlist_get(&e->custom_data, key) : NULL;

	return kv != NULL ? kv->value : NULL;
}

int kdbx_entry_set_custom_data(kdbx_entry *e, const char *key, const char *value)
{
	CHECK_E(e);
	if (key == NULL || key[0] == '\0')
		return kdbx_error__set(KDBX_EINVALID, "custom data: empty key");
	return touch(e, kdbx_kvlist_set(&e->custom_data, key, value, 0));
}

size_t kdbx_entry_custom_data_count(const kdbx_entry *e)
{
	return e != NULL ? e->custom_data.count : 0;
}

const char *kdbx_entry_custom_data_key(const kdbx_entry *e, size_t i)
{
	if (e == NULL || i >= e->custom_data.count)
		return NULL;
	return e->custom_data.items[i].key;
}

/* ---- auto-type ---- */

int kdbx_entry_autotype_enabled(const kdbx_entry *e) { return e != NULL && e->autotype_enabled; }

int kdbx_entry_set_autotype_enabled(kdbx_entry *e, int on)
{
	CHECK_E(e);
	e->autotype_enabled = on != 0;
	return touch(e, KDBX_OK);
}

const char *kdbx_entry_autotype_sequence(const kdbx_entry *e)
{
	return e != NULL && e->autotype_sequence != NULL ? e->autotype_sequence : "";
}

int kdbx_entry_set_autotype_sequence(kdbx_entry *e, const char *seq)
{
	CHECK_E(e);
	return touch(e, set_str(&e->autotype_sequence, seq));
}

int kdbx_entry_autotype_obfuscation(const kdbx_entry *e)
{
	return e != NULL ? e->autotype_obfuscation : 0;
}

size_t kdbx_entry_autotype_assoc_count(const kdbx_entry *e) { return e != NULL ? e->nassocs : 0; }

int kdbx_entry_autotype_assoc(const kdbx_entry *e, size_t i, const char **window,
                              const char **sequence)
{
	if (e == NULL || i >= e->nassocs)
		return kdbx_error__set(KDBX_ENOTFOUND, "no auto-type association %zu", i);
	if (window != NULL)
		*window = e->assocs[i].window != NULL ? e->assocs[i].window : "";
	if (sequence != NULL)
		*sequence = e->assocs[i].sequence != NULL ? e->assocs[i].sequence : "";
	return KDBX_OK;
}

int kdbx_entry_add_autotype_assoc(kdbx_entry *e, const char *window, const char *sequence)
{
	kdbx_assoc *a;
	char *w, *s;

	CHECK_E(e);
	if (window == NULL)
		return kdbx_error__set(KDBX_EINVALID, "auto-type association: NULL window");
	w = kdbx_strdup(window);
	s = kdbx_strdup(sequence != NULL ? sequence : "");
	a = (w != NULL && s != NULL) ? realloc(e->assocs, (e->nassocs + 1) * sizeof(*a)) : NULL;
	if (a == NULL) {
		free(w);
		free(s);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	e->assocs = a;
	a[e->nassocs].window = w;
	a[e->nassocs].sequence = s;
	e->nassocs++;
	return touch(e, KDBX_OK);
}

/* ---- creation, moves, paths ---- */

int kdbx_entry_new(kdbx_entry **out, kdbx_group *group, const char *title)
{
	kdbx_entry *e = NULL;
	int rc;

	if (out == NULL || group == NULL)
		return kdbx_error__set(KDBX_EINVALID, "entry new: invalid argument");
	*out = NULL;
	if ((rc = kdbx_entry__alloc(&e, group->db, false)) != KDBX_OK)
		return rc;
	if ((rc = kdbx_uuid_generate(&e->uuid)) != KDBX_OK)
		goto fail;
	e->times.creation = e->times.modification = e->times.access = kdbx_time_now();
	e->times.location_changed = e->times.creation;
	/* KeePass puts the five standard fields on every new entry. */
	if ((rc = kdbx_entry_set_field(e, KDBX_FIELD_TITLE, title != NULL ? title : "", 0)) != KDBX_OK ||
	    (rc = kdbx_entry_set_field(e, KDBX_FIELD_USERNAME, "", 0)) != KDBX_OK ||
	    (rc = kdbx_entry_set_field(e, KDBX_FIELD_PASSWORD, "", 0)) != KDBX_OK ||
	    (rc = kdbx_entry_set_field(e, KDBX_FIELD_URL, "", 0)) != KDBX_OK ||
	    (rc = kdbx_entry_set_field(e, KDBX_FIELD_NOTES, "", 0)) != KDBX_OK)
		goto fail;
	if ((rc = kdbx_group__append_entry(group, e)) != KDBX_OK)
		goto fail;
	*out = e;
	return KDBX_OK;
fail:
	kdbx_entry__free(e);
	return rc;
}

/* Detaches e from its parent group (does not free it). */
void kdbx_entry__detach(kdbx_entry *e)
{
	kdbx_group *g = e->parent;
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nentries; i++) {
		if (g->entries[i] == e) {
			memmove(&g->entries[i], &g->entries[i + 1], (g->nentries - i - 1) * sizeof(e));
			g->nentries--;
			break;
		}
	}
	e->parent = NULL;
}

int kdbx_entry_move(kdbx_entry *e, kdbx_group *new_group)
{
	kdbx_group *old;
	int rc;

	if (e == NULL || new_group == NULL || e->parent == NULL || e->db != new_group->db)
		return kdbx_error__set(KDBX_EINVALID, "entry move: invalid argument");
	old = e->parent;
	if (old == new_group)
		return KDBX_OK;
	/* Reserve first so a failed append cannot leave the entry detached. */
	if ((rc = kdbx_group__append_entry(new_group, e)) != KDBX_OK)
		return rc;
	e->parent = old;
	kdbx_entry__detach(e);
	e->parent = new_group;
	e->prev_parent = old->uuid;
	e->has_prev_parent = true;
	e->times.location_changed = kdbx_time_now();
	return KDBX_OK;
}

char *kdbx_entry_path(const kdbx_entry *e)
{
	char *gp, *p;
	const char *title;
	size_t gl, tl;
	kdbx_buf b = KDBX_BUF_INIT;

	if (e == NULL || e->parent == NULL)
		return NULL;
	if ((gp = kdbx_group_path(e->parent)) == NULL)
		return NULL;
	title = kdbx_entry_title(e);
	gl = strlen(gp);
	tl = strlen(title);
	/* The root path is "/": do not double the separator. */
	if (gl == 1)
		gl = 0;
	if (kdbx_buf_reserve(&b, gl + tl + 2) != KDBX_OK) {
		free(gp);
		return NULL;
	}
	memcpy(b.data, gp, gl);
	b.data[gl] = '/';
	memcpy(b.data + gl + 1, title, tl);
	b.data[gl + 1 + tl] = '\0';
	free(gp);
	p = (char *)b.data;
	return p;
}
