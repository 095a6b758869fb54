/* Shared declarations of the kdbx command-line tool: the command table, the
 * option parser and the helpers every cmd_<name>.c uses. The CLI talks to the
 * library only through the public headers (include/kdbx.h). */
#ifndef KDBX_CLI_H
#define KDBX_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <kdbx.h>

#include "unlock.h"

/* Exit codes, one per error class (documented in docs/kdbx.1). */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_USAGE = 1,
	CLI_EXIT_AUTH = 2,
	CLI_EXIT_CORRUPT = 3,
	CLI_EXIT_NOTFOUND = 4,
	CLI_EXIT_IO = 5,
	CLI_EXIT_DEVICE = 6,
	CLI_EXIT_KEYFILE = 7,
	CLI_EXIT_OTHER = 10
};

/* One option a command (or the shared unlock table) accepts. */
typedef struct cli_option {
	int id;               /* > 0; what the command looks up */
	char short_name;      /* 0 when there is none */
	const char *long_name;
	const char *arg_name; /* NULL for a flag */
	const char *help;
} cli_option;

/* Shared unlock options (cli/unlock.c; terminated by an all-zero element). */
extern const cli_option cli_unlock_options[];

/* Command flags. */
enum {
	CLI_F_DB = 1,      /* first positional is DATABASE; the unlock options apply */
	CLI_F_JSON = 2,    /* accepts --json */
	CLI_F_DEVICES = 4  /* accepts the device options only (db-create, import) */
};

typedef struct cli_ctx cli_ctx;

typedef struct cli_command {
	const char *name;
	const char *args;    /* positional synopsis, e.g. "DATABASE ENTRY" */
	const char *summary; /* one line */
	unsigned int flags;
	const cli_option *options; /* terminated by an all-zero element; may be NULL */
	int min_pos, max_pos;      /* positional count bounds (DATABASE included) */
	int (*run)(cli_ctx *ctx);
} cli_command;

typedef struct cli_parsed_option {
	int id;
	const char *arg;
} cli_parsed_option;

struct cli_ctx {
	const cli_command *cmd;
	int json;
	int quiet;
	cli_unlock unlock;
	cli_parsed_option *opts;
	size_t nopts;
	char **pos;
	int npos;
};

/* Common option ids (command ids start at 100). */
enum { CLI_OPT_HELP = 1, CLI_OPT_QUIET, CLI_OPT_JSON };

/* --- main.c --- */
extern const cli_command *const cli_commands[];
const cli_command *cli_command_find(const char *name);
void cli_usage(FILE *f, const cli_command *cmd);

/* --- args.c --- */
/* Parses argv (after the command name) into ctx. Returns 0, -1 on a usage
 * error (message printed) or 1 when --help was handled. */
int cli_args_parse(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv);
void cli_args_free(cli_ctx *ctx);
/* Number of times option id was given. */
int cli_opt_count(const cli_ctx *ctx, int id);
/* Argument of the last occurrence of id, or NULL. */
const char *cli_opt_arg(const cli_ctx *ctx, int id);
/* Iterates the occurrences of id: start with *iter = 0; returns NULL at the end. */
const char *cli_opt_next(const cli_ctx *ctx, int id, size_t *iter);
/* Strict unsigned integer parse; returns -1 when s is not a number in [min,max]. */
int cli_parse_uint(const char *s, unsigned long long min, unsigned long long max,
                   unsigned long long *out);

