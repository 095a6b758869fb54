/* kdbx device enroll|list|revoke|rotate|recovery|policy|disable|convert:
 * multi-device enrolment (include/kdbx/slots.h, docs/multi-device-format.md).
 * Also the automatic device unlock used by every command (cli_slots_open):
 * for a database in kdbxtool mode (2) or our slot format (3) it offers the
 * library every built-in slot provider; the library asks only the connected
 * devices that match a slot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kdbx/tpm2.h>

#include "cli.h"

enum {
	OPT_LABEL = 100,
	OPT_DEVICE,
	OPT_MODE,
	OPT_DROP_MISSING,
	OPT_THRESHOLD,
	OPT_DEVICE_ONLY,
	OPT_WITH_PASSWORD,
	OPT_YES,
	OPT_RECOVERY_FD,
	OPT_TO,
	OPT_SET_PASSWORD,
	OPT_E_TPM2,
	OPT_E_PCRS,
	OPT_E_PIN,
	OPT_E_FIDO2,
	OPT_E_RP_ID,
	OPT_E_UV,
	OPT_FORCE
};

static void on_touch(void *userdata, const char *device)
{
	(void)userdata;
	fprintf(stderr, "Touch your device to continue (%s)...\n", device != NULL ? device : "");
}

static int on_pin(void *userdata, const char *prompt, int retries_left, char *buf, size_t buflen)
{
	kdbx_secret *s = NULL;
	char p[300];

	(void)userdata;
	if (retries_left >= 0)
		snprintf(p, sizeof(p), "%s (%d tries left): ", prompt != NULL ? prompt : "PIN", retries_left);
	else
		snprintf(p, sizeof(p), "%s: ", prompt != NULL ? prompt : "PIN");
	if (cli_read_secret(p, -1, &s) != 0)
		return KDBX_ECANCELLED;
	if (kdbx_secret_len(s) + 1 > buflen) {
		kdbx_secret_free(&s);
		return KDBX_ECANCELLED;
	}
	memcpy(buf, kdbx_secret_str(s), kdbx_secret_len(s) + 1);
	kdbx_secret_free(&s);
	return 0;
}

static const kdbx_interaction interaction = {on_touch, on_pin, NULL, NULL};

/* Hooks for the PKCS#11 / FIDO2 / TPM front ends (weak: a build without them
 * still links; one pair per family so they never collide).
 * cli_slot_device_spec_<family>: makes a slot provider from a --device SPEC
 * it owns ("fido2:...", "pkcs11:...", "tpm2:..."); returns 1 when it handled
 * spec, 0 when not, or a negative KDBX_E* code.
 * cli_slot_providers_auto_<family>: adds the providers that find their
 * devices from slot metadata alone (automatic unlock, revoke, rotate). */
typedef int (*spec_fn)(const char *, const kdbx_interaction *, kdbx_slot_provider **);
typedef int (*auto_fn)(kdbx_slot_providers *, const kdbx_interaction *);
int cli_slot_device_spec_fido2(const char *spec, const kdbx_interaction *cb, kdbx_slot_provider **out)
	__attribute__((weak));
int cli_slot_device_spec_pkcs11(const char *spec, const kdbx_interaction *cb, kdbx_slot_provider **out)
	__attribute__((weak));
int cli_slot_device_spec_tpm2(const char *spec, const kdbx_interaction *cb, kdbx_slot_provider **out)
	__attribute__((weak));
int cli_slot_providers_auto_fido2(kdbx_slot_providers *set, const kdbx_interaction *cb) __attribute__((weak));
int cli_slot_providers_auto_pkcs11(kdbx_slot_providers *set, const kdbx_interaction *cb) __attribute__((weak));
int cli_slot_providers_auto_tpm2(kdbx_slot_providers *set, const kdbx_interaction *cb) __attribute__((weak));
/* The generic pair (cli/slot_devices.c dispatches PKCS#11 and TPM there). */
int cli_slot_device_spec(const char *spec, const kdbx_interaction *cb, kdbx_slot_provider **out)
	__attribute__((weak));
int cli_slot_providers_auto(kdbx_slot_providers *set, const kdbx_interaction *cb) __attribute__((weak));

