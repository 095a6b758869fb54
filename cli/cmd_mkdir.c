/* kdbx mkdir: a new group (its parent must exist). */
#include <string.h>
#include <stdlib.h>

#include "cli.h"

static int run(cli_ctx *ctx)
{
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	kdbx_group *parent, *g = NULL;
	const char *name;
	char *path = strdup(ctx->pos[1]);
	size_t n;
	int rc, ex;

	if (!path)
		return cli_error(CLI_EXIT_OTHER, "out of memory");
	n = strlen(path);
	while (n > 0 && path[n - 1] == '/')
		path[--n] = '\0';
	ex = cli_open_db(ctx, &db, &key);
	if (ex)
		goto out;
	ex = cli_split_path(db, path, &parent, &name);
	if (ex)
		goto out;
	if (!*name) {
		ex = cli_error(CLI_EXIT_USAGE, "'%s': the group needs a name", ctx->pos[1]);
		goto out;
	}
	if (kdbx_group_find_group(parent, name)) {
		ex = cli_error(CLI_EXIT_OTHER, "group '%s' already exists", ctx->pos[1]);
		goto out;
	}
	rc = kdbx_group_add_group(&g, parent, name);
	if (rc < 0) {
		ex = cli_fail(rc, ctx->pos[1]);
		goto out;
	}
	ex = cli_save(ctx, db, ctx->pos[0]);
	if (!ex)
		cli_info(ctx, "Successfully added group %s.", name);
out:
	free(path);
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

const cli_command cli_cmd_mkdir = {"mkdir", "DATABASE GROUP", "Add a new group to a database.", CLI_F_DB,
                                   NULL, 2, 2, run};
