/* The overlapped save (container.h kdbx_container_write_begin/finish): the same bytes as
 * the in-line kdbx_container_write for the same seeds and key, errors of the caller, of
 * the compression and of the worker carried back cleanly, the KDF cancelled on failure,
 * and challenge-response keys kept on the caller's thread. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

#include "crypto/crypto.h"
#include "model/model.h"
#include "unit/format/fixture.h"

static const char *const PW = "container-write-password";

static bool two_cpus(void)
{
	cpu_set_t set;
	return sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) >= 2;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes c through both paths and checks the bytes are equal and open again. */
static void same_bytes(kdbx_container *c, const kdbx_key *key)
{
	kdbx_buf hdr = KDBX_BUF_INIT, seq = KDBX_BUF_INIT, ovl = KDBX_BUF_INIT, xml = KDBX_BUF_INIT;
	kdbx_container_writer w;
	kdbx_container back;
	size_t nbinaries = c->nbinaries;

	assert_int_equal(kdbx_buf_append(&xml, c->xml.data, c->xml.len), KDBX_OK);
	assert_int_equal(kdbx_container_write_header(c, &hdr), KDBX_OK);
	assert_int_equal(kdbx_container_write(c, &hdr, key, &seq), KDBX_OK);
	kdbx_container_write_begin(&w, c, key);
	assert_int_equal(w.threaded, two_cpus());
	assert_int_equal(kdbx_container_write_finish(&w, c, &hdr, KDBX_OK, &ovl), KDBX_OK);
	assert_false(w.threaded); /* finish wiped the writer */
	/* finish consumed the payload: XML and binaries are gone from c */
	assert_int_equal(c->xml.len, 0);
	assert_null(c->xml.data);
	assert_int_equal(c->nbinaries, 0);
	assert_int_equal(ovl.len, seq.len);
	assert_memory_equal(ovl.data, seq.data, seq.len);
	memset(&back, 0, sizeof(back));
	assert_int_equal(kdbx_container_read(&back, ovl.data, ovl.len, key, NULL), KDBX_OK);
	assert_int_equal(back.xml.len - back.xml_skip, xml.len);
	assert_memory_equal(back.xml.data + back.xml_skip, xml.data, xml.len);
	assert_int_equal(back.nbinaries, nbinaries);
	kdbx_container_free(&back);
	kdbx_buf_free(&xml);
	kdbx_buf_free(&hdr);
	kdbx_buf_free(&seq);
	kdbx_buf_free(&ovl);
}

/* Every format flavour; AES rounds above the two-thread threshold so the in-line path
 * may take two cores while the worker takes one (same result either way). */
static void test_format_container_write__same_bytes_all_formats(void **state)
{
	(void)state;
	static const struct {
		uint32_t ver;
		kdbx_cipher ci;
		kdbx_kdf_type kt;
		kdbx_compression comp;
		size_t nbin;
	} cases[] = {
		{KDBX_VERSION_3_1, KDBX_CIPHER_AES256, KDBX_KDF_AES_KDBX3, KDBX_COMPRESS_GZIP, 0},
		{KDBX_VERSION_3_1, KDBX_CIPHER_CHACHA20, KDBX_KDF_AES_KDBX3, KDBX_COMPRESS_NONE, 0},
		{KDBX_VERSION_4_0, KDBX_CIPHER_AES256, KDBX_KDF_AES_KDBX4, KDBX_COMPRESS_GZIP, 2},
		{KDBX_VERSION_4_0, KDBX_CIPHER_TWOFISH, KDBX_KDF_ARGON2D, KDBX_COMPRESS_NONE, 1},
		{KDBX_VERSION_4_1, KDBX_CIPHER_CHACHA20, KDBX_KDF_ARGON2ID, KDBX_COMPRESS_GZIP, 3},
	};
	kdbx_key *key = fix_key(PW);
	/* The in-line path on two threads, the worker on one (KDBX_KDF_ONE_CORE wins). */
	kdbx_kdf__aes_mode(2);
	for (size_t i = 0; i < KDBX_ARRAY_LEN(cases); i++) {
		kdbx_container c;
		fix_container(&c, cases[i].ver, cases[i].ci, cases[i].kt, cases[i].comp, cases[i].nbin);
		if (cases[i].kt == KDBX_KDF_AES_KDBX3 || cases[i].kt == KDBX_KDF_AES_KDBX4)
			c.kdf.rounds = 150000;
		same_bytes(&c, key);
		kdbx_container_free(&c);
	}
	kdbx_kdf__aes_mode(0);
	kdbx_key_free(&key);
}

