/* kdbx db-edit: change the key (password, key file), cipher, KDF or name. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_UNSET_KEY_FILE = 100, OPT_UNSET_PASSWORD, OPT_NAME, OPT_DESCRIPTION, OPT_SET_YUBIKEY,
       OPT_SET_SOFT_KEY, OPT_NO_YUBIKEY };

static const cli_option options[] = {
	CLI_NEWKEY_OPTIONS,
	{OPT_UNSET_KEY_FILE, 0, "unset-key-file", NULL, "Remove the key file from the key."},
	{OPT_UNSET_PASSWORD, 0, "unset-password", NULL, "Remove the password from the key."},
	CLI_CRYPTO_OPTIONS,
	{OPT_NAME, 0, "name", "NAME", "Set the database name."},
	{OPT_DESCRIPTION, 0, "description", "TEXT", "Set the database description."},
	{OPT_SET_YUBIKEY, 0, "set-yubikey", "SLOT[:SERIAL]",
	 "Protect with this YubiKey challenge-response slot (replaces any other)."},
	{OPT_SET_SOFT_KEY, 0, "set-soft-key", "ALG:FILE",
	 "Protect with a software challenge-response key (sha1 or sha256 secret in FILE)."},
	{OPT_NO_YUBIKEY, 0, "no-yubikey", NULL, "Remove the challenge-response protection."},
	{0, 0, NULL, NULL, NULL}};

/* --set-yubikey / --set-soft-key: the new challenge-response component. */
static int add_new_devices(const cli_ctx *ctx, kdbx_key *key)
{
	static const struct {
		int id;
		const char *opt;
	} map[] = {{OPT_SET_YUBIKEY, "yubikey"}, {OPT_SET_SOFT_KEY, "soft-key"}};
	const char *arg;

	for (size_t m = 0; m < sizeof(map) / sizeof(map[0]); m++) {
		size_t it = 0;

		while ((arg = cli_opt_next(ctx, map[m].id, &it)) != NULL) {
			int rc = cli_unlock_device_option(map[m].opt, arg, key);

			if (rc < 0)
				return cli_fail(rc, map[m].opt);
		}
	}
	return 0;
}

/* The new key: each component is the new one, the old one, or none. */
static int rebuild_key(const cli_ctx *ctx, const kdbx_secret *oldpw, kdbx_key **out)
{
	const char *newkf = cli_opt_arg(ctx, CLI_OPT_SET_KEY_FILE);
	const char *kf = newkf ? newkf : ctx->unlock.key_file;
	int unset_kf = cli_opt_count(ctx, OPT_UNSET_KEY_FILE) > 0;
	int unset_pw = cli_opt_count(ctx, OPT_UNSET_PASSWORD) > 0;
	int set_pw = cli_opt_count(ctx, CLI_OPT_SET_PASSWORD) > 0;
	kdbx_secret *pw = NULL;
	kdbx_key *key = NULL;
	int rc, ex = 0;

	if (unset_kf && newkf)
		return cli_error(CLI_EXIT_USAGE, "--set-key-file and --unset-key-file exclude each other");
	if (unset_pw && set_pw)
		return cli_error(CLI_EXIT_USAGE, "--set-password and --unset-password exclude each other");
	if (unset_kf)
		kf = NULL;
	int no_cr = cli_opt_count(ctx, OPT_NO_YUBIKEY) > 0;
	int new_cr = cli_opt_count(ctx, OPT_SET_YUBIKEY) + cli_opt_count(ctx, OPT_SET_SOFT_KEY) > 0;

	if (no_cr && new_cr)
		return cli_error(CLI_EXIT_USAGE, "--no-yubikey excludes --set-yubikey/--set-soft-key");
	if ((unset_pw || (!set_pw && !oldpw)) && !kf && !new_cr && (no_cr || ctx->unlock.ndev == 0))
		return cli_error(CLI_EXIT_USAGE, "the database would have no key left");
	rc = kdbx_key_new(&key);
	if (rc < 0)
		return cli_fail(rc, "key");
	if (set_pw) {
		kdbx_secret *b = NULL;
		ex = cli_read_secret("Enter new password: ", ctx->unlock.password_fd, &pw);
		if (!ex)
			ex = cli_read_secret("Repeat password: ", ctx->unlock.password_fd, &b);
		if (!ex && (kdbx_secret_len(pw) != kdbx_secret_len(b) ||
		            memcmp(kdbx_secret_data(pw), kdbx_secret_data(b), kdbx_secret_len(pw)) != 0))
			ex = cli_error(CLI_EXIT_USAGE, "passwords do not match");
		kdbx_secret_free(&b);
		if (ex)
			goto out;
		oldpw = pw;
	}
	if (oldpw && !unset_pw) {
		rc = kdbx_key_set_password(key, kdbx_secret_str(oldpw), kdbx_secret_len(oldpw));
		if (rc < 0) {
			ex = cli_fail(rc, "password");
			goto out;
		}
	}
	if (kf) {
		if (newkf && access(newkf, F_OK) != 0) {
			if (errno != ENOENT) {
				ex = cli_error(CLI_EXIT_KEYFILE, "%s: %s", newkf, strerror(errno));
				goto out;
			}
			rc = kdbx_keyfile_create(newkf);
			if (rc < 0) {
				ex = cli_fail(rc, newkf);
				goto out;
			}
			cli_info(ctx, "Created key file %s.", newkf);
		}
		rc = kdbx_key_set_keyfile(key, kf);
		if (rc < 0) {
			ex = cli_fail(rc, kf);
			goto out;
		}
	}
	/* Challenge-response: replaced, removed, or kept as unlocked. */
	if (new_cr)
		ex = add_new_devices(ctx, key);
	else if (!no_cr)
		ex = cli_unlock_add_devices(&ctx->unlock, key);
out:
	kdbx_secret_free(&pw);
	if (ex)
		kdbx_key_free(&key);
	*out = key;
	return ex;
}

