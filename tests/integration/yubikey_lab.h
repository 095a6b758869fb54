/* Helpers shared by the YubiKey integration tests: start/stop the emulated
 * PC/SC key (scripts/lab/yubikey-pcsc) in a private directory. */
#ifndef KDBX_TESTS_YUBIKEY_LAB_H
#define KDBX_TESTS_YUBIKEY_LAB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LAB_SECRET "1ce30fd78d20dcfa40b50c18779afb0f02288db7"
#define LAB_OTHER_SECRET "00112233445566778899aabbccddeeff00112233"
#define LAB_SERIAL 424242u

static char lab_dir[256];
static char lab_script[512];
static char lab_secret_file[300];
static char lab_other_file[300];

/* Runs "yubikey-pcsc SUB DIR OPTS" quietly; returns its exit status. */
static int lab_run(const char *sub, const char *opts)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "%s %s %s %s >/dev/null", lab_script, sub, lab_dir,
	         opts != NULL ? opts : "");
	return system(cmd);
}

static void lab_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

/* Exits 77 (skip) when the stack cannot run here; the reason is printed. */
static void lab_prepare(const char *name)
{
	const char *src = getenv("KDBX_SOURCE_DIR");

	if (src == NULL)
		src = ".";
	snprintf(lab_script, sizeof(lab_script), "%s/scripts/lab/yubikey-pcsc", src);
	if (access(lab_script, X_OK) != 0 || access("/usr/sbin/pcscd", X_OK) != 0 ||
	    access("/usr/lib/pcsc/drivers/serial/libifdvpcd.so", R_OK) != 0) {
		printf("skipped: pcscd/vpcd or %s missing (scripts/install-deps)\n", lab_script);
		exit(77);
	}
	if (geteuid() != 0) {
		printf("skipped: the PC/SC lab needs root for its network namespace\n");
		exit(77);
	}
	snprintf(lab_dir, sizeof(lab_dir), "/tmp/kdbx-%s-%ld", name, (long)getpid());
	mkdir(lab_dir, 0700);
	snprintf(lab_secret_file, sizeof(lab_secret_file), "%s/secret", lab_dir);
	snprintf(lab_other_file, sizeof(lab_other_file), "%s/other", lab_dir);
	lab_write(lab_secret_file, LAB_SECRET "\n");
	lab_write(lab_other_file, LAB_OTHER_SECRET "\n");
	{
		char env[400];

		snprintf(env, sizeof(env), "%s/run/pcscd/pcscd.comm", lab_dir);
		setenv("PCSCLITE_CSOCK_NAME", env, 1);
	}
}

/* Starts pcscd + a card; opts are extra card options. */
static int lab_start(const char *opts)
{
	return lab_run("start", opts);
}

static int lab_card(const char *opts)
{
	return lab_run("card-start", opts);
}

static int lab_card_stop(void)
{
	return lab_run("card-stop", NULL);
}

static void lab_stop(void)
{
	char cmd[600];

	if (lab_dir[0] == '\0')
		return;
	lab_run("stop", NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", lab_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", lab_dir);
}

#endif
