/* kdbx generate: print a random password. */
#include <stdio.h>

#include "cli.h"

static const cli_option options[] = {CLI_GENERATE_OPTIONS, {0, 0, NULL, NULL, NULL}};

static size_t utf8_length(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static int run(cli_ctx *ctx)
{
	kdbx_secret *pw = NULL;
	double bits = 0;
	int ex = cli_generate(ctx, &pw, &bits);

	if (ex)
		return ex;
	if (ctx->json) {
		json_begin_object();
		json_kv_string("password", kdbx_secret_str(pw));
		json_kv_int("length", (long long)utf8_length(kdbx_secret_str(pw)));
		json_key("entropy_bits");
		json_double(bits);
		json_end_object();
		json_finish();
	} else {
		printf("%s\n", kdbx_secret_str(pw));
		fflush(stdout);
	}
	kdbx_secret_free(&pw);
	return 0;
}

const cli_command cli_cmd_generate = {"generate", "", "Generate a random password.", CLI_F_JSON, options,
                                      0, 0, run};
