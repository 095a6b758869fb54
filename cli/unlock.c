/* Unlock options and password input. The password comes from --password-fd,
 * else from stdin: prompted without echo on a terminal, otherwise one line
 * (so `printf 'pw\n' | kdbx ls db.kdbx` works as with keepassxc-cli). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

const cli_option cli_unlock_options[] = {
	{CLI_OPT_KEY_FILE, 'k', "key-file", "FILE", "Key file of the database."},
	{CLI_OPT_NO_PASSWORD, 0, "no-password", NULL, "The database has no password; do not ask."},
	{CLI_OPT_PASSWORD_FD, 0, "password-fd", "N", "Read the password (one line) from descriptor N."},
	{CLI_OPT_YUBIKEY, 'y', "yubikey", "SLOT[:SERIAL]", "YubiKey challenge-response slot."},
	{CLI_OPT_SOFT_KEY, 0, "soft-key", "ALG:FILE",
	 "Software challenge-response key (sha1 or sha256 HMAC secret in FILE)."},
	{CLI_OPT_PKCS11, 0, "pkcs11", "URI", "PKCS#11 token object (RFC 7512 URI)."},
	{CLI_OPT_PKCS11_MODULE, 0, "pkcs11-module", "PATH",
	 "PKCS#11 module for --pkcs11 (default: the modules registered with p11-kit)."},
	{CLI_OPT_FIDO2, 0, "fido2", "DEVICE", "FIDO2 authenticator (hmac-secret)."},
	{CLI_OPT_TPM2, 0, "tpm2", "SPEC", "TPM 2.0 sealed HMAC key."},
	{0, 0, NULL, NULL, NULL}};

int cli_unlock_record(cli_unlock *u, const cli_option *o, const char *arg)
{
	unsigned long long fd;

	switch (o->id) {
	case CLI_OPT_KEY_FILE:
		u->key_file = arg;
		return 0;
	case CLI_OPT_NO_PASSWORD:
		u->no_password = 1;
		return 0;
	case CLI_OPT_PASSWORD_FD:
		if (cli_parse_uint(arg, 0, 1024 * 1024, &fd) < 0) {
			fprintf(stderr, "kdbx: --password-fd: not a file descriptor: %s\n", arg);
			return -1;
		}
		u->password_fd = (int)fd;
		return 0;
	default:
		break;
	}
	if (o->id >= CLI_OPT_DEV_FIRST && o->id <= CLI_OPT_DEV_LAST) {
		if (u->ndev >= CLI_UNLOCK_MAX_DEVICES) {
			fprintf(stderr, "kdbx: too many device options\n");
			return -1;
		}
		u->dev[u->ndev].opt = o->long_name;
		u->dev[u->ndev].arg = arg;
		u->ndev++;
		return 0;
	}
	fprintf(stderr, "kdbx: internal error: unknown unlock option\n");
	return -1;
}

int cli_unlock_add_devices(const cli_unlock *u, kdbx_key *key)
{
	for (size_t i = 0; i < u->ndev; i++) {
		int rc = cli_unlock_device_option(u->dev[i].opt, u->dev[i].arg, key);
		if (rc == 0)
			return cli_error(CLI_EXIT_DEVICE, "--%s: not supported by this build", u->dev[i].opt);
		if (rc < 0) {
			char what[64];
			snprintf(what, sizeof(what), "--%s", u->dev[i].opt);
			return cli_fail(rc, what);
		}
	}
	return 0;
}

/* Terminal state restored by the signal handler if the user interrupts a
 * no-echo prompt (otherwise the shell would be left without echo). */
static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;

static void restore_tty(int sig)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Reads one line from fd a byte at a time (no stdio buffering, so later reads
 * of the same stream see the following lines). Returns the length, or -1 on
 * EOF before any byte / error. The newline and a trailing CR are dropped. */
static long read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	int got = 0;

	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got = 1;
		if (c == '\n')
			break;
		if (n + 1 >= cap)
			return -2;
		buf[n++] = c;
	}
	if (!got)
		return -1;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (long)n;
}

#define SECRET_CAP 8192

