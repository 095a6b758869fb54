/* Error reporting (one exit code per error class), formatting helpers and the
 * stderr spinner shown during key derivation. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int cli_exit_code(int code)
{
	switch (code) {
	case KDBX_OK:
		return CLI_EXIT_OK;
	case KDBX_EINVALID:
		return CLI_EXIT_USAGE;
	case KDBX_EAUTH:
		return CLI_EXIT_AUTH;
	case KDBX_ECORRUPT:
	case KDBX_EUNSUPPORTED:
		return CLI_EXIT_CORRUPT;
	case KDBX_ENOTFOUND:
		return CLI_EXIT_NOTFOUND;
	case KDBX_EIO:
		return CLI_EXIT_IO;
	case KDBX_EDEVICE:
	case KDBX_ETIMEOUT:
	case KDBX_ECANCELLED:
	case KDBX_EPIN:
	case KDBX_EPINLOCKED:
	case KDBX_ENOSLOT:
		return CLI_EXIT_DEVICE;
	case KDBX_EKEYFILE:
		return CLI_EXIT_KEYFILE;
	default:
		return CLI_EXIT_OTHER;
	}
}

int cli_fail(int code, const char *what)
{
	const char *msg = kdbx_error_last();
	const char *name = kdbx_strerror(code);

	cli_spinner_stop();
	if (msg && *msg && strcmp(msg, name) != 0)
		fprintf(stderr, "kdbx: %s: %s (%s)\n", what, name, msg);
	else
		fprintf(stderr, "kdbx: %s: %s\n", what, name);
	return cli_exit_code(code);
}

int cli_error(int exit_code, const char *fmt, ...)
{
	va_list ap;

	cli_spinner_stop();
	fputs("kdbx: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return exit_code;
}

void cli_info(const cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx && ctx->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_uuid_str(const kdbx_uuid *u, int braces, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	char *p = buf;

	if (!u) {
		*buf = '\0';
		return;
	}
	if (braces)
		*p++ = '{';
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u->bytes[i] >> 4];
		*p++ = hex[u->bytes[i] & 15];
	}
	if (braces)
		*p++ = '}';
	*p = '\0';
}

/* Seconds between 0001-01-01 and 1970-01-01 (KDBX 4 time base). */
#define KDBX_UNIX_OFFSET 62135596800LL

void cli_time_str(kdbx_time t, char *buf, size_t len)
{
	time_t u;
	struct tm tm;

	if (t == 0) {
		snprintf(buf, len, "%s", "");
		return;
	}
	u = (time_t)(t - KDBX_UNIX_OFFSET);
	if (!gmtime_r(&u, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%s", "");
}

void cli_size_str(size_t n, char *buf, size_t len)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int u = 0;

	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
}

int cli_write_stdout(const void *buf, size_t len)
{
	if (len && fwrite(buf, 1, len, stdout) != len)
		return cli_error(CLI_EXIT_IO, "stdout: %s", strerror(errno));
	if (fflush(stdout) != 0)
		return cli_error(CLI_EXIT_IO, "stdout: %s", strerror(errno));
	return 0;
}

const char *cli_cipher_label(kdbx_cipher c)
{
	switch (c) {
	case KDBX_CIPHER_AES256:
		return "AES 256-bit";
	case KDBX_CIPHER_CHACHA20:
		return "ChaCha20 256-bit";
	case KDBX_CIPHER_TWOFISH:
		return "Twofish 256-bit";
	case KDBX_CIPHER_AES128:
		return "AES 128-bit";
	}
	return "unknown";
}

const char *cli_cipher_id(kdbx_cipher c)
{
	switch (c) {
	case KDBX_CIPHER_AES256:
		return "aes256";
	case KDBX_CIPHER_CHACHA20:
		return "chacha20";
	case KDBX_CIPHER_TWOFISH:
		return "twofish";
	case KDBX_CIPHER_AES128:
		return "aes128";
	}
	return "unknown";
}

const char *cli_kdf_id(kdbx_kdf_type t)
{
	switch (t) {
	case KDBX_KDF_AES_KDBX3:
		return "aes-kdbx3";
	case KDBX_KDF_AES_KDBX4:
		return "aes";
	case KDBX_KDF_ARGON2D:
		return "argon2d";
	case KDBX_KDF_ARGON2ID:
		return "argon2id";
	}
	return "unknown";
}

const char *cli_kdf_label(kdbx_kdf_type t)
{
	switch (t) {
	case KDBX_KDF_AES_KDBX3:
	case KDBX_KDF_AES_KDBX4:
		return "AES";
	case KDBX_KDF_ARGON2D:
		return "Argon2d";
	case KDBX_KDF_ARGON2ID:
		return "Argon2id";
	}
	return "unknown";
}

/* --- spinner: a thread redraws one stderr line every 100 ms --- */
static pthread_mutex_t spin_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t spin_thread;
static int spin_running;
static volatile int spin_stop;
static const char *spin_label;
static int spin_percent = -1;

static void *spin_main(void *arg)
{
	static const char frames[] = "|/-\\";
	unsigned int i = 0;
	(void)arg;

	for (;;) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		int pct, stop;
		pthread_mutex_lock(&spin_lock);
		stop = spin_stop;
		pct = spin_percent;
		pthread_mutex_unlock(&spin_lock);
		if (stop)
			break;
		if (pct >= 0)
			fprintf(stderr, "\r%c %s... %3d%%", frames[i++ % 4], spin_label, pct);
		else
			fprintf(stderr, "\r%c %s...", frames[i++ % 4], spin_label);
		fflush(stderr);
		nanosleep(&ts, NULL);
	}
	/* Erase the line so the next output starts clean. */
	fputs("\r\033[K", stderr);
	fflush(stderr);
	return NULL;
}

void cli_spinner_start(const char *label)
{
	if (spin_running || !isatty(STDERR_FILENO))
		return;
	spin_label = label;
	spin_stop = 0;
	spin_percent = -1;
	if (pthread_create(&spin_thread, NULL, spin_main, NULL) == 0)
		spin_running = 1;
}

void cli_spinner_stop(void)
{
	if (!spin_running)
		return;
	pthread_mutex_lock(&spin_lock);
	spin_stop = 1;
	pthread_mutex_unlock(&spin_lock);
	pthread_join(spin_thread, NULL);
	spin_running = 0;
}

int cli_spinner_progress(double fraction, void *userdata)
{
	(void)userdata;
	pthread_mutex_lock(&spin_lock);
	spin_percent = (int)(fraction * 100.0 + 0.5);
	if (spin_percent > 100)
		spin_percent = 100;
	pthread_mutex_unlock(&spin_lock);
	return 0;
}
