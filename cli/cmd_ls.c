/* kdbx ls: list a group like keepassxc-cli (entries, then groups with a
 * trailing "/"; -R recurses with 2-space indents, -f prints full paths). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_RECURSIVE = 100, OPT_FLATTEN };

static const cli_option options[] = {
	{OPT_RECURSIVE, 'R', "recursive", NULL, "Recursively list the elements of the group."},
	{OPT_FLATTEN, 'f', "flatten", NULL, "Print the path of every element instead of indenting."},
	{0, 0, NULL, NULL, NULL}};

static void print_text(const kdbx_group *g, int recursive, int flatten, int depth, const char *prefix)
{
	size_t ne = kdbx_group_entry_count(g), ng = kdbx_group_group_count(g);
	int indent = flatten ? 0 : depth * 2;

	if (ne == 0 && ng == 0) {
		printf("%*s%s[empty]\n", indent, "", prefix);
		return;
	}
	for (size_t i = 0; i < ne; i++)
		printf("%*s%s%s\n", indent, "", prefix, kdbx_entry_title(kdbx_group_entry_at(g, i)));
	for (size_t i = 0; i < ng; i++) {
		const kdbx_group *c = kdbx_group_group_at(g, i);
		printf("%*s%s%s/\n", indent, "", prefix, kdbx_group_name(c));
		if (recursive) {
			char *sub = NULL;
			if (flatten) {
				size_t n = strlen(prefix) + strlen(kdbx_group_name(c)) + 2;
				sub = malloc(n);
				if (sub)
					snprintf(sub, n, "%s%s/", prefix, kdbx_group_name(c));
			}
			print_text(c, recursive, flatten, depth + 1, sub ? sub : "");
			free(sub);
		}
	}
}

static void json_item_entry(const kdbx_entry *e)
{
	char uuid[40];
	char *path = kdbx_entry_path(e);

	cli_uuid_str(kdbx_entry_uuid(e), 0, uuid);
	json_begin_object();
	json_kv_string("type", "entry");
	json_kv_string("title", kdbx_entry_title(e));
	json_kv_string("path", path);
	json_kv_string("uuid", uuid);
	json_end_object();
	free(path);
}

static void print_json(const kdbx_group *g, int recursive, int flatten)
{
	size_t ne = kdbx_group_entry_count(g), ng = kdbx_group_group_count(g);

	for (size_t i = 0; i < ne; i++)
		json_item_entry(kdbx_group_entry_at(g, i));
	for (size_t i = 0; i < ng; i++) {
		const kdbx_group *c = kdbx_group_group_at(g, i);
		char uuid[40];
		char *path = kdbx_group_path(c);
		cli_uuid_str(kdbx_group_uuid(c), 0, uuid);
		json_begin_object();
		json_kv_string("type", "group");
		json_kv_string("name", kdbx_group_name(c));
		json_kv_string("path", path);
		json_kv_string("uuid", uuid);
		free(path);
		if (recursive && !flatten) {
			json_key("children");
			json_begin_array();
			print_json(c, recursive, flatten);
			json_end_array();
		}
		json_end_object();
		if (recursive && flatten)
			print_json(c, recursive, flatten);
	}
}

static int run(cli_ctx *ctx)
{
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	kdbx_group *g;
	int recursive = cli_opt_count(ctx, OPT_RECURSIVE) > 0;
	int flatten = cli_opt_count(ctx, OPT_FLATTEN) > 0;
	int ex = cli_open_db_to_read(ctx, &db, &key);

	if (ex)
		return ex;
	g = cli_find_group(db, ctx->npos > 1 ? ctx->pos[1] : "/");
	if (!g) {
		ex = CLI_EXIT_NOTFOUND;
	} else if (ctx->json) {
		json_begin_array();
		print_json(g, recursive, flatten);
		json_end_array();
		json_finish();
	} else {
		print_text(g, recursive, flatten, 0, "");
	}
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

const cli_command cli_cmd_ls = {"ls", "DATABASE [GROUP]", "List database entries.",
                                CLI_F_DB | CLI_F_JSON, options, 1, 2, run};
