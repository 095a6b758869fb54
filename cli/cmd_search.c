/* kdbx search: entries whose title, user name, URL, notes or tags contain
 * every term (case-insensitive); prints their paths. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

typedef struct hits {
	int json;
	size_t n;
} hits;

static int on_hit(kdbx_entry *e, void *ud)
{
	hits *h = ud;
	char *path = kdbx_entry_path(e);

	h->n++;
	if (h->json) {
		char uuid[40];
		const char *u = kdbx_entry_field(e, KDBX_FIELD_USERNAME);
		const char *url = kdbx_entry_field(e, KDBX_FIELD_URL);
		cli_uuid_str(kdbx_entry_uuid(e), 0, uuid);
		json_begin_object();
		json_kv_string("uuid", uuid);
		json_kv_string("path", path);
		json_kv_string("title", kdbx_entry_title(e));
		json_kv_string("username", u ? u : "");
		json_kv_string("url", url ? url : "");
		json_end_object();
	} else {
		printf("%s\n", path ? path : "");
	}
	free(path);
	return 0;
}

static int run(cli_ctx *ctx)
{
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	hits h = {ctx->json, 0};
	int rc, ex = cli_open_db_to_read(ctx, &db, &key);

	if (ex)
		return ex;
	if (ctx->json)
		json_begin_array();
	rc = kdbx_db_search(db, ctx->pos[1], on_hit, &h);
	if (ctx->json) {
		json_end_array();
		json_finish();
	}
	if (rc < 0)
		ex = cli_fail(rc, "search");
	else if (h.n == 0) {
		if (!ctx->json)
			fprintf(stderr, "No results for that search term.\n");
		ex = CLI_EXIT_NOTFOUND;
	}
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

const cli_command cli_cmd_search = {"search", "DATABASE TERM", "Find entries quickly.",
                                    CLI_F_DB | CLI_F_JSON, NULL, 2, 2, run};
