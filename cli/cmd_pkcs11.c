/* kdbx pkcs11 list | keygen: PKCS#11 key setup help. `list` shows modules,
 * tokens and the keys with the mechanism each would use (--login shows keys
 * hidden before login); `keygen` creates an HMAC secret key or an EC / RSA
 * key pair on a token, so a blank token can be enrolled with the CLI alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_MODULE = 100, OPT_URI, OPT_LOGIN, OPT_TYPE, OPT_LABEL, OPT_ID, OPT_PIN_FD };

static const cli_option options[] = {
	{OPT_MODULE, 0, "module", "PATH", "PKCS#11 module path or p11-kit module name (default: "
	                                  "every module registered with p11-kit)."},
	{OPT_URI, 0, "uri", "URI", "Token (and key) to use, RFC 7512 (pkcs11:token=...)."},
	{OPT_LOGIN, 0, "login", NULL, "list: log in (asks the PIN) to show private keys."},
	{OPT_TYPE, 0, "type", "TYPE", "keygen: hmac (default), ec-p256, ec-p384, rsa-2048, rsa-3072."},
	{OPT_LABEL, 0, "label", "LABEL", "keygen: label of the new key (CKA_LABEL)."},
	{OPT_ID, 0, "id", "HEX", "keygen: id of the new key (CKA_ID, hex)."},
	{OPT_PIN_FD, 0, "pin-fd", "N", "Read the token PIN (one line) from descriptor N."},
	{0, 0, NULL, NULL, NULL}};

static int pin_fd = -1;

/* PIN prompt: the library's prompt names the token and says "final try". */
static int ask_pin(void *userdata, const char *prompt, int retries_left, char *buf, size_t buflen)
{
	kdbx_secret *s = NULL;
	char line[300];

	(void)userdata;
	(void)retries_left;
	snprintf(line, sizeof(line), "%s: ", prompt);
	if (cli_read_secret(line, pin_fd, &s) != 0 || s == NULL)
		return KDBX_ECANCELLED;
	snprintf(buf, buflen, "%s", kdbx_secret_str(s));
	kdbx_secret_free(&s);
	return 0;
}

static void on_pinpad(void *userdata, const char *what)
{
	(void)userdata;
	fprintf(stderr, "%s\n", what);
}

static const kdbx_interaction interaction = {on_pinpad, ask_pin, NULL, NULL};

