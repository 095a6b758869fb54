/* Groups: the tree. Pointers are owned by the database. */
#ifndef KDBX_GROUP_H
#define KDBX_GROUP_H

#include "common.h"

/* Tri-state used by EnableAutoType / EnableSearching. */
typedef enum kdbx_tristate { KDBX_INHERIT = -1, KDBX_FALSE = 0, KDBX_TRUE = 1 } kdbx_tristate;

typedef enum kdbx_time_field {
	KDBX_TIME_CREATION = 0,
	KDBX_TIME_LAST_MODIFICATION,
	KDBX_TIME_LAST_ACCESS,
	KDBX_TIME_EXPIRY,
	KDBX_TIME_LOCATION_CHANGED
} kdbx_time_field;

KDBX_EXTERN const kdbx_uuid *kdbx_group_uuid(const kdbx_group *g);
KDBX_EXTERN const char *kdbx_group_name(const kdbx_group *g);
KDBX_EXTERN int kdbx_group_set_name(kdbx_group *g, const char *name);
KDBX_EXTERN const char *kdbx_group_notes(const kdbx_group *g);
KDBX_EXTERN int kdbx_group_set_notes(kdbx_group *g, const char *notes);
KDBX_EXTERN const char *kdbx_group_tags(const kdbx_group *g); /* ";"-separated, "" if none */
KDBX_EXTERN int kdbx_group_set_tags(kdbx_group *g, const char *tags);
KDBX_EXTERN int kdbx_group_icon(const kdbx_group *g);
KDBX_EXTERN int kdbx_group_set_icon(kdbx_group *g, int icon);
KDBX_EXTERN const kdbx_uuid *kdbx_group_custom_icon(const kdbx_group *g); /* NULL if none */
KDBX_EXTERN int kdbx_group_set_custom_icon(kdbx_group *g, const kdbx_uuid *icon);
KDBX_EXTERN kdbx_time kdbx_group_time(const kdbx_group *g, kdbx_time_field f);
KDBX_EXTERN int kdbx_group_set_time(kdbx_group *g, kdbx_time_field f, kdbx_time t);
KDBX_EXTERN int kdbx_group_expires(const kdbx_group *g);
KDBX_EXTERN int kdbx_group_set_expires(kdbx_group *g, int expires);
KDBX_EXTERN const char *kdbx_group_default_autotype_sequence(const kdbx_group *g);
KDBX_EXTERN int kdbx_group_set_default_autotype_sequence(kdbx_group *g, const char *seq);
KDBX_EXTERN kdbx_tristate kdbx_group_enable_autotype(const kdbx_group *g);
KDBX_EXTERN int kdbx_group_set_enable_autotype(kdbx_group *g, kdbx_tristate v);
KDBX_EXTERN kdbx_tristate kdbx_group_enable_searching(const kdbx_group *g);
KDBX_EXTERN int kdbx_group_set_enable_searching(kdbx_group *g, kdbx_tristate v);
KDBX_EXTERN const kdbx_uuid *kdbx_group_previous_parent(const kdbx_group *g); /* NULL if none */
KDBX_EXTERN const char *kdbx_group_custom_data(const kdbx_group *g, const char *key);
KDBX_EXTERN int kdbx_group_set_custom_data(kdbx_group *g, const char *key, const char *value);
KDBX_EXTERN size_t kdbx_group_custom_data_count(const kdbx_group *g);
KDBX_EXTERN const char *kdbx_group_custom_data_key(const kdbx_group *g, size_t i);

KDBX_EXTERN kdbx_group *kdbx_group_parent(const kdbx_group *g); /* NULL for root */
KDBX_EXTERN size_t kdbx_group_group_count(const kdbx_group *g);
KDBX_EXTERN kdbx_group *kdbx_group_group_at(const kdbx_group *g, size_t i);
KDBX_EXTERN size_t kdbx_group_entry_count(const kdbx_group *g);
KDBX_EXTERN kdbx_entry *kdbx_group_entry_at(const kdbx_group *g, size_t i);
/* Child group / entry by name / title (first match) or NULL. */
KDBX_EXTERN kdbx_group *kdbx_group_find_group(const kdbx_group *g, const char *name);
KDBX_EXTERN kdbx_entry *kdbx_group_find_entry(const kdbx_group *g, const char *title);
/* Path of the group from the root: "/" for root, "/A/B" otherwise. Caller frees. */
KDBX_EXTERN char *kdbx_group_path(const kdbx_group *g);

/* Creates a child group with a new UUID and current times. */
KDBX_EXTERN int kdbx_group_add_group(kdbx_group **out, kdbx_group *parent, const char *name);
/* Moves g (and its subtree) under new_parent; sets PreviousParentGroup and LocationChanged. */
KDBX_EXTERN int kdbx_group_move(kdbx_group *g, kdbx_group *new_parent);
/* Deletes as KeePass: into the recycle bin when enabled and g is not already
 * in it, otherwise for good (recording DeletedObjects). */
KDBX_EXTERN int kdbx_group_delete(kdbx_db *db, kdbx_group *g);

#endif
