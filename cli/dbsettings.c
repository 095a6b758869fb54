/* Choices for a new or re-keyed database: cipher, KDF (with calibration by
 * --decryption-time) and the key (password prompt twice, key file created
 * when missing, device options). Shared by db-create, db-edit and import. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_crypto_requested(const cli_ctx *ctx)
{
	static const int ids[] = {CLI_OPT_CIPHER, CLI_OPT_KDF, CLI_OPT_DECRYPTION_TIME,
	                          CLI_OPT_KDF_ITERATIONS, CLI_OPT_KDF_MEMORY, CLI_OPT_KDF_PARALLELISM};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (cli_opt_count(ctx, ids[i]))
			return 1;
	return 0;
}

static int parse_cipher(const char *s, kdbx_cipher *c)
{
	if (strcmp(s, "aes256") == 0 || strcmp(s, "aes") == 0)
		*c = KDBX_CIPHER_AES256;
	else if (strcmp(s, "chacha20") == 0)
		*c = KDBX_CIPHER_CHACHA20;
	else if (strcmp(s, "twofish") == 0)
		*c = KDBX_CIPHER_TWOFISH;
	else
		return -1;
	return 0;
}

static int parse_kdf(const char *s, kdbx_kdf_type *t)
{
	if (strcmp(s, "argon2id") == 0)
		*t = KDBX_KDF_ARGON2ID;
	else if (strcmp(s, "argon2d") == 0)
		*t = KDBX_KDF_ARGON2D;
	else if (strcmp(s, "aes") == 0 || strcmp(s, "aes-kdbx4") == 0)
		*t = KDBX_KDF_AES_KDBX4;
	else if (strcmp(s, "aes-kdbx3") == 0)
		*t = KDBX_KDF_AES_KDBX3;
	else
		return -1;
	return 0;
}

int cli_crypto_apply(const cli_ctx *ctx, kdbx_db *db)
{
	const char *cipher = cli_opt_arg(ctx, CLI_OPT_CIPHER);
	const char *kdf = cli_opt_arg(ctx, CLI_OPT_KDF);
	const char *ms = cli_opt_arg(ctx, CLI_OPT_DECRYPTION_TIME);
	const char *it = cli_opt_arg(ctx, CLI_OPT_KDF_ITERATIONS);
	const char *mem = cli_opt_arg(ctx, CLI_OPT_KDF_MEMORY);
	const char *par = cli_opt_arg(ctx, CLI_OPT_KDF_PARALLELISM);
	kdbx_kdf_params p;
	unsigned long long v;
	int rc;

	if (cipher) {
		kdbx_cipher c;
		if (parse_cipher(cipher, &c) < 0)
			return cli_error(CLI_EXIT_USAGE, "unknown cipher '%s' (aes256, chacha20, twofish)", cipher);
		rc = kdbx_db_set_cipher(db, c);
		if (rc < 0)
			return cli_fail(rc, "cipher");
	}
	if (!kdf && !ms && !it && !mem && !par)
		return 0;
	kdbx_db_kdf(db, &p);
	if (kdf) {
		kdbx_kdf_type t;
		if (parse_kdf(kdf, &t) < 0)
			return cli_error(CLI_EXIT_USAGE, "unknown KDF '%s' (argon2id, argon2d, aes, aes-kdbx3)", kdf);
		rc = kdbx_kdf_defaults(&p, t);
		if (rc < 0)
			return cli_fail(rc, "KDF");
	}
	if (mem) {
		if (p.type != KDBX_KDF_ARGON2D && p.type != KDBX_KDF_ARGON2ID)
			return cli_error(CLI_EXIT_USAGE, "--kdf-memory applies to Argon2 only");
		if (cli_parse_uint(mem, 1, 4ULL * 1024 * 1024, &v) < 0)
			return cli_error(CLI_EXIT_USAGE, "invalid --kdf-memory '%s' (MiB)", mem);
		p.memory = v * 1024 * 1024;
	}
	if (par) {
		if (p.type != KDBX_KDF_ARGON2D && p.type != KDBX_KDF_ARGON2ID)
			return cli_error(CLI_EXIT_USAGE, "--kdf-parallelism applies to Argon2 only");
		if (cli_parse_uint(par, 1, 256, &v) < 0)
			return cli_error(CLI_EXIT_USAGE, "invalid --kdf-parallelism '%s'", par);
		p.parallelism = (uint32_t)v;
	}
	if (ms) {
		if (it)
			return cli_error(CLI_EXIT_USAGE, "--decryption-time and --kdf-iterations exclude each other");
		if (cli_parse_uint(ms, 10, 60000, &v) < 0)
			return cli_error(CLI_EXIT_USAGE, "invalid decryption time '%s' (10-60000 ms)", ms);
		if (!ctx->quiet)
			cli_info(ctx, "Benchmarking key derivation function for %llums delay.", v);
		cli_spinner_start("Calibrating");
		rc = kdbx_kdf_calibrate(&p, (unsigned int)v);
		cli_spinner_stop();
		if (rc < 0)
			return cli_fail(rc, "KDF calibration");
		if (p.type == KDBX_KDF_ARGON2D || p.type == KDBX_KDF_ARGON2ID)
			cli_info(ctx, "Setting %llu iterations for key derivation function.",
			         (unsigned long long)p.iterations);
		else
			cli_info(ctx, "Setting %llu rounds for key derivation function.", (unsigned long long)p.rounds);
	}
	if (it) {
		if (cli_parse_uint(it, 1, 1ULL << 40, &v) < 0)
			return cli_error(CLI_EXIT_USAGE, "invalid --kdf-iterations '%s'", it);
		if (p.type == KDBX_KDF_ARGON2D || p.type == KDBX_KDF_ARGON2ID)
			p.iterations = v;
		else
			p.rounds = v;
	}
	rc = kdbx_db_set_kdf(db, &p);
	if (rc < 0)
		return cli_fail(rc, "KDF");
	return 0;
}

/* Asks for a new password twice; *out NULL when the user gave none. */
static int ask_new_password(const cli_ctx *ctx, kdbx_secret **out)
{
	kdbx_secret *a = NULL, *b = NULL;
	int fd = ctx->unlock.password_fd;
	int ex;

	ex = cli_read_secret("Enter password to encrypt database (optional): ", fd, &a);
	if (ex)
		return ex;
	ex = cli_read_secret("Repeat password: ", fd, &b);
	if (ex) {
		kdbx_secret_free(&a);
		return ex;
	}
	if (kdbx_secret_len(a) != kdbx_secret_len(b) ||
	    memcmp(kdbx_secret_data(a), kdbx_secret_data(b), kdbx_secret_len(a)) != 0) {
		kdbx_secret_free(&a);
		kdbx_secret_free(&b);
		return cli_error(CLI_EXIT_USAGE, "passwords do not match");
	}
	kdbx_secret_free(&b);
	*out = a;
	return 0;
}

