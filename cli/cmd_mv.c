/* kdbx mv: move an entry (or a group) into another group. */
#include "cli.h"

static int run(cli_ctx *ctx)
{
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	kdbx_entry *e;
	kdbx_group *dest, *src = NULL;
	int rc, ex = cli_open_db(ctx, &db, &key);

	if (ex)
		return ex;
	e = kdbx_db_find_entry(db, ctx->pos[1]);
	if (!e)
		src = kdbx_db_find_group(db, ctx->pos[1]);
	if (!e && !src) {
		ex = cli_error(CLI_EXIT_NOTFOUND, "could not find entry or group '%s'", ctx->pos[1]);
		goto out;
	}
	dest = cli_find_group(db, ctx->pos[2]);
	if (!dest) {
		ex = CLI_EXIT_NOTFOUND;
		goto out;
	}
	rc = e ? kdbx_entry_move(e, dest) : kdbx_group_move(src, dest);
	if (rc < 0) {
		ex = cli_fail(rc, ctx->pos[1]);
		goto out;
	}
	ex = cli_save(ctx, db, ctx->pos[0]);
	if (!ex)
		cli_info(ctx, "Successfully moved %s to %s.", ctx->pos[1], ctx->pos[2]);
out:
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

const cli_command cli_cmd_mv = {"mv", "DATABASE ENTRY GROUP", "Move an entry (or group) to a group.",
                                CLI_F_DB, NULL, 3, 3, run};
