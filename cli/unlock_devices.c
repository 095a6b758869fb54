/* Hardware / software token unlock options:
 *   --yubikey SLOT[:SERIAL]   YubiKey-compatible HMAC-SHA1 slot 1 or 2; the
 *                             serial may be left out when exactly one key is present
 *   --soft-key ALG:FILE       HMAC secret (sha1 or sha256) read from FILE
 *                             (hex text or raw bytes; /dev/fd/N reads a descriptor)
 * The secret of a soft key is never taken from the command line itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unlock.h"

/* Providers live until the process exits (keys borrow them). */
static kdbx_provider *providers[CLI_UNLOCK_MAX_DEVICES];
static size_t nproviders;

static void on_touch(void *userdata, const char *device)
{
	(void)userdata;
	/* Shown only when the key really waits for its button. */
	fprintf(stderr, "Touch your YubiKey to continue (%s)...\n", device);
}

static const kdbx_interaction cli_interaction = {on_touch, NULL, NULL, NULL};

static int keep(kdbx_provider *p, kdbx_key *key)
{
	int rc;

	if (nproviders >= CLI_UNLOCK_MAX_DEVICES) {
		kdbx_provider_free(&p);
		return KDBX_EINVALID;
	}
	rc = kdbx_key_add_challenge_response(key, p);
	if (rc < 0) {
		kdbx_provider_free(&p);
		return rc;
	}
	providers[nproviders++] = p;
	return 1;
}

/* SLOT[:SERIAL] with SLOT 1 or 2 and SERIAL a decimal number. */
static int parse_yubikey(const char *arg, int *slot, uint32_t *serial)
{
	char *end = NULL;
	unsigned long v;

	if (arg == NULL || (arg[0] != '1' && arg[0] != '2') || (arg[1] != '\0' && arg[1] != ':'))
		return -1;
	*slot = arg[0] - '0';
	*serial = 0;
	if (arg[1] == '\0')
		return 0;
	if (arg[2] < '0' || arg[2] > '9')
		return -1;
	v = strtoul(arg + 2, &end, 10);
	if (*end != '\0' || v == 0 || v > 0xFFFFFFFFul)
		return -1;
	*serial = (uint32_t)v;
	return 0;
}

int cli_unlock_device_option(const char *opt, const char *arg, kdbx_key *key)
{
	kdbx_provider *p = NULL;
	int rc;

	if (strcmp(opt, "yubikey") == 0) {
		int slot;
		uint32_t serial;

		if (parse_yubikey(arg, &slot, &serial) < 0) {
			fprintf(stderr, "kdbx: --yubikey wants SLOT[:SERIAL] with SLOT 1 or 2, got '%s'\n",
			        arg != NULL ? arg : "");
			return KDBX_EINVALID;
		}
		rc = kdbx_yubikey_new(&p, slot, serial, &cli_interaction);
		if (rc < 0)
			return rc;
		return keep(p, key);
	}
	if (strcmp(opt, "soft-key") == 0) {
		int hash = 0;
		const char *file = NULL;

		if (arg != NULL && strncmp(arg, "sha1:", 5) == 0) {
			hash = KDBX_SOFTKEY_SHA1;
			file = arg + 5;
		} else if (arg != NULL && strncmp(arg, "sha256:", 7) == 0) {
			hash = KDBX_SOFTKEY_SHA256;
			file = arg + 7;
		}
		if (hash == 0 || *file == '\0') {
			fprintf(stderr, "kdbx: --soft-key wants sha1:FILE or sha256:FILE\n");
			return KDBX_EINVALID;
		}
		rc = kdbx_softkey_new(&p, hash, file);
		if (rc < 0)
			return rc;
		return keep(p, key);
	}
	return 0;
}
