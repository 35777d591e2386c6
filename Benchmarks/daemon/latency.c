/*
 * latency EVENTS REGION FIRST_DOMID [PAUSE_MS]
 *
 * Acts like a toolstack building and destroying a borrower domain named "borrower-vm", EVENTS times, and measures
 * the time from xs_introduce_domain (which fires @introduceDomain, the daemon's cue) until the daemon has recorded
 * the borrower of REGION as mapped (/libxl/static_shm/REGION/slaves/<domid>/state = "mapped"), seen through a watch.
 * Each round uses a new domid from FIRST_DOMID up and a new UUID, and waits PAUSE_MS (default 20) after the
 * borrower's record is gone again: no toolstack builds 50 domains a second, and the daemon rate-limits domain
 * rescans (a guest rebooting in a loop must not keep it busy). One round more than EVENTS runs first and is not
 * counted: it waits out whatever the daemon still does after its start-up pass. Prints p50, p90, p99 and max in
 * milliseconds.
 */
#include "../baseline/common.h"
#include <poll.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void wait_for(struct xs_handle *h, const char *path, const char *want)
{
	unsigned len, n;

	for (;;) {
		char *v = xs_read(h, XBT_NULL, path, &len);
		int done = want ? v && !strcmp(v, want) : !v;

		free(v);
		if (done)
			return;
		struct pollfd p = { .fd = xs_fileno(h), .events = POLLIN };
		if (poll(&p, 1, 10000) <= 0) {
			fprintf(stderr, "timeout waiting for %s\n", path);
			exit(1);
		}
		free(xs_read_watch(h, &n));
	}
}

int main(int argc, char **argv)
{
	struct xs_handle *h, *w;
	struct xs_permissions perms[2] = { { .id = 0, .perms = XS_PERM_NONE }, { .perms = XS_PERM_READ } };
	char p[256], v[64], uuid[40], state[160];
	int events, first, i;
	double *ms;

	int pause_ms = argc == 5 ? atoi(argv[4]) : 20;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: %s EVENTS REGION FIRST_DOMID [PAUSE_MS]\n", argv[0]);
		return 2;
	}
	events = atoi(argv[1]);
	first = atoi(argv[3]);
	ms = calloc(events, sizeof(*ms));
	h = xs_open(0);
	w = xs_open(0);
	if (!h || !w || !ms)
		die("xs_open");
	for (i = -1; i < events; i++) {
		int domid = first + 1 + i;
		xs_transaction_t t;
		double t0;

		snprintf(uuid, sizeof(uuid), "11111111-2222-4333-8444-%012d", domid);
		snprintf(state, sizeof(state), "/libxl/static_shm/%s/slaves/%d/state", argv[2], domid);
		if (!xs_watch(w, state, "s"))
			die("xs_watch");
		free(xs_read_watch(w, (unsigned[]){ 0 }));
		do {
			t = xs_transaction_start(h);
			perms[1].id = domid;
			path(p, sizeof(p), "/local/domain/%d", domid);
			xs_mkdir(h, t, p);
			xs_set_permissions(h, t, p, perms, 2);
			xs_write(h, t, path(p, sizeof(p), "/local/domain/%d/name", domid), "borrower-vm", 11);
			path(v, sizeof(v), "%d", domid);
			xs_write(h, t, path(p, sizeof(p), "/local/domain/%d/domid", domid), v, strlen(v));
			path(v, sizeof(v), "/vm/%s", uuid);
			xs_write(h, t, path(p, sizeof(p), "/local/domain/%d/vm", domid), v, strlen(v));
			xs_write(h, t, path(p, sizeof(p), "/vm/%s/uuid", uuid), uuid, strlen(uuid));
		} while (!xs_transaction_end(h, t, false) && errno == EAGAIN);
		t0 = now();
		if (!xs_introduce_domain(h, domid, 1, 1))
			die("xs_introduce_domain");
		wait_for(w, state, "mapped");
		if (i >= 0)
			ms[i] = (now() - t0) * 1000;
		xs_unwatch(w, state, "s");
		xs_rm(h, XBT_NULL, path(p, sizeof(p), "/local/domain/%d", domid));
		xs_rm(h, XBT_NULL, path(p, sizeof(p), "/vm/%s", uuid));
		if (!xs_release_domain(h, domid))
			die("xs_release_domain");
		/* The record of the gone borrower is garbage-collected before the next round. */
		snprintf(state, sizeof(state), "/libxl/static_shm/%s/slaves/%d", argv[2], domid);
		if (!xs_watch(w, state, "g"))
			die("xs_watch");
		wait_for(w, state, NULL);
		xs_unwatch(w, state, "g");
		nanosleep(&(struct timespec){ .tv_sec = pause_ms / 1000, .tv_nsec = pause_ms % 1000 * 1000000L }, NULL);
	}
	qsort(ms, events, sizeof(*ms), cmp);
	printf("introduce -> mapped over %d events: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n", events,
	       ms[events / 2], ms[events * 90 / 100], ms[events * 99 / 100 < events ? events * 99 / 100 : events - 1],
	       ms[events - 1]);
	return 0;
}