/* --- output.c --- */
/* Prints "kdbx: <what>: <library message>" and returns the exit code for code. */
int cli_fail(int code, const char *what);
/* Prints "kdbx: <fmt>" and returns exit. */
int cli_error(int exit_code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_exit_code(int kdbx_code);
/* Informational message on stderr unless --quiet. */
void cli_info(const cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "{xxxxxxxx-xxxx-...}" with braces, or without when braces is 0. buf >= 39. */
void cli_uuid_str(const kdbx_uuid *u, int braces, char *buf);
/* ISO 8601 UTC "2021-11-07T21:48:40Z"; "" when t is 0. buf >= 32. */
void cli_time_str(kdbx_time t, char *buf, size_t len);
/* Human readable size "15.0 B", "1.2 KiB". */
void cli_size_str(size_t n, char *buf, size_t len);
/* Spinner on stderr while long work runs (no-op when stderr is no terminal). */
void cli_spinner_start(const char *label);
void cli_spinner_stop(void);
/* kdbx_progress_cb that feeds the spinner. */
int cli_spinner_progress(double fraction, void *userdata);
/* Writes all of buf to stdout; returns 0 or an exit code. */
int cli_write_stdout(const void *buf, size_t len);

/* Name tables shared by db-create/db-edit/db-info/import. */
const char *cli_cipher_label(kdbx_cipher c); /* "AES 256-bit" */
const char *cli_cipher_id(kdbx_cipher c);    /* "aes256" */
const char *cli_kdf_id(kdbx_kdf_type t);     /* "argon2id" */
const char *cli_kdf_label(kdbx_kdf_type t);  /* "Argon2id" */

/* --- dbsettings.c: options that choose a new database's crypto and key --- */
enum {
	CLI_OPT_SET_KEY_FILE = 50,
	CLI_OPT_SET_PASSWORD,
	CLI_OPT_DECRYPTION_TIME,
	CLI_OPT_CIPHER,
	CLI_OPT_KDF,
	CLI_OPT_KDF_ITERATIONS,
	CLI_OPT_KDF_MEMORY,
	CLI_OPT_KDF_PARALLELISM
};
/* Option descriptions for the crypto choices (cipher, KDF and its knobs). */
#define CLI_CRYPTO_OPTIONS                                                                    \
	{CLI_OPT_CIPHER, 0, "cipher", "CIPHER", "Cipher: aes256 (default), chacha20, twofish."}, \
	{CLI_OPT_KDF, 0, "kdf", "KDF", "Key derivation: argon2id (default), argon2d, aes, aes-kdbx3."}, \
	{CLI_OPT_DECRYPTION_TIME, 't', "decryption-time", "MS",                                 \
	 "Calibrate the KDF so unlocking takes about MS milliseconds (10-60000)."},              \
	{CLI_OPT_KDF_ITERATIONS, 0, "kdf-iterations", "N", "Argon2 iterations or AES-KDF rounds."}, \
	{CLI_OPT_KDF_MEMORY, 0, "kdf-memory", "MIB", "Argon2 memory in MiB."},                  \
	{CLI_OPT_KDF_PARALLELISM, 0, "kdf-parallelism", "N", "Argon2 lanes."}
#define CLI_NEWKEY_OPTIONS                                                                    \
	{CLI_OPT_SET_KEY_FILE, 0, "set-key-file", "FILE",                                       \
	 "Protect with this key file (created when it does not exist)."},                        \
	{CLI_OPT_SET_PASSWORD, 'p', "set-password", NULL, "Ask for a password (twice)."}
/* True when any crypto option was given. */
int cli_crypto_requested(const cli_ctx *ctx);
/* Applies --cipher/--kdf/-t/--kdf-* to db (from the defaults of the chosen
 * KDF, or from the current ones when only knobs changed). Returns exit code. */
int cli_crypto_apply(const cli_ctx *ctx, kdbx_db *db);
/* Builds the key of a new database from -p / --set-key-file / device options.
 * Returns an exit code; *out is the key on success. */
int cli_newkey_build(const cli_ctx *ctx, kdbx_key **out);

/* --- json.c: a small streaming JSON writer on stdout --- */
void json_begin_object(void);
void json_end_object(void);
void json_begin_array(void);
void json_end_array(void);
void json_key(const char *k);
void json_string(const char *s);        /* NULL writes null */
void json_string_n(const char *s, size_t n);
void json_int(long long v);
void json_uint(unsigned long long v);
void json_bool(int v);
void json_null(void);
void json_double(double v);
void json_kv_string(const char *k, const char *v);
void json_kv_int(const char *k, long long v);
void json_kv_bool(const char *k, int v);
/* Terminates the document with a newline. */
void json_finish(void);

/* --- generate.c --- */
enum {
	CLI_OPT_GEN_LENGTH = 80,
	CLI_OPT_GEN_LOWER,
	CLI_OPT_GEN_UPPER,
	CLI_OPT_GEN_NUMERIC,
	CLI_OPT_GEN_SPECIAL,
	CLI_OPT_GEN_EXTENDED,
	CLI_OPT_GEN_EXCLUDE,
	CLI_OPT_GEN_EXCLUDE_SIMILAR,
	CLI_OPT_GEN_EVERY_GROUP,
	CLI_OPT_GEN_CUSTOM
};
/* The generate options; the letters are keepassxc-cli's (add/edit reuse them). */
#define CLI_GENERATE_OPTIONS                                                                   \
	{CLI_OPT_GEN_LENGTH, 'L', "length", "N", "Password length (default 16)."},               \
	{CLI_OPT_GEN_LOWER, 'l', "lower", NULL, "Use lowercase letters."},                        \
	{CLI_OPT_GEN_UPPER, 'U', "upper", NULL, "Use uppercase letters."},                        \
	{CLI_OPT_GEN_NUMERIC, 'n', "numeric", NULL, "Use digits."},                               \
	{CLI_OPT_GEN_SPECIAL, 's', "special", NULL, "Use special characters."},                  \
	{CLI_OPT_GEN_EXTENDED, 'e', "extended", NULL, "Use extended ASCII (Latin-1) characters."}, \
	{CLI_OPT_GEN_EXCLUDE, 'x', "exclude", "CHARS", "Exclude these characters."},             \
	{CLI_OPT_GEN_EXCLUDE_SIMILAR, 0, "exclude-similar", NULL,                                 \
	 "Exclude look-alike characters (Il1|O0B8G6)."},                                          \
	{CLI_OPT_GEN_EVERY_GROUP, 0, "every-group", NULL,                                        \
	 "Use at least one character of every selected class."},                                 \
	{CLI_OPT_GEN_CUSTOM, 'c', "custom", "CHARS", "Use these characters too."}
/* Generates a password from the options in ctx; *out is caller-owned.
 * *bits receives the entropy estimate. Returns an exit code. */
int cli_generate(const cli_ctx *ctx, kdbx_secret **out, double *bits);

/* --- totp.c --- */
/* 1 when the entry carries TOTP settings ("otp" URI or KeePassXC TOTP Seed). */
int cli_totp_present(const kdbx_entry *e);
/* Current code of the entry; out >= 16 bytes. Returns a kdbx error code. */
int cli_totp_code(const kdbx_entry *e, long long unix_time, char *out, size_t outlen);
/* otpauth:// URI as KeePassXC's CSV export writes it; caller frees; NULL if none. */
char *cli_totp_uri(const kdbx_entry *e);

/* --- entry_fields.c: the field options of add and edit --- */
enum {
	CLI_OPT_USERNAME = 60,
	CLI_OPT_URL,
	CLI_OPT_NOTES,
	CLI_OPT_TAGS,
	CLI_OPT_PASSWORD_PROMPT,
	CLI_OPT_GENERATE,
	CLI_OPT_FIELD,
	CLI_OPT_PROTECTED_FIELD,
	CLI_OPT_REMOVE_FIELD,
	CLI_OPT_TITLE
};
#define CLI_ENTRY_OPTIONS                                                                      \
	{CLI_OPT_USERNAME, 'u', "username", "NAME", "User name."},                                  \
	{CLI_OPT_URL, 0, "url", "URL", "URL."},                                                      \
	{CLI_OPT_NOTES, 0, "notes", "TEXT", "Notes."},                                               \
	{CLI_OPT_TAGS, 0, "tags", "TAGS", "Tags, separated by ';' or ','."},                         \
	{CLI_OPT_PASSWORD_PROMPT, 'p', "password-prompt", NULL, "Ask for the entry's password."},   \
	{CLI_OPT_GENERATE, 'g', "generate", NULL, "Generate a password (see the generate options)."}, \
	{CLI_OPT_FIELD, 0, "field", "NAME=VALUE", "Set a custom field (repeatable)."},              \
	{CLI_OPT_PROTECTED_FIELD, 0, "protected-field", "NAME=VALUE",                               \
	 "Set a protected custom field (repeatable)."}
/* Applies the field options to e (backup first when editing). prompt is the
 * text used by -p. Returns an exit code. */
int cli_entry_apply(const cli_ctx *ctx, kdbx_db *db, kdbx_entry *e, const char *prompt);
/* True when any field option was given. */
int cli_entry_options_given(const cli_ctx *ctx);

/* --- tree.c: path helpers --- */
/* Splits "A/B/Title" into the parent group (must exist) and the last
 * component (pointer into path). Returns an exit code. */
int cli_split_path(kdbx_db *db, const char *path, kdbx_group **parent, const char **leaf);
/* Finds an entry by path; prints an error and returns NULL if absent. */
kdbx_entry *cli_find_entry(kdbx_db *db, const char *path);
kdbx_group *cli_find_group(kdbx_db *db, const char *path);
/* Saves db to path with a spinner; returns an exit code. */
int cli_save(const cli_ctx *ctx, kdbx_db *db, const char *path);

#endif
