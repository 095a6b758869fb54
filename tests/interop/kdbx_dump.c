/* kdbx_dump: opens a database through the public API and prints its canonical
 * JSON (dumpjson.c) for the interop scripts.
 *   kdbx_dump [-p PASSWORD | -n] [-k KEYFILE] [-s] [-t] [-x XMLOUT] [-r RESAVED] FILE
 * -p password (may be ""), -n no password component, -k key file,
 * -s include settings (version, cipher, KDF), -t include times,
 * -x also export XML to XMLOUT, -r also save a copy to RESAVED. */
#include <kdbx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dumpjson.h"

int main(int argc, char **argv)
{
	const char *password = NULL, *keyfile = NULL, *xmlout = NULL, *resaved = NULL;
	unsigned int flags = 0;
	int opt, rc;
	kdbx_key *key = NULL;
	kdbx_db *db = NULL;

	while ((opt = getopt(argc, argv, "p:nk:stx:r:")) != -1) {
		switch (opt) {
		case 'p': password = optarg; break;
		case 'n': password = NULL; break;
		case 'k': keyfile = optarg; break;
		case 's': flags |= DUMP_SETTINGS; break;
		case 't': flags |= DUMP_TIMES; break;
		case 'x': xmlout = optarg; break;
		case 'r': resaved = optarg; break;
		default:
			fprintf(stderr, "usage: kdbx_dump [-p PW|-n] [-k KEYFILE] [-s] [-t] [-x XML] [-r OUT] FILE\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "kdbx_dump: one database file expected\n");
		return 2;
	}
	if (kdbx_key_new(&key) != KDBX_OK)
		return 1;
	if (password && kdbx_key_set_password(key, password, strlen(password)) != KDBX_OK)
		goto fail;
	if (keyfile && kdbx_key_set_keyfile(key, keyfile) != KDBX_OK)
		goto fail;
	rc = kdbx_db_open(&db, argv[optind], key, NULL);
	if (rc != KDBX_OK)
		goto fail;
	char *text = dump_db_text(db, flags);
	if (!text)
		goto fail;
	puts(text);
	cJSON_free(text);
	if (xmlout && kdbx_db_export_xml(db, xmlout) != KDBX_OK)
		goto fail;
	if (resaved && kdbx_db_save(db, resaved, NULL) != KDBX_OK)
		goto fail;
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return 0;
fail:
	fprintf(stderr, "kdbx_dump: %s: %s (%s)\n", argv[optind], kdbx_strerror(kdbx_error_last_code()),
	        kdbx_error_last());
	kdbx_db_free(&db);
	kdbx_key_free(&key);
	return 1;
}
