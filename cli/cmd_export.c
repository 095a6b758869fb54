/* kdbx export: the whole database in clear as KeePass XML (default), CSV in
 * keepassxc-cli's column layout, or JSON. Secrets are written: exporting is
 * the explicit request for them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_FORMAT = 100, OPT_OUTPUT };

static const cli_option options[] = {
	{OPT_FORMAT, 'f', "format", "FORMAT", "xml (default), csv or json."},
	{OPT_OUTPUT, 'o', "output", "FILE", "Write to FILE (mode 0600) instead of standard output."},
	{0, 0, NULL, NULL, NULL}};

static void csv_cell(FILE *f, const char *s, int last)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
	fputc(last ? '\n' : ',', f);
}

/* Value of any field (protected or not) into a secret; empty when absent. */
static kdbx_secret *field(const kdbx_entry *e, const char *name)
{
	kdbx_secret *s = NULL;
	if (!kdbx_entry_has_field(e, name) || kdbx_entry_field_reveal(&s, e, name) < 0)
		kdbx_secret_new(&s, "", 0);
	return s;
}

static void csv_group(FILE *f, const kdbx_group *g, const char *gpath)
{
	for (size_t i = 0; i < kdbx_group_entry_count(g); i++) {
		const kdbx_entry *e = kdbx_group_entry_at(g, i);
		static const char *const names[] = {KDBX_FIELD_TITLE, KDBX_FIELD_USERNAME, KDBX_FIELD_PASSWORD,
		                                    KDBX_FIELD_URL, KDBX_FIELD_NOTES};
		char icon[16], mod[32], cre[32];
		char *uri = cli_totp_uri(e);
		csv_cell(f, gpath, 0);
		for (size_t k = 0; k < 5; k++) {
			kdbx_secret *s = field(e, names[k]);
			csv_cell(f, s ? kdbx_secret_str(s) : "", 0);
			kdbx_secret_free(&s);
		}
		csv_cell(f, uri ? uri : "", 0);
		if (uri) {
			explicit_bzero(uri, strlen(uri));
			free(uri);
		}
		snprintf(icon, sizeof(icon), "%d", kdbx_entry_icon(e));
		cli_time_str(kdbx_entry_time(e, KDBX_TIME_LAST_MODIFICATION), mod, sizeof(mod));
		cli_time_str(kdbx_entry_time(e, KDBX_TIME_CREATION), cre, sizeof(cre));
		csv_cell(f, icon, 0);
		csv_cell(f, mod, 0);
		csv_cell(f, cre, 1);
	}
	for (size_t i = 0; i < kdbx_group_group_count(g); i++) {
		const kdbx_group *c = kdbx_group_group_at(g, i);
		size_t n = strlen(gpath) + strlen(kdbx_group_name(c)) + 2;
		char *sub = malloc(n);
		if (!sub)
			continue;
		snprintf(sub, n, "%s/%s", gpath, kdbx_group_name(c));
		csv_group(f, c, sub);
		free(sub);
	}
}

static void b64(const uint8_t *d, size_t len, FILE *f)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)d[i + 1] << 8;
		if (i + 2 < len)
			v |= d[i + 2];
		fputc(tab[(v >> 18) & 63], f);
		fputc(tab[(v >> 12) & 63], f);
		fputc(i + 1 < len ? tab[(v >> 6) & 63] : '=', f);
		fputc(i + 2 < len ? tab[v & 63] : '=', f);
	}
}

static void json_time(const char *k, kdbx_time t)
{
	char buf[32];
	cli_time_str(t, buf, sizeof(buf));
	json_key(k);
	if (t)
		json_string(buf);
	else
		json_null();
}

