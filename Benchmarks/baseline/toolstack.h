/*
 * Shared by the latency benchmarks (Benchmarks/daemon/latency.c, Benchmarks/wait/latency.c): a toolstack's side of
 * building and destroying a domain in xenstore, and waiting for a node through a watch.
 */
#ifndef SSHM_BASELINE_TOOLSTACK_H
#define SSHM_BASELINE_TOOLSTACK_H

#include "common.h"
#include <poll.h>

/* Waits until PATH reads WANT (or is gone, for WANT NULL); H must watch PATH. Ends the program after 10 s. */
static inline void wait_for(struct xs_handle *h, const char *path, const char *want)
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

/* Writes domain DOMID named NAME with UUID as libxl does (not introduced yet). */
static inline void build_domain(struct xs_handle *h, int domid, const char *name, const char *uuid)
{
	struct xs_permissions perms[2] = { { .id = 0, .perms = XS_PERM_NONE }, { .id = domid, .perms = XS_PERM_READ } };
	char p[256], v[64];
	xs_transaction_t t;

	do {
		t = xs_transaction_start(h);
		path(p, sizeof(p), "/local/domain/%d", domid);
		xs_mkdir(h, t, p);
		xs_set_permissions(h, t, p, perms, 2);
		xs_write(h, t, path(p, sizeof(p), "/local/domain/%d/name", domid), name, strlen(name));
		path(v, sizeof(v), "%d", domid);
		xs_write(h, t, path(p, sizeof(p), "/local/domain/%d/domid", domid), v, strlen(v));
		path(v, sizeof(v), "/vm/%s", uuid);
		xs_write(h, t, path(p, sizeof(p), "/local/domain/%d/vm", domid), v, strlen(v));
		xs_write(h, t, path(p, sizeof(p), "/vm/%s/uuid", uuid), uuid, strlen(uuid));
	} while (!xs_transaction_end(h, t, false) && errno == EAGAIN);
}

/* Removes the domain's nodes, releases it, and waits through W until the daemon has garbage-collected its entry in
 * region REGION. */
static inline void destroy_domain(struct xs_handle *h, struct xs_handle *w, int domid, const char *uuid,
				  const char *region)
{
	char p[256];

	xs_rm(h, XBT_NULL, path(p, sizeof(p), "/local/domain/%d", domid));
	xs_rm(h, XBT_NULL, path(p, sizeof(p), "/vm/%s", uuid));
	if (!xs_release_domain(h, domid))
		die("xs_release_domain");
	path(p, sizeof(p), "/libxl/static_shm/%s/slaves/%d", region, domid);
	if (!xs_watch(w, p, "g"))
		die("xs_watch");
	wait_for(w, p, NULL);
	xs_unwatch(w, p, "g");
}

#endif
