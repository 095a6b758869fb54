/* Entries: fields, attachments, history. Pointers are owned by the database. */
#ifndef KDBX_ENTRY_H
#define KDBX_ENTRY_H

#include "common.h"
#include "group.h"

/* Standard field names. */
#define KDBX_FIELD_TITLE "Title"
#define KDBX_FIELD_USERNAME "UserName"
#define KDBX_FIELD_PASSWORD "Password"
#define KDBX_FIELD_URL "URL"
#define KDBX_FIELD_NOTES "Notes"

KDBX_EXTERN const kdbx_uuid *kdbx_entry_uuid(const kdbx_entry *e);
KDBX_EXTERN kdbx_group *kdbx_entry_group(const kdbx_entry *e);
/* Title shortcut (the Title field even if protected is NOT returned here when
 * protected; use kdbx_entry_field_reveal). "" if absent. */
KDBX_EXTERN const char *kdbx_entry_title(const kdbx_entry *e);

/* String fields (standard + custom), in file order. */
KDBX_EXTERN size_t kdbx_entry_field_count(const kdbx_entry *e);
KDBX_EXTERN const char *kdbx_entry_field_name(const kdbx_entry *e, size_t i);
KDBX_EXTERN int kdbx_entry_has_field(const kdbx_entry *e, const char *name);
KDBX_EXTERN int kdbx_entry_field_protected(const kdbx_entry *e, const char *name);
/* Value of an unprotected field (borrowed), NULL if protected or absent. */
KDBX_EXTERN const char *kdbx_entry_field(const kdbx_entry *e, const char *name);
/* Copy of any field, protected or not, into a caller-owned secret. */
KDBX_EXTERN int kdbx_entry_field_reveal(kdbx_secret **out, const kdbx_entry *e, const char *name);
/* Sets (creates) a field. value is UTF-8. */
KDBX_EXTERN int kdbx_entry_set_field(kdbx_entry *e, const char *name, const char *value, int protect);
KDBX_EXTERN int kdbx_entry_remove_field(kdbx_entry *e, const char *name);

KDBX_EXTERN const char *kdbx_entry_tags(const kdbx_entry *e);
KDBX_EXTERN int kdbx_entry_set_tags(kdbx_entry *e, const char *tags);
KDBX_EXTERN int kdbx_entry_icon(const kdbx_entry *e);
KDBX_EXTERN int kdbx_entry_set_icon(kdbx_entry *e, int icon);
KDBX_EXTERN const kdbx_uuid *kdbx_entry_custom_icon(const kdbx_entry *e);
KDBX_EXTERN int kdbx_entry_set_custom_icon(kdbx_entry *e, const kdbx_uuid *icon);
KDBX_EXTERN const char *kdbx_entry_foreground_color(const kdbx_entry *e);
KDBX_EXTERN int kdbx_entry_set_foreground_color(kdbx_entry *e, const char *c);
KDBX_EXTERN const char *kdbx_entry_background_color(const kdbx_entry *e);
KDBX_EXTERN int kdbx_entry_set_background_color(kdbx_entry *e, const char *c);
KDBX_EXTERN const char *kdbx_entry_override_url(const kdbx_entry *e);
KDBX_EXTERN int kdbx_entry_set_override_url(kdbx_entry *e, const char *url);
KDBX_EXTERN kdbx_time kdbx_entry_time(const kdbx_entry *e, kdbx_time_field f);
KDBX_EXTERN int kdbx_entry_set_time(kdbx_entry *e, kdbx_time_field f, kdbx_time t);
KDBX_EXTERN int kdbx_entry_expires(const kdbx_entry *e);
KDBX_EXTERN int kdbx_entry_set_expires(kdbx_entry *e, int expires);
KDBX_EXTERN int kdbx_entry_quality_check(const kdbx_entry *e); /* 1 = included in reports */
KDBX_EXTERN int kdbx_entry_set_quality_check(kdbx_entry *e, int on);
KDBX_EXTERN const kdbx_uuid *kdbx_entry_previous_parent(const kdbx_entry *e);
KDBX_EXTERN const char *kdbx_entry_custom_data(const kdbx_entry *e, const char *key);
KDBX_EXTERN int kdbx_entry_set_custom_data(kdbx_entry *e, const char *key, const char *value);
KDBX_EXTERN size_t kdbx_entry_custom_data_count(const kdbx_entry *e);
KDBX_EXTERN const char *kdbx_entry_custom_data_key(const kdbx_entry *e, size_t i);

/* Auto-type */
KDBX_EXTERN int kdbx_entry_autotype_enabled(const kdbx_entry *e);
KDBX_EXTERN int kdbx_entry_set_autotype_enabled(kdbx_entry *e, int on);
KDBX_EXTERN const char *kdbx_entry_autotype_sequence(const kdbx_entry *e);
KDBX_EXTERN int kdbx_entry_set_autotype_sequence(kdbx_entry *e, const char *seq);
KDBX_EXTERN int kdbx_entry_autotype_obfuscation(const kdbx_entry *e);
KDBX_EXTERN size_t kdbx_entry_autotype_assoc_count(const kdbx_entry *e);
KDBX_EXTERN int kdbx_entry_autotype_assoc(const kdbx_entry *e, size_t i, const char **window,
                                          const char **sequence);
KDBX_EXTERN int kdbx_entry_add_autotype_assoc(kdbx_entry *e, const char *window, const char *sequence);

/* Attachments (name -> content). Content is shared between entries with the
 * same bytes (de-duplicated on save). */
KDBX_EXTERN size_t kdbx_entry_attachment_count(const kdbx_entry *e);
KDBX_EXTERN const char *kdbx_entry_attachment_name(const kdbx_entry *e, size_t i);
KDBX_EXTERN int kdbx_entry_attachment(const kdbx_entry *e, const char *name,
                                      const uint8_t **data, size_t *len);
KDBX_EXTERN int kdbx_entry_set_attachment(kdbx_entry *e, const char *name, const uint8_t *data,
                                          size_t len);
KDBX_EXTERN int kdbx_entry_remove_attachment(kdbx_entry *e, const char *name);

/* History: older versions, oldest first. */
KDBX_EXTERN size_t kdbx_entry_history_count(const kdbx_entry *e);
KDBX_EXTERN kdbx_entry *kdbx_entry_history_at(const kdbx_entry *e, size_t i);
/* Pushes a copy of the current state to the history (call before editing),
 * then trims the history to the database limits. */
KDBX_EXTERN int kdbx_entry_backup(kdbx_db *db, kdbx_entry *e);

/* Creates an entry with a new UUID and current times in group. */
KDBX_EXTERN int kdbx_entry_new(kdbx_entry **out, kdbx_group *group, const char *title);
KDBX_EXTERN int kdbx_entry_move(kdbx_entry *e, kdbx_group *new_group);
/* Deletes as KeePass (recycle bin unless already in it or disabled). */
KDBX_EXTERN int kdbx_entry_delete(kdbx_db *db, kdbx_entry *e);
/* Path "/Group/Sub/Title". Caller frees. */
KDBX_EXTERN char *kdbx_entry_path(const kdbx_entry *e);

#endif
