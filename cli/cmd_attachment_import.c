/* kdbx attachment-import: attach a file to an entry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_FORCE = 100 };

static const cli_option options[] = {
	{OPT_FORCE, 'f', "force", NULL, "Overwrite an existing attachment of the same name."},
	{0, 0, NULL, NULL, NULL}};

/* Reads a whole file; *out is malloc'd. Returns an exit code. */
static int slurp(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return cli_error(CLI_EXIT_IO, "%s: %s", path, strerror(errno));
	for (;;) {
		size_t r;
		if (n == cap) {
			uint8_t *nb;
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return cli_error(CLI_EXIT_OTHER, "out of memory");
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return cli_error(CLI_EXIT_IO, "%s: read error", path);
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

static int run(cli_ctx *ctx)
{
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	kdbx_entry *e;
	uint8_t *data = NULL;
	size_t len = 0;
	const uint8_t *old;
	size_t oldlen;
	int rc, ex = slurp(ctx->pos[3], &data, &len);

	if (ex)
		return ex;
	ex = cli_open_db(ctx, &db, &key);
	if (ex)
		goto out;
	e = cli_find_entry(db, ctx->pos[1]);
	if (!e) {
		ex = CLI_EXIT_NOTFOUND;
		goto out;
	}
	if (kdbx_entry_attachment(e, ctx->pos[2], &old, &oldlen) == 0 && !cli_opt_count(ctx, OPT_FORCE)) {
		ex = cli_error(CLI_EXIT_OTHER, "attachment %s already exists for entry %s (use -f to overwrite)",
		               ctx->pos[2], ctx->pos[1]);
		goto out;
	}
	rc = kdbx_entry_backup(db, e);
	if (rc >= 0)
		rc = kdbx_entry_set_attachment(e, ctx->pos[2], data, len);
	if (rc < 0) {
		ex = cli_fail(rc, ctx->pos[2]);
		goto out;
	}
	ex = cli_save(ctx, db, ctx->pos[0]);
	if (!ex)
		cli_info(ctx, "Successfully imported attachment %s as %s to entry %s.", ctx->pos[3], ctx->pos[2],
		         ctx->pos[1]);
out:
	free(data);
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

const cli_command cli_cmd_attachment_import = {
	"attachment-import", "DATABASE ENTRY ATTACHMENT-NAME IMPORT-FILE", "Import an attachment to an entry.",
	CLI_F_DB, options, 4, 4, run};
