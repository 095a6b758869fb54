/* Field options shared by add and edit: standard fields, custom fields
 * (--field / --protected-field NAME=VALUE), password prompt or generator. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_entry_options_given(const cli_ctx *ctx)
{
	for (int id = CLI_OPT_USERNAME; id <= CLI_OPT_TITLE; id++)
		if (cli_opt_count(ctx, id))
			return 1;
	return 0;
}

static int set_std(kdbx_db *db, kdbx_entry *e, const char *name, const char *value, unsigned int flag)
{
	int prot = (kdbx_db_memory_protection(db) & flag) != 0;
	int rc = kdbx_entry_set_field(e, name, value, prot);
	return rc < 0 ? cli_fail(rc, name) : 0;
}

static int set_custom(kdbx_entry *e, const char *spec, int protect)
{
	const char *eq = strchr(spec, '=');
	char *name;
	int rc;

	if (!eq || eq == spec)
		return cli_error(CLI_EXIT_USAGE, "field '%s': expected NAME=VALUE", spec);
	name = strndup(spec, (size_t)(eq - spec));
	if (!name)
		return cli_error(CLI_EXIT_OTHER, "out of memory");
	rc = kdbx_entry_set_field(e, name, eq + 1, protect);
	free(name);
	return rc < 0 ? cli_fail(rc, spec) : 0;
}

int cli_entry_apply(const cli_ctx *ctx, kdbx_db *db, kdbx_entry *e, const char *prompt)
{
	const char *v;
	size_t it;
	int ex, rc;

	if (cli_opt_count(ctx, CLI_OPT_PASSWORD_PROMPT) && cli_opt_count(ctx, CLI_OPT_GENERATE))
		return cli_error(CLI_EXIT_USAGE, "-p/--password-prompt and -g/--generate exclude each other");
	if ((v = cli_opt_arg(ctx, CLI_OPT_TITLE)) && (ex = set_std(db, e, KDBX_FIELD_TITLE, v, KDBX_PROTECT_TITLE)))
		return ex;
	if ((v = cli_opt_arg(ctx, CLI_OPT_USERNAME)) &&
	    (ex = set_std(db, e, KDBX_FIELD_USERNAME, v, KDBX_PROTECT_USERNAME)))
		return ex;
	if ((v = cli_opt_arg(ctx, CLI_OPT_URL)) && (ex = set_std(db, e, KDBX_FIELD_URL, v, KDBX_PROTECT_URL)))
		return ex;
	if ((v = cli_opt_arg(ctx, CLI_OPT_NOTES)) && (ex = set_std(db, e, KDBX_FIELD_NOTES, v, KDBX_PROTECT_NOTES)))
		return ex;
	if ((v = cli_opt_arg(ctx, CLI_OPT_TAGS)) && (rc = kdbx_entry_set_tags(e, v)) < 0)
		return cli_fail(rc, "tags");
	if (cli_opt_count(ctx, CLI_OPT_PASSWORD_PROMPT) || cli_opt_count(ctx, CLI_OPT_GENERATE)) {
		kdbx_secret *pw = NULL;
		if (cli_opt_count(ctx, CLI_OPT_GENERATE))
			ex = cli_generate(ctx, &pw, NULL);
		else
			ex = cli_read_secret(prompt, ctx->unlock.password_fd, &pw);
		if (ex)
			return ex;
		rc = kdbx_entry_set_field(e, KDBX_FIELD_PASSWORD, kdbx_secret_str(pw), 1);
		kdbx_secret_free(&pw);
		if (rc < 0)
			return cli_fail(rc, KDBX_FIELD_PASSWORD);
	}
	it = 0;
	while ((v = cli_opt_next(ctx, CLI_OPT_FIELD, &it)) != NULL)
		if ((ex = set_custom(e, v, 0)))
			return ex;
	it = 0;
	while ((v = cli_opt_next(ctx, CLI_OPT_PROTECTED_FIELD, &it)) != NULL)
		if ((ex = set_custom(e, v, 1)))
			return ex;
	it = 0;
	while ((v = cli_opt_next(ctx, CLI_OPT_REMOVE_FIELD, &it)) != NULL) {
		rc = kdbx_entry_remove_field(e, v);
		if (rc < 0)
			return cli_fail(rc, v);
	}
	return 0;
}
