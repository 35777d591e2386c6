/*
 * Shared by the baseline programs: the cheapest way to write and read the records sshm-reconcile keeps, with
 * plain libxenstore calls, one connection and no checks beyond what correctness needs. The reconcile benchmarks
 * compare sshm-reconcile against these.
 */
#ifndef SSHM_BASELINE_COMMON_H
#define SSHM_BASELINE_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>

static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(1);
}

static inline char *path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return buf;
}

/* The shard of an id: the low byte of its 32-bit FNV-1a hash, as RecordPaths.shard(of:). */
static inline unsigned shard(const char *id)
{
	uint32_t hash = 0x811c9dc5u;

	for (; *id; id++) {
		hash ^= (unsigned char)*id;
		hash *= 0x01000193u;
	}
	return hash & 0xff;
}

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
