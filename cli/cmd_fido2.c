/* kdbx fido2 list: the FIDO2 authenticators libfido2 sees, with what matters
 * for enrolment (hmac-secret, PIN set and retries, built-in UV). Also the
 * FIDO2 front end of the other commands:
 *   --device fido2[:DEVICE][,rp=ID][,pin=yes|no|auto][,uv=yes|no][,up=yes|no]
 *       (kdbx device enroll) and
 *   --fido2 DEVICE|auto[,credential=HEX][,rp=ID]
 *       (unlock: the device to ask; credential= for kdbxtool "fido2" devices,
 *       whose credential id kdbxtool does not store). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- spec parsing ---- */

typedef struct fido2_spec {
	char device[256];
	char rp[256];
	int pin, uv, up;
	uint8_t cred[1024];
	size_t cred_len;
} fido2_spec;

static int tri(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
		*out = KDBX_FIDO2_YES;
	else if (strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
		*out = KDBX_FIDO2_NO;
	else if (strcmp(v, "auto") == 0)
		*out = KDBX_FIDO2_AUTO;
	else
		return -1;
	return 0;
}

static int unhex(const char *h, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(h);

	if (n == 0 || n % 2 != 0 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

/* [DEVICE][,key=value]...; "auto" or "" = any device. */
static int parse_spec(const char *s, fido2_spec *sp)
{
	char buf[2600];
	char *save = NULL, *tok;
	int first = 1;

	memset(sp, 0, sizeof(*sp));
	sp->pin = sp->uv = sp->up = KDBX_FIDO2_AUTO;
	if (s == NULL)
		return 0;
	if (strlen(s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save), first = 0) {
		char *eq = strchr(tok, '=');
		if (eq == NULL) {
			if (!first)
				return -1;
			if (strcmp(tok, "auto") != 0)
				snprintf(sp->device, sizeof(sp->device), "%s", tok);
			continue;
		}
		*eq++ = '\0';
		if (strcmp(tok, "rp") == 0 && *eq != '\0' && strlen(eq) < sizeof(sp->rp))
			snprintf(sp->rp, sizeof(sp->rp), "%s", eq);
		else if (strcmp(tok, "pin") == 0 && tri(eq, &sp->pin) == 0)
			;
		else if (strcmp(tok, "uv") == 0 && tri(eq, &sp->uv) == 0)
			;
		else if (strcmp(tok, "up") == 0 && tri(eq, &sp->up) == 0)
			;
		else if (strcmp(tok, "credential") == 0 && unhex(eq, sp->cred, sizeof(sp->cred), &sp->cred_len) == 0)
			;
		else
			return -1;
	}
	return 0;
}

static void options_of(const fido2_spec *sp, const kdbx_interaction *cb, kdbx_fido2_options *o)
{
	*o = (kdbx_fido2_options)KDBX_FIDO2_OPTIONS_INIT;
	o->device = sp->device[0] ? sp->device : NULL;
	o->rp_id = sp->rp[0] ? sp->rp : NULL;
	o->pin = sp->pin;
	o->uv = sp->uv;
	o->up = sp->up;
	o->interaction = cb;
	if (sp->cred_len > 0) {
		o->credential_id = sp->cred;
		o->credential_id_len = sp->cred_len;
	}
}

/* --fido2 ARG of the unlock options (argv: lives until exit). */
static const char *unlock_spec;

static void on_touch(void *userdata, const char *device)
{
	(void)userdata;
	fprintf(stderr, "Touch your security key to continue (%s)...\n", device != NULL ? device : "");
}

static int on_pin(void *userdata, const char *prompt, int retries_left, char *buf, size_t buflen)
{
	kdbx_secret *s = NULL;
	char p[300];

	(void)userdata;
	if (retries_left >= 0)
		snprintf(p, sizeof(p), "%s (%d tries left): ", prompt, retries_left);
	else
		snprintf(p, sizeof(p), "%s: ", prompt);
	if (cli_read_secret(p, -1, &s) != 0 || s == NULL)
		return KDBX_ECANCELLED;
	snprintf(buf, buflen, "%s", kdbx_secret_str(s));
	kdbx_secret_free(&s);
	return 0;
}

static const kdbx_interaction cli_fido2_cb = {on_touch, on_pin, NULL, NULL};

int cli_fido2_slot_provider(const char *spec, const kdbx_interaction *cb, kdbx_slot_provider **out)
{
	kdbx_fido2_options o;
	fido2_spec sp;

	if (parse_spec(spec != NULL ? spec : unlock_spec, &sp) < 0) {
		fprintf(stderr, "kdbx: FIDO2 spec wants [DEVICE][,rp=ID][,pin=yes|no|auto][,uv=yes|no][,up=yes|no], "
		                "got '%s'\n", spec != NULL ? spec : unlock_spec);
		return KDBX_EINVALID;
	}
	options_of(&sp, cb != NULL ? cb : &cli_fido2_cb, &o);
	return kdbx_fido2_slot_provider_new(out, &o);
}

int cli_fido2_unlock_option(const char *arg, kdbx_provider **cr)
{
	kdbx_fido2_options o;
	fido2_spec sp;

	*cr = NULL;
	if (parse_spec(arg, &sp) < 0) {
		fprintf(stderr, "kdbx: --fido2 wants DEVICE or auto, optionally ,credential=HEX[,rp=ID] for a "
		                "kdbxtool database; got '%s'\n", arg != NULL ? arg : "");
		return KDBX_EINVALID;
	}
	unlock_spec = arg; /* FIDO2 slots: the device the automatic provider asks */
	if (sp.cred_len == 0)
		return KDBX_OK;
	/* kdbxtool "fido2" device: a challenge-response provider for the key. */
	options_of(&sp, &cli_fido2_cb, &o);
	return kdbx_fido2_new(cr, &o);
}

/* Hooks of `kdbx device ...` (weak in cli/cmd_device.c). */
int cli_slot_device_spec_fido2(const char *spec, const kdbx_interaction *cb, kdbx_slot_provider **out);
int cli_slot_providers_auto_fido2(kdbx_slot_providers *set, const kdbx_interaction *cb);

/* --device fido2[:SPEC] */
int cli_slot_device_spec_fido2(const char *spec, const kdbx_interaction *cb, kdbx_slot_provider **out)
{
	int rc;

	if (strncmp(spec, "fido2:", 6) != 0 && strcmp(spec, "fido2") != 0)
		return 0;
	rc = cli_fido2_slot_provider(spec[5] == ':' ? spec + 6 : "", cb, out);
	return rc < 0 ? rc : 1;
}

/* Automatic unlock: the --fido2 device or any; match() finds the
 * authenticator that holds each slot's credential with a silent assertion. */
int cli_slot_providers_auto_fido2(kdbx_slot_providers *set, const kdbx_interaction *cb)
{
	kdbx_slot_provider *p = NULL;
	int rc = cli_fido2_slot_provider(NULL, cb, &p);

	if (rc == KDBX_EUNSUPPORTED) {
		kdbx_error_clear();
		return 0; /* built without FIDO2 */
	}
	if (rc < 0)
		return rc;
	if ((rc = kdbx_slot_providers_add(set, p)) < 0)
		kdbx_slot_provider_free(&p);
	return rc < 0 ? rc : 0;
}

/* ---- kdbx fido2 list ---- */

enum { OPT_DEVICE = 100 };

static const cli_option options[] = {
	{OPT_DEVICE, 0, "device", "PATH", "Only this device (e.g. /dev/hidraw3)."},
	{0, 0, NULL, NULL, NULL}};

static void protocols_str(int p, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", (p & 1) ? "1" : "", (p & 3) == 3 ? "," : "", (p & 2) ? "2" : "");
	if (p == 0)
		snprintf(buf, len, "-");
}

static int cmd_list(cli_ctx *ctx)
{
	kdbx_fido2_options o = KDBX_FIDO2_OPTIONS_INIT;
	kdbx_fido2_device_info *l = NULL;
	size_t n = 0;
	char pr[8];
	int rc;

	o.device = cli_opt_arg(ctx, OPT_DEVICE);
	if ((rc = kdbx_fido2_list(&o, &l, &n)) < 0)
		return cli_fail(rc, "fido2 list");
	if (ctx->json) {
		json_begin_array();
		for (size_t i = 0; i < n; i++) {
			json_begin_object();
			json_kv_string("path", l[i].path);
			json_kv_string("product", l[i].product[0] ? l[i].product : NULL);
			json_kv_bool("fido2", l[i].fido2);
			json_kv_bool("hmac_secret", l[i].hmac_secret);
			json_kv_bool("pin_set", l[i].pin_set);
			json_kv_int("pin_retries", l[i].pin_retries);
			json_kv_bool("builtin_uv", l[i].builtin_uv);
			json_kv_int("uv_retries", l[i].uv_retries);
			json_kv_bool("always_uv", l[i].always_uv);
			json_kv_int("pin_protocols", l[i].protocols);
			json_kv_string("error", l[i].error[0] ? l[i].error : NULL);
			json_end_object();
		}
		json_end_array();
		json_finish();
	} else if (n == 0) {
		fprintf(stderr, "No FIDO2 device found%s%s (is it plugged in, and may this user open "
		                "/dev/hidraw*?).\n", o.device ? " at " : "", o.device ? o.device : "");
	} else {
		printf("%-20s %-28s %-11s %-8s %-8s %-10s %s\n", "DEVICE", "PRODUCT", "HMAC-SECRET", "PIN",
		       "RETRIES", "BUILTIN-UV", "PROTOCOLS");
		for (size_t i = 0; i < n; i++) {
			char r[16];
			if (l[i].error[0]) {
				printf("%-20s %s\n", l[i].path, l[i].error);
				continue;
			}
			protocols_str(l[i].protocols, pr, sizeof(pr));
			snprintf(r, sizeof(r), "%d", l[i].pin_retries);
			printf("%-20s %-28s %-11s %-8s %-8s %-10s %s%s\n", l[i].path, l[i].product[0] ? l[i].product : "-",
			       !l[i].fido2 ? "no (U2F)" : l[i].hmac_secret ? "yes" : "no", l[i].pin_set ? "set" : "not set",
			       l[i].pin_retries >= 0 ? r : "-", l[i].builtin_uv ? "yes" : "no", pr,
			       l[i].always_uv ? " alwaysUv" : "");
		}
	}
	kdbx_fido2_list_free(&l);
	return 0;
}

static int run(cli_ctx *ctx)
{
	const char *sub = ctx->npos > 0 ? ctx->pos[0] : "list";

	if (strcmp(sub, "list") == 0)
		return cmd_list(ctx);
	return cli_error(CLI_EXIT_USAGE, "fido2: unknown subcommand '%s' (list)", sub);
}

const cli_command cli_cmd_fido2 = {"fido2", "[list]",
                                   "FIDO2 security keys: list devices, hmac-secret support, PIN state.",
                                   CLI_F_JSON, options, 0, 1, run};
