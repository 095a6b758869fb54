/* Groups: allocation, properties, creation, moves and paths (include/kdbx/group.h). */
#include <stdlib.h>

#include "model/model.h"

/* KeePass's default group icon ("Folder"). */
#define KDBX_ICON_FOLDER 48

int kdbx_group__alloc(kdbx_group **out, kdbx_db *db)
{
	kdbx_group *g;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "group alloc: NULL");
	*out = NULL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	g->db = db;
	g->icon = KDBX_ICON_FOLDER;
	g->is_expanded = true;
	g->enable_autotype = KDBX_INHERIT;
	g->enable_searching = KDBX_INHERIT;
	*out = g;
	return KDBX_OK;
}

void kdbx_group__free(kdbx_group *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->ngroups; i++)
		kdbx_group__free(g->groups[i]);
	free(g->groups);
	for (i = 0; i < g->nentries; i++)
		kdbx_entry__free(g->entries[i]);
	free(g->entries);
	free(g->name);
	free(g->notes);
	free(g->tags);
	free(g->default_autotype_sequence);
	kdbx_kvlist_free(&g->custom_data);
	kdbx_unknown_free(&g->unknown);
	free(g);
}

int kdbx_group__append_group(kdbx_group *parent, kdbx_group *child)
{
	kdbx_group **p;

	if (parent == NULL || child == NULL)
		return kdbx_error__set(KDBX_EINVALID, "append group: NULL");
	p = realloc(parent->groups, (parent->ngroups + 1) * sizeof(*p));
	if (p == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	parent->groups = p;
	p[parent->ngroups++] = child;
	child->parent = parent;
	return KDBX_OK;
}

int kdbx_group__append_entry(kdbx_group *parent, kdbx_entry *e)
{
	kdbx_entry **p;

	if (parent == NULL || e == NULL)
		return kdbx_error__set(KDBX_EINVALID, "append entry: NULL");
	p = realloc(parent->entries, (parent->nentries + 1) * sizeof(*p));
	if (p == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	parent->entries = p;
	p[parent->nentries++] = e;
	e->parent = parent;
	return KDBX_OK;
}

void kdbx_group__detach(kdbx_group *g)
{
	kdbx_group *p = g->parent;
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->ngroups; i++) {
		if (p->groups[i] == g) {
			memmove(&p->groups[i], &p->groups[i + 1], (p->ngroups - i - 1) * sizeof(g));
			p->ngroups--;
			break;
		}
	}
	g->parent = NULL;
}

bool kdbx_group__contains(const kdbx_group *ancestor, const kdbx_group *g)
{
	for (; g != NULL; g = g->parent)
		if (g == ancestor)
			return true;
	return false;
}

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

static int touch(kdbx_group *g, int rc)
{
	if (rc == KDBX_OK)
		g->times.modification = kdbx_time_now();
	return rc;
}

#define CHECK_G(g)                                                                                 \
	do {                                                                                       \
		if ((g) == NULL)                                                                   \
			return kdbx_error__set(KDBX_EINVALID, "%s: NULL group", __func__);         \
	} while (0)

const kdbx_uuid *kdbx_group_uuid(const kdbx_group *g) { return g != NULL ? &g->uuid : NULL; }

const char *kdbx_group_name(const kdbx_group *g)
{
	return g != NULL && g->name != NULL ? g->name : "";
}

int kdbx_group_set_name(kdbx_group *g, const char *name)
{
	CHECK_G(g);
	return touch(g, set_str(&g->name, name));
}

const char *kdbx_group_notes(const kdbx_group *g)
{
	return g != NULL && g->notes != NULL ? g->notes : "";
}

int kdbx_group_set_notes(kdbx_group *g, const char *notes)
{
	CHECK_G(g);
	return touch(g, set_str(&g->notes, notes));
}

const char *kdbx_group_tags(const kdbx_group *g)
{
	return g != NULL && g->tags != NULL ? g->tags : "";
}

int kdbx_group_set_tags(kdbx_group *g, const char *tags)
{
	CHECK_G(g);
	return touch(g, set_str(&g->tags, tags));
}

int kdbx_group_icon(const kdbx_group *g) { return g != NULL ? g->icon : 0; }

int kdbx_group_set_icon(kdbx_group *g, int icon)
{
	CHECK_G(g);
	if (icon < 0)
		return kdbx_error__set(KDBX_EINVALID, "icon id must not be negative");
	g->icon = icon;
	return touch(g, KDBX_OK);
}

const kdbx_uuid *kdbx_group_custom_icon(const kdbx_group *g)
{
	return g != NULL && g->has_custom_icon ? &g->custom_icon : NULL;
}

int kdbx_group_set_custom_icon(kdbx_group *g, const kdbx_uuid *icon)
{
	CHECK_G(g);
	if (icon == NULL || kdbx_uuid_is_zero(icon)) {
		g->has_custom_icon = false;
		memset(&g->custom_icon, 0, sizeof(g->custom_icon));
	} else {
		g->custom_icon = *icon;
		g->has_custom_icon = true;
	}
	return touch(g, KDBX_OK);
}

kdbx_time kdbx_group_time(const kdbx_group *g, kdbx_time_field f)
{
	kdbx_time *p;

	if (g == NULL)
		return 0;
	p = kdbx_times__field((kdbx_times *)&g->times, f);
	return p != NULL ? *p : 0;
}

int kdbx_group_set_time(kdbx_group *g, kdbx_time_field f, kdbx_time t)
{
	kdbx_time *p;

	CHECK_G(g);
	if ((p = kdbx_times__field(&g->times, f)) == NULL || t < 0)
		return kdbx_error__set(KDBX_EINVALID, "invalid time field or value");
	*p = t;
	return KDBX_OK;
}

int kdbx_group_expires(const kdbx_group *g) { return g != NULL && g->times.expires; }

int kdbx_group_set_expires(kdbx_group *g, int expires)
{
	CHECK_G(g);
	g->times.expires = expires != 0;
	return touch(g, KDBX_OK);
}

const char *kdbx_group_default_autotype_sequence(const kdbx_group *g)
{
	return g != NULL && g->default_autotype_sequence != NULL ? g->default_autotype_sequence : "";
}

int kdbx_group_set_default_autotype_sequence(kdbx_group *g, const char *seq)
{
	CHECK_G(g);
	return touch(g, set_str(&g->default_autotype_sequence, seq));
}

static bool tristate_ok(kdbx_tristate v)
{
	return v == KDBX_INHERIT || v == KDBX_FALSE || v == KDBX_TRUE;
}

kdbx_tristate kdbx_group_enable_autotype(const kdbx_group *g)
{
	return g != NULL ? g->enable_autotype : KDBX_INHERIT;
}

int kdbx_group_set_enable_autotype(kdbx_group *g, kdbx_tristate v)
{
	CHECK_G(g);
	if (!tristate_ok(v))
		return kdbx_error__set(KDBX_EINVALID, "invalid tri-state value");
	g->enable_autotype = v;
	return touch(g, KDBX_OK);
}

kdbx_tristate kdbx_group_enable_searching(const kdbx_group *g)
{
	return g != NULL ? g->enable_searching : KDBX_INHERIT;
}

int kdbx_group_set_enable_searching(kdbx_group *g, kdbx_tristate v)
{
	CHECK_G(g);
	if (!tristate_ok(v))
		return kdbx_error__set(KDBX_EINVALID, "invalid tri-state value");
	g->enable_searching = v;
	return touch(g, KDBX_OK);
}

const kdbx_uuid *kdbx_group_previous_parent(const kdbx_group *g)
{
	return g != NULL && g->has_prev_parent ? &g->prev_parent : NULL;
}

const char *kdbx_group_custom_data(const kdbx_group *g, const char *key)
{
	const kdbx_kv *kv = g != NULL ? kdbx_kvlist_get(&g->custom_data, key) : NULL;

	return kv != NULL ? kv->value : NULL;
}

int kdbx_group_set_custom_data(kdbx_group *g, const char *key, const char *value)
{
	CHECK_G(g);
	if (key == NULL || key[0] == '\0')
		return kdbx_error__set(KDBX_EINVALID, "custom data: empty key");
	return touch(g, kdbx_kvlist_set(&g->custom_data, key, value, 0));
}

size_t kdbx_group_custom_data_count(const kdbx_group *g)
{
	return g != NULL ? g->custom_data.count : 0;
}

const char *kdbx_group_custom_data_key(const kdbx_group *g, size_t i)
{
	if (g == NULL || i >= g->custom_data.count)
		return NULL;
	return g->custom_data.items[i].key;
}

/* ---- tree navigation ---- */

kdbx_group *kdbx_group_parent(const kdbx_group *g) { return g != NULL ? g->parent : NULL; }
size_t kdbx_group_group_count(const kdbx_group *g) { return g != NULL ? g->ngroups : 0; }
size_t kdbx_group_entry_count(const kdbx_group *g) { return g != NULL ? g->nentries : 0; }

kdbx_group *kdbx_group_group_at(const kdbx_group *g, size_t i)
{
	return g != NULL && i < g->ngroups ? g->groups[i] : NULL;
}

kdbx_entry *kdbx_group_entry_at(const kdbx_group *g, size_t i)
{
	return g != NULL && i < g->nentries ? g->entries[i] : NULL;
}

kdbx_group *kdbx_group_find_group(const kdbx_group *g, const char *name)
{
	size_t i;

	if (g == NULL || name == NULL)
		return NULL;
	for (i = 0; i < g->ngroups; i++)
		if (strcmp(kdbx_group_name(g->groups[i]), name) == 0)
			return g->groups[i];
	return NULL;
}

kdbx_entry *kdbx_group_find_entry(const kdbx_group *g, const char *title)
{
	size_t i;

	if (g == NULL || title == NULL)
		return NULL;
	for (i = 0; i < g->nentries; i++)
		if (kdbx_entry__title_equals(g->entries[i], title))
			return g->entries[i];
	return NULL;
}

char *kdbx_group_path(const kdbx_group *g)
{
	const kdbx_group *p;
	size_t len = 0, pos;
	char *s;

	if (g == NULL)
		return NULL;
	if (g->parent == NULL)
		return kdbx_strdup("/");
	/* The root's name is not part of a path. */
	for (p = g; p->parent != NULL; p = p->parent)
		len += 1 + strlen(kdbx_group_name(p));
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	s[len] = '\0';
	pos = len;
	for (p = g; p->parent != NULL; p = p->parent) {
		size_t n = strlen(kdbx_group_name(p));
		pos -= n;
		memcpy(s + pos, kdbx_group_name(p), n);
		s[--pos] = '/';
	}
	return s;
}

/* ---- creation and moves ---- */

int kdbx_group_add_group(kdbx_group **out, kdbx_group *parent, const char *name)
{
	kdbx_group *g = NULL;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (parent == NULL)
		return kdbx_error__set(KDBX_EINVALID, "add group: NULL parent");
	if ((rc = kdbx_group__alloc(&g, parent->db)) != KDBX_OK)
		return rc;
	if ((rc = kdbx_uuid_generate(&g->uuid)) != KDBX_OK || (rc = set_str(&g->name, name)) != KDBX_OK)
		goto fail;
	g->times.creation = g->times.modification = g->times.access = kdbx_time_now();
	g->times.location_changed = g->times.creation;
	if ((rc = kdbx_group__append_group(parent, g)) != KDBX_OK)
		goto fail;
	if (out != NULL)
		*out = g;
	return KDBX_OK;
fail:
	kdbx_group__free(g);
	return rc;
}

int kdbx_group_move(kdbx_group *g, kdbx_group *new_parent)
{
	kdbx_group *old;
	int rc;

	if (g == NULL || new_parent == NULL || g->db != new_parent->db)
		return kdbx_error__set(KDBX_EINVALID, "group move: invalid argument");
	if (g->parent == NULL)
		return kdbx_error__set(KDBX_EINVALID, "the root group cannot be moved");
	if (kdbx_group__contains(g, new_parent))
		return kdbx_error__set(KDBX_EINVALID, "a group cannot move into itself or its subgroups");
	old = g->parent;
	if (old == new_parent)
		return KDBX_OK;
	/* Append first so a failed allocation leaves the tree unchanged. */
	if ((rc = kdbx_group__append_group(new_parent, g)) != KDBX_OK)
		return rc;
	g->parent = old;
	kdbx_group__detach(g);
	g->parent = new_parent;
	g->prev_parent = old->uuid;
	g->has_prev_parent = true;
	g->times.location_changed = kdbx_time_now();
	return KDBX_OK;
}
