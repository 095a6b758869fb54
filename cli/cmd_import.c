/* kdbx import: a new database from a KeePass XML export. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const cli_option options[] = {CLI_NEWKEY_OPTIONS, CLI_CRYPTO_OPTIONS, {0, 0, NULL, NULL, NULL}};

static int run(cli_ctx *ctx)
{
	const char *xml = ctx->pos[0], *path = ctx->pos[1];
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	int rc, ex;

	if (access(xml, R_OK) != 0)
		return cli_error(CLI_EXIT_IO, "%s: %s", xml, strerror(errno));
	if (access(path, F_OK) == 0)
		return cli_error(CLI_EXIT_OTHER, "file %s already exists", path);
	cli_spinner_start("Importing");
	rc = kdbx_db_import_xml(&db, xml);
	cli_spinner_stop();
	if (rc < 0)
		return cli_fail(rc, xml);
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
	cli_info(ctx, "Successfully imported database.");
out:
	kdbx_key_free(&key);
	kdbx_db_free(&db);
	return ex;
}

const cli_command cli_cmd_import = {"import", "XML DATABASE", "Import a KeePass XML export into a new database.",
                                    CLI_F_DEVICES, options, 2, 2, run};
