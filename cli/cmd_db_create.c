/* kdbx db-create: a new empty database. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_NAME = 100 };

static const cli_option options[] = {
	CLI_NEWKEY_OPTIONS,
	{CLI_OPT_SET_KEY_FILE, 'k', "key-file", "FILE", "Deprecated alias of --set-key-file."},
	CLI_CRYPTO_OPTIONS,
	{OPT_NAME, 0, "name", "NAME", "Database name (also the root group name)."},
	{0, 0, NULL, NULL, NULL}};

static int run(cli_ctx *ctx)
{
	const char *path = ctx->pos[0];
	const char *name = cli_opt_arg(ctx, OPT_NAME);
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	int rc, ex;

	if (access(path, F_OK) == 0)
		return cli_error(CLI_EXIT_OTHER, "file %s already exists", path);
	rc = kdbx_db_new(&db, name);
	if (rc < 0)
		return cli_fail(rc, "new database");
	if (name && (rc = kdbx_db_set_meta(db, KDBX_META_NAME, name)) < 0) {
		ex = cli_fail(rc, "name");
		goto out;
	}
	/* Passwords first, then the (slow) calibration, as keepassxc-cli does. */
	ex = cli_newkey_build(ctx, &key);
	if (ex)
		goto out;
	ex = cli_crypto_apply(ctx, db);
	if (ex)
		goto out;
	cli_spinner_start("Saving");
	rc = kdbx_db_save(db, path, key);
	cli_spinner_stop();
	if (rc < 0) {
		ex = cli_fail(rc, path);
		goto out;
	}
	cli_info(ctx, "Successfully created new database.");
out:
	kdbx_key_free(&key);
	kdbx_db_free(&db);
	return ex;
}

const cli_command cli_cmd_db_create = {"db-create", "DATABASE", "Create a new database.", CLI_F_DEVICES,
                                       options, 1, 1, run};
