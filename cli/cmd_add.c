/* kdbx add: a new entry at ENTRY's path ("Group/Sub/Title"). */
#include "cli.h"

static const cli_option options[] = {CLI_ENTRY_OPTIONS, CLI_GENERATE_OPTIONS, {0, 0, NULL, NULL, NULL}};

static int run(cli_ctx *ctx)
{
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	kdbx_group *parent;
	kdbx_entry *e = NULL;
	const char *title;
	int rc, ex = cli_open_db(ctx, &db, &key);

	if (ex)
		return ex;
	ex = cli_split_path(db, ctx->pos[1], &parent, &title);
	if (ex)
		goto out;
	if (!*title) {
		ex = cli_error(CLI_EXIT_USAGE, "'%s': the entry needs a title", ctx->pos[1]);
		goto out;
	}
	if (kdbx_group_find_entry(parent, title)) {
		ex = cli_error(CLI_EXIT_OTHER, "could not create entry with path '%s': it exists", ctx->pos[1]);
		goto out;
	}
	rc = kdbx_entry_new(&e, parent, title);
	if (rc < 0) {
		ex = cli_fail(rc, ctx->pos[1]);
		goto out;
	}
	ex = cli_entry_apply(ctx, db, e, "Enter password for new entry: ");
	if (ex)
		goto out;
	ex = cli_save(ctx, db, ctx->pos[0]);
	if (!ex)
		cli_info(ctx, "Successfully added entry %s.", title);
out:
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

const cli_command cli_cmd_add = {"add", "DATABASE ENTRY", "Add a new entry to a database.", CLI_F_DB,
                                 options, 2, 2, run};
