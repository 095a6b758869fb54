/* Hardware / software token unlock options:
 *   --yubikey SLOT[:SERIAL]   YubiKey-compatible HMAC-SHA1 slot 1 or 2; the
 *                             serial may be left out when exactly one key is present
 *   --soft-key ALG:FILE       HMAC secret (sha1 or sha256) read from FILE
 *                             (hex text or raw bytes; /dev/fd/N reads a descriptor)
 *   --pkcs11 URI              PKCS#11 key (RFC 7512 URI; HMAC or RSA signing key
 *                             as a challenge-response key)
 *   --pkcs11-module PATH      module for --pkcs11 (any position on the line)
 *   --fido2 DEVICE|auto[,credential=HEX][,rp=ID]
 *                             FIDO2 key for FIDO2 slots (any connected one by
 *                             default); credential= for kdbxtool "fido2" devices
 *   --tpm2 TCTI               TPM used by a tpm2 slot (default device:/dev/tpmrm0)
 * The secret of a soft key is never taken from the command line itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unlock.h"

/* Providers live until the process exits (keys borrow them). The soft keys are kept with
 * their option argument: the slot providers borrow the same one (cli_unlock_soft_key). */
static kdbx_provider *providers[CLI_UNLOCK_MAX_DEVICES];
static const char *soft_key_args[CLI_UNLOCK_MAX_DEVICES];
static size_t nproviders;

static void on_touch(void *userdata, const char *device)
{
	(void)userdata;
	/* Shown only when the key really waits for its button. */
	fprintf(stderr, "Touch your YubiKey to continue (%s)...\n", device);
}

static const kdbx_interaction cli_interaction = {on_touch, NULL, NULL, NULL};

static int keep(kdbx_provider *p, kdbx_key *key, const char *soft_key_arg)
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
	soft_key_args[nproviders] = soft_key_arg;
	providers[nproviders++] = p;
	return 1;
}

