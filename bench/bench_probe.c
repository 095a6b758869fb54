/* A fixed amount of CPU work, timed: the host's speed at this moment.
 *
 * The benchmarks run on virtual machines whose cores are shared with other guests;
 * the same program has been seen taking 95 ms and 170 ms minutes apart. run.py runs
 * this probe through the run so that the report says how steady the host was. The
 * work is table lookups over 1 MiB (cache-resident, branch-free, like a tokenizer) and
 * a dependent multiply chain (latency, like a KDF).
 *
 *   bench_probe [-t threads]   prints {"threads":N,"ms":[per thread...]}
 * All threads start together, so -t <cores> shows what each core gets when all are busy. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE ((size_t)1 << 20)
#define ROUNDS 60
#define CHAIN 40000000L
#define MAX_THREADS 64

typedef struct job {
	pthread_t thread;
	double ms;
	uint64_t sink;
} job;

static pthread_barrier_t start;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void *work(void *arg)
{
	job *j = arg;
	uint8_t *buf = malloc(BUF_SIZE);
	uint8_t cls[256];
	uint64_t a = 0, b = 0, c = 0, d = 0, x = 1;

	if (buf == NULL) {
		pthread_barrier_wait(&start); /* the others wait for every thread */
		j->ms = -1;
		return NULL;
	}
	for (size_t i = 0; i < BUF_SIZE; i++)
		buf[i] = (uint8_t)((i * 7) ^ (i >> 3));
	for (int i = 0; i < 256; i++)
		cls[i] = (uint8_t)((i * 31) & 3);
	pthread_barrier_wait(&start);
	double t0 = now_ms();
	for (int r = 0; r < ROUNDS; r++)
		for (size_t i = 0; i < BUF_SIZE; i += 4) {
			a += cls[buf[i]];
			b += cls[buf[i + 1]] ^ a;
			c += cls[buf[i + 2]];
			d += cls[buf[i + 3]];
		}
	for (long i = 0; i < CHAIN; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	j->ms = now_ms() - t0;
	j->sink = a + b + c + d + x;
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	job jobs[MAX_THREADS];
	int n = 1, opt;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't' || (n = atoi(optarg)) < 1 || n > MAX_THREADS) {
			fprintf(stderr, "usage: bench_probe [-t threads]\n");
			return 2;
		}
	}
	memset(jobs, 0, sizeof(jobs));
	if (pthread_barrier_init(&start, NULL, (unsigned)n) != 0)
		return 1;
	for (int i = 0; i < n; i++)
		if (pthread_create(&jobs[i].thread, NULL, work, &jobs[i]) != 0)
			return 1;
	uint64_t sink = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(jobs[i].thread, NULL);
		sink += jobs[i].sink;
	}
	printf("{\"threads\":%d,\"ms\":[", n);
	for (int i = 0; i < n; i++)
		printf("%s%.1f", i ? "," : "", jobs[i].ms);
	printf("],\"sink\":%u}\n", (unsigned)(sink & 1)); /* keeps the work from being optimised away */
	return 0;
}
