/* libFuzzer harness: bytes as the XML of a container without inner stream (plain XML
 * import path) into a fresh database; on success the result is written back and re-read,
 * which must succeed again (the writer only produces what the reader accepts). A read that
 * leaves the history out (skip_history) must then succeed too, with the same tree. */
#include <stdlib.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int parse(const uint8_t *data, size_t size, bool skip_history, kdbx_db **out)
{
	kdbx_container c;
	kdbx_db *db = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	*out = NULL;
	if (kdbx_buf_append(&c.xml, data, size) != KDBX_OK)
		return KDBX_ENOMEM;
	if ((rc = kdbx_db__alloc(&db)) == KDBX_OK) {
		db->history_skipped = skip_history;
		rc = kdbx_xml_read(db, &c, NULL);
	}
	kdbx_container_free(&c);
	if (rc != KDBX_OK)
		kdbx_db_free(&db);
	*out = db;
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kdbx_db *db = NULL, *again = NULL;
	kdbx_buf out = KDBX_BUF_INIT;

	if (parse(data, size, false, &db) != KDBX_OK)
		return 0;
	int rc = parse(data, size, true, &again);
	if (rc == KDBX_OK ? kdbx_db_entry_count(again) != kdbx_db_entry_count(db) ||
	                        kdbx_db_group_count(again) != kdbx_db_group_count(db)
	                  : rc != KDBX_ENOMEM)
		abort();
	kdbx_db_free(&again);
	if (kdbx_xml_write(db, KDBX_VERSION_4_1, NULL, NULL, NULL, &out) == KDBX_OK) {
		rc = parse(out.data, out.len, false, &again);
		/* a document we wrote ourselves must read back */
		if (rc != KDBX_OK && rc != KDBX_ENOMEM)
			abort();
	}
	kdbx_db_free(&again);
	kdbx_db_free(&db);
	kdbx_buf_free(&out);
	return 0;
}
