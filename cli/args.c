/* Option parser shared by every command. Options may appear anywhere before
 * "--"; long options take "--name=value" or "--name value", short ones
 * "-Lvalue" or "-L value", and short flags bundle ("-Rf"). The tables come
 * from the command, the common options and, for database commands, the
 * unlock table in cli/unlock.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const cli_option common_options[] = {
	{CLI_OPT_HELP, 'h', "help", NULL, "Show this help."},
	{CLI_OPT_QUIET, 'q', "quiet", NULL, "Silence prompts and secondary output."},
	{0, 0, NULL, NULL, NULL}};

static const cli_option json_option[] = {
	{CLI_OPT_JSON, 0, "json", NULL, "Machine-readable JSON output (schema in kdbx(1))."},
	{0, 0, NULL, NULL, NULL}};

static int unlock_allowed(const cli_command *cmd, const cli_option *o)
{
	if (cmd->flags & CLI_F_DB)
		return 1;
	if (cmd->flags & CLI_F_DEVICES)
		return o->id == CLI_OPT_PASSWORD_FD || (o->id >= CLI_OPT_DEV_FIRST && o->id <= CLI_OPT_DEV_LAST);
	return 0;
}

/* Looks an option up in every table that applies; sets *from_unlock. */
static const cli_option *lookup(const cli_command *cmd, const char *lname, char sname, int *from_unlock)
{
	const cli_option *tables[3] = {cmd->options, common_options,
	                               (cmd->flags & CLI_F_JSON) ? json_option : NULL};

	*from_unlock = 0;
	for (int t = 0; t < 3; t++) {
		for (const cli_option *o = tables[t]; o && o->id; o++) {
			if (lname && o->long_name && strcmp(lname, o->long_name) == 0)
				return o;
			if (!lname && sname && o->short_name == sname)
				return o;
		}
	}
	for (const cli_option *o = cli_unlock_options; o->id; o++) {
		if (!unlock_allowed(cmd, o))
			continue;
		if ((lname && strcmp(lname, o->long_name) == 0) || (!lname && sname && o->short_name == sname)) {
			*from_unlock = 1;
			return o;
		}
	}
	return NULL;
}

static int store(cli_ctx *ctx, const cli_option *o, const char *arg, int from_unlock)
{
	cli_parsed_option *n;

	if (from_unlock)
		return cli_unlock_record(&ctx->unlock, o, arg);
	switch (o->id) {
	case CLI_OPT_QUIET:
		ctx->quiet = 1;
		return 0;
	case CLI_OPT_JSON:
		ctx->json = 1;
		return 0;
	default:
		break;
	}
	n = realloc(ctx->opts, (ctx->nopts + 1) * sizeof(*n));
	if (!n) {
		fprintf(stderr, "kdbx: out of memory\n");
		return -1;
	}
	ctx->opts = n;
	ctx->opts[ctx->nopts].id = o->id;
	ctx->opts[ctx->nopts].arg = arg;
	ctx->nopts++;
	return 0;
}

static int usage_error(const cli_command *cmd, const char *what, const char *arg)
{
	fprintf(stderr, "kdbx %s: %s%s%s%s\nTry 'kdbx %s --help'.\n", cmd->name, what, arg ? " '" : "",
	        arg ? arg : "", arg ? "'" : "", cmd->name);
	return -1;
}

