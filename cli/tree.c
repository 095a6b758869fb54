/* Entry / group path helpers and saving, shared by the editing commands. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int is_root_path(const char *path)
{
	while (*path == '/')
		path++;
	return *path == '\0';
}

kdbx_group *cli_find_group(kdbx_db *db, const char *path)
{
	kdbx_group *g;

	if (is_root_path(path))
		return kdbx_db_root(db);
	g = kdbx_db_find_group(db, path);
	if (!g) {
		/* "Group/" as ls prints it is accepted too. */
		size_t n = strlen(path);
		if (n > 1 && path[n - 1] == '/') {
			char *copy = strdup(path);
			if (copy) {
				while (n > 1 && copy[n - 1] == '/')
					copy[--n] = '\0';
				g = kdbx_db_find_group(db, copy);
				free(copy);
			}
		}
	}
	if (!g)
		cli_error(CLI_EXIT_NOTFOUND, "could not find group '%s'", path);
	return g;
}

kdbx_entry *cli_find_entry(kdbx_db *db, const char *path)
{
	kdbx_entry *e = kdbx_db_find_entry(db, path);

	if (!e)
		cli_error(CLI_EXIT_NOTFOUND, "could not find entry with path '%s'", path);
	return e;
}

int cli_split_path(kdbx_db *db, const char *path, kdbx_group **parent, const char **leaf)
{
	const char *slash = strrchr(path, '/');
	char *dir;

	if (!slash) {
		*parent = kdbx_db_root(db);
		*leaf = path;
		return 0;
	}
	*leaf = slash + 1;
	dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return cli_error(CLI_EXIT_OTHER, "out of memory");
	*parent = cli_find_group(db, dir);
	free(dir);
	return *parent ? 0 : CLI_EXIT_NOTFOUND;
}

int cli_save(const cli_ctx *ctx, kdbx_db *db, const char *path)
{
	int rc;

	(void)ctx;
	cli_spinner_start("Saving");
	rc = kdbx_db_save(db, path, NULL);
	cli_spinner_stop();
	if (rc < 0)
		return cli_fail(rc, path);
	return 0;
}
