/* Shared setup of the PKCS#11 integration tests: a private SoftHSM2 token made
 * by scripts/lab/softhsm in a fresh temporary directory, its environment
 * exported into this process, and a PIN callback. */
#ifndef KDBX_TESTS_PKCS11_LAB_H
#define KDBX_TESTS_PKCS11_LAB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kdbx.h>

#define LAB_PIN "1234"

static char lab_dir[256];
static const char *lab_module = "/usr/lib/softhsm/libsofthsm2.so";

/* Returns 0, or 77 (skip) when the lab cannot be built. */
static int lab_setup(void)
{
	const char *src = getenv("KDBX_SOURCE_DIR");
	char cmd[1024], line[512];
	FILE *f;

	if (src == NULL)
		src = ".";
	snprintf(lab_dir, sizeof(lab_dir), "/tmp/kdbx-p11-XXXXXX");
	if (mkdtemp(lab_dir) == NULL)
		return 77;
	snprintf(cmd, sizeof(cmd), "%s/scripts/lab/softhsm setup %s", src, lab_dir);
	f = popen(cmd, "r");
	if (f == NULL)
		return 77;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *eq = strchr(line, '=');

		line[strcspn(line, "\n")] = '\0';
		if (eq == NULL)
			continue;
		*eq = '\0';
		setenv(line, eq + 1, 1);
	}
	if (pclose(f) != 0) {
		fprintf(stderr, "skipped: scripts/lab/softhsm setup failed (softhsm2/opensc missing?)\n");
		return 77;
	}
	if (getenv("KDBX_SOFTHSM_MODULE") != NULL)
		lab_module = getenv("KDBX_SOFTHSM_MODULE");
	return 0;
}

static void lab_teardown(void)
{
	const char *src = getenv("KDBX_SOURCE_DIR");
	char cmd[1024];

	if (lab_dir[0] == '\0' || getenv("KDBX_KEEP_LAB") != NULL)
		return;
	snprintf(cmd, sizeof(cmd), "%s/scripts/lab/softhsm clean %s", src ? src : ".", lab_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", lab_dir);
}

static int lab_pin_calls;

/* userdata: the PIN to answer with. */
static int lab_pin(void *userdata, const char *prompt, int retries_left, char *buf, size_t buflen)
{
	(void)prompt;
	(void)retries_left;
	lab_pin_calls++;
	snprintf(buf, buflen, "%s", (const char *)userdata);
	return 0;
}

#endif
