/* Shared setup of the TPM integration tests: one private swtpm per test made
 * by scripts/lab/swtpm (own state dir, free loopback port, stopped by PID),
 * tpm2-tools run against it, a PIN callback and quick databases. */
#ifndef KDBX_TESTS_TPM2_LAB_H
#define KDBX_TESTS_TPM2_LAB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kdbx.h>

typedef struct tpm_lab {
	char dir[128];
	char tcti[128];
} tpm_lab;

static const char *tpm_src(void)
{
	const char *src = getenv("KDBX_SOURCE_DIR");
	return src != NULL ? src : ".";
}

/* Starts (or restarts, same state and port) the swtpm in lab->dir. 0 or -1. */
static int tpm_lab_start(tpm_lab *lab)
{
	char cmd[512];
	FILE *f;

	if (lab->dir[0] == '\0') {
		snprintf(lab->dir, sizeof(lab->dir), "/tmp/kdbx-tpm-XXXXXX");
		if (mkdtemp(lab->dir) == NULL)
			return -1;
	}
	snprintf(cmd, sizeof(cmd), "%s/scripts/lab/swtpm start %s", tpm_src(), lab->dir);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(lab->tcti, sizeof(lab->tcti), f) == NULL)
		lab->tcti[0] = '\0';
	lab->tcti[strcspn(lab->tcti, "\n")] = '\0';
	if (pclose(f) != 0 || strncmp(lab->tcti, "swtpm:", 6) != 0)
		return -1;
	return 0;
}

static void tpm_lab_stop(tpm_lab *lab)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s/scripts/lab/swtpm stop %s", tpm_src(), lab->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not stop swtpm in %s\n", lab->dir);
}

static void tpm_lab_clean(tpm_lab *lab)
{
	char cmd[512];

	if (lab->dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "%s/scripts/lab/swtpm %s %s", tpm_src(),
	         getenv("KDBX_KEEP_LAB") != NULL ? "stop" : "clean", lab->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", lab->dir);
	lab->dir[0] = '\0';
}

/* Runs a tpm2-tools command line against the lab TPM (in its dir). */
static int tpm_lab_tool(const tpm_lab *lab, const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cd %s && export TPM2TOOLS_TCTI='%s' && (%s) >/dev/null 2>&1", lab->dir, lab->tcti, args);
	return system(cmd);
}

/* userdata: the PIN to answer with. */
static int tpm_pin_calls;
static int tpm_pin(void *userdata, const char *prompt, int retries_left, char *buf, size_t buflen)
{
	(void)prompt;
	(void)retries_left;
	tpm_pin_calls++;
	snprintf(buf, buflen, "%s", (const char *)userdata);
	return 0;
}

static kdbx_key *tpm_pw_key(const char *pw)
{
	kdbx_key *k = NULL;

	if (kdbx_key_new(&k) != 0 || kdbx_key_set_password(k, pw, strlen(pw)) != 0)
		abort();
	return k;
}

/* A new database with a cheap KDF and one entry. */
static kdbx_db *tpm_quick_db(const char *pw)
{
	kdbx_db *db = NULL;
	kdbx_kdf_params p;
	kdbx_key *k = tpm_pw_key(pw);
	kdbx_entry *e = NULL;

	if (kdbx_db_new(&db, "tpm") != 0 || kdbx_kdf_defaults(&p, KDBX_KDF_AES_KDBX4) != 0)
		abort();
	p.rounds = 100;
	if (kdbx_db_set_kdf(db, &p) != 0 || kdbx_db_set_key(db, k) != 0 ||
	    kdbx_entry_new(&e, kdbx_db_root(db), "hello") != 0)
		abort();
	kdbx_key_free(&k);
	return db;
}

#endif
