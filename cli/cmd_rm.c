/* kdbx rm: move an entry to the recycle bin, or delete it for good when it
 * is already there or the bin is disabled. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* 1 when g is bin or inside it. */
static int in_group(const kdbx_group *g, const kdbx_group *bin)
{
	for (; g && bin; g = kdbx_group_parent(g))
		if (g == bin)
			return 1;
	return 0;
}

static int run(cli_ctx *ctx)
{
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	kdbx_entry *e;
	int recycled, rc, ex = cli_open_db(ctx, &db, &key);
	char *title = NULL;

	if (ex)
		return ex;
	e = cli_find_entry(db, ctx->pos[1]);
	if (!e) {
		ex = CLI_EXIT_NOTFOUND;
		goto out;
	}
	recycled = kdbx_db_recycle_bin_enabled(db) && !in_group(kdbx_entry_group(e), kdbx_db_recycle_bin(db));
	title = strdup(kdbx_entry_title(e));
	rc = kdbx_entry_delete(db, e);
	if (rc < 0) {
		ex = cli_fail(rc, ctx->pos[1]);
		goto out;
	}
	ex = cli_save(ctx, db, ctx->pos[0]);
	if (!ex)
		cli_info(ctx, "Successfully %s entry %s.", recycled ? "recycled" : "deleted", title ? title : "");
out:
	free(title);
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

const cli_command cli_cmd_rm = {"rm", "DATABASE ENTRY", "Remove an entry (to the recycle bin).", CLI_F_DB,
                                NULL, 2, 2, run};