static int hook_spec(const char *spec, kdbx_slot_provider **out)
{
	spec_fn f[4] = {cli_slot_device_spec, cli_slot_device_spec_fido2, cli_slot_device_spec_pkcs11,
	                cli_slot_device_spec_tpm2};

	for (size_t i = 0; i < 4; i++) {
		int rc = f[i] != NULL ? f[i](spec, &interaction, out) : 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int hook_auto(kdbx_slot_providers *set)
{
	auto_fn f[4] = {cli_slot_providers_auto, cli_slot_providers_auto_fido2, cli_slot_providers_auto_pkcs11,
	                cli_slot_providers_auto_tpm2};

	for (size_t i = 0; i < 4; i++) {
		int rc = f[i] != NULL ? f[i](set, &interaction) : 0;
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* --device SPEC: yubikey:SLOT[:SERIAL] | soft-key:sha1:FILE | soft-key:sha256:FILE | (hooks). */
static int device_from_spec(const char *spec, kdbx_slot_provider **out)
{
	int rc;

	*out = NULL;
	if (strncmp(spec, "yubikey:", 8) == 0) {
		const char *a = spec + 8;
		char *end = NULL;
		unsigned long serial = 0;
		if ((a[0] != '1' && a[0] != '2') || (a[1] != '\0' && a[1] != ':'))
			return cli_error(CLI_EXIT_USAGE, "--device yubikey:SLOT[:SERIAL], SLOT 1 or 2");
		if (a[1] == ':') {
			errno = 0;
			serial = strtoul(a + 2, &end, 10);
			if (errno != 0 || *end != '\0' || serial == 0 || serial > 0xFFFFFFFFul)
				return cli_error(CLI_EXIT_USAGE, "--device yubikey: bad serial '%s'", a + 2);
		}
		rc = kdbx_yubikey_slot_provider_new(out, a[0] - '0', (uint32_t)serial, &interaction);
		return rc < 0 ? cli_fail(rc, "--device") : 0;
	}
	if (strncmp(spec, "soft-key:", 9) == 0) {
		const char *a = spec + 9;
		int hash = strncmp(a, "sha1:", 5) == 0 ? KDBX_SOFTKEY_SHA1 : strncmp(a, "sha256:", 7) == 0 ? KDBX_SOFTKEY_SHA256 : 0;
		kdbx_provider *p = NULL;
		if (hash == 0)
			return cli_error(CLI_EXIT_USAGE, "--device soft-key:sha1:FILE or soft-key:sha256:FILE");
		rc = kdbx_softkey_new(&p, hash, a + (hash == KDBX_SOFTKEY_SHA1 ? 5 : 7));
		if (rc == 0)
			rc = kdbx_slot_provider_from_cr(out, p, "softkey", KDBX_CR_ADAPTER_OWN | KDBX_CR_ADAPTER_FINGERPRINT);
		if (rc < 0) {
			kdbx_provider_free(&p);
			return cli_fail(rc, "--device soft-key");
		}
		return 0;
	}
	rc = hook_spec(spec, out);
	if (rc > 0)
		return 0;
	if (rc < 0)
		return cli_fail(rc, "--device");
	return cli_error(CLI_EXIT_USAGE, "--device '%s': unknown device type (yubikey:SLOT[:SERIAL], "
	                 "soft-key:ALG:FILE, or fido2:/pkcs11:/tpm2: when built in)", spec);
}

/* The providers for unlocking / rekeying: every --device, the soft keys of
 * the unlock options, a YubiKey provider (finds keys by stored serial) and
 * whatever the other device front ends add. */
static int build_set(const cli_ctx *ctx, int with_devices, kdbx_slot_providers **out)
{
	kdbx_slot_providers *set = NULL;
	kdbx_slot_provider *p = NULL;
	size_t it = 0;
	const char *spec;
	int rc, ex;

	*out = NULL;
	if ((rc = kdbx_slot_providers_new(&set)) < 0)
		return cli_fail(rc, "devices");
	while (with_devices && (spec = cli_opt_next(ctx, OPT_DEVICE, &it)) != NULL) {
		if ((ex = device_from_spec(spec, &p)) != 0)
			goto fail;
		if ((rc = kdbx_slot_providers_add(set, p)) < 0) {
			kdbx_slot_provider_free(&p);
			ex = cli_fail(rc, "devices");
			goto fail;
		}
	}
	for (size_t i = 0; i < ctx->unlock.ndev; i++) {
		if (strcmp(ctx->unlock.dev[i].opt, "soft-key") != 0 || ctx->unlock.dev[i].arg == NULL)
			continue;
		/* The key's own provider, borrowed: its secret is not read again. Every caller
		 * built the key first (cli_unlock_key), which made one for each --soft-key. */
		kdbx_provider *cr = cli_unlock_soft_key(ctx->unlock.dev[i].arg);
		if (cr == NULL)
			continue;
		if ((rc = kdbx_slot_provider_from_cr(&p, cr, "softkey", KDBX_CR_ADAPTER_FINGERPRINT)) < 0) {
			ex = cli_fail(rc, "--soft-key");
			goto fail;
		}
		if ((rc = kdbx_slot_providers_add(set, p)) < 0) {
			kdbx_slot_provider_free(&p);
			ex = cli_fail(rc, "devices");
			goto fail;
		}
	}
	if (kdbx_yubikey_slot_provider_new(&p, 2, 0, &interaction) == 0 && kdbx_slot_providers_add(set, p) < 0)
		kdbx_slot_provider_free(&p);
	if ((rc = hook_auto(set)) < 0) {
		ex = cli_fail(rc, "devices");
		goto fail;
	}
	*out = set;
	return 0;
fail:
	kdbx_slot_providers_free(&set);
	return ex;
}

/* Providers stay alive for the whole process: a db opened in KeePassXC mode
 * after a conversion borrows one. */
static kdbx_slot_providers *kept_sets[8];
static size_t nkept;

static void keep_set(kdbx_slot_providers *s)
{
	if (nkept < sizeof(kept_sets) / sizeof(kept_sets[0]))
		kept_sets[nkept++] = s;
}

int cli_slots_open(const cli_ctx *ctx, kdbx_db **db, const char *path, const kdbx_key *key,
                   const kdbx_open_options *opts, const char *recovery)
{
	kdbx_slot_open_options o = KDBX_SLOT_OPEN_OPTIONS_INIT;
	kdbx_slot_providers *set = NULL;
	kdbx_slot_mode mode = KDBX_MODE_NONE;
	int ex, rc;

	if (kdbx_slots_file_mode(path, &mode) < 0 || (mode != KDBX_MODE_KDBXTOOL && mode != KDBX_MODE_SLOTS)) {
		kdbx_error_clear();
		return kdbx_db_open(db, path, key, opts);
	}
	if ((ex = build_set(ctx, strncmp(ctx->cmd->name, "device ", 7) == 0, &set)) != 0)
		return KDBX_EINVALID;
	o.providers = set;
	o.interaction = &interaction;
	o.open = opts;
	o.recovery_key = recovery;
	rc = kdbx_slots_open(db, path, key, &o);
	keep_set(set);
	return rc;
}

/* ---- helpers ---- */

static int read_recovery(const cli_ctx *ctx, kdbx_secret **rk)
{
	const char *fd = cli_opt_arg(ctx, OPT_RECOVERY_FD);
	unsigned long long v;

	*rk = NULL;
	if (fd == NULL)
		return 0;
	if (cli_parse_uint(fd, 0, 1024 * 1024, &v) < 0)
		return cli_error(CLI_EXIT_USAGE, "--recovery-key-fd: not a descriptor: %s", fd);
	return cli_read_secret("Recovery key: ", (int)v, rk);
}

/* Opens DATABASE through slots (recovery key if --recovery-key-fd). */
static int open_db(const cli_ctx *ctx, kdbx_db **db, kdbx_key **key)
{
	kdbx_open_options opts = KDBX_OPEN_OPTIONS_INIT;
	kdbx_secret *rk = NULL;
	int ex, rc;

	*db = NULL;
	*key = NULL;
	if (access(ctx->pos[0], F_OK) != 0)
		return cli_error(CLI_EXIT_IO, "%s: %s", ctx->pos[0], strerror(errno));
	if ((ex = read_recovery(ctx, &rk)) != 0)
		return ex;
	if ((ex = cli_unlock_key(ctx, ctx->pos[0], key, NULL)) != 0) {
		kdbx_secret_free(&rk);
		return ex;
	}
	opts.progress = cli_spinner_progress;
	cli_spinner_start("Unlocking");
	rc = cli_slots_open(ctx, db, ctx->pos[0], *key, &opts, rk != NULL ? kdbx_secret_str(rk) : NULL);
	cli_spinner_stop();
	kdbx_secret_free(&rk);
	if (rc < 0) {
		kdbx_key_free(key);
		return cli_fail(rc, ctx->pos[0]);
	}
	return 0;
}

static const char *mode_name(kdbx_slot_mode m)
{
	switch (m) {
	case KDBX_MODE_KEEPASSXC:
		return "keepassxc";
	case KDBX_MODE_KDBXTOOL:
		return "kdbxtool";
	case KDBX_MODE_SLOTS:
		return "slots";
	default:
		return "none";
	}
}

/* The warning comes before anything is written (and before the device is
 * asked); without --yes on a terminal the user confirms. */
static int warn_mode(const cli_ctx *ctx, kdbx_slot_mode from, kdbx_slot_mode to)
{
	const char *w = kdbx_slots_mode_warning(to);
	char line[16];

	if (w == NULL || from == to)
		return 0;
	fprintf(stderr, "WARNING: %s.\n", w);
	if (cli_opt_count(ctx, OPT_YES) > 0 || !isatty(STDIN_FILENO))
		return 0;
	fprintf(stderr, "Continue? [y/N] ");
	if (fgets(line, sizeof(line), stdin) == NULL || (line[0] != 'y' && line[0] != 'Y'))
		return cli_error(CLI_EXIT_USAGE, "cancelled; nothing was written");
	return 0;
}

#define COMMON_DEVICE_OPTION                                                                 \
	{OPT_DEVICE, 'd', "device", "SPEC",                                                  \
	 "Device: yubikey:SLOT[:SERIAL], soft-key:sha1:FILE, soft-key:sha256:FILE, or what the " \
	 "fido2/pkcs11/tpm2 front ends accept (repeatable)."}

/* ---- enroll ---- */

static const cli_option enroll_opts[] = {
	{OPT_LABEL, 'l', "label", "LABEL", "Label of the new slot (unique)."},
	COMMON_DEVICE_OPTION,
	{OPT_E_TPM2, 0, "tpm2", "[TCTI]",
	 "Enrol the TPM 2.0 at TCTI (default $KDBX_TPM2_TCTI or device:/dev/tpmrm0)."},
	{OPT_E_PCRS, 0, "pcrs", "LIST", "With --tpm2: bind to these PCRs (e.g. 0,7; sha256 bank)."},
	{OPT_E_PIN, 0, "pin", NULL, "With --tpm2: protect the TPM key with a PIN (asked now and at unlock)."},
	{OPT_E_FIDO2, 0, "fido2", "[DEVICE]", "Enrol a FIDO2 key (hmac-secret); default: the one connected."},
	{OPT_E_RP_ID, 0, "rp-id", "ID", "With --fido2: relying party id of the new credential."},
	{OPT_E_UV, 0, "uv", NULL, "With --fido2: require user verification (PIN or biometrics)."},
	{OPT_FORCE, 0, "force", NULL, "Allow a TPM as the only device (it dies with its machine)."},
	{OPT_MODE, 0, "mode", "MODE", "Format for a first enrolment: slots (default) or kdbxtool."},
	{OPT_YES, 0, "yes", NULL, "Do not ask before making the file unreadable for other apps."},
	{OPT_RECOVERY_FD, 0, "recovery-key-fd", "N", "Unlock with the recovery key read from descriptor N."},
	{0, 0, NULL, NULL, NULL}};

/* The device to enrol as a SPEC (the --device syntax), from -d/--device or
 * from the alias options: --yubikey SLOT[:SERIAL], --soft-key ALG:FILE,
 * --pkcs11 URI (unlock options: the first one names the device to enrol and
 * is taken out of the unlock key, later ones still unlock), --tpm2 [TCTI]
 * (+ --pcrs, --pin), --fido2 [DEVICE] (+ --rp-id, --uv). Returns an exit code. */
static int enrol_spec(cli_ctx *ctx, char *spec, size_t cap)
{
	const char *dev = cli_opt_arg(ctx, OPT_DEVICE);
	const char *tpm = cli_opt_arg(ctx, OPT_E_TPM2), *fido = cli_opt_arg(ctx, OPT_E_FIDO2);
	const char *pcrs = cli_opt_arg(ctx, OPT_E_PCRS), *rp = cli_opt_arg(ctx, OPT_E_RP_ID);
	int n = cli_opt_count(ctx, OPT_DEVICE) + (tpm != NULL) + (fido != NULL);
	size_t alias = ctx->unlock.ndev;
	int len;

	if (cli_opt_count(ctx, OPT_E_TPM2) > 1 || cli_opt_count(ctx, OPT_E_FIDO2) > 1)
		return cli_error(CLI_EXIT_USAGE, "device enroll: one device at a time");
	if ((pcrs != NULL || cli_opt_count(ctx, OPT_E_PIN)) && tpm == NULL)
		return cli_error(CLI_EXIT_USAGE, "--pcrs and --pin go with --tpm2");
	if ((rp != NULL || cli_opt_count(ctx, OPT_E_UV)) && fido == NULL)
		return cli_error(CLI_EXIT_USAGE, "--rp-id and --uv go with --fido2");
	if (n == 0) {
		for (size_t i = 0; alias == ctx->unlock.ndev && i < ctx->unlock.ndev; i++)
			if (ctx->unlock.dev[i].arg != NULL && (strcmp(ctx->unlock.dev[i].opt, "yubikey") == 0 ||
			                                       strcmp(ctx->unlock.dev[i].opt, "soft-key") == 0 ||
			                                       strcmp(ctx->unlock.dev[i].opt, "pkcs11") == 0))
				alias = i;
		n = alias < ctx->unlock.ndev;
	}
	if (n != 1)
		return cli_error(CLI_EXIT_USAGE, "device enroll needs one device: --device SPEC, --yubikey, "
		                 "--soft-key, --pkcs11, --tpm2 or --fido2");
	if (dev != NULL) {
		len = snprintf(spec, cap, "%s", dev);
	} else if (tpm != NULL) {
		len = snprintf(spec, cap, "tpm2:%s%s%s%s", tpm, pcrs != NULL ? ";pcrs=" : "", pcrs != NULL ? pcrs : "",
		               cli_opt_count(ctx, OPT_E_PIN) ? ";pin=1" : "");
		/* The same TPM unlocks the tpm2 slots already there. */
		if (tpm[0] != '\0')
			(void)cli_unlock_device_option("tpm2", tpm, NULL);
	} else if (fido != NULL) {
		len = snprintf(spec, cap, "fido2:%s%s%s%s", fido, rp != NULL ? ",rp=" : "", rp != NULL ? rp : "",
		               cli_opt_count(ctx, OPT_E_UV) ? ",uv=yes" : "");
	} else {
		const char *o = ctx->unlock.dev[alias].opt;
		len = snprintf(spec, cap, "%s:%s", o, ctx->unlock.dev[alias].arg);
		/* The new device is not part of the key that opens the database. */
		memmove(&ctx->unlock.dev[alias], &ctx->unlock.dev[alias + 1],
		        (ctx->unlock.ndev - alias - 1) * sizeof(ctx->unlock.dev[0]));
		ctx->unlock.ndev--;
	}
	if (len < 0 || (size_t)len >= cap)
		return cli_error(CLI_EXIT_USAGE, "device enroll: device spec too long");
	/* --pkcs11-module must be known before the provider is made. */
	for (size_t i = 0; i < ctx->unlock.ndev; i++)
		if (strcmp(ctx->unlock.dev[i].opt, "pkcs11-module") == 0)
			(void)cli_unlock_device_option("pkcs11-module", ctx->unlock.dev[i].arg, NULL);
	return 0;
}

static int run_enroll(cli_ctx *ctx)
{
	kdbx_slot_enrol_options eo = KDBX_SLOT_ENROL_OPTIONS_INIT;
	const char *label = cli_opt_arg(ctx, OPT_LABEL), *mode = cli_opt_arg(ctx, OPT_MODE);
	char spec[1200];
	kdbx_slot_provider *p = NULL;
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	kdbx_slot_mode from, to;
	uint32_t id = 0;
	int ex, rc;

	if (label == NULL)
		return cli_error(CLI_EXIT_USAGE, "device enroll needs --label");
	if ((ex = enrol_spec(ctx, spec, sizeof(spec))) != 0)
		return ex;
	if (mode != NULL && strcmp(mode, "slots") != 0 && strcmp(mode, "kdbxtool") != 0)
		return cli_error(CLI_EXIT_USAGE, "--mode slots or kdbxtool");
	if ((ex = device_from_spec(spec, &p)) != 0)
		return ex;
	if ((ex = open_db(ctx, &db, &key)) != 0)
		goto out;
	from = kdbx_slots_mode(db);
	to = mode != NULL && strcmp(mode, "kdbxtool") == 0 ? KDBX_MODE_KDBXTOOL
	   : from == KDBX_MODE_KDBXTOOL && mode == NULL ? KDBX_MODE_KDBXTOOL : KDBX_MODE_SLOTS;
	if ((ex = warn_mode(ctx, from, to)) != 0)
		goto out;
	/* A TPM dies with its machine: never the only way in unless forced. */
	if (strncmp(spec, "tpm2", 4) == 0 && (spec[4] == '\0' || spec[4] == ':') &&
	    (rc = kdbx_tpm2_enrol_check(db, cli_opt_count(ctx, OPT_FORCE) > 0)) < 0) {
		ex = cli_fail(rc, "enroll");
		fprintf(stderr, "kdbx: nothing was written; --force enrols the TPM anyway.\n");
		goto out;
	}
	if (strncmp(spec, "tpm2", 4) == 0 && cli_opt_count(ctx, OPT_FORCE) > 0 && kdbx_tpm2_enrol_check(db, 0) < 0) {
		kdbx_error_clear();
		fprintf(stderr, "WARNING: the TPM is the only device: if this machine or its TPM is lost or "
		                "reset, the database cannot be opened. Add a recovery key or another device.\n");
	}
	eo.mode = to;
	eo.label = label;
	eo.interaction = &interaction;
	rc = kdbx_slots_enrol(db, p, &eo, &id);
	if (rc < 0) {
		ex = cli_fail(rc, "enroll");
		goto out;
	}
	if ((ex = cli_save(ctx, db, ctx->pos[0])) != 0)
		goto out;
	cli_info(ctx, "Enrolled \"%s\" (slot %u, %s format).", label, (unsigned)id, mode_name(to));
out:
	kdbx_slot_provider_free(&p);
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

/* ---- list ---- */

static int run_list(cli_ctx *ctx)
{
	kdbx_slot_info *l = NULL;
	kdbx_slot_mode mode = KDBX_MODE_NONE;
	size_t n = 0;
	char c[32], u[32];
	int rc;

	/* Header only: no password, no device. */
	if ((rc = kdbx_slots_file_mode(ctx->pos[0], &mode)) < 0 || (rc = kdbx_slots_list_file(ctx->pos[0], &l, &n)) < 0)
		return cli_fail(rc, ctx->pos[0]);
	if (ctx->json) {
		json_begin_object();
		json_kv_string("mode", mode_name(mode));
		json_key("slots");
		json_begin_array();
		for (size_t i = 0; i < n; i++) {
			cli_time_str(l[i].created, c, sizeof(c));
			cli_time_str(l[i].last_used, u, sizeof(u));
			json_begin_object();
			json_kv_int("id", l[i].id);
			json_kv_string("label", l[i].label);
			json_kv_string("type", l[i].type);
			json_kv_string("device_id", l[i].device_id);
			json_kv_string("created", c[0] ? c : NULL);
			json_kv_string("last_used", u[0] ? u : NULL);
			json_kv_bool("recovery", (l[i].flags & KDBX_SLOT_F_RECOVERY) != 0);
			json_kv_bool("public_key", (l[i].flags & KDBX_SLOT_F_PUBKEY) != 0);
			json_end_object();
		}
		json_end_array();
		json_end_object();
		json_finish();
	} else {
		printf("Mode: %s\n", mode_name(mode));
		for (size_t i = 0; i < n; i++) {
			cli_time_str(l[i].created, c, sizeof(c));
			cli_time_str(l[i].last_used, u, sizeof(u));
			printf("%3u  %-24s %-14s %-28s created %-20s last used %s\n", (unsigned)l[i].id, l[i].label,
			       l[i].type, l[i].device_id, c[0] ? c : "-", u[0] ? u : "never");
		}
	}
	kdbx_slots_list_free(&l);
	return 0;
}

/* ---- revoke / rotate ---- */

static const cli_option revoke_opts[] = {
	{OPT_LABEL, 'l', "label", "LABEL", "Slot to revoke."},
	COMMON_DEVICE_OPTION,
	{OPT_DROP_MISSING, 0, "drop-missing", NULL,
	 "Drop the other symmetric slots whose device is not connected (instead of failing)."},
	{OPT_RECOVERY_FD, 0, "recovery-key-fd", "N", "Unlock with the recovery key read from descriptor N."},
	{0, 0, NULL, NULL, NULL}};

static int rekey_cmd(cli_ctx *ctx, const char *label)
{
	kdbx_slot_providers *set = NULL;
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	int ex, rc;

	if ((ex = open_db(ctx, &db, &key)) != 0)
		return ex;
	if ((ex = build_set(ctx, 1, &set)) != 0)
		goto out;
	rc = label != NULL ? kdbx_slots_revoke(db, label, set, cli_opt_count(ctx, OPT_DROP_MISSING) > 0, &interaction)
	                   : kdbx_slots_rotate(db, set, cli_opt_count(ctx, OPT_DROP_MISSING) > 0, &interaction);
	if (rc < 0) {
		ex = cli_fail(rc, label != NULL ? "revoke" : "rotate");
		goto out;
	}
	if ((ex = cli_save(ctx, db, ctx->pos[0])) != 0)
		goto out;
	cli_info(ctx, "%s; the key-encryption key was rotated. Recovery keys are not carried over: make a "
	         "new one with 'kdbx device recovery DATABASE add'.", label != NULL ? "Revoked" : "Rotated");
out:
	kdbx_slot_providers_free(&set);
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

static int run_revoke(cli_ctx *ctx)
{
	const char *label = cli_opt_arg(ctx, OPT_LABEL);

	if (label == NULL)
		return cli_error(CLI_EXIT_USAGE, "device revoke needs --label");
	return rekey_cmd(ctx, label);
}

static int run_rotate(cli_ctx *ctx)
{
	return rekey_cmd(ctx, NULL);
}

/* ---- recovery ---- */

static const cli_option recovery_opts[] = {
	{OPT_RECOVERY_FD, 0, "recovery-key-fd", "N", "Unlock with the recovery key read from descriptor N."},
	{0, 0, NULL, NULL, NULL}};

static int run_recovery(cli_ctx *ctx)
{
	const char *what = ctx->npos > 1 ? ctx->pos[1] : "";
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	kdbx_secret *rk = NULL;
	int ex, rc;

	if (strcmp(what, "add") != 0 && strcmp(what, "remove") != 0)
		return cli_error(CLI_EXIT_USAGE, "device recovery DATABASE add|remove");
	if ((ex = open_db(ctx, &db, &key)) != 0)
		return ex;
	rc = strcmp(what, "add") == 0 ? kdbx_slots_recovery_add(db, &rk) : kdbx_slots_recovery_remove(db);
	if (rc < 0) {
		ex = cli_fail(rc, "recovery");
		goto out;
	}
	if ((ex = cli_save(ctx, db, ctx->pos[0])) != 0)
		goto out;
	if (rk != NULL) {
		if (ctx->json) {
			json_begin_object();
			json_kv_string("recovery_key", kdbx_secret_str(rk));
			json_end_object();
			json_finish();
		} else {
			fprintf(stderr, "Write this recovery key down and keep it safe; it is shown only once.\n"
			                "With it and the password the database opens without any device:\n");
			printf("%s\n", kdbx_secret_str(rk));
		}
	} else {
		cli_info(ctx, "Recovery key removed (run 'kdbx device rotate' if it may have leaked).");
	}
out:
	kdbx_secret_free(&rk);
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

/* ---- policy ---- */

static const cli_option policy_opts[] = {
	{OPT_THRESHOLD, 'k', "threshold", "K", "Number of devices needed to unlock (1 = any one)."},
	{OPT_DEVICE_ONLY, 0, "device-only", NULL, "Unlock with the devices alone, without password."},
	{OPT_WITH_PASSWORD, 0, "with-password", NULL, "Require the password again (default)."},
	COMMON_DEVICE_OPTION,
	{OPT_RECOVERY_FD, 0, "recovery-key-fd", "N", "Unlock with the recovery key read from descriptor N."},
	{0, 0, NULL, NULL, NULL}};

static int run_policy(cli_ctx *ctx)
{
	const char *t = cli_opt_arg(ctx, OPT_THRESHOLD);
	unsigned long long k = 1;
	kdbx_slot_providers *set = NULL;
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	int ex, rc;

	if (t != NULL && cli_parse_uint(t, 1, 32, &k) < 0)
		return cli_error(CLI_EXIT_USAGE, "--threshold: 1..32");
	if (cli_opt_count(ctx, OPT_DEVICE_ONLY) && cli_opt_count(ctx, OPT_WITH_PASSWORD))
		return cli_error(CLI_EXIT_USAGE, "--device-only and --with-password exclude each other");
	if ((ex = open_db(ctx, &db, &key)) != 0)
		return ex;
	if ((ex = build_set(ctx, 1, &set)) != 0)
		goto out;
	if (cli_opt_count(ctx, OPT_DEVICE_ONLY))
		fprintf(stderr, "WARNING: with --device-only anyone holding an enrolled device opens the "
		                "database without a password.\n");
	rc = kdbx_slots_set_policy(db, (unsigned int)k, cli_opt_count(ctx, OPT_DEVICE_ONLY) > 0, set, &interaction);
	if (rc < 0) {
		ex = cli_fail(rc, "policy");
		goto out;
	}
	ex = cli_save(ctx, db, ctx->pos[0]);
	if (ex == 0)
		cli_info(ctx, "Policy: %llu device(s)%s.", k, cli_opt_count(ctx, OPT_DEVICE_ONLY) ? ", no password" : "");
out:
	kdbx_slot_providers_free(&set);
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return ex;
}

/* ---- disable / convert ---- */

static const cli_option convert_opts[] = {
	{OPT_TO, 0, "to", "MODE", "Target: none (password only), keepassxc, kdbxtool, slots."},
	{OPT_SET_PASSWORD, 'p', "set-password", NULL,
	 "Ask for a new password first (needed when the database was device-only)."},
	COMMON_DEVICE_OPTION,
	{OPT_YES, 0, "yes", NULL, "Do not ask before making the file unreadable for other apps."},
	{OPT_RECOVERY_FD, 0, "recovery-key-fd", "N", "Unlock with the recovery key read from descriptor N."},
	{0, 0, NULL, NULL, NULL}};

static int convert(cli_ctx *ctx, kdbx_slot_mode to)
{
	kdbx_slot_providers *set = NULL;
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	int ex, rc;

	if ((ex = open_db(ctx, &db, &key)) != 0)
		return ex;
	if ((ex = warn_mode(ctx, kdbx_slots_mode(db), to)) != 0)
		goto out;
	if (cli_opt_count(ctx, OPT_SET_PASSWORD) > 0) {
		kdbx_secret *pw = NULL, *pw2 = NULL;
		kdbx_key *nk = NULL;
		if ((ex = cli_read_secret("New password: ", -1, &pw)) != 0)
			goto out;
		if ((ex = cli_read_secret("Repeat new password: ", -1, &pw2)) != 0) {
			kdbx_secret_free(&pw);
			goto out;
		}
		if (kdbx_secret_len(pw) != kdbx_secret_len(pw2) ||
		    memcmp(kdbx_secret_data(pw), kdbx_secret_data(pw2), kdbx_secret_len(pw)) != 0) {
			ex = cli_error(CLI_EXIT_USAGE, "the passwords differ");
		} else if ((rc = kdbx_key_new(&nk)) < 0 ||
		           (rc = kdbx_key_set_password(nk, kdbx_secret_str(pw), kdbx_secret_len(pw))) < 0 ||
		           (rc = kdbx_db_set_key(db, nk)) < 0) {
			ex = cli_fail(rc, "password");
		}
		kdbx_key_free(&nk);
		kdbx_secret_free(&pw);
		kdbx_secret_free(&pw2);
		if (ex != 0)
			goto out;
	}
	if (to != KDBX_MODE_NONE) {
		set = NULL;
		if ((rc = kdbx_slot_providers_new(&set)) < 0) {
			ex = cli_fail(rc, "devices");
			goto out;
		}
		size_t it = 0;
		const char *spec;
		while ((spec = cli_opt_next(ctx, OPT_DEVICE, &it)) != NULL) {
			kdbx_slot_provider *p = NULL;
			if ((ex = device_from_spec(spec, &p)) != 0)
				goto out;
			if (to == KDBX_MODE_KEEPASSXC && strncmp(spec, "yubikey:", 8) == 0) {
				/* KeePassXC mode keeps the device on the key: use a plain provider. */
				kdbx_provider *cr = NULL;
				kdbx_slot_provider_free(&p);
				if ((rc = kdbx_yubikey_new(&cr, spec[8] - '0', spec[9] == ':' ? (uint32_t)strtoul(spec + 10, NULL, 10) : 0,
				                           &interaction)) < 0 ||
				    (rc = kdbx_slot_provider_from_cr(&p, cr, "yubikey-hmac", KDBX_CR_ADAPTER_OWN)) < 0) {
					kdbx_provider_free(&cr);
					ex = cli_fail(rc, "--device");
					goto out;
				}
			}
			if ((rc = kdbx_slot_providers_add(set, p)) < 0) {
				kdbx_slot_provider_free(&p);
				ex = cli_fail(rc, "devices");
				goto out;
			}
		}
	}
	rc = kdbx_slots_convert(db, to, set, &interaction);
	if (rc < 0) {
		ex = cli_fail(rc, "convert");
		goto out;
	}
	ex = cli_save(ctx, db, ctx->pos[0]);
	if (ex == 0)
		cli_info(ctx, "The database is now in %s mode.", mode_name(to));
out:
	kdbx_db_free(&db); /* before the providers: a KeePassXC-mode key borrows one */
	kdbx_key_free(&key);
	if (set != NULL)
		keep_set(set);
	return ex;
}

static int run_disable(cli_ctx *ctx)
{
	return convert(ctx, KDBX_MODE_NONE);
}

static int run_convert(cli_ctx *ctx)
{
	const char *to = cli_opt_arg(ctx, OPT_TO);

	if (to == NULL)
		return cli_error(CLI_EXIT_USAGE, "device convert needs --to none|keepassxc|kdbxtool|slots");
	if (strcmp(to, "none") == 0)
		return convert(ctx, KDBX_MODE_NONE);
	if (strcmp(to, "keepassxc") == 0)
		return convert(ctx, KDBX_MODE_KEEPASSXC);
	if (strcmp(to, "kdbxtool") == 0)
		return convert(ctx, KDBX_MODE_KDBXTOOL);
	if (strcmp(to, "slots") == 0)
		return convert(ctx, KDBX_MODE_SLOTS);
	return cli_error(CLI_EXIT_USAGE, "--to none|keepassxc|kdbxtool|slots");
}

const cli_command cli_cmd_device_enroll = {"device enroll", "DATABASE",
	"Enrol a device (YubiKey, soft key, FIDO2, PKCS#11, TPM) as one more way to unlock.",
	CLI_F_DB, enroll_opts, 1, 1, run_enroll};
const cli_command cli_cmd_device_list = {"device list", "DATABASE",
	"List the enrolled devices (label, type, device id, created, last used); no password needed.",
	CLI_F_DB | CLI_F_JSON, NULL, 1, 1, run_list};
const cli_command cli_cmd_device_revoke = {"device revoke", "DATABASE",
	"Revoke a device and rotate the key-encryption key.", CLI_F_DB, revoke_opts, 1, 1, run_revoke};
const cli_command cli_cmd_device_rotate = {"device rotate", "DATABASE",
	"Rotate the key-encryption key keeping every device.", CLI_F_DB, revoke_opts, 1, 1, run_rotate};
const cli_command cli_cmd_device_recovery = {"device recovery", "DATABASE add|remove",
	"Add (print) or remove the printable recovery key.", CLI_F_DB | CLI_F_JSON, recovery_opts, 2, 2,
	run_recovery};
const cli_command cli_cmd_device_policy = {"device policy", "DATABASE",
	"Set how many devices unlock, and whether the password is needed.", CLI_F_DB, policy_opts, 1, 1,
	run_policy};
const cli_command cli_cmd_device_disable = {"device disable", "DATABASE",
	"Remove every device: back to password / key file only (readable by every KeePass app).", CLI_F_DB,
	convert_opts, 1, 1, run_disable};
const cli_command cli_cmd_device_convert = {"device convert", "DATABASE",
	"Convert between protection modes (none, keepassxc, kdbxtool, slots).", CLI_F_DB, convert_opts, 1, 1,
	run_convert};
