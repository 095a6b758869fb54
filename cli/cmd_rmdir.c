/* kdbx rmdir: move a group to the recycle bin (or delete it when it is in
 * the bin already or the bin is disabled). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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
	kdbx_group *g, *bin;
	char *name = NULL;
	int recycled, rc, ex = cli_open_db(ctx, &db, &key);

	if (ex)
		return ex;
	g = cli_find_group(db, ctx->pos[1]);
	if (!g) {
		ex = CLI_EXIT_NOTFOUND;
		goto out;
	}
	if (g == kdbx_db_root(db)) {
		ex = cli_error(CLI_EXIT_USAGE, "cannot remove the root group");
		goto out;
	}
	bin = kdbx_db_recycle_bin(db);
	recycled = kdbx_db_recycle_bin_enabled(db) && g != bin && !in_group(g, bin);
	name = strdup(kdbx_group_name(g));
	rc = kdbx_group_delete(db, g);
	if (rc < 0) {
		ex = cli_fail(rc, ctx->pos[1]);
		goto out;
	}
	ex = cli_save(ctx, db, ctx->pos[0]);
	if (!ex)
		cli_info(ctx, "Successfully %s group %s.", recycled ? "recycled" : "deleted", name ? name : "");
out:
	free(name);
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

const cli_command cli_cmd_rmdir = {"rmdir", "DATABASE GROUP", "Remove a group (to the recycle bin).",
                                   CLI_F_DB, NULL, 2, 2, run};