static int hex_id(const char *hex, uint8_t *out, size_t *len)
{
	size_t n = strlen(hex);

	if (n == 0 || n % 2 != 0 || n / 2 > 64)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static int cmd_list(cli_ctx *ctx, kdbx_pkcs11_options *o)
{
	kdbx_pkcs11_key_info *l = NULL;
	size_t n = 0;
	int rc = kdbx_pkcs11_list(o, cli_opt_count(ctx, OPT_LOGIN) > 0, &l, &n);

	if (rc < 0)
		return cli_fail(rc, "pkcs11 list");
	if (ctx->json) {
		json_begin_array();
		for (size_t i = 0; i < n; i++) {
			json_begin_object();
			json_kv_string("kind", l[i].is_token ? "token" : "key");
			json_kv_string("module", l[i].module);
			json_kv_int("slot_index", l[i].slot_index);
			json_kv_string("token", l[i].token_label);
			json_kv_string("serial", l[i].token_serial);
			if (!l[i].is_token) {
				json_kv_string("label", l[i].label);
				json_kv_string("id", l[i].id_hex);
				json_kv_string("key_type", l[i].key_type);
				json_kv_string("mechanism", l[i].mechanism ? kdbx_pkcs11_mechanism_name(l[i].mechanism) : NULL);
			} else {
				json_kv_string("model", l[i].token_model);
				json_kv_string("manufacturer", l[i].manufacturer);
				json_kv_bool("login_required", (l[i].token_flags & KDBX_PKCS11_TOKEN_LOGIN) != 0);
				json_kv_bool("pin_pad", (l[i].token_flags & KDBX_PKCS11_TOKEN_PINPAD) != 0);
				json_kv_bool("pin_locked", (l[i].token_flags & KDBX_PKCS11_TOKEN_LOCKED) != 0);
			}
			json_kv_string("note", l[i].note);
			json_kv_string("uri", l[i].uri);
			json_end_object();
		}
		json_end_array();
		json_finish();
	} else {
		if (n == 0)
			printf("no PKCS#11 token found\n");
		for (size_t i = 0; i < n; i++) {
			if (l[i].is_token) {
				printf("token #%d '%s' (serial %s, %s %s) via %s%s%s%s\n  %s\n", l[i].slot_index,
				       l[i].token_label, l[i].token_serial, l[i].manufacturer, l[i].token_model,
				       l[i].module,
				       (l[i].token_flags & KDBX_PKCS11_TOKEN_PINPAD) ? ", PIN pad" : "",
				       (l[i].token_flags & KDBX_PKCS11_TOKEN_LOCKED) ? ", PIN LOCKED" : "",
				       (l[i].token_flags & KDBX_PKCS11_TOKEN_PIN_LOW) ? ", PIN count low" : "",
				       l[i].uri);
				if (l[i].note[0])
					printf("  (%s)\n", l[i].note);
				continue;
			}
			printf("  key '%s' id %s %s: %s\n    %s\n", l[i].label, l[i].id_hex[0] ? l[i].id_hex : "-",
			       l[i].key_type,
			       l[i].mechanism ? kdbx_pkcs11_mechanism_name(l[i].mechanism) : "not usable",
			       l[i].mechanism ? l[i].uri : l[i].note);
		}
		if (cli_opt_count(ctx, OPT_LOGIN) == 0)
			printf("(private keys appear only after login: add --login)\n");
	}
	kdbx_pkcs11_list_free(&l);
	return 0;
}

static int cmd_keygen(cli_ctx *ctx, kdbx_pkcs11_options *o)
{
	const char *type = cli_opt_arg(ctx, OPT_TYPE);
	const char *label = cli_opt_arg(ctx, OPT_LABEL);
	const char *id = cli_opt_arg(ctx, OPT_ID);
	uint8_t idb[64];
	size_t idlen = 0;
	int rc;

	if (type == NULL)
		type = "hmac";
	if (label == NULL || id == NULL || hex_id(id, idb, &idlen) < 0)
		return cli_error(CLI_EXIT_USAGE, "pkcs11 keygen needs --label LABEL and --id HEX");
	o->key_label = label;
	o->key_id = idb;
	o->key_id_len = idlen;
	rc = kdbx_pkcs11_keygen(o, type);
	if (rc < 0)
		return cli_fail(rc, "pkcs11 keygen");
	cli_info(ctx, "created %s key '%s' (id %s); `kdbx pkcs11 list --login` shows its URI for "
	              "`kdbx device enroll DATABASE --device URI`\n", type, label, id);
	return 0;
}

static int run(cli_ctx *ctx)
{
	kdbx_pkcs11_options o = KDBX_PKCS11_OPTIONS_INIT;
	const char *fd = cli_opt_arg(ctx, OPT_PIN_FD);
	const char *sub = ctx->npos > 0 ? ctx->pos[0] : "list";

	if (fd != NULL) {
		unsigned long long v;

		if (cli_parse_uint(fd, 0, 1024 * 1024, &v) < 0)
			return cli_error(CLI_EXIT_USAGE, "--pin-fd: not a file descriptor: %s", fd);
		pin_fd = (int)v;
	}
	o.module = cli_opt_arg(ctx, OPT_MODULE);
	o.uri = cli_opt_arg(ctx, OPT_URI);
	o.interaction = &interaction;
	if (strcmp(sub, "list") == 0)
		return cmd_list(ctx, &o);
	if (strcmp(sub, "keygen") == 0)
		return cmd_keygen(ctx, &o);
	return cli_error(CLI_EXIT_USAGE, "pkcs11: unknown subcommand '%s' (list, keygen)", sub);
}

const cli_command cli_cmd_pkcs11 = {"pkcs11", "[list|keygen]",
                                    "PKCS#11 tokens: list usable keys, generate a key.",
                                    CLI_F_JSON, options, 0, 1, run};