/* A payload of several deflate slices (8 MiB): the overlapped path gives the XML's
 * pages back while it compresses, the sequential one does not; both must write the same
 * bytes (a deflater that read a given-back page would see zeros, or fault). Half of the
 * text repeats, so the output holds both matches and literals. */
static void test_format_container_write__same_bytes_large_payload(void **state)
{
	(void)state;
	static const uint32_t versions[] = {KDBX_VERSION_3_1, KDBX_VERSION_4_0};
	enum { XML_LEN = 20 << 20 };
	kdbx_key *key = fix_key(PW);
	for (size_t v = 0; v < KDBX_ARRAY_LEN(versions); v++) {
		kdbx_container c;
		uint32_t x = 2463534242u;
		fix_container(&c, versions[v], KDBX_CIPHER_AES256,
		              versions[v] >= KDBX_VERSION_4_0 ? KDBX_KDF_AES_KDBX4 : KDBX_KDF_AES_KDBX3,
		              KDBX_COMPRESS_GZIP, versions[v] >= KDBX_VERSION_4_0 ? 2 : 0);
		c.kdf.rounds = 1000;
		kdbx_buf_reset(&c.xml);
		assert_int_equal(kdbx_buf_reserve(&c.xml, XML_LEN), KDBX_OK);
		for (size_t i = 0; i < XML_LEN; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			c.xml.data[i] = (i / 4096) % 2 ? (uint8_t)('a' + i % 23) : (uint8_t)(' ' + x % 95);
		}
		c.xml.len = XML_LEN;
		same_bytes(&c, key);
		kdbx_container_free(&c);
	}
	kdbx_key_free(&key);
}

/* A real database, serialised as db_io.c does, big enough for several 1 MiB blocks. */
static void test_format_container_write__same_bytes_database(void **state)
{
	(void)state;
	static const uint32_t versions[] = {KDBX_VERSION_3_1, KDBX_VERSION_4_0};
	kdbx_key *key = fix_key(PW);
	kdbx_db *db = NULL;
	assert_int_equal(kdbx_db_new(&db, "overlap"), KDBX_OK);
	for (int i = 0; i < 6000; i++) {
		char title[32], pw[48];
		kdbx_entry *e = NULL;
		snprintf(title, sizeof(title), "entry %d", i);
		snprintf(pw, sizeof(pw), "secret-%d-%u", i, (unsigned)(i * 2654435761u));
		assert_int_equal(kdbx_entry_new(&e, kdbx_db_root(db), title), KDBX_OK);
		assert_int_equal(kdbx_entry_set_field(e, "Password", pw, 1), KDBX_OK);
		assert_int_equal(kdbx_entry_set_field(e, "Notes", title, 0), KDBX_OK);
	}
	for (size_t v = 0; v < KDBX_ARRAY_LEN(versions); v++) {
		kdbx_container c;
		kdbx_buf hdr = KDBX_BUF_INIT;
		kdbx_stream *s = NULL;
		memset(&c, 0, sizeof(c));
		c.xml.secure = true;
		c.version = versions[v];
		c.cipher = KDBX_CIPHER_AES256;
		c.compression = KDBX_COMPRESS_GZIP;
		fix_kdf(&c.kdf, versions[v] >= KDBX_VERSION_4_0 ? KDBX_KDF_AES_KDBX4 : KDBX_KDF_AES_KDBX3);
		c.kdf.rounds = 200000;
		assert_int_equal(kdbx_container_new_seeds(&c), KDBX_OK);
		assert_int_equal(kdbx_container_write_header(&c, &hdr), KDBX_OK);
		assert_int_equal(kdbx_stream_new(&s, c.stream_id, c.stream_key, c.stream_key_len), KDBX_OK);
		assert_int_equal(kdbx_xml_write(db, c.version, c.header_hash, s, &c, &c.xml), KDBX_OK);
		assert_true(c.xml.len > 2 * KDBX_BLOCK_SIZE);
		same_bytes(&c, key);
		kdbx_stream_free(&s);
		kdbx_buf_free(&hdr);
		kdbx_container_free(&c);
	}
	kdbx_db_free(&db);
	kdbx_key_free(&key);
}

