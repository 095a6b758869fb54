/* Shared helpers of the format unit tests: small containers written by our own writer with a
 * deliberately tiny KDF so that thousands of reads stay fast. */
#ifndef KDBX_TEST_FORMAT_FIXTURE_H
#define KDBX_TEST_FORMAT_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kdbx.h"
#include "format/container.h"

#define FIX_XML                                                                                \
	"<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\n<KeePassFile><Meta>"          \
	"<Generator>libkdbx-test</Generator></Meta><Root><Group><Name>Root</Name></Group></Root>" \
	"</KeePassFile>\n"

static inline void fix_kdf(kdbx_kdf_params *p, kdbx_kdf_type t)
{
	memset(p, 0, sizeof(*p));
	p->type = t;
	p->seed_len = 32; /* kdbx_container_new_seeds fills the seed itself */
	if (t == KDBX_KDF_AES_KDBX3 || t == KDBX_KDF_AES_KDBX4) {
		p->rounds = 1;
	} else {
		p->iterations = 1;
		p->memory = 8 * 1024; /* the Argon2 minimum KeePassXC accepts */
		p->parallelism = 1;
		p->version = 0x13;
	}
}

/* A container with fresh seeds, XML and (KDBX4) nbin binaries. */
static inline void fix_container(kdbx_container *c, uint32_t ver, kdbx_cipher ci, kdbx_kdf_type kt,
                                 kdbx_compression comp, size_t nbin)
{
	memset(c, 0, sizeof(*c));
	c->version = ver;
	c->cipher = ci;
	c->compression = comp;
	fix_kdf(&c->kdf, kt);
	assert_int_equal(kdbx_container_new_seeds(c), KDBX_OK);
	c->xml.secure = true;
	assert_int_equal(kdbx_buf_append_str(&c->xml, FIX_XML), KDBX_OK);
	if (nbin > 0) {
		c->binaries = calloc(nbin, sizeof(*c->binaries));
		assert_non_null(c->binaries);
		for (size_t i = 0; i < nbin; i++) {
			size_t len = 10 + 7 * i;
			c->binaries[i].flags = (uint8_t)(i == 0 ? 0x01 : 0x00);
			c->binaries[i].data = malloc(len);
			assert_non_null(c->binaries[i].data);
			for (size_t j = 0; j < len; j++)
				c->binaries[i].data[j] = (uint8_t)(i * 31 + j);
			c->binaries[i].len = len;
		}
		c->nbinaries = nbin;
	}
}

static inline kdbx_key *fix_key(const char *pw)
{
	kdbx_key *k = NULL;
	assert_int_equal(kdbx_key_new(&k), KDBX_OK);
	assert_int_equal(kdbx_key_set_password(k, pw, strlen(pw)), KDBX_OK);
	return k;
}

/* Writes c with key into file (header + payload). */
static inline void fix_write(kdbx_container *c, const kdbx_key *key, kdbx_buf *file)
{
	kdbx_buf hdr = KDBX_BUF_INIT;
	assert_int_equal(kdbx_container_write_header(c, &hdr), KDBX_OK);
	assert_int_equal(kdbx_container_write(c, &hdr, key, file), KDBX_OK);
	kdbx_buf_free(&hdr);
}

static inline int fix_clean_code(int rc)
{
	return rc == KDBX_ECORRUPT || rc == KDBX_EAUTH || rc == KDBX_EUNSUPPORTED;
}

#endif
