/* kdbx show: an entry's fields like keepassxc-cli ("Password: PROTECTED"
 * unless -s or -a Password), its TOTP code and attachments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"

enum { OPT_ATTR = 100, OPT_SHOW_PROTECTED, OPT_ALL, OPT_SHOW_ATTACHMENTS, OPT_TOTP };

static const cli_option options[] = {
	{OPT_ATTR, 'a', "attributes", "NAME",
	 "Show only this attribute, value in clear (repeatable, one per line)."},
	{OPT_SHOW_PROTECTED, 's', "show-protected", NULL, "Show protected attributes in clear text."},
	{OPT_ALL, 0, "all", NULL, "Show all attributes, the times and the attachments."},
	{OPT_SHOW_ATTACHMENTS, 0, "show-attachments", NULL, "Show the attachments of the entry."},
	{OPT_TOTP, 't', "totp", NULL, "Show the entry's current TOTP code."},
	{0, 0, NULL, NULL, NULL}};

static const char *const standard[] = {KDBX_FIELD_TITLE, KDBX_FIELD_USERNAME, KDBX_FIELD_PASSWORD,
                                       KDBX_FIELD_URL, KDBX_FIELD_NOTES};

static int is_standard(const char *name)
{
	for (size_t i = 0; i < 5; i++)
		if (strcmp(name, standard[i]) == 0)
			return 1;
	return 0;
}

/* Exact name first, else a unique case-insensitive match (keepassxc-cli). */
static const char *resolve_attr(const kdbx_entry *e, const char *want)
{
	const char *found = NULL;
	size_t n = kdbx_entry_field_count(e);

	if (kdbx_entry_has_field(e, want))
		return want;
	for (size_t i = 0; i < n; i++) {
		const char *name = kdbx_entry_field_name(e, i);
		if (strcasecmp(name, want) == 0) {
			if (found)
				return NULL;
			found = name;
		}
	}
	return found;
}

/* Writes the field value: clear when allowed or unprotected, else PROTECTED. */
static int field_value(const kdbx_entry *e, const char *name, int reveal, kdbx_secret **out)
{
	const char *v;

	*out = NULL;
	if (kdbx_entry_field_protected(e, name) && !reveal)
		return 0;
	if (!kdbx_entry_field_protected(e, name)) {
		v = kdbx_entry_field(e, name);
		return kdbx_secret_new(out, v ? v : "", v ? strlen(v) : 0);
	}
	return kdbx_entry_field_reveal(out, e, name);
}

static void print_field_text(const kdbx_entry *e, const char *name, int reveal)
{
	kdbx_secret *v = NULL;

	if (!kdbx_entry_has_field(e, name) && is_standard(name)) {
		printf("%s: \n", name);
		return;
	}
	if (field_value(e, name, reveal, &v) < 0 || !v)
		printf("%s: PROTECTED\n", name);
	else
		printf("%s: %s\n", name, kdbx_secret_str(v));
	kdbx_secret_free(&v);
}

static void json_field(const kdbx_entry *e, const char *name, int reveal)
{
	kdbx_secret *v = NULL;
	int prot = kdbx_entry_field_protected(e, name);

	json_begin_object();
	json_kv_string("name", name);
	json_key("value");
	if (!kdbx_entry_has_field(e, name))
		json_string("");
	else if (field_value(e, name, reveal, &v) < 0 || !v)
		json_null();
	else
		json_string_n(kdbx_secret_str(v), kdbx_secret_len(v));
	json_kv_bool("protected", prot);
	json_end_object();
	kdbx_secret_free(&v);
}

static int totp_now(const kdbx_entry *e, char *code, size_t len)
{
	return cli_totp_code(e, (long long)time(NULL), code, len);
}

static void print_attachments_text(const kdbx_entry *e)
{
	size_t n = kdbx_entry_attachment_count(e);

	printf("\nAttachments:\n");
	if (n == 0)
		printf("  No attachments present.\n");
	for (size_t i = 0; i < n; i++) {
		const char *name = kdbx_entry_attachment_name(e, i);
		const uint8_t *d;
		size_t len = 0;
		char sz[32];
		kdbx_entry_attachment(e, name, &d, &len);
		cli_size_str(len, sz, sizeof(sz));
		printf("  %s (%s)\n", name, sz);
	}
}

static void json_time(const char *k, kdbx_time t)
{
	char buf[32];
	json_key(k);
	if (t == 0) {
		json_null();
		return;
	}
	cli_time_str(t, buf, sizeof(buf));
	json_string(buf);
}

