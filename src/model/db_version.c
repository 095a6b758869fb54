/* Which KDBX version a save writes: KeePassXC's KeePass2Writer::kdbxVersionRequired
 * (notes 3.8). Start at 3.1; 4.0 for a non-legacy KDF, public custom data or
 * group/entry/history CustomData; 4.1 for group Tags, PreviousParentGroup,
 * an entry excluded from quality checks, or a custom icon name/mtime.
 * Writing only what a feature needs keeps files readable by older apps. */
#include "model/model.h"

typedef struct need {
	bool v40, v41;
} need;

static void scan_entry(const kdbx_entry *e, need *n, bool history)
{
	size_t i;

	if (e->custom_data.count > 0)
		n->v40 = true;
	if (!history) {
		if (e->has_prev_parent || e->quality_check == 0)
			n->v41 = true;
		for (i = 0; i < e->nhistory; i++)
			scan_entry(e->history[i], n, true);
	}
}

static void scan_group(const kdbx_group *g, need *n)
{
	size_t i;

	if (g->custom_data.count > 0)
		n->v40 = true;
	if ((g->tags != NULL && g->tags[0] != '\0') || g->has_prev_parent)
		n->v41 = true;
	for (i = 0; i < g->nentries && !n->v41; i++)
		scan_entry(g->entries[i], n, false);
	for (i = 0; i < g->ngroups && !n->v41; i++)
		scan_group(g->groups[i], n);
}

uint32_t kdbx_db__required_version(const kdbx_db *db)
{
	need n = {false, false};
	size_t i;

	if (db->kdf.type != KDBX_KDF_AES_KDBX3 || db->public_custom_data_len > 0)
		n.v40 = true;
	for (i = 0; i < db->meta.nicons; i++)
		if ((db->meta.icons[i].name != NULL && db->meta.icons[i].name[0] != '\0') ||
		    db->meta.icons[i].mtime != 0)
			n.v41 = true;
	if (db->root != NULL && !n.v41)
		scan_group(db->root, &n);
	if (n.v41)
		return KDBX_VERSION_4_1;
	if (n.v40)
		return KDBX_VERSION_4_0;
	return KDBX_VERSION_3_1;
}
