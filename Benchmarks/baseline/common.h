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

/* For qsort of timings. */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
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

/* The leaves of a member's guest view (docs/guest-view.md), in the order sshm-reconcile writes them. */
static const char *const view_leaves[] = { "role", "begin", "size", "offset", "prot", "cache_policy", "peer", "state",
					   NULL };

/*
 * The values of region i's view for domain d, as sshm-reconcile leaves them once every borrower is mapped: the owner
 * (d == owner) sees its own range and its borrowers; a borrower, its range and the owner. peer must hold 8 bytes per
 * borrower.
 */
static inline void view_values(const char *values[8], char *begin, size_t begin_len, char *peer, size_t peer_len,
			       int i, int d, int owner, int first, int borrowers)
{
	int is_owner = d == owner;

	path(begin, begin_len, "0x%llx", ((is_owner ? 0x10000ULL : 0x100000ULL) + 16 * i) << 12);
	if (is_owner) {
		size_t at = 0;

		peer[0] = 0;
		for (int b = 0; b < borrowers && at < peer_len; b++)
			at += snprintf(peer + at, peer_len - at, b ? " %d" : "%d", first + b);
	} else {
		path(peer, peer_len, "%d", owner);
	}
	values[0] = is_owner ? "master" : "slave";
	values[1] = begin;
	values[2] = "0x10000";
	values[3] = "0x0";
	values[4] = "rw";
	values[5] = "x86_normal";
	values[6] = peer;
	values[7] = is_owner ? "ready" : "mapped";
}

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
