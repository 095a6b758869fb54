/* kdbx db-info: database identity, crypto settings and counts. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static void kdf_text(const kdbx_kdf_params *p, char *buf, size_t len)
{
	if (p->type == KDBX_KDF_ARGON2D || p->type == KDBX_KDF_ARGON2ID)
		snprintf(buf, len, "%s (%llu iterations, %llu MiB memory, %u threads, version 0x%x)",
		         cli_kdf_label(p->type), (unsigned long long)p->iterations,
		         (unsigned long long)(p->memory / (1024 * 1024)), p->parallelism, p->version);
	else
		snprintf(buf, len, "%s (%llu rounds)%s", cli_kdf_label(p->type), (unsigned long long)p->rounds,
		         p->type == KDBX_KDF_AES_KDBX3 ? " KDBX 3" : "");
}

static int run(cli_ctx *ctx)
{
	kdbx_db *db = NULL;
	kdbx_key *key = NULL;
	kdbx_kdf_params kdf;
	char uuid[40], kdftxt[160], ver[16];
	const char *hw;
	kdbx_group *bin;
	char *binpath = NULL;
	uint32_t v;
	int ex = cli_open_db(ctx, &db, &key);

	if (ex)
		return ex;
	kdbx_db_kdf(db, &kdf);
	kdf_text(&kdf, kdftxt, sizeof(kdftxt));
	v = kdbx_db_file_version(db);
	snprintf(ver, sizeof(ver), "%u.%u", v >> 16, v & 0xffff);
	cli_uuid_str(kdbx_db_uuid(db), ctx->json ? 0 : 1, uuid);
	hw = kdbx_key_has_challenge_response(key) ? "challenge-response" : "none";
	bin = kdbx_db_recycle_bin(db);
	if (bin)
		binpath = kdbx_group_path(bin);
	if (ctx->json) {
		json_begin_object();
		json_kv_string("uuid", uuid);
		json_kv_string("name", kdbx_db_meta(db, KDBX_META_NAME));
		json_kv_string("description", kdbx_db_meta(db, KDBX_META_DESCRIPTION));
		json_kv_string("cipher", cli_cipher_id(kdbx_db_cipher(db)));
		json_key("kdf");
		json_begin_object();
		json_kv_string("type", cli_kdf_id(kdf.type));
		if (kdf.type == KDBX_KDF_ARGON2D || kdf.type == KDBX_KDF_ARGON2ID) {
			json_key("iterations");
			json_uint(kdf.iterations);
			json_key("memory");
			json_uint(kdf.memory);
			json_key("parallelism");
			json_uint(kdf.parallelism);
			json_key("version");
			json_uint(kdf.version);
		} else {
			json_key("rounds");
			json_uint(kdf.rounds);
		}
		json_end_object();
		json_kv_string("kdbx_version", ver);
		json_kv_string("compression", kdbx_db_compression(db) == KDBX_COMPRESS_GZIP ? "gzip" : "none");
		json_key("recycle_bin");
		json_begin_object();
		json_kv_bool("enabled", kdbx_db_recycle_bin_enabled(db));
		json_kv_string("path", binpath);
		json_end_object();
		json_kv_string("hardware_protection", hw);
		json_kv_int("groups", (long long)kdbx_db_group_count(db));
		json_kv_int("entries", (long long)kdbx_db_entry_count(db));
		json_end_object();
		json_finish();
	} else {
		const char *name = kdbx_db_meta(db, KDBX_META_NAME);
		const char *desc = kdbx_db_meta(db, KDBX_META_DESCRIPTION);
		printf("UUID: %s\n", uuid);
		printf("Name: %s\n", name ? name : "");
		printf("Description: %s\n", desc ? desc : "");
		printf("Cipher: %s\n", cli_cipher_label(kdbx_db_cipher(db)));
		printf("KDF: %s\n", kdftxt);
		printf("KDBX version: %s\n", ver);
		printf("Compression: %s\n", kdbx_db_compression(db) == KDBX_COMPRESS_GZIP ? "gzip" : "none");
		printf("Recycle bin is %s.\n", kdbx_db_recycle_bin_enabled(db) ? "enabled" : "disabled");
		printf("Hardware protection: %s\n", hw);
		printf("Location: %s\n", ctx->pos[0]);
		printf("Number of groups: %zu\n", kdbx_db_group_count(db));
		printf("Number of entries: %zu\n", kdbx_db_entry_count(db));
	}
	free(binpath);
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return 0;
}

const cli_command cli_cmd_db_info = {"db-info", "DATABASE", "Show information about a database.",
                                     CLI_F_DB | CLI_F_JSON, NULL, 1, 1, run};