static void json_entry(const kdbx_entry *e)
{
	char uuid[40];
	size_t n = kdbx_entry_field_count(e);

	cli_uuid_str(kdbx_entry_uuid(e), 0, uuid);
	json_begin_object();
	json_kv_string("uuid", uuid);
	json_key("fields");
	json_begin_object();
	for (size_t i = 0; i < n; i++) {
		const char *name = kdbx_entry_field_name(e, i);
		kdbx_secret *s = field(e, name);
		json_key(name);
		json_string_n(kdbx_secret_str(s), kdbx_secret_len(s));
		kdbx_secret_free(&s);
	}
	json_end_object();
	json_key("protected");
	json_begin_array();
	for (size_t i = 0; i < n; i++)
		if (kdbx_entry_field_protected(e, kdbx_entry_field_name(e, i)))
			json_string(kdbx_entry_field_name(e, i));
	json_end_array();
	json_kv_string("tags", kdbx_entry_tags(e));
	json_kv_int("icon", kdbx_entry_icon(e));
	json_time("created", kdbx_entry_time(e, KDBX_TIME_CREATION));
	json_time("modified", kdbx_entry_time(e, KDBX_TIME_LAST_MODIFICATION));
	json_time("expires", kdbx_entry_expires(e) ? kdbx_entry_time(e, KDBX_TIME_EXPIRY) : 0);
	json_key("attachments");
	json_begin_array();
	for (size_t i = 0; i < kdbx_entry_attachment_count(e); i++) {
		const char *name = kdbx_entry_attachment_name(e, i);
		const uint8_t *d = NULL;
		size_t len = 0;
		kdbx_entry_attachment(e, name, &d, &len);
		json_begin_object();
		json_kv_string("name", name);
		json_kv_int("size", (long long)len);
		json_key("data");
		fputc('"', stdout);
		b64(d, len, stdout);
		fputc('"', stdout);
		json_end_object();
	}
	json_end_array();
	json_end_object();
}

static void json_group(const kdbx_group *g)
{
	char uuid[40];

	cli_uuid_str(kdbx_group_uuid(g), 0, uuid);
	json_begin_object();
	json_kv_string("uuid", uuid);
	json_kv_string("name", kdbx_group_name(g));
	json_kv_string("notes", kdbx_group_notes(g));
	json_key("entries");
	json_begin_array();
	for (size_t i = 0; i < kdbx_group_entry_count(g); i++)
		json_entry(kdbx_group_entry_at(g, i));
	json_end_array();
	json_key("groups");
	json_begin_array();
	for (size_t i = 0; i < kdbx_group_group_count(g); i++)
		json_group(kdbx_group_group_at(g, i));
	json_end_array();
	json_end_object();
}

static int run(cli_ctx *ctx)
{
	const char *fmt = cli_opt_arg(ctx, OPT_FORMAT);
	const char *outpath = cli_opt_arg(ctx, OPT_OUTPUT);
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	int rc, ex;

	if (!fmt)
		fmt = "xml";
	if (strcmp(fmt, "xml") && strcmp(fmt, "csv") && strcmp(fmt, "json"))
		return cli_error(CLI_EXIT_USAGE, "unknown export format '%s' (xml, csv, json)", fmt);
	ex = cli_open_db(ctx, &db, &key);
	if (ex)
		return ex;
	if (outpath) {
		/* stdout itself becomes the file so every format shares one writer. */
		int fd;
		fflush(stdout);
		fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
			ex = cli_error(CLI_EXIT_IO, "%s: %s", outpath, strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
		close(fd);
	}
	if (strcmp(fmt, "xml") == 0) {
		uint8_t *xml = NULL;
		size_t len = 0;
		rc = kdbx_db_export_xml_memory(db, &xml, &len);
		if (rc < 0) {
			ex = cli_fail(rc, "export");
			goto out;
		}
		ex = cli_write_stdout(xml, len);
		kdbx_free(xml, len);
	} else if (strcmp(fmt, "csv") == 0) {
		kdbx_group *root = kdbx_db_root(db);
		fputs("\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\","
		      "\"Last Modified\",\"Created\"\n",
		      stdout);
		csv_group(stdout, root, kdbx_group_name(root));
		ex = cli_write_stdout("", 0);
	} else {
		json_begin_object();
		json_kv_string("format", "kdbx-json-export");
		json_kv_int("version", 1);
		json_kv_string("name", kdbx_db_meta(db, KDBX_META_NAME));
		json_key("root");
		json_group(kdbx_db_root(db));
		json_end_object();
		json_finish();
		ex = cli_write_stdout("", 0);
	}
out:
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

const cli_command cli_cmd_export = {"export", "DATABASE", "Export a database (secrets in clear).", CLI_F_DB,
                                    options, 1, 1, run};
