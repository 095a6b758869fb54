/* kdbx: command-line front end of libkdbx. Hardens the process, finds the
 * command and runs it; every command lives in its own cmd_<name>.c. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"

extern const cli_command cli_cmd_db_create, cli_cmd_db_info, cli_cmd_db_edit, cli_cmd_ls,
	cli_cmd_show, cli_cmd_add, cli_cmd_edit, cli_cmd_rm, cli_cmd_mkdir, cli_cmd_rmdir, cli_cmd_mv,
	cli_cmd_search, cli_cmd_attachment_export, cli_cmd_attachment_import, cli_cmd_attachment_rm,
	cli_cmd_export, cli_cmd_import, cli_cmd_generate, cli_cmd_help, cli_cmd_version,
	cli_cmd_devices, cli_cmd_pkcs11, cli_cmd_tpm2, cli_cmd_fido2;

/* Multi-device enrolment (cli/cmd_device.c). */
extern const cli_command cli_cmd_device_enroll, cli_cmd_device_list, cli_cmd_device_revoke,
	cli_cmd_device_rotate, cli_cmd_device_recovery, cli_cmd_device_policy, cli_cmd_device_disable,
	cli_cmd_device_convert;

const cli_command *const cli_commands[] = {
	&cli_cmd_add, &cli_cmd_attachment_export, &cli_cmd_attachment_import, &cli_cmd_attachment_rm,
	&cli_cmd_db_create, &cli_cmd_db_edit, &cli_cmd_db_info, &cli_cmd_device_convert, &cli_cmd_device_disable,
	&cli_cmd_device_enroll, &cli_cmd_device_list, &cli_cmd_device_policy, &cli_cmd_device_recovery,
	&cli_cmd_device_revoke, &cli_cmd_device_rotate, &cli_cmd_devices, &cli_cmd_edit, &cli_cmd_export,
	&cli_cmd_fido2, &cli_cmd_generate, &cli_cmd_help, &cli_cmd_import, &cli_cmd_ls, &cli_cmd_mkdir, &cli_cmd_mv,
	&cli_cmd_pkcs11, &cli_cmd_rm, &cli_cmd_rmdir, &cli_cmd_search, &cli_cmd_show, &cli_cmd_tpm2,
	&cli_cmd_version, NULL};

const cli_command *cli_command_find(const char *name)
{
	for (size_t i = 0; cli_commands[i]; i++)
		if (strcmp(cli_commands[i]->name, name) == 0)
			return cli_commands[i];
	return NULL;
}

/* No core dumps and no ptrace attach by other users' processes: a crash must
 * not leave the master key or passwords on disk. */
static void harden_process(void)
{
	struct rlimit rl = {0, 0};

	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static void global_usage(FILE *f)
{
	fprintf(f, "Usage: kdbx [-h|--help] [-v|--version] COMMAND [options] [arguments]\n"
	           "KeePass KDBX databases from the command line.\n\nCommands:\n");
	for (size_t i = 0; cli_commands[i]; i++)
		fprintf(f, "  %-20s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
	fprintf(f, "\nRun 'kdbx help COMMAND' or 'kdbx COMMAND --help' for the options of a command.\n"
	           "See kdbx(1) for exit codes and the --json schema.\n");
}

static int run_help(cli_ctx *ctx)
{
	const cli_command *c;

	if (ctx->npos == 0) {
		global_usage(stdout);
		return 0;
	}
	c = cli_command_find(ctx->pos[0]);
	if (!c)
		return cli_error(CLI_EXIT_USAGE, "unknown command '%s'", ctx->pos[0]);
	cli_usage(stdout, c);
	return 0;
}

static int run_version(cli_ctx *ctx)
{
	if (ctx->json) {
		json_begin_object();
		json_kv_string("kdbx", KDBX_VERSION_STRING);
		json_kv_string("libkdbx", kdbx_version());
		json_end_object();
		json_finish();
		return 0;
	}
	printf("kdbx %s (libkdbx %s)\n", KDBX_VERSION_STRING, kdbx_version());
	return 0;
}

const cli_command cli_cmd_help = {"help", "[COMMAND]", "Show the commands or the help of one command.",
                                  0, NULL, 0, 1, run_help};
const cli_command cli_cmd_version = {"version", "", "Show the version.", CLI_F_JSON, NULL, 0, 0,
                                     run_version};

int main(int argc, char **argv)
{
	const cli_command *cmd;
	cli_ctx ctx;
	int rc;

	harden_process();
	setlocale(LC_CTYPE, "");
	if (argc < 2) {
		global_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		global_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)
		argv[1] = (char *)"version";
	/* Two-word commands: "kdbx device enroll ..." is the command "device enroll". */
	if (strcmp(argv[1], "device") == 0 && argc >= 3 && argv[2][0] != '-') {
		static char two[64];
		snprintf(two, sizeof(two), "device %s", argv[2]);
		if (cli_command_find(two) != NULL) {
			argv[2] = two;
			argv++;
			argc--;
		}
	}
	cmd = cli_command_find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "kdbx: unknown command '%s'\n", argv[1]);
		global_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	rc = cli_args_parse(&ctx, cmd, argc - 2, argv + 2);
	if (rc == 0)
		rc = cmd->run(&ctx);
	else
		rc = rc > 0 ? 0 : CLI_EXIT_USAGE;
	cli_spinner_stop();
	cli_args_free(&ctx);
	if (fflush(stdout) != 0 && rc == 0)
		rc = CLI_EXIT_IO;
	return rc;
}
