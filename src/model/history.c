/* Entry history: copies of earlier states, oldest first, trimmed to the
 * Meta HistoryMaxItems / HistoryMaxSize limits the way KeePass does
 * (oldest items removed first). */
#include <stdlib.h>

#include "model/model.h"

static int dup_str(char **dst, const char *src)
{
	if (src == NULL) {
		*dst = NULL;
		return KDBX_OK;
	}
	*dst = kdbx_strdup(src);
	return *dst != NULL ? KDBX_OK : kdbx_error__set(KDBX_ENOMEM, "out of memory");
}

static int clone_fields(kdbx_entry *c, const kdbx_entry *e)
{
	size_t i;

	if (e->nfields == 0)
		return KDBX_OK;
	if ((c->fields = calloc(e->nfields, sizeof(*c->fields))) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	for (i = 0; i < e->nfields; i++) {
		const kdbx_field *f = &e->fields[i];
		kdbx_field *d = &c->fields[i];
		/* Masked bytes are copied as they are: same key, nonce and plaintext. */
		if ((d->name = kdbx_field__name_dup(f->name)) == NULL ||
		    (d->value = malloc(f->len + 1)) == NULL) {
			kdbx_field__name_free(d->name);
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		}
		memcpy(d->value, f->value, f->len + 1);
		d->len = f->len;
		d->protect = f->protect;
		memcpy(d->nonce, f->nonce, sizeof(d->nonce));
		c->nfields++;
	}
	return KDBX_OK;
}

static int clone_lists(kdbx_entry *c, const kdbx_entry *e)
{
	size_t i;
	int rc;

	for (i = 0; i < e->nattachments; i++)
		if ((rc = kdbx_entry__add_attachment(c, e->attachments[i].name, e->attachments[i].bin)) != KDBX_OK)
			return rc;
	if (e->nassocs > 0) {
		if ((c->assocs = calloc(e->nassocs, sizeof(*c->assocs))) == NULL)
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		for (i = 0; i < e->nassocs; i++) {
			c->nassocs++;
			if ((rc = dup_str(&c->assocs[i].window, e->assocs[i].window)) != KDBX_OK ||
			    (rc = dup_str(&c->assocs[i].sequence, e->assocs[i].sequence)) != KDBX_OK)
				return rc;
		}
	}
	if ((rc = kdbx_kvlist_copy(&c->custom_data, &e->custom_data)) != KDBX_OK)
		return rc;
	for (i = 0; i < e->unknown.count; i++) {
		char *x = kdbx_strdup(e->unknown.xml[i]);
		if (x == NULL)
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		if ((rc = kdbx_unknown_add(&c->unknown, x)) != KDBX_OK)
			return rc;
	}
	return KDBX_OK;
}

int kdbx_entry__clone(kdbx_entry **out, const kdbx_entry *e)
{
	kdbx_entry *c = NULL;
	int rc;

	*out = NULL;
	if ((rc = kdbx_entry__alloc(&c, e->db, false)) != KDBX_OK)
		return rc;
	c->uuid = e->uuid;
	c->icon = e->icon;
	c->custom_icon = e->custom_icon;
	c->has_custom_icon = e->has_custom_icon;
	c->times = e->times;
	c->quality_check = e->quality_check;
	c->prev_parent = e->prev_parent;
	c->has_prev_parent = e->has_prev_parent;
	c->autotype_enabled = e->autotype_enabled;
	c->autotype_obfuscation = e->autotype_obfuscation;
	if ((rc = dup_str(&c->fg_color, e->fg_color)) != KDBX_OK ||
	    (rc = dup_str(&c->bg_color, e->bg_color)) != KDBX_OK ||
	    (rc = dup_str(&c->override_url, e->override_url)) != KDBX_OK ||
	    (rc = dup_str(&c->tags, e->tags)) != KDBX_OK ||
	    (rc = dup_str(&c->autotype_sequence, e->autotype_sequence)) != KDBX_OK ||
	    (rc = clone_fields(c, e)) != KDBX_OK || (rc = clone_lists(c, e)) != KDBX_OK) {
		kdbx_entry__free(c);
		return rc;
	}
	*out = c;
	return KDBX_OK;
}

/* Approximate stored size of one history item, as KeePass estimates it:
 * string names and values, attachment bytes, a few other strings. */
static size_t slen(const char *s) { return s != NULL ? strlen(s) : 0; }

static uint64_t entry_size(const kdbx_entry *e)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < e->nfields; i++)
		n += slen(e->fields[i].name) + e->fields[i].len;
	for (i = 0; i < e->nattachments; i++) {
		n += slen(e->attachments[i].name);
		if (e->attachments[i].bin < e->db->nbins)
			n += e->db->bins[e->attachments[i].bin].len;
	}
	for (i = 0; i < e->nassocs; i++)
		n += slen(e->assocs[i].window) + slen(e->assocs[i].sequence);
	for (i = 0; i < e->custom_data.count; i++)
		n += slen(e->custom_data.items[i].key) + slen(e->custom_data.items[i].value);
	n += slen(e->tags) + slen(e->override_url) + slen(e->autotype_sequence);
	return n;
}

static void remove_oldest(kdbx_entry *e)
{
	kdbx_entry__free(e->history[0]);
	memmove(&e->history[0], &e->history[1], (e->nhistory - 1) * sizeof(*e->history));
	e->nhistory--;
}

void kdbx_entry__trim_history(const kdbx_db *db, kdbx_entry *e)
{
	if (db->meta.history_max_items >= 0)
		while (e->nhistory > (size_t)db->meta.history_max_items)
			remove_oldest(e);
	if (db->meta.history_max_size >= 0) {
		for (;;) {
			uint64_t total = 0;
			size_t i;
			for (i = 0; i < e->nhistory; i++)
				total += entry_size(e->history[i]);
			if (total <= (uint64_t)db->meta.history_max_size || e->nhistory == 0)
				break;
			remove_oldest(e);
		}
	}
}

size_t kdbx_entry_history_count(const kdbx_entry *e) { return e != NULL ? e->nhistory : 0; }

kdbx_entry *kdbx_entry_history_at(const kdbx_entry *e, size_t i)
{
	return e != NULL && i < e->nhistory ? e->history[i] : NULL;
}

int kdbx_entry_backup(kdbx_db *db, kdbx_entry *e)
{
	kdbx_entry *h = NULL;
	int rc;

	if (db == NULL || e == NULL || e->db != db || e->parent == NULL)
		return kdbx_error__set(KDBX_EINVALID, "backup: entry is not in this database's tree");
	if ((rc = kdbx_entry__clone(&h, e)) != KDBX_OK)
		return rc;
	if ((rc = kdbx_entry__append_history(e, h)) != KDBX_OK) {
		kdbx_entry__free(h);
		return rc;
	}
	kdbx_entry__trim_history(db, e);
	return KDBX_OK;
}