int cli_args_parse(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv)
{
	int only_pos = 0;
	int help = 0;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cmd = cmd;
	ctx->unlock.password_fd = -1;
	ctx->pos = calloc((size_t)argc + 1, sizeof(char *));
	if (!ctx->pos) {
		fprintf(stderr, "kdbx: out of memory\n");
		return -1;
	}
	for (int i = 0; i < argc; i++) {
		char *a = argv[i];
		const cli_option *o;
		int fu;

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			ctx->pos[ctx->npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (a[1] == '-') {
			char name[64];
			const char *eq = strchr(a + 2, '=');
			const char *arg = NULL;
			size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
			if (len >= sizeof(name))
				return usage_error(cmd, "unknown option", a);
			memcpy(name, a + 2, len);
			name[len] = '\0';
			o = lookup(cmd, name, 0, &fu);
			if (!o)
				return usage_error(cmd, "unknown option", a);
			if (o->arg_name && o->arg_name[0] == '[') {
				/* Optional argument ("[TCTI]"): --opt=VALUE, or the next word
				 * unless it is an option or an existing file (the DATABASE). */
				struct stat st;
				if (eq)
					arg = eq + 1;
				else if (i + 1 < argc && argv[i + 1][0] != '-' &&
				         !(stat(argv[i + 1], &st) == 0 && S_ISREG(st.st_mode)))
					arg = argv[++i];
				else
					arg = "";
			} else if (o->arg_name) {
				if (eq)
					arg = eq + 1;
				else if (i + 1 < argc)
					arg = argv[++i];
				else
					return usage_error(cmd, "missing argument of option", a);
			} else if (eq) {
				return usage_error(cmd, "no argument allowed for option", a);
			}
			if (o->id == CLI_OPT_HELP)
				help = 1;
			else if (store(ctx, o, arg, fu) < 0)
				return -1;
			continue;
		}
		for (const char *p = a + 1; *p; p++) {
			char sn[3] = {'-', *p, 0};
			o = lookup(cmd, NULL, *p, &fu);
			if (!o)
				return usage_error(cmd, "unknown option", sn);
			if (o->arg_name) {
				const char *arg;
				if (p[1])
					arg = p + 1;
				else if (i + 1 < argc)
					arg = argv[++i];
				else
					return usage_error(cmd, "missing argument of option", sn);
				if (store(ctx, o, arg, fu) < 0)
					return -1;
				break;
			}
			if (o->id == CLI_OPT_HELP)
				help = 1;
			else if (store(ctx, o, NULL, fu) < 0)
				return -1;
		}
	}
	if (help) {
		cli_usage(stdout, cmd);
		return 1;
	}
	if (ctx->npos < cmd->min_pos)
		return usage_error(cmd, ctx->npos == 0 && (cmd->flags & CLI_F_DB) ?
		                       "missing DATABASE argument" : "missing arguments", NULL);
	if (ctx->npos > cmd->max_pos)
		return usage_error(cmd, "unexpected argument", ctx->pos[cmd->max_pos]);
	return 0;
}

void cli_args_free(cli_ctx *ctx)
{
	free(ctx->opts);
	free(ctx->pos);
	ctx->opts = NULL;
	ctx->pos = NULL;
}

int cli_opt_count(const cli_ctx *ctx, int id)
{
	int n = 0;
	for (size_t i = 0; i < ctx->nopts; i++)
		n += ctx->opts[i].id == id;
	return n;
}

const char *cli_opt_arg(const cli_ctx *ctx, int id)
{
	const char *r = NULL;
	for (size_t i = 0; i < ctx->nopts; i++)
		if (ctx->opts[i].id == id)
			r = ctx->opts[i].arg;
	return r;
}

const char *cli_opt_next(const cli_ctx *ctx, int id, size_t *iter)
{
	while (*iter < ctx->nopts) {
		size_t i = (*iter)++;
		if (ctx->opts[i].id == id)
			return ctx->opts[i].arg;
	}
	return NULL;
}

int cli_parse_uint(const char *s, unsigned long long min, unsigned long long max,
                   unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void print_options(FILE *f, const cli_option *opts, const cli_command *cmd, int unlock)
{
	for (const cli_option *o = opts; o && o->id; o++) {
		char left[80];
		int n = 0;
		if (unlock && !unlock_allowed(cmd, o))
			continue;
		if (o->short_name)
			n = snprintf(left, sizeof(left), "-%c, --%s", o->short_name, o->long_name);
		else
			n = snprintf(left, sizeof(left), "    --%s", o->long_name);
		if (o->arg_name && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg_name);
		if (strlen(left) > 28)
			fprintf(f, "  %s\n  %-28s  %s\n", left, "", o->help);
		else
			fprintf(f, "  %-28s  %s\n", left, o->help);
	}
}

void cli_usage(FILE *f, const cli_command *cmd)
{
	fprintf(f, "Usage: kdbx %s [options]%s%s\n%s\n", cmd->name, cmd->args[0] ? " " : "", cmd->args,
	        cmd->summary);
	if (cmd->options && cmd->options[0].id) {
		fprintf(f, "\nOptions:\n");
		print_options(f, cmd->options, cmd, 0);
	}
	if (cmd->flags & (CLI_F_DB | CLI_F_DEVICES)) {
		fprintf(f, "\n%s options:\n", (cmd->flags & CLI_F_DB) ? "Unlock" : "Device");
		print_options(f, cli_unlock_options, cmd, 1);
	}
	fprintf(f, "\nCommon options:\n");
	print_options(f, common_options, cmd, 0);
	if (cmd->flags & CLI_F_JSON)
		print_options(f, json_option, cmd, 0);
}