/* A container whose AES-KDF would run for minutes: only a cancel ends it early. */
static void slow_container(kdbx_container *c, kdbx_buf *hdr, uint32_t ver)
{
	fix_container(c, ver, KDBX_CIPHER_AES256,
	              ver >= KDBX_VERSION_4_0 ? KDBX_KDF_AES_KDBX4 : KDBX_KDF_AES_KDBX3,
	              KDBX_COMPRESS_GZIP, 0);
	c->kdf.rounds = (uint64_t)1 << 34;
	assert_int_equal(kdbx_container_write_header(c, hdr), KDBX_OK);
}

/* The XML write fails while the KDF runs: its error comes back as it was set, the
 * worker is cancelled and joined quickly, nothing is written. */
static void test_format_container_write__xml_failure_cancels_kdf(void **state)
{
	(void)state;
	kdbx_key *key = fix_key(PW);
	kdbx_container c;
	kdbx_buf hdr = KDBX_BUF_INIT, out = KDBX_BUF_INIT;
	kdbx_container_writer w;

	if (!two_cpus())
		fprintf(stderr, "note: one CPU, the KDF runs in line (nothing to cancel)\n");
	slow_container(&c, &hdr, KDBX_VERSION_3_1);
	kdbx_container_write_begin(&w, &c, key);
	assert_int_equal(w.threaded, two_cpus());
	struct timespec nap = {0, 30 * 1000 * 1000}; /* let the derivation get going */
	nanosleep(&nap, NULL);
	double t0 = now_s();
	int rc = kdbx_error__set(KDBX_ECORRUPT, "simulated XML failure");
	assert_int_equal(kdbx_container_write_finish(&w, &c, &hdr, rc, &out), KDBX_ECORRUPT);
	assert_true(now_s() - t0 < 5.0);
	assert_int_equal(kdbx_error_last_code(), KDBX_ECORRUPT);
	assert_string_equal(kdbx_error_last(), "simulated XML failure");
	assert_int_equal(out.len, 0);
	kdbx_buf_free(&hdr);
	kdbx_container_free(&c);
	kdbx_key_free(&key);
}

/* The compression step (KDBX4 inner header) fails on the calling thread: the KDF is
 * cancelled and the caller sees that error, not the worker's KDBX_ECANCELLED. */
static void test_format_container_write__plain_failure_cancels_kdf(void **state)
{
	(void)state;
	kdbx_key *key = fix_key(PW);
	kdbx_container c;
	kdbx_buf hdr = KDBX_BUF_INIT, out = KDBX_BUF_INIT;
	kdbx_container_writer w;

	slow_container(&c, &hdr, KDBX_VERSION_4_0);
	kdbx_container_write_begin(&w, &c, key);
	c.stream_id = 99; /* not in the outer header: only write_plain notices */
	double t0 = now_s();
	assert_int_equal(kdbx_container_write_finish(&w, &c, &hdr, KDBX_OK, &out), KDBX_EINVALID);
	assert_true(now_s() - t0 < 5.0);
	assert_string_equal(kdbx_error_last(), "bad inner stream id");
	assert_int_equal(out.len, 0);
	kdbx_buf_free(&hdr);
	kdbx_container_free(&c);
	kdbx_key_free(&key);
}

/* The worker's own failure: code and message re-set on the calling thread. */
static void test_format_container_write__worker_error_carried_back(void **state)
{
	(void)state;
	kdbx_key *empty = NULL;
	kdbx_container c;
	kdbx_buf hdr = KDBX_BUF_INIT, out = KDBX_BUF_INIT;
	kdbx_container_writer w;

	assert_int_equal(kdbx_key_new(&empty), KDBX_OK);
	fix_container(&c, KDBX_VERSION_4_0, KDBX_CIPHER_AES256, KDBX_KDF_AES_KDBX4,
	              KDBX_COMPRESS_GZIP, 1);
	assert_int_equal(kdbx_container_write_header(&c, &hdr), KDBX_OK);
	kdbx_error_clear();
	kdbx_container_write_begin(&w, &c, empty);
	assert_int_equal(kdbx_container_write_finish(&w, &c, &hdr, KDBX_OK, &out), KDBX_EINVALID);
	assert_int_equal(kdbx_error_last_code(), KDBX_EINVALID);
	assert_string_equal(kdbx_error_last(), "the key has no component");
	assert_int_equal(out.len, 0);
	kdbx_buf_free(&hdr);
	kdbx_container_free(&c);
	kdbx_key_free(&empty);
}