static int show_json(cli_ctx *ctx, const kdbx_entry *e, const char **attrs, size_t nattrs, int reveal,
                     int totp)
{
	char uuid[40];
	char *path = kdbx_entry_path(e);
	size_t n = kdbx_entry_field_count(e);

	cli_uuid_str(kdbx_entry_uuid(e), 0, uuid);
	json_begin_object();
	json_kv_string("uuid", uuid);
	json_kv_string("path", path);
	json_kv_string("title", kdbx_entry_title(e));
	json_key("fields");
	json_begin_array();
	if (nattrs) {
		for (size_t i = 0; i < nattrs; i++)
			json_field(e, attrs[i], 1);
	} else {
		for (size_t i = 0; i < 5; i++)
			json_field(e, standard[i], reveal);
		for (size_t i = 0; i < n; i++)
			if (!is_standard(kdbx_entry_field_name(e, i)))
				json_field(e, kdbx_entry_field_name(e, i), reveal);
	}
	json_end_array();
	json_kv_string("tags", kdbx_entry_tags(e));
	json_key("times");
	json_begin_object();
	json_time("created", kdbx_entry_time(e, KDBX_TIME_CREATION));
	json_time("modified", kdbx_entry_time(e, KDBX_TIME_LAST_MODIFICATION));
	json_time("accessed", kdbx_entry_time(e, KDBX_TIME_LAST_ACCESS));
	json_time("expires", kdbx_entry_expires(e) ? kdbx_entry_time(e, KDBX_TIME_EXPIRY) : 0);
	json_end_object();
	json_key("attachments");
	json_begin_array();
	for (size_t i = 0; i < kdbx_entry_attachment_count(e); i++) {
		const char *name = kdbx_entry_attachment_name(e, i);
		const uint8_t *d;
		size_t len = 0;
		kdbx_entry_attachment(e, name, &d, &len);
		json_begin_object();
		json_kv_string("name", name);
		json_kv_int("size", (long long)len);
		json_end_object();
	}
	json_end_array();
	if (cli_totp_present(e)) {
		char code[16];
		json_key("totp");
		if ((totp || reveal) && totp_now(e, code, sizeof(code)) == 0)
			json_string(code);
		else
			json_null();
	}
	json_end_object();
	json_finish();
	free(path);
	(void)ctx;
	return 0;
}

static int run(cli_ctx *ctx)
{
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	kdbx_entry *e;
	const char **attrs = NULL;
	size_t nattrs = 0, it = 0;
	int reveal = cli_opt_count(ctx, OPT_SHOW_PROTECTED) > 0;
	int all = cli_opt_count(ctx, OPT_ALL) > 0;
	int totp = cli_opt_count(ctx, OPT_TOTP) > 0;
	int show_att = all || cli_opt_count(ctx, OPT_SHOW_ATTACHMENTS) > 0;
	const char *a;
	int ex = cli_open_db_to_read(ctx, &db, &key);

	if (ex)
		return ex;
	e = cli_find_entry(db, ctx->pos[1]);
	if (!e) {
		ex = CLI_EXIT_NOTFOUND;
		goto out;
	}
	attrs = calloc((size_t)cli_opt_count(ctx, OPT_ATTR) + 1, sizeof(*attrs));
	if (!attrs) {
		ex = cli_error(CLI_EXIT_OTHER, "out of memory");
		goto out;
	}
	while ((a = cli_opt_next(ctx, OPT_ATTR, &it)) != NULL) {
		const char *r = resolve_attr(e, a);
		if (!r) {
			ex = cli_error(CLI_EXIT_NOTFOUND, "entry '%s' has no attribute '%s'", ctx->pos[1], a);
			goto out;
		}
		attrs[nattrs++] = r;
	}
	if (totp && !cli_totp_present(e)) {
		ex = cli_error(CLI_EXIT_NOTFOUND, "entry '%s' has no TOTP set up", ctx->pos[1]);
		goto out;
	}
	if (ctx->json) {
		ex = show_json(ctx, e, attrs, nattrs, reveal, totp);
		goto out;
	}
	if (nattrs) {
		for (size_t i = 0; i < nattrs; i++) {
			kdbx_secret *v = NULL;
			if (field_value(e, attrs[i], 1, &v) < 0 || !v) {
				ex = cli_fail(kdbx_error_last_code(), attrs[i]);
				goto out;
			}
			printf("%s\n", kdbx_secret_str(v));
			kdbx_secret_free(&v);
		}
	} else if (!totp) {
		size_t n = kdbx_entry_field_count(e);
		char uuid[40];
		for (size_t i = 0; i < 5; i++)
			print_field_text(e, standard[i], reveal);
		cli_uuid_str(kdbx_entry_uuid(e), 1, uuid);
		printf("Uuid: %s\n", uuid);
		printf("Tags: %s\n", kdbx_entry_tags(e) ? kdbx_entry_tags(e) : "");
		for (size_t i = 0; i < n; i++)
			if (!is_standard(kdbx_entry_field_name(e, i)))
				print_field_text(e, kdbx_entry_field_name(e, i), reveal);
		if (cli_totp_present(e)) {
			char code[16];
			if (!reveal)
				printf("TOTP: PROTECTED\n");
			else if (totp_now(e, code, sizeof(code)) == 0)
				printf("TOTP: %s\n", code);
		}
		if (all) {
			char t[32];
			cli_time_str(kdbx_entry_time(e, KDBX_TIME_CREATION), t, sizeof(t));
			printf("Created: %s\n", t);
			cli_time_str(kdbx_entry_time(e, KDBX_TIME_LAST_MODIFICATION), t, sizeof(t));
			printf("Modified: %s\n", t);
			cli_time_str(kdbx_entry_time(e, KDBX_TIME_LAST_ACCESS), t, sizeof(t));
			printf("Accessed: %s\n", t);
			if (kdbx_entry_expires(e))
				cli_time_str(kdbx_entry_time(e, KDBX_TIME_EXPIRY), t, sizeof(t));
			else
				snprintf(t, sizeof(t), "never");
			printf("Expires: %s\n", t);
		}
		if (show_att)
			print_attachments_text(e);
	}
	if (totp) {
		char code[16];
		int rc = totp_now(e, code, sizeof(code));
		if (rc < 0) {
			ex = cli_error(CLI_EXIT_CORRUPT, "entry '%s': invalid TOTP settings", ctx->pos[1]);
			goto out;
		}
		printf("%s\n", code);
	}
out:
	free(attrs);
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

const cli_command cli_cmd_show = {"show", "DATABASE ENTRY", "Show an entry's information.",
                                  CLI_F_DB | CLI_F_JSON, options, 2, 2, run};
