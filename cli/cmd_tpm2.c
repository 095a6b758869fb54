/* kdbx tpm2 info | reset-lockout: the TPM a `--tpm2` slot would use
 * (manufacturer, firmware, PCR banks, dictionary-attack state, SRK name) and
 * a way out of a PIN lockout when the lockout authorization is known. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum { OPT_TCTI = 100, OPT_AUTH_FD };

static const cli_option options[] = {
	{OPT_TCTI, 0, "tcti", "TCTI", "TPM to use (default $KDBX_TPM2_TCTI or device:/dev/tpmrm0; "
	                              "e.g. swtpm:host=127.0.0.1,port=2321)."},
	{OPT_AUTH_FD, 0, "auth-fd", "N", "reset-lockout: read the lockout authorization from descriptor N "
	                                 "(default: empty)."},
	{0, 0, NULL, NULL, NULL}};

static int cmd_info(cli_ctx *ctx, const char *tcti)
{
	kdbx_tpm2_info i;
	char fw[48];
	int rc = kdbx_tpm2_get_info(tcti, &i);

	if (rc < 0)
		return cli_fail(rc, "tpm2 info");
	snprintf(fw, sizeof(fw), "%u.%u.%u.%u", i.firmware[0] >> 16, i.firmware[0] & 0xFFFF, i.firmware[1] >> 16,
	         i.firmware[1] & 0xFFFF);
	if (ctx->json) {
		json_begin_object();
		json_kv_string("tcti", i.tcti);
		json_kv_string("manufacturer", i.manufacturer);
		json_kv_string("vendor", i.vendor);
		json_kv_string("firmware", fw);
		json_kv_int("spec_level", i.spec_level);
		json_kv_int("spec_revision", i.spec_revision);
		json_kv_string("pcr_banks", i.pcr_banks);
		json_kv_int("lockout_counter", i.lockout_counter);
		json_kv_int("max_auth_fail", i.max_auth_fail);
		json_kv_int("lockout_interval", i.lockout_interval);
		json_kv_int("lockout_recovery", i.lockout_recovery);
		json_kv_bool("in_lockout", i.in_lockout);
		json_kv_string("srk_name", i.srk_name);
		json_end_object();
		json_finish();
		return 0;
	}
	printf("TPM:            %s\n", i.tcti);
	printf("Manufacturer:   %s (%s)\n", i.manufacturer, i.vendor);
	printf("Firmware:       %s\n", fw);
	printf("Specification:  level %u revision %u.%02u\n", i.spec_level, i.spec_revision / 100,
	       i.spec_revision % 100);
	printf("PCR banks:      %s\n", i.pcr_banks);
	printf("Lockout:        %s, %u of %u failures, one forgiven every %u s, recovery %u s\n",
	       i.in_lockout ? "LOCKED OUT" : "not locked", i.lockout_counter, i.max_auth_fail,
	       i.lockout_interval, i.lockout_recovery);
	printf("SRK name:       %s\n", i.srk_name[0] ? i.srk_name : "(owner hierarchy refused: owner password set?)");
	return 0;
}

static int cmd_reset(cli_ctx *ctx, const char *tcti)
{
	const char *fd = cli_opt_arg(ctx, OPT_AUTH_FD);
	kdbx_secret *auth = NULL;
	int rc;

	if (fd != NULL) {
		unsigned long long v;
		if (cli_parse_uint(fd, 0, 1024 * 1024, &v) < 0)
			return cli_error(CLI_EXIT_USAGE, "--auth-fd: not a file descriptor: %s", fd);
		if ((rc = cli_read_secret("Lockout authorization: ", (int)v, &auth)) != 0)
			return rc;
	}
	rc = kdbx_tpm2_reset_lockout(tcti, auth != NULL ? kdbx_secret_str(auth) : NULL);
	kdbx_secret_free(&auth);
	if (rc < 0)
		return cli_fail(rc, "tpm2 reset-lockout");
	cli_info(ctx, "dictionary-attack counter reset\n");
	return 0;
}

static int run(cli_ctx *ctx)
{
	const char *sub = ctx->npos > 0 ? ctx->pos[0] : "info";
	const char *tcti = cli_opt_arg(ctx, OPT_TCTI);

	if (strcmp(sub, "info") == 0)
		return cmd_info(ctx, tcti);
	if (strcmp(sub, "reset-lockout") == 0)
		return cmd_reset(ctx, tcti);
	return cli_error(CLI_EXIT_USAGE, "tpm2: unknown subcommand '%s' (info, reset-lockout)", sub);
}

const cli_command cli_cmd_tpm2 = {"tpm2", "[info|reset-lockout]",
                                  "TPM 2.0: show the TPM and its lockout state, reset the lockout.",
                                  CLI_F_JSON, options, 0, 1, run};
