/* kdbx attachment-rm: remove an attachment from an entry. */
#include "cli.h"

static int run(cli_ctx *ctx)
{
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	kdbx_entry *e;
	const uint8_t *d;
	size_t len;
	int rc, ex = cli_open_db(ctx, &db, &key);

	if (ex)
		return ex;
	e = cli_find_entry(db, ctx->pos[1]);
	if (!e) {
		ex = CLI_EXIT_NOTFOUND;
		goto out;
	}
	if (kdbx_entry_attachment(e, ctx->pos[2], &d, &len) < 0) {
		ex = cli_error(CLI_EXIT_NOTFOUND, "could not find attachment with name %s", ctx->pos[2]);
		goto out;
	}
	rc = kdbx_entry_backup(db, e);
	if (rc >= 0)
		rc = kdbx_entry_remove_attachment(e, ctx->pos[2]);
	if (rc < 0) {
		ex = cli_fail(rc, ctx->pos[2]);
		goto out;
	}
	ex = cli_save(ctx, db, ctx->pos[0]);
	if (!ex)
		cli_info(ctx, "Successfully removed attachment %s from entry %s.", ctx->pos[2], ctx->pos[1]);
out:
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

const cli_command cli_cmd_attachment_rm = {"attachment-rm", "DATABASE ENTRY NAME",
                                           "Remove an attachment of an entry.", CLI_F_DB, NULL, 3, 3, run};
