/* Helpers of the XML layer unit tests: parse XML text into a fresh database, write a
 * database back, reveal a field, read files of the shared interop corpus. */
#ifndef KDBX_TEST_XML_FIXTURE_H
#define KDBX_TEST_XML_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "model/model.h"

static char xml_shared_dir[4096];

/* Returns false (after printing the skip line) when ../shared is absent. */
static inline bool xml_shared_init(void)
{
	const char *env = getenv("KDBX_SHARED_DIR");
	char probe[4200];
	snprintf(xml_shared_dir, sizeof(xml_shared_dir), "%s", env ? env : "../shared");
	snprintf(probe, sizeof(probe), "%s/interop/manifest.json", xml_shared_dir);
	FILE *fp = fopen(probe, "rb");
	if (!fp) {
		printf("skipped: ../shared absent\n");
		return false;
	}
	fclose(fp);
	return true;
}

static inline void xml_load(const char *rel, kdbx_buf *out)
{
	char path[4300];
	snprintf(path, sizeof(path), "%s/interop/%s", xml_shared_dir, rel);
	memset(out, 0, sizeof(*out));
	assert_int_equal(kdbx_file_read(path, out), KDBX_OK);
}

/* Parses n bytes of XML into a fresh db (NULL on failure); returns the code. */
static inline int xml_parse_stream(const void *xml, size_t n, kdbx_stream *s, uint32_t version,
                                   kdbx_container *cin, kdbx_db **out)
{
	kdbx_container c;
	kdbx_db *db = NULL;
	int rc;

	if (cin) {
		c = *cin;
		memset(&c.xml, 0, sizeof(c.xml));
	} else {
		memset(&c, 0, sizeof(c));
	}
	c.version = version;
	c.xml.secure = true;
	assert_int_equal(kdbx_buf_append(&c.xml, xml, n), KDBX_OK);
	assert_int_equal(kdbx_db__alloc(&db), KDBX_OK);
	rc = kdbx_xml_read(db, &c, s);
	kdbx_buf_free(&c.xml);
	if (cin) {
		/* binaries not taken by the reader stay with the caller's container */
		cin->binaries = c.binaries;
		cin->nbinaries = c.nbinaries;
	}
	if (rc != KDBX_OK)
		kdbx_db_free(&db);
	*out = db;
	return rc;
}

static inline int xml_parse(const char *xml, kdbx_db **out)
{
	return xml_parse_stream(xml, strlen(xml), NULL, 0, NULL, out);
}

static inline int xml_parse_file(const char *rel, kdbx_db **out)
{
	kdbx_buf b;
	xml_load(rel, &b);
	int rc = xml_parse_stream(b.data, b.len, NULL, 0, NULL, out);
	kdbx_buf_free(&b);
	return rc;
}

/* Any field's plain value (caller frees). */
static inline char *xml_field(const kdbx_entry *e, const char *name)
{
	kdbx_secret *s = NULL;
	if (kdbx_entry_field_reveal(&s, e, name) != KDBX_OK)
		return NULL;
	char *v = kdbx_strndup(kdbx_secret_str(s), kdbx_secret_len(s));
	kdbx_secret_free(&s);
	return v;
}

static inline void xml_assert_field(const kdbx_entry *e, const char *name, const char *want,
                                    int prot)
{
	char *v = xml_field(e, name);
	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
	assert_int_equal(kdbx_entry_field_protected(e, name) ? 1 : 0, prot);
}

#endif
