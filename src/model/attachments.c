/* Attachments and the database binary pool. Entries (and their history items)
 * reference pool slots by index; identical contents share one slot, counted
 * by refs. Slots are never renumbered, so indexes held by history stay valid;
 * a slot whose last user goes away releases its bytes. */
#include <stdlib.h>

#include "model/model.h"

int kdbx_db__add_bin(kdbx_db *db, uint8_t *data, size_t len, bool protect, size_t *index)
{
	kdbx_bin *bins;

	if (db == NULL || index == NULL || (data == NULL && len > 0)) {
		free(data);
		return kdbx_error__set(KDBX_EINVALID, "add binary: invalid argument");
	}
	bins = realloc(db->bins, (db->nbins + 1) * sizeof(*bins));
	if (bins == NULL) {
		free(data);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	db->bins = bins;
	bins[db->nbins].data = data;
	bins[db->nbins].len = len;
	bins[db->nbins].protect = protect;
	bins[db->nbins].refs = 0;
	*index = db->nbins++;
	return KDBX_OK;
}

void kdbx_db__bin_unref(kdbx_db *db, size_t index)
{
	kdbx_bin *b;

	if (db == NULL || index >= db->nbins)
		return;
	b = &db->bins[index];
	if (b->refs > 0 && --b->refs == 0) {
		free(b->data);
		b->data = NULL;
		b->len = 0;
	}
}

int kdbx_entry__add_attachment(kdbx_entry *e, const char *name, size_t bin)
{
	kdbx_attachment *a;
	char *n;

	if (e == NULL || e->db == NULL || name == NULL || bin >= e->db->nbins)
		return kdbx_error__set(KDBX_EINVALID, "add attachment: invalid argument");
	if ((n = kdbx_strdup(name)) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	a = realloc(e->attachments, (e->nattachments + 1) * sizeof(*a));
	if (a == NULL) {
		free(n);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	e->attachments = a;
	a[e->nattachments].name = n;
	a[e->nattachments].bin = bin;
	e->nattachments++;
	e->db->bins[bin].refs++;
	return KDBX_OK;
}

static kdbx_attachment *find_attachment(const kdbx_entry *e, const char *name)
{
	size_t i;

	if (e == NULL || name == NULL)
		return NULL;
	for (i = 0; i < e->nattachments; i++)
		if (strcmp(e->attachments[i].name, name) == 0)
			return &e->attachments[i];
	return NULL;
}

size_t kdbx_entry_attachment_count(const kdbx_entry *e)
{
	return e != NULL ? e->nattachments : 0;
}

const char *kdbx_entry_attachment_name(const kdbx_entry *e, size_t i)
{
	if (e == NULL || i >= e->nattachments)
		return NULL;
	return e->attachments[i].name;
}

int kdbx_entry_attachment(const kdbx_entry *e, const char *name, const uint8_t **data, size_t *len)
{
	const kdbx_attachment *a = find_attachment(e, name);
	const kdbx_bin *b;

	if (a == NULL)
		return kdbx_error__set(KDBX_ENOTFOUND, "no attachment named \"%s\"", name ? name : "");
	if (a->bin >= e->db->nbins)
		return kdbx_error__set(KDBX_ECORRUPT, "attachment references a missing binary");
	b = &e->db->bins[a->bin];
	if (data != NULL)
		*data = b->data != NULL ? b->data : (const uint8_t *)"";
	if (len != NULL)
		*len = b->len;
	return KDBX_OK;
}

/* Finds a live slot with exactly these bytes (byte comparison is exact and,
 * for the sizes attachments have, as cheap as hashing both sides). */
static bool find_bin(const kdbx_db *db, const uint8_t *data, size_t len, size_t *index)
{
	size_t i;

	for (i = 0; i < db->nbins; i++) {
		const kdbx_bin *b = &db->bins[i];
		if (b->refs == 0 || b->len != len)
			continue;
		if (len == 0 || memcmp(b->data, data, len) == 0) {
			*index = i;
			return true;
		}
	}
	return false;
}

int kdbx_entry_set_attachment(kdbx_entry *e, const char *name, const uint8_t *data, size_t len)
{
	kdbx_attachment *a;
	uint8_t *copy = NULL;
	size_t idx;
	int rc;

	if (e == NULL || e->db == NULL || name == NULL || name[0] == '\0' || (data == NULL && len > 0))
		return kdbx_error__set(KDBX_EINVALID, "set attachment: invalid argument");
	if (!kdbx_utf8_valid(name, strlen(name)))
		return kdbx_error__set(KDBX_EINVALID, "attachment name is not valid UTF-8");
	if (!find_bin(e->db, data, len, &idx)) {
		if (len > 0) {
			if ((copy = malloc(len)) == NULL)
				return kdbx_error__set(KDBX_ENOMEM, "out of memory");
			memcpy(copy, data, len);
		}
		if ((rc = kdbx_db__add_bin(e->db, copy, len, false, &idx)) != KDBX_OK)
			return rc;
	}
	if ((a = find_attachment(e, name)) != NULL) {
		size_t old = a->bin;
		e->db->bins[idx].refs++;
		a->bin = idx;
		kdbx_db__bin_unref(e->db, old);
	} else if ((rc = kdbx_entry__add_attachment(e, name, idx)) != KDBX_OK) {
		return rc;
	}
	e->times.modification = kdbx_time_now();
	return KDBX_OK;
}

int kdbx_entry_remove_attachment(kdbx_entry *e, const char *name)
{
	kdbx_attachment *a = find_attachment(e, name);
	size_t i, bin;

	if (a == NULL)
		return kdbx_error__set(KDBX_ENOTFOUND, "no attachment named \"%s\"", name ? name : "");
	i = (size_t)(a - e->attachments);
	bin = a->bin;
	free(a->name);
	memmove(&e->attachments[i], &e->attachments[i + 1],
	        (e->nattachments - i - 1) * sizeof(*a));
	e->nattachments--;
	kdbx_db__bin_unref(e->db, bin);
	e->times.modification = kdbx_time_now();
	return KDBX_OK;
}
