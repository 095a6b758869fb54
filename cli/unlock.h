/* Unlocking a database from the command line: the one table of "unlock
 * options" every database command accepts, password input and the hook for
 * hardware-device options (cli/unlock_devices.c). */
#ifndef KDBX_CLI_UNLOCK_H
#define KDBX_CLI_UNLOCK_H

#include <stddef.h>

#include <kdbx.h>

struct cli_ctx;
struct cli_option;

#define CLI_UNLOCK_MAX_DEVICES 8

typedef struct cli_unlock {
	const char *key_file;
	int no_password;
	int password_fd; /* -1: stdin */
	struct {
		const char *opt; /* long option name without dashes, e.g. "yubikey" */
		const char *arg; /* NULL for flag options */
	} dev[CLI_UNLOCK_MAX_DEVICES];
	size_t ndev;
} cli_unlock;

/* Option ids of the unlock table (20..49). Device options are >= 30. */
enum {
	CLI_OPT_KEY_FILE = 20,
	CLI_OPT_NO_PASSWORD,
	CLI_OPT_PASSWORD_FD,
	CLI_OPT_DEV_FIRST = 30,
	CLI_OPT_YUBIKEY = 30,
	CLI_OPT_SOFT_KEY,
	CLI_OPT_PKCS11,
	CLI_OPT_FIDO2,
	CLI_OPT_TPM2,
	CLI_OPT_PKCS11_MODULE = 45, /* --pkcs11-module PATH (cli/unlock_devices.c) */
	CLI_OPT_DEV_LAST = 49
};

/* Records one parsed unlock option; returns 0 or -1 (message printed). */
int cli_unlock_record(cli_unlock *u, const struct cli_option *o, const char *arg);

/* Hook for hardware / software token options, implemented in
 * cli/unlock_devices.c. opt is the long option name without dashes
 * ("yubikey", "soft-key", "pkcs11", "fido2", "tpm2"), arg its argument (or
 * NULL). Returns 1 when it added the component to key, 0 when it does not
 * handle opt (the CLI then reports the option as unsupported by this build),
 * or a negative KDBX_E* code on failure (kdbx_error_last() explains).
 * Anything it allocates for the key must stay alive until the process exits. */
int cli_unlock_device_option(const char *opt, const char *arg, kdbx_key *key);

/* The provider a --soft-key ARG made for the key, or NULL: its secret was read once, and a
 * pipe (/dev/fd/N) would be empty the second time. Lives until the process exits. */
kdbx_provider *cli_unlock_soft_key(const char *arg);

/* PKCS#11 slot provider for `--pkcs11 URI` (device enrolment / slot unlock):
 * uses the module of --pkcs11-module (when given before this call) and the
 * CLI PIN prompt. The caller owns *out. Returns a KDBX code. */
int cli_pkcs11_slot_provider(const char *uri, kdbx_slot_provider **out);

/* TPM 2.0 slot provider from SPEC = [TCTI][;pcrs=7][;bank=sha256][;pin=1]
 * [;handle=0x81000001] (NULL: the --tpm2 option, else the default TPM), PIN
 * through cb. The caller owns *out. Returns a KDBX code. */
int cli_tpm2_slot_provider(const char *spec, const kdbx_interaction *cb, kdbx_slot_provider **out);

/* FIDO2 (cli/cmd_fido2.c). cli_fido2_slot_provider: slot provider for SPEC =
 * [DEVICE][,rp=ID][,pin=yes|no|auto][,uv=yes|no][,up=yes|no] (NULL: the
 * --fido2 device, else any); cb NULL: the CLI touch / PIN prompts.
 * cli_fido2_unlock_option: records --fido2 ARG; *cr is set (caller keeps it)
 * when ARG names a kdbxtool credential (credential=HEX). KDBX codes. */
int cli_fido2_slot_provider(const char *spec, const kdbx_interaction *cb, kdbx_slot_provider **out);
int cli_fido2_unlock_option(const char *arg, kdbx_provider **cr);

/* Adds every recorded device option of u to key. Returns an exit code. */
int cli_unlock_add_devices(const cli_unlock *u, kdbx_key *key);

/* Builds the key that unlocks dbpath: password (unless --no-password),
 * --key-file, devices. When password_out is not NULL it receives a copy of
 * the password (NULL when none), for commands that rebuild the key.
 * Returns an exit code (0 on success). */
int cli_unlock_key(const struct cli_ctx *ctx, const char *dbpath, kdbx_key **out,
                   kdbx_secret **password_out);

/* Builds the key and opens DATABASE (ctx->pos[0]) with a spinner. */
int cli_open_db(const struct cli_ctx *ctx, kdbx_db **db, kdbx_key **key);
/* The same for commands that only read and never show history (ls, show, search): the
 * history items are not loaded (kdbx_open_options.skip_history), so the db cannot be saved. */
int cli_open_db_to_read(const struct cli_ctx *ctx, kdbx_db **db, kdbx_key **key);

/* Opens path: plain kdbx_db_open, or for a multi-device database (kdbxtool
 * mode or slots) kdbx_slots_open with every built-in device provider, so the
 * connected device that matches a slot is used (cli/cmd_device.c).
 * recovery: printable recovery key or NULL. Returns a KDBX_E* code. */
int cli_slots_open(const struct cli_ctx *ctx, kdbx_db **db, const char *path, const kdbx_key *key,
                   const kdbx_open_options *opts, const char *recovery);

/* Reads one secret line. From fd when fd >= 0; otherwise from stdin: with the
 * prompt on stderr and echo off when stdin is a terminal. Returns an exit code. */
int cli_read_secret(const char *prompt, int fd, kdbx_secret **out);

#endif
