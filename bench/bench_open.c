/* The engine's own work without the KDF: opens a vault N times and splits the
 * time into key derivation and the rest (parse, decrypt, decompress, XML,
 * model), then times listing, lookup and add + save on a copy of the vault
 * whose KDF is cut to one AES round. Prints one JSON object (read by
 * bench/run.py). The password is read from one stdin line.
 *
 * usage: bench_open [-n reps] DB [ENTRY_PATH]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "kdbx.h"

#define MAX_REPS 100

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int die(const char *what)
{
	fprintf(stderr, "bench_open: %s: %s\n", what, kdbx_error_last());
	return 1;
}

/* Touches what `ls -R -f` prints: every group path and entry path, and the
 * title and user name of every entry. Returns the number of entries. */
static size_t walk(kdbx_group *g, size_t *bytes)
{
	size_t n = 0;
	char *p = kdbx_group_path(g);
	if (p != NULL) {
		*bytes += strlen(p);
		free(p);
	}
	for (size_t i = 0; i < kdbx_group_entry_count(g); i++) {
		kdbx_entry *e = kdbx_group_entry_at(g, i);
		const char *t = kdbx_entry_title(e), *u = kdbx_entry_field(e, "UserName");
		p = kdbx_entry_path(e);
		if (p != NULL) {
			*bytes += strlen(p);
			free(p);
		}
		*bytes += (t ? strlen(t) : 0) + (u ? strlen(u) : 0);
		n++;
	}
	for (size_t i = 0; i < kdbx_group_group_count(g); i++)
		n += walk(kdbx_group_group_at(g, i), bytes);
	return n;
}

int main(int argc, char **argv)
{
	static double t_open[MAX_REPS], t_kdf[MAX_REPS], t_fast[MAX_REPS], t_list[MAX_REPS],
	    t_find[MAX_REPS], t_add[MAX_REPS], t_export[MAX_REPS];
	char pw[1024];
	int reps = 5, opt;
	kdbx_key *key = NULL;
	kdbx_db *db = NULL, *fast = NULL;
	kdbx_kdf_params kdf, quick;
	uint8_t *copy = NULL, *xml = NULL, *saved = NULL;
	size_t copy_len = 0, xml_len = 0, saved_len = 0, entries = 0, bytes = 0;
	uint8_t dummy_in[32] = {0}, dummy_out[32];
	struct rusage ru;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n') {
			fprintf(stderr, "usage: bench_open [-n reps] DB [ENTRY_PATH] (password on stdin)\n");
			return 2;
		}
		reps = atoi(optarg);
	}
	if (optind >= argc || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "usage: bench_open [-n reps 1..%d] DB [ENTRY_PATH]\n", MAX_REPS);
		return 2;
	}
	const char *path = argv[optind];
	const char *entry_path = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (fgets(pw, sizeof(pw), stdin) == NULL)
		pw[0] = '\0';
	pw[strcspn(pw, "\r\n")] = '\0';

	if (kdbx_key_new(&key) != KDBX_OK || kdbx_key_set_password(key, pw, strlen(pw)) != KDBX_OK)
		return die("key");

	/* Warm-up open: page cache, lazy symbol binding, allocator arenas. */
	if (kdbx_db_open(&db, path, key, NULL) != KDBX_OK)
		return die("open");
	kdbx_db_kdf(db, &kdf);
	uint32_t version = kdbx_db_file_version(db);
	if (kdbx_db_export_xml_memory(db, &xml, &xml_len) != KDBX_OK)
		return die("export");
	kdbx_free(xml, xml_len);
	/* The one-round copy: same content and format family, negligible KDF. */
	quick = kdf;
	if (quick.type != KDBX_KDF_AES_KDBX3)
		quick.type = KDBX_KDF_AES_KDBX4;
	quick.rounds = 1;
	if (kdbx_db_set_kdf(db, &quick) != KDBX_OK ||
	    kdbx_db_save_memory(db, NULL, &copy, &copy_len) != KDBX_OK)
		return die("one-round copy");
	kdbx_db_free(&db);

	for (int r = 0; r < reps; r++) {
		double t0 = now_ms();
		if (kdbx_db_open(&db, path, key, NULL) != KDBX_OK)
			return die("open");
		double t1 = now_ms();
		if (kdbx_kdf_run(&kdf, dummy_in, dummy_out) != KDBX_OK)
			return die("kdf");
		double t2 = now_ms();
		kdbx_db_free(&db);
		double t3 = now_ms();
		if (kdbx_db_open_memory(&fast, copy, copy_len, key, NULL) != KDBX_OK)
			return die("open one-round copy");
		double t4 = now_ms();
		bytes = 0;
		entries = walk(kdbx_db_root(fast), &bytes);
		double t5 = now_ms();
		if (entry_path != NULL && kdbx_db_find_entry(fast, entry_path) == NULL)
			return die("find entry");
		double t6 = now_ms();
		kdbx_entry *e = NULL;
		if (kdbx_entry_new(&e, kdbx_db_root(fast), "Added by bench_open") != KDBX_OK ||
		    kdbx_entry_set_field(e, "UserName", "bench", 0) != KDBX_OK ||
		    kdbx_db_save_memory(fast, NULL, &saved, &saved_len) != KDBX_OK)
			return die("add + save");
		double t7 = now_ms();
		kdbx_free(saved, saved_len);
		saved = NULL;
		double t8 = now_ms();
		if (kdbx_db_export_xml_memory(fast, &xml, &xml_len) != KDBX_OK)
			return die("export");
		double t9 = now_ms();
		kdbx_free(xml, xml_len);
		kdbx_db_free(&fast);
		t_open[r] = t1 - t0;
		t_kdf[r] = t2 - t1;
		t_fast[r] = t4 - t3;
		t_list[r] = t5 - t4;
		t_find[r] = t6 - t5;
		t_add[r] = t7 - t6;
		t_export[r] = t9 - t8;
	}
	getrusage(RUSAGE_SELF, &ru);
	double open_med = median(t_open, reps), kdf_med = median(t_kdf, reps);
	printf("{\"file\":\"%s\",\"reps\":%d,\"kdf\":\"%s\",\"rounds\":%llu,\"iterations\":%llu,"
	       "\"entries\":%zu,\"xml_bytes\":%zu,\"file_version\":\"%08x\","
	       "\"open_ms\":%.2f,\"kdf_ms\":%.2f,\"open_minus_kdf_ms\":%.2f,\"open_no_kdf_ms\":%.2f,"
	       "\"list_ms\":%.2f,\"find_ms\":%.4f,\"add_save_no_kdf_ms\":%.2f,\"export_xml_ms\":%.2f,"
	       "\"maxrss_kib\":%ld}\n",
	       path, reps, kdbx_kdf_name(kdf.type), (unsigned long long)kdf.rounds,
	       (unsigned long long)kdf.iterations, entries, xml_len, version, open_med, kdf_med,
	       open_med - kdf_med, median(t_fast, reps), median(t_list, reps),
	       median(t_find, reps), median(t_add, reps), median(t_export, reps), ru.ru_maxrss);
	kdbx_free(copy, copy_len);
	kdbx_key_free(&key);
	(void)bytes;
	return 0;
}