kdbx_provider *cli_unlock_soft_key(const char *arg)
{
	for (size_t i = 0; i < nproviders; i++)
		if (soft_key_args[i] != NULL && strcmp(soft_key_args[i], arg) == 0)
			return providers[i];
	return NULL;
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

/* ---- PKCS#11 ---- */
static const char *p11_module; /* --pkcs11-module, from argv (lives until exit) */

/* Asks the token PIN on the terminal; the prompt names the token and says
 * when it is the final try. */
static int p11_pin(void *userdata, const char *prompt, int retries_left, char *buf, size_t buflen)
{
	kdbx_secret *s = NULL;
	char line[300];

	(void)userdata;
	(void)retries_left;
	snprintf(line, sizeof(line), "%s: ", prompt);
	if (cli_read_secret(line, -1, &s) != 0 || s == NULL)
		return KDBX_ECANCELLED;
	snprintf(buf, buflen, "%s", kdbx_secret_str(s));
	kdbx_secret_free(&s);
	return 0;
}

static void p11_pinpad(void *userdata, const char *what)
{
	(void)userdata;
	fprintf(stderr, "%s\n", what);
}

static const kdbx_interaction p11_interaction = {p11_pinpad, p11_pin, NULL, NULL};

/* The library provider is made at the first challenge, so --pkcs11-module
 * may come after --pkcs11 on the command line. */
typedef struct p11_lazy {
	kdbx_provider parent;
	const char *uri;
	kdbx_provider *inner;
} p11_lazy;

static int p11_lazy_inner(p11_lazy *l)
{
	kdbx_pkcs11_options o = KDBX_PKCS11_OPTIONS_INIT;

	if (l->inner != NULL)
		return KDBX_OK;
	o.uri = l->uri;
	o.module = p11_module;
	o.interaction = &p11_interaction;
	return kdbx_pkcs11_new(&l->inner, &o);
}

static int p11_lazy_respond(kdbx_provider *self, const uint8_t *c, size_t len, kdbx_secret **r)
{
	p11_lazy *l = (p11_lazy *)self;
	int rc = p11_lazy_inner(l);

	return rc < 0 ? rc : kdbx_provider_challenge_response(l->inner, c, len, r);
}

static int p11_lazy_describe(kdbx_provider *self, char *buf, size_t buflen)
{
	p11_lazy *l = (p11_lazy *)self;

	if (p11_lazy_inner(l) < 0) {
		snprintf(buf, buflen, "PKCS#11 %s", l->uri);
		return KDBX_OK;
	}
	return kdbx_provider_describe(l->inner, buf, buflen);
}

static void p11_lazy_free(kdbx_provider *self)
{
	p11_lazy *l = (p11_lazy *)self;

	kdbx_provider_free(&l->inner);
	free(l);
}

int cli_pkcs11_slot_provider(const char *uri, kdbx_slot_provider **out)
{
	kdbx_pkcs11_options o = KDBX_PKCS11_OPTIONS_INIT;

	o.uri = uri;
	o.module = p11_module;
	o.interaction = &p11_interaction;
	return kdbx_pkcs11_slot_provider_new(out, &o);
}

/* ---- TPM 2.0 ---- */
/* --tpm2 SPEC (from argv, lives until exit): the TPM slot unlock uses. */
static const char *tpm2_spec;

/* SPEC = [TCTI][;pcrs=7][;bank=sha256][;pin=1][;handle=0x81000001]: the TCTI
 * ("swtpm:host=127.0.0.1,port=2321"; empty = $KDBX_TPM2_TCTI or
 * device:/dev/tpmrm0), then enrolment options. NULL spec: the --tpm2 one. */
int cli_tpm2_slot_provider(const char *spec, const kdbx_interaction *cb, kdbx_slot_provider **out)
{
	kdbx_tpm2_options o = KDBX_TPM2_OPTIONS_INIT;
	char tcti[256], bank[16];
	const char *semi;
	int rc;

	if (spec == NULL)
		spec = tpm2_spec != NULL ? tpm2_spec : "";
	semi = strchr(spec, ';');
	snprintf(tcti, sizeof(tcti), "%.*s", semi ? (int)(semi - spec) : (int)strlen(spec), spec);
	o.tcti = tcti[0] ? tcti : NULL;
	o.interaction = cb;
	bank[0] = '\0';
	while (semi != NULL) {
		const char *opt = semi + 1, *v;
		size_t n;
		semi = strchr(opt, ';');
		n = semi ? (size_t)(semi - opt) : strlen(opt);
		v = memchr(opt, '=', n);
		if (v == NULL)
			goto bad;
		v++;
		if (strncmp(opt, "pcrs=", 5) == 0) {
			char list[64];
			char *end = NULL;
			snprintf(list, sizeof(list), "%.*s", (int)(n - 5), v);
			for (char *t = strtok_r(list, ",", &end); t != NULL; t = strtok_r(NULL, ",", &end)) {
				unsigned long pcr = strtoul(t, NULL, 10);
				if (pcr > 23 || t[0] < '0' || t[0] > '9')
					goto bad;
				o.pcr_mask |= 1u << pcr;
			}
		} else if (strncmp(opt, "bank=", 5) == 0) {
			snprintf(bank, sizeof(bank), "%.*s", (int)(n - 5), v);
			o.pcr_bank = bank;
		} else if (strncmp(opt, "pin=", 4) == 0) {
			o.pin = v[0] == '1' || v[0] == 'y';
		} else if (strncmp(opt, "handle=", 7) == 0) {
			o.handle = (uint32_t)strtoul(v, NULL, 0);
		} else {
			goto bad;
		}
	}
	rc = kdbx_tpm2_slot_provider_new(out, &o);
	return rc;
bad:
	fprintf(stderr, "kdbx: TPM spec wants [TCTI][;pcrs=7][;bank=sha256][;pin=1][;handle=0x81000001], "
	                "got '%s'\n", spec);
	return KDBX_EINVALID;
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
		return keep(p, key, NULL);
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
		return keep(p, key, arg);
	}
	if (strcmp(opt, "tpm2") == 0) {
		/* A TPM slot is not part of the composite key: the TPM named here is
		 * the one slot unlock (cli_tpm2_slot_provider) talks to. */
		tpm2_spec = arg;
		return 1;
	}
	if (strcmp(opt, "pkcs11-module") == 0) {
		p11_module = arg;
		return 1;
	}
	if (strcmp(opt, "fido2") == 0) {
		/* FIDO2 slots are found by the automatic provider (cli/slot_devices.c);
		 * only a kdbxtool credential id adds a provider to the key. */
		rc = cli_fido2_unlock_option(arg, &p);
		if (rc < 0 || p == NULL)
			return rc < 0 ? rc : 1;
		return keep(p, key, NULL);
	}
	if (strcmp(opt, "pkcs11") == 0) {
		p11_lazy *l;

		if (arg == NULL || strncmp(arg, "pkcs11:", 7) != 0) {
			fprintf(stderr, "kdbx: --pkcs11 wants an RFC 7512 URI (pkcs11:token=...;object=...)\n");
			return KDBX_EINVALID;
		}
		l = calloc(1, sizeof(*l));
		if (l == NULL)
			return KDBX_ENOMEM;
		l->uri = arg;
		l->parent.version = KDBX_PROVIDER_VERSION;
		l->parent.name = "pkcs11";
		l->parent.describe = p11_lazy_describe;
		l->parent.challenge_response = p11_lazy_respond;
		l->parent.free = p11_lazy_free;
		return keep(&l->parent, key, NULL);
	}
	return 0;
}