static int run(cli_ctx *ctx)
{
	kdbx_db *db = NULL;
	kdbx_key *key = NULL, *newkey = NULL;
	kdbx_secret *oldpw = NULL;
	kdbx_open_options opts = KDBX_OPEN_OPTIONS_INIT;
	const char *path = ctx->pos[0];
	const char *name = cli_opt_arg(ctx, OPT_NAME), *desc = cli_opt_arg(ctx, OPT_DESCRIPTION);
	int key_change = cli_opt_count(ctx, CLI_OPT_SET_KEY_FILE) || cli_opt_count(ctx, CLI_OPT_SET_PASSWORD) ||
	                 cli_opt_count(ctx, OPT_UNSET_KEY_FILE) || cli_opt_count(ctx, OPT_UNSET_PASSWORD) ||
	                 cli_opt_count(ctx, OPT_SET_YUBIKEY) || cli_opt_count(ctx, OPT_SET_SOFT_KEY) ||
	                 cli_opt_count(ctx, OPT_NO_YUBIKEY);
	int rc, ex;

	if (!key_change && !cli_crypto_requested(ctx) && !name && !desc)
		return cli_error(CLI_EXIT_USAGE, "nothing to change (see kdbx db-edit --help)");
	if (access(path, F_OK) != 0)
		return cli_error(CLI_EXIT_IO, "%s: %s", path, strerror(errno));
	ex = cli_unlock_key(ctx, path, &key, &oldpw);
	if (ex)
		return ex;
	opts.progress = cli_spinner_progress;
	cli_spinner_start("Unlocking");
	rc = kdbx_db_open(&db, path, key, &opts);
	cli_spinner_stop();
	if (rc < 0) {
		ex = cli_fail(rc, path);
		goto out;
	}
	if (name && (rc = kdbx_db_set_meta(db, KDBX_META_NAME, name)) < 0) {
		ex = cli_fail(rc, "name");
		goto out;
	}
	if (desc && (rc = kdbx_db_set_meta(db, KDBX_META_DESCRIPTION, desc)) < 0) {
		ex = cli_fail(rc, "description");
		goto out;
	}
	ex = cli_crypto_apply(ctx, db);
	if (ex)
		goto out;
	if (key_change) {
		ex = rebuild_key(ctx, oldpw, &newkey);
		if (ex)
			goto out;
		rc = kdbx_db_set_key(db, newkey);
		if (rc < 0) {
			ex = cli_fail(rc, "key");
			goto out;
		}
	}
	ex = cli_save(ctx, db, path);
	if (!ex)
		cli_info(ctx, "Successfully edited the database.");
out:
	kdbx_secret_free(&oldpw);
	kdbx_key_free(&newkey);
	kdbx_key_free(&key);
	kdbx_db_free(&db);
	return ex;
}

const cli_command cli_cmd_db_edit = {"db-edit", "DATABASE", "Edit the key and settings of a database.",
                                     CLI_F_DB, options, 1, 1, run};
