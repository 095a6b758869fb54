/* Deletion as KeePass does it: into the recycle bin (created on first use)
 * when it is enabled and the object is not already inside it; otherwise for
 * good, recording the UUIDs of everything removed in DeletedObjects so that
 * a later synchronisation does not resurrect them. */
#include <stdlib.h>

#include "model/model.h"

/* KeePass's "Trash" icon for the recycle bin. */
#define KDBX_ICON_RECYCLE_BIN 43

kdbx_group *kdbx_db_recycle_bin(kdbx_db *db)
{
	if (db == NULL || kdbx_uuid_is_zero(&db->meta.recycle_bin_uuid))
		return NULL;
	return kdbx_db_find_group_uuid(db, &db->meta.recycle_bin_uuid);
}

static int recycle_bin_get_or_create(kdbx_db *db, kdbx_group **out)
{
	kdbx_group *g;
	int rc;

	if ((g = kdbx_db_recycle_bin(db)) != NULL) {
		*out = g;
		return KDBX_OK;
	}
	if ((rc = kdbx_group_add_group(&g, db->root, "Recycle Bin")) != KDBX_OK)
		return rc;
	g->icon = KDBX_ICON_RECYCLE_BIN;
	g->enable_autotype = KDBX_FALSE;
	g->enable_searching = KDBX_FALSE;
	g->is_expanded = false;
	db->meta.recycle_bin_uuid = g->uuid;
	db->meta.recycle_bin_changed = kdbx_time_now();
	*out = g;
	return KDBX_OK;
}

/* Appends into space reserved by reserve_deleted (cannot fail). */
static void push_deleted(kdbx_db *db, const kdbx_uuid *u, kdbx_time when)
{
	db->deleted[db->ndeleted].uuid = *u;
	db->deleted[db->ndeleted].when = when;
	db->ndeleted++;
}

static size_t subtree_objects(const kdbx_group *g)
{
	size_t i, n = 1 + g->nentries;

	for (i = 0; i < g->ngroups; i++)
		n += subtree_objects(g->groups[i]);
	return n;
}

/* Records entries first, then subgroups, then the group itself (KeePass order). */
static void record_subtree(kdbx_db *db, const kdbx_group *g, kdbx_time now)
{
	size_t i;

	for (i = 0; i < g->nentries; i++)
		push_deleted(db, &g->entries[i]->uuid, now);
	for (i = 0; i < g->ngroups; i++)
		record_subtree(db, g->groups[i], now);
	push_deleted(db, &g->uuid, now);
}

/* Grows db->deleted up front so recording cannot fail half-way. */
static int reserve_deleted(kdbx_db *db, size_t extra)
{
	kdbx_deleted *d;

	if (extra > SIZE_MAX / sizeof(*d) - db->ndeleted)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	d = realloc(db->deleted, (db->ndeleted + extra) * sizeof(*d));
	if (d == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	db->deleted = d;
	return KDBX_OK;
}

int kdbx_entry_delete(kdbx_db *db, kdbx_entry *e)
{
	kdbx_group *bin;
	int rc;

	if (db == NULL || e == NULL || e->db != db || e->parent == NULL)
		return kdbx_error__set(KDBX_EINVALID, "entry delete: entry is not in this database's tree");
	bin = kdbx_db_recycle_bin(db);
	if (db->meta.recycle_bin_enabled && (bin == NULL || !kdbx_group__contains(bin, e->parent))) {
		if ((rc = recycle_bin_get_or_create(db, &bin)) != KDBX_OK)
			return rc;
		return kdbx_entry_move(e, bin);
	}
	if ((rc = reserve_deleted(db, 1)) != KDBX_OK)
		return rc;
	push_deleted(db, &e->uuid, kdbx_time_now());
	kdbx_entry__detach(e);
	kdbx_entry__free(e);
	return KDBX_OK;
}

int kdbx_group_delete(kdbx_db *db, kdbx_group *g)
{
	kdbx_group *bin;
	int rc;

	if (db == NULL || g == NULL || g->db != db)
		return kdbx_error__set(KDBX_EINVALID, "group delete: invalid argument");
	if (g->parent == NULL)
		return kdbx_error__set(KDBX_EINVALID, "the root group cannot be deleted");
	bin = kdbx_db_recycle_bin(db);
	/* Never move the bin (or a group holding it) into the bin itself. */
	if (db->meta.recycle_bin_enabled &&
	    (bin == NULL || (!kdbx_group__contains(bin, g) && !kdbx_group__contains(g, bin)))) {
		if ((rc = recycle_bin_get_or_create(db, &bin)) != KDBX_OK)
			return rc;
		return kdbx_group_move(g, bin);
	}
	if ((rc = reserve_deleted(db, subtree_objects(g))) != KDBX_OK)
		return rc;
	record_subtree(db, g, kdbx_time_now());
	if (bin != NULL && kdbx_group__contains(g, bin)) {
		memset(&db->meta.recycle_bin_uuid, 0, sizeof(db->meta.recycle_bin_uuid));
		db->meta.recycle_bin_changed = kdbx_time_now();
	}
	kdbx_group__detach(g);
	kdbx_group__free(g);
	return KDBX_OK;
}
