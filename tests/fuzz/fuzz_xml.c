/* libFuzzer harness: bytes as the XML of a container without inner stream (plain XML
 * import path) into a fresh database; on success the result is written back and re-read,
 * which must succeed again (the writer only produces what the reader accepts). */
#include <stdlib.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int parse(const uint8_t *data, size_t size, kdbx_db **out)
{
	kdbx_container c;
	kdbx_db *db = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	*out = NULL;
	if (kdbx_buf_append(&c.xml, data, size) != KDBX_OK)
		return KDBX_ENOMEM;
	if ((rc = kdbx_db__alloc(&db)) == KDBX_OK)
		rc = kdbx_xml_read(db, &c, NULL);
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

	if (parse(data, size, &db) != KDBX_OK)
		return 0;
	if (kdbx_xml_write(db, KDBX_VERSION_4_1, NULL, NULL, NULL, &out) == KDBX_OK) {
		int rc = parse(out.data, out.len, &again);
		/* a document we wrote ourselves must read back */
		if (rc != KDBX_OK && rc != KDBX_ENOMEM)
			abort();
	}
	kdbx_db_free(&again);
	kdbx_db_free(&db);
	kdbx_buf_free(&out);
	return 0;
}