/* ---- challenge-response keys stay on the caller's thread ---- */
static pthread_t cr_thread;
static int cr_calls;

static int cr_respond(kdbx_provider *self, const uint8_t *challenge, size_t len,
                      kdbx_secret **response)
{
	(void)self;
	(void)challenge;
	(void)len;
	cr_thread = pthread_self();
	cr_calls++;
	return kdbx_secret_new(response, "response-bytes-0123456789", 25);
}

static void test_format_container_write__providers_on_caller_thread(void **state)
{
	(void)state;
	kdbx_provider p;
	kdbx_key *key = fix_key(PW);
	kdbx_container c;
	kdbx_buf hdr = KDBX_BUF_INIT, seq = KDBX_BUF_INIT, ovl = KDBX_BUF_INIT;
	kdbx_container_writer w;

	memset(&p, 0, sizeof(p));
	p.version = KDBX_PROVIDER_VERSION;
	p.name = "test";
	p.challenge_response = cr_respond;
	assert_int_equal(kdbx_key_add_challenge_response(key, &p), KDBX_OK);
	fix_container(&c, KDBX_VERSION_4_0, KDBX_CIPHER_AES256, KDBX_KDF_AES_KDBX4,
	              KDBX_COMPRESS_GZIP, 0);
	assert_int_equal(kdbx_container_write_header(&c, &hdr), KDBX_OK);
	assert_int_equal(kdbx_container_write(&c, &hdr, key, &seq), KDBX_OK);
	kdbx_container_write_begin(&w, &c, key);
	assert_false(w.threaded);
	cr_calls = 0;
	assert_int_equal(kdbx_container_write_finish(&w, &c, &hdr, KDBX_OK, &ovl), KDBX_OK);
	assert_int_equal(cr_calls, 1);
	assert_true(pthread_equal(cr_thread, pthread_self()));
	assert_int_equal(ovl.len, seq.len);
	assert_memory_equal(ovl.data, seq.data, seq.len);
	kdbx_buf_free(&hdr);
	kdbx_buf_free(&seq);
	kdbx_buf_free(&ovl);
	kdbx_container_free(&c);
	kdbx_key_free(&key);
}

/* Bad arguments: no crash, a clean KDBX_EINVALID, nothing left running. */
static void test_format_container_write__bad_arguments(void **state)
{
	(void)state;
	kdbx_key *key = fix_key(PW);
	kdbx_container c;
	kdbx_buf hdr = KDBX_BUF_INIT, other = KDBX_BUF_INIT, out = KDBX_BUF_INIT;
	kdbx_container_writer w;

	fix_container(&c, KDBX_VERSION_4_0, KDBX_CIPHER_AES256, KDBX_KDF_AES_KDBX4,
	              KDBX_COMPRESS_GZIP, 0);
	assert_int_equal(kdbx_container_write_header(&c, &hdr), KDBX_OK);
	kdbx_container_write_begin(&w, &c, NULL);
	assert_false(w.threaded);
	assert_int_equal(kdbx_container_write_finish(&w, &c, &hdr, KDBX_OK, &out), KDBX_EINVALID);
	assert_int_equal(kdbx_container_write_finish(NULL, &c, &hdr, KDBX_OK, &out), KDBX_EINVALID);
	/* a header of another version */
	assert_int_equal(kdbx_buf_append(&other, hdr.data, hdr.len), KDBX_OK);
	kdbx_put_le32(other.data + 8, KDBX_VERSION_3_1);
	kdbx_container_write_begin(&w, &c, key);
	assert_int_equal(kdbx_container_write_finish(&w, &c, &other, KDBX_OK, &out), KDBX_EINVALID);
	assert_int_equal(out.len, 0);
	kdbx_buf_free(&hdr);
	kdbx_buf_free(&other);
	kdbx_container_free(&c);
	kdbx_key_free(&key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_container_write__same_bytes_all_formats),
		cmocka_unit_test(test_format_container_write__same_bytes_large_payload),
		cmocka_unit_test(test_format_container_write__same_bytes_database),
		cmocka_unit_test(test_format_container_write__xml_failure_cancels_kdf),
		cmocka_unit_test(test_format_container_write__plain_failure_cancels_kdf),
		cmocka_unit_test(test_format_container_write__worker_error_carried_back),
		cmocka_unit_test(test_format_container_write__providers_on_caller_thread),
		cmocka_unit_test(test_format_container_write__bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
