/* kdbx device ... end to end with soft keys: the warning before a file
 * becomes unreadable for other apps, automatic device pick on unlock, list
 * without a password, recovery key, revoke, disable. */
#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pkcs11_lab.h"

static char bin[1024], dir[256];

/* Runs "cd dir && <cmd>" with sh; returns the exit status; output in dir/out, dir/err. */
static int sh(const char *fmt, ...)
{
	char cmd[4096], full[6000];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd %s && K=%s && (%s) >out 2>err", dir, bin, cmd);
	st = system(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int file_has(const char *name, const char *needle)
{
	char path[400], buf[8192];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void test_slots_cli__device_commands(void **state)
{
	(void)state;
	assert_int_equal(sh("printf '3132333435363738393031323334353637383930\\n' > a.key && "
	                    "printf '6161616161616161616161616161616161616161\\n' > b.key"), 0);
	assert_int_equal(sh("printf 'pw\\npw\\n' | $K db-create -p --kdf aes --kdf-iterations 1000 t.kdbx"), 0);
	/* first enrolment: the warning, then the write */
	assert_int_equal(sh("printf 'pw\\n' | $K device enroll t.kdbx --label A --device soft-key:sha1:a.key"), 0);
	assert_true(file_has("err", "WARNING"));
	assert_true(file_has("err", "KeePassXC"));
	/* second one: mode unchanged, no warning; unlocks with A picked automatically */
	assert_int_equal(sh("printf 'pw\\n' | $K device enroll t.kdbx --label B --device soft-key:sha1:b.key "
	                    "--soft-key sha1:a.key"), 0);
	assert_false(file_has("err", "WARNING"));
	assert_int_equal(sh("$K device list --json t.kdbx"), 0);
	assert_true(file_has("out", "\"label\":\"A\""));
	assert_true(file_has("out", "\"mode\":\"slots\""));
	assert_int_equal(sh("printf 'pw\\n' | $K ls t.kdbx --soft-key sha1:b.key"), 0);
	/* the secret from a pipe: read once, for the key and the slots alike */
	assert_int_equal(sh("cat b.key | { printf 'pw\\n' | $K ls t.kdbx --soft-key sha1:/dev/fd/3; } 3<&0"), 0);
	assert_int_equal(sh("printf 'pw\\n' | $K ls t.kdbx"), 6);      /* no device */
	assert_int_equal(sh("printf 'no\\n' | $K ls t.kdbx --soft-key sha1:a.key"), 2); /* wrong password */
	/* recovery key, then a rotation unlocked by it */
	assert_int_equal(sh("printf 'pw\\n' | $K device recovery t.kdbx add --soft-key sha1:a.key > rk"), 0);
	assert_int_equal(sh("printf 'pw\\n' | $K device rotate t.kdbx --recovery-key-fd 3 --device soft-key:sha1:b.key "
	                    "--drop-missing 3<rk"), 0);
	/* A was dropped (not connected), B kept */
	assert_int_equal(sh("printf 'pw\\n' | $K ls t.kdbx --soft-key sha1:a.key"), 6);
	/* the last device cannot be revoked (disable the mode instead) */
	assert_int_equal(sh("printf 'pw\\n' | $K device revoke t.kdbx --label B --soft-key sha1:b.key"), 1);
	assert_true(file_has("err", "no device slot left"));
	assert_int_equal(sh("printf 'pw\\n' | $K device disable t.kdbx --soft-key sha1:b.key"), 0);
	assert_int_equal(sh("printf 'pw\\n' | $K ls t.kdbx"), 0);
	assert_int_equal(sh("$K device list t.kdbx"), 0);
	assert_true(file_has("out", "Mode: none"));
}

/* The alias spellings of `device enroll` build the same slots as --device:
 * --soft-key, --pkcs11 (+ --pkcs11-module) against a private SoftHSM token,
 * the TPM guard (refused as the only device, before any TPM is asked) and
 * the usage errors. */
static void test_slots_cli__enroll_aliases(void **state)
{
	const char *module;

	(void)state;
	if (lab_setup() != 0) {
		lab_dir[0] = '\0';
		skip();
	}
	module = getenv("KDBX_SOFTHSM_MODULE");
	assert_non_null(module);
	(void)lab_pin; /* the CLI asks the PIN itself (stdin) */
	assert_int_equal(sh("printf '3132333435363738393031323334353637383930\\n' > a.key && "
	                    "printf '6161616161616161616161616161616161616161\\n' > b.key"), 0);
	assert_int_equal(sh("rm -f al.kdbx && printf 'pw\\npw\\n' | $K db-create -p --kdf aes --kdf-iterations 1000 al.kdbx"), 0);
	/* TPM as the first and only device: refused, nothing written */
	assert_int_equal(sh("printf 'pw\\n' | $K device enroll al.kdbx -l T --tpm2=swtpm:host=127.0.0.1,port=1 --pcrs 7"), 1);
	assert_true(file_has("err", "another device"));
	assert_true(file_has("err", "--force"));
	assert_int_equal(sh("$K device list al.kdbx"), 0);
	assert_true(file_has("out", "Mode: none"));
	/* usage errors: two devices, --pcrs without --tpm2, --uv without --fido2 */
	assert_int_equal(sh("printf 'pw\\n' | $K device enroll al.kdbx -l X -d soft-key:sha1:a.key --tpm2"), 1);
	assert_true(file_has("err", "one device"));
	assert_int_equal(sh("printf 'pw\\n' | $K device enroll al.kdbx -l X --soft-key sha1:a.key --pcrs 7"), 1);
	assert_int_equal(sh("printf 'pw\\n' | $K device enroll al.kdbx -l X --soft-key sha1:a.key --uv"), 1);
	/* --soft-key names the device to enrol (it is not part of the unlock key) */
	assert_int_equal(sh("printf 'pw\\n' | $K device enroll al.kdbx -l A --soft-key sha1:a.key"), 0);
	assert_int_equal(sh("$K device list --json al.kdbx"), 0);
	assert_true(file_has("out", "\"label\":\"A\""));
	assert_true(file_has("out", "\"type\":\"softkey\""));
	/* the first --soft-key is the new device, the second one unlocks */
	assert_int_equal(sh("printf 'pw\\n' | $K device enroll al.kdbx -l B --soft-key sha1:b.key --soft-key sha1:a.key"), 0);
	assert_int_equal(sh("printf 'pw\\n' | $K ls al.kdbx --soft-key sha1:b.key"), 0);
	/* --pkcs11 URI with --pkcs11-module: an EC slot on the SoftHSM token */
	assert_int_equal(sh("printf 'pw\\n1234\\n' | $K device enroll al.kdbx -l P --pkcs11 "
	                    "'pkcs11:token=test;object=ec256' --pkcs11-module %s --soft-key sha1:a.key", module), 0);
	assert_int_equal(sh("$K device list --json al.kdbx"), 0);
	assert_true(file_has("out", "\"label\":\"P\""));
	assert_true(file_has("out", "\"type\":\"pkcs11\""));
	/* the token alone (PIN 1234) opens it; a wrong PIN does not */
	assert_int_equal(sh("printf 'pw\\n1234\\n' | $K ls al.kdbx --pkcs11-module %s", module), 0);
	assert_int_not_equal(sh("printf 'pw\\n0000\\n' | $K ls al.kdbx --pkcs11-module %s", module), 0);
	/* -d keeps working next to the aliases: same slot as --soft-key */
	assert_int_equal(sh("printf 'pw\\n1234\\n' | $K device enroll al.kdbx -l D -d soft-key:sha256:b.key "
	                    "--pkcs11-module %s", module), 0);
	assert_int_equal(sh("$K device list al.kdbx"), 0);
	assert_true(file_has("out", " D "));
	lab_teardown();
}

int main(void)
{
	char exe[1024];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_cli__device_commands),
		cmocka_unit_test(test_slots_cli__enroll_aliases),
	};
	int rc;

	if (n <= 0)
		return 77;
	exe[n] = '\0';
	snprintf(bin, sizeof(bin), "%s/../../kdbx", dirname(exe));
	if (access(bin, X_OK) != 0) {
		printf("skipped: kdbx binary not built next to the tests (%s)\n", bin);
		return 77;
	}
	snprintf(dir, sizeof(dir), "/tmp/kdbx-slots-cli-%ld", (long)getpid());
	if (system("true") != 0)
		return 77;
	{
		char mk[300];
		snprintf(mk, sizeof(mk), "mkdir -p %s", dir);
		if (system(mk) != 0)
			return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char rm[300];
		snprintf(rm, sizeof(rm), "rm -rf %s", dir);
		if (system(rm) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return rc;
}
