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
#include "../baseline/toolstack.h"

int main(int argc, char **argv)
{
	struct xs_handle *h, *w;
	char uuid[40], state[160];
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
		double t0;

		snprintf(uuid, sizeof(uuid), "11111111-2222-4333-8444-%012d", domid);
		snprintf(state, sizeof(state), "/libxl/static_shm/%s/slaves/%d/state", argv[2], domid);
		if (!xs_watch(w, state, "s"))
			die("xs_watch");
		free(xs_read_watch(w, (unsigned[]){ 0 }));
		build_domain(h, domid, "borrower-vm", uuid);
		t0 = now();
		if (!xs_introduce_domain(h, domid, 1, 1))
			die("xs_introduce_domain");
		wait_for(w, state, "mapped");
		if (i >= 0)
			ms[i] = (now() - t0) * 1000;
		xs_unwatch(w, state, "s");
		/* The record of the gone borrower is garbage-collected before the next round. */
		destroy_domain(h, w, domid, uuid, argv[2]);
		nanosleep(&(struct timespec){ .tv_sec = pause_ms / 1000, .tv_nsec = pause_ms % 1000 * 1000000L }, NULL);
	}
	qsort(ms, events, sizeof(*ms), cmp_double);
	printf("introduce -> mapped over %d events: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n", events,
	       ms[events / 2], ms[events * 90 / 100], ms[events * 99 / 100 < events ? events * 99 / 100 : events - 1],
	       ms[events - 1]);
	return 0;
}
