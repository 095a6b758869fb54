/* Canonical JSON view of a database through the public API, shared by the
 * interop helpers, the randomized round trip and the corpus test. Two
 * databases with equal content give byte-identical dumps. */
#ifndef KDBX_TEST_DUMPJSON_H
#define KDBX_TEST_DUMPJSON_H

#include <cjson/cJSON.h>
#include <kdbx.h>

enum {
	DUMP_SETTINGS = 1,  /* file version, cipher, KDF, compression */
	DUMP_TIMES = 2,     /* group/entry times */
	DUMP_NO_HISTORY = 4 /* leave history out (to compare with a skip_history open) */
};

/* Returns a new cJSON object (caller deletes) or NULL on allocation failure. */
cJSON *dump_db(kdbx_db *db, unsigned int flags);
/* Unformatted canonical text (caller frees). */
char *dump_db_text(kdbx_db *db, unsigned int flags);

/* Seconds since 0001-01-01 <-> "YYYY-MM-DDTHH:MM:SSZ" (0 <-> NULL / ""). */
void dump_time_iso(kdbx_time t, char buf[32]);
kdbx_time dump_time_parse(const char *iso);

void dump_hex(const uint8_t *p, size_t n, char *out);
void dump_sha256_hex(const uint8_t *p, size_t n, char out[65]);

#endif