int cli_newkey_build(const cli_ctx *ctx, kdbx_key **out)
{
	const char *keyfile = cli_opt_arg(ctx, CLI_OPT_SET_KEY_FILE);
	int want_pw = cli_opt_count(ctx, CLI_OPT_SET_PASSWORD) > 0;
	kdbx_key *key = NULL;
	kdbx_secret *pw = NULL;
	int rc, ex = 0;

	if (!want_pw && !keyfile && ctx->unlock.ndev == 0)
		return cli_error(CLI_EXIT_USAGE, "no key is set: use -p/--set-password and/or --set-key-file");
	rc = kdbx_key_new(&key);
	if (rc < 0)
		return cli_fail(rc, "key");
	if (want_pw) {
		ex = ask_new_password(ctx, &pw);
		if (ex)
			goto out;
		rc = kdbx_key_set_password(key, kdbx_secret_str(pw), kdbx_secret_len(pw));
		kdbx_secret_free(&pw);
		if (rc < 0) {
			ex = cli_fail(rc, "password");
			goto out;
		}
	}
	if (keyfile) {
		if (access(keyfile, F_OK) != 0) {
			if (errno != ENOENT) {
				ex = cli_error(CLI_EXIT_KEYFILE, "%s: %s", keyfile, strerror(errno));
				goto out;
			}
			rc = kdbx_keyfile_create(keyfile);
			if (rc < 0) {
				ex = cli_fail(rc, keyfile);
				goto out;
			}
			cli_info(ctx, "Created key file %s.", keyfile);
		}
		rc = kdbx_key_set_keyfile(key, keyfile);
		if (rc < 0) {
			ex = cli_fail(rc, keyfile);
			goto out;
		}
	}
	ex = cli_unlock_add_devices(&ctx->unlock, key);
out:
	if (ex)
		kdbx_key_free(&key);
	*out = key;
	return ex;
}
