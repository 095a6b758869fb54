/* kdbx edit: change an entry's fields (the old state goes to its history). */
#include "cli.h"

static const cli_option options[] = {
	CLI_ENTRY_OPTIONS,
	{CLI_OPT_TITLE, 't', "title", "TITLE", "New title."},
	{CLI_OPT_REMOVE_FIELD, 0, "remove-field", "NAME", "Remove a custom field (repeatable)."},
	CLI_GENERATE_OPTIONS,
	{0, 0, NULL, NULL, NULL}};

static int run(cli_ctx *ctx)
{
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	kdbx_entry *e;
	int rc, ex;

	if (!cli_entry_options_given(ctx))
		return cli_error(CLI_EXIT_USAGE, "nothing to edit (see kdbx edit --help)");
	ex = cli_open_db(ctx, &db, &key);
	if (ex)
		return ex;
	e = cli_find_entry(db, ctx->pos[1]);
	if (!e) {
		ex = CLI_EXIT_NOTFOUND;
		goto out;
	}
	rc = kdbx_entry_backup(db, e);
	if (rc < 0) {
		ex = cli_fail(rc, "history");
		goto out;
	}
	ex = cli_entry_apply(ctx, db, e, "Enter new password for entry: ");
	if (ex)
		goto out;
	ex = cli_save(ctx, db, ctx->pos[0]);
	if (!ex)
		cli_info(ctx, "Successfully edited entry %s.", kdbx_entry_title(e));
out:
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

const cli_command cli_cmd_edit = {"edit", "DATABASE ENTRY", "Edit an entry.", CLI_F_DB, options, 2, 2, run};
