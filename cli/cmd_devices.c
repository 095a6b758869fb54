/* kdbx devices: the challenge-response keys connected now (serial, slots,
 * touch setting, transport), as text or --json. */
#include <stdio.h>

#include "cli.h"

static const char *touch_str(int t)
{
	return t > 0 ? "touch" : t == 0 ? "no touch" : "touch unknown";
}

static int run(cli_ctx *ctx)
{
	kdbx_yubikey_info *list = NULL;
	size_t n = 0;
	int rc = kdbx_yubikey_list(&list, &n);

	if (rc < 0)
		return cli_fail(rc, "devices");
	if (ctx->json) {
		json_begin_array();
		for (size_t i = 0; i < n; i++) {
			char fw[16];

			snprintf(fw, sizeof(fw), "%u.%u.%u", list[i].version[0], list[i].version[1],
			         list[i].version[2]);
			json_begin_object();
			json_kv_string("type", "yubikey");
			json_kv_string("model", list[i].model);
			json_key("serial");
			json_uint(list[i].serial);
			json_kv_string("firmware", fw);
			json_kv_string("transport", list[i].transport);
			json_kv_string("reader", list[i].reader);
			json_key("slots");
			json_begin_array();
			for (int s = 0; s < 2; s++) {
				json_begin_object();
				json_kv_int("slot", s + 1);
				json_kv_bool("configured", (list[i].slots >> s) & 1);
				json_key("touch");
				if (list[i].touch[s] < 0)
					json_null();
				else
					json_bool(list[i].touch[s]);
				json_end_object();
			}
			json_end_array();
			json_end_object();
		}
		json_end_array();
		json_finish();
	} else if (n == 0) {
		cli_info(ctx, "No challenge-response key found.");
	} else {
		for (size_t i = 0; i < n; i++) {
			printf("%s serial %u, firmware %u.%u.%u, %s (%s)\n", list[i].model,
			       (unsigned)list[i].serial, list[i].version[0], list[i].version[1],
			       list[i].version[2], list[i].transport, list[i].reader);
			for (int s = 0; s < 2; s++)
				printf("  slot %d: %s%s%s\n", s + 1,
				       (list[i].slots >> s) & 1 ? "configured" : "empty",
				       (list[i].slots >> s) & 1 ? ", " : "",
				       (list[i].slots >> s) & 1 ? touch_str(list[i].touch[s]) : "");
		}
	}
	kdbx_yubikey_list_free(&list);
	return CLI_EXIT_OK;
}

const cli_command cli_cmd_devices = {"devices", "", "List connected challenge-response keys (YubiKey).",
                                     CLI_F_JSON, NULL, 0, 0, run};