int cli_read_secret(const char *prompt, int fd, kdbx_secret **out)
{
	/* The line buffer is locked and wiped: it holds the password in clear. */
	static char buf[SECRET_CAP];
	static int locked;
	int tty = 0;
	long n;
	int rc;

	if (!locked) {
		(void)mlock(buf, sizeof(buf));
		locked = 1;
	}
	if (fd < 0) {
		fd = STDIN_FILENO;
		tty = isatty(STDIN_FILENO);
	}
	if (tty) {
		struct termios tio;
		/* Echo goes off BEFORE the prompt appears: TCSAFLUSH drops type-ahead,
		 * which must never include an answer to a prompt not yet shown. */
		if (tcgetattr(fd, &saved_tio) == 0) {
			tio = saved_tio;
			tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
			tio.c_lflag |= ICANON;
			tio_saved = 1;
			signal(SIGINT, restore_tty);
			signal(SIGTERM, restore_tty);
			signal(SIGHUP, restore_tty);
			tcsetattr(fd, TCSAFLUSH, &tio);
		}
		fputs(prompt, stderr);
		fflush(stderr);
	}
	n = read_line(fd, buf, sizeof(buf));
	if (tty) {
		if (tio_saved) {
			tcsetattr(fd, TCSANOW, &saved_tio);
			tio_saved = 0;
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
		}
		fputc('\n', stderr);
	}
	if (n == -2) {
		explicit_bzero(buf, sizeof(buf));
		return cli_error(CLI_EXIT_USAGE, "password line too long");
	}
	if (n < 0)
		return cli_error(CLI_EXIT_USAGE, "no password given (end of input)%s",
		                 fd == STDIN_FILENO ? "; use --no-password for a database without one" : "");
	rc = kdbx_secret_new(out, buf, (size_t)n);
	explicit_bzero(buf, sizeof(buf));
	if (rc < 0)
		return cli_fail(rc, "password");
	return 0;
}

int cli_unlock_key(const cli_ctx *ctx, const char *dbpath, kdbx_key **out, kdbx_secret **password_out)
{
	const cli_unlock *u = &ctx->unlock;
	kdbx_key *key = NULL;
	kdbx_secret *pw = NULL;
	int rc, ex;

	if (password_out)
		*password_out = NULL;
	rc = kdbx_key_new(&key);
	if (rc < 0)
		return cli_fail(rc, "key");
	if (!u->no_password) {
		char prompt[4200];
		snprintf(prompt, sizeof(prompt), "Enter password to unlock %s: ", dbpath);
		ex = cli_read_secret(prompt, u->password_fd, &pw);
		if (ex)
			goto fail;
		rc = kdbx_key_set_password(key, kdbx_secret_str(pw), kdbx_secret_len(pw));
		if (rc < 0) {
			ex = cli_fail(rc, "password");
			goto fail;
		}
	}
	if (u->key_file) {
		rc = kdbx_key_set_keyfile(key, u->key_file);
		if (rc < 0) {
			ex = cli_fail(rc, u->key_file);
			goto fail;
		}
	}
	ex = cli_unlock_add_devices(u, key);
	if (ex)
		goto fail;
	if (password_out)
		*password_out = pw;
	else
		kdbx_secret_free(&pw);
	*out = key;
	return 0;
fail:
	kdbx_secret_free(&pw);
	kdbx_key_free(&key);
	return ex;
}

static int open_db(const cli_ctx *ctx, kdbx_db **db, kdbx_key **key, int skip_history)
{
	kdbx_open_options opts = KDBX_OPEN_OPTIONS_INIT;
	const char *path = ctx->pos[0];
	int rc, ex;

	*db = NULL;
	*key = NULL;
	if (access(path, F_OK) != 0)
		return cli_error(CLI_EXIT_IO, "%s: %s", path, strerror(errno));
	ex = cli_unlock_key(ctx, path, key, NULL);
	if (ex)
		return ex;
	opts.progress = cli_spinner_progress;
	opts.skip_history = skip_history;
	cli_spinner_start("Unlocking");
	/* Picks a connected device for multi-device databases (cli/cmd_device.c). */
	rc = cli_slots_open(ctx, db, path, *key, &opts, NULL);
	cli_spinner_stop();
	if (rc < 0) {
		ex = cli_fail(rc, path);
		kdbx_key_free(key);
		return ex;
	}
	return 0;
}

int cli_open_db(const cli_ctx *ctx, kdbx_db **db, kdbx_key **key)
{
	return open_db(ctx, db, key, 0);
}

int cli_open_db_to_read(const cli_ctx *ctx, kdbx_db **db, kdbx_key **key)
{
	return open_db(ctx, db, key, 1);
}
