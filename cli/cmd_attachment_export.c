/* kdbx attachment-export: write an attachment to a file or stdout. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_STDOUT = 100 };

static const cli_option options[] = {
	{OPT_STDOUT, 0, "stdout", NULL, "Write the attachment to standard output."},
	{0, 0, NULL, NULL, NULL}};

static int write_file(const char *path, const uint8_t *d, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0)
		return cli_error(CLI_EXIT_IO, "%s: %s", path, strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, d + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno;
			close(fd);
			return cli_error(CLI_EXIT_IO, "%s: %s", path, strerror(e));
		}
		off += (size_t)w;
	}
	if (close(fd) != 0)
		return cli_error(CLI_EXIT_IO, "%s: %s", path, strerror(errno));
	return 0;
}

static int run(cli_ctx *ctx)
{
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	kdbx_entry *e;
	const uint8_t *d = NULL;
	size_t len = 0;
	int to_stdout = cli_opt_count(ctx, OPT_STDOUT) > 0;
	int rc, ex;

	if (to_stdout == (ctx->npos == 4))
		return cli_error(CLI_EXIT_USAGE, "give either EXPORT-FILE or --stdout");
	ex = cli_open_db(ctx, &db, &key);
	if (ex)
		return ex;
	e = cli_find_entry(db, ctx->pos[1]);
	if (!e) {
		ex = CLI_EXIT_NOTFOUND;
		goto out;
	}
	rc = kdbx_entry_attachment(e, ctx->pos[2], &d, &len);
	if (rc < 0) {
		ex = rc == KDBX_ENOTFOUND ? cli_error(CLI_EXIT_NOTFOUND, "could not find attachment with name %s",
		                                      ctx->pos[2])
		                          : cli_fail(rc, ctx->pos[2]);
		goto out;
	}
	if (to_stdout) {
		ex = cli_write_stdout(d, len);
	} else {
		ex = write_file(ctx->pos[3], d, len);
		if (!ex)
			cli_info(ctx, "Successfully exported attachment %s of entry %s to %s.", ctx->pos[2], ctx->pos[1],
			         ctx->pos[3]);
	}
out:
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

const cli_command cli_cmd_attachment_export = {
	"attachment-export", "DATABASE ENTRY ATTACHMENT-NAME [EXPORT-FILE]", "Export an attachment of an entry.",
	CLI_F_DB, options, 3, 4, run};
