/* Whether a second CPU is free for a helper thread (core.h). */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/core.h"

/* Threads runnable right now, this one included (4th field of /proc/loadavg, "2/345"):
 * what the CPUs are doing at this moment, where the load average is the last minute's
 * history (a benchmark or a build that just ended still shows there). -1 if unknown. */
static int runnable_now(void)
{
	FILE *f = fopen("/proc/loadavg", "re");
	double a, b, c;
	int running = -1, total;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%lf %lf %lf %d/%d", &a, &b, &c, &running, &total) != 5)
		running = -1;
	fclose(f);
	return running;
}

int kdbx_cpu_count(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

bool kdbx_cpu_spare(void)
{
	double load;
	int cpus = kdbx_cpu_count(), running;

	if (cpus < 2)
		return false;
	if ((running = runnable_now()) > 0)
		return running < cpus;
	if (getloadavg(&load, 1) != 1)
		return true;
	return load + 1.0 <= (double)cpus;
}
