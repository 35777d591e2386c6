/*
 * baseline-writer N BORROWERS OWNER_DOMID FIRST_BORROWER_DOMID SOURCE
 *
 * Writes the final records of N regions "r<i>" (owner OWNER_DOMID, borrowers FIRST_BORROWER_DOMID + 0..BORROWERS-1)
 * exactly as sshm-reconcile leaves them after mapping, one transaction per region, retrying on EAGAIN: header
 * leaves, permissions n0, the index entry, one entry per borrower and every member's guest view (its directory
 * first, with permissions n0,r<domid>, which its leaves then inherit, as sshm-reconcile writes a new view). Region
 * i sits at owner gfn
 * 0x10000 + 16*i and borrower gfn 0x100000 + 16*i, 16 pages, like the benchmark's manifests.
 */
#include "common.h"

/* Writes the guest view of region i for domain d in transaction t. */
static void write_view(struct xs_handle *h, xs_transaction_t t, int i, int d, int owner, int first, int borrowers)
{
	struct xs_permissions perms[2] = { { .id = 0, .perms = XS_PERM_NONE }, { .id = d, .perms = XS_PERM_READ } };
	const char *values[8];
	char p[256], dir[128], begin[32], peer[1024];
	int l;

	view_values(values, begin, sizeof(begin), peer, sizeof(peer), i, d, owner, first, borrowers);
	path(dir, sizeof(dir), "/local/domain/%d/static_shm/r%d", d, i);
	if (!xs_write(h, t, dir, "", 0))
		die("xs_write view");
	if (!xs_set_permissions(h, t, dir, perms, 2))
		die("xs_set_permissions view");
	for (l = 0; view_leaves[l]; l++)
		if (!xs_write(h, t, path(p, sizeof(p), "%s/%s", dir, view_leaves[l]), values[l], strlen(values[l])))
			die("xs_write view");
}

int main(int argc, char **argv)
{
	struct xs_handle *h;
	struct xs_permissions n0 = { .id = 0, .perms = XS_PERM_NONE };
	char p[256], v[128], base[128], uuid[64];
	int n, borrowers, owner, first, i, b;
	const char *source;
	double t0;

	if (argc != 6) {
		fprintf(stderr, "usage: %s N BORROWERS OWNER_DOMID FIRST_BORROWER_DOMID SOURCE\n", argv[0]);
		return 2;
	}
	n = atoi(argv[1]);
	borrowers = atoi(argv[2]);
	owner = atoi(argv[3]);
	first = atoi(argv[4]);
	source = argv[5];
	h = xs_open(0);
	if (!h)
		die("xs_open");
	t0 = now();
	for (i = 0; i < n; i++) {
		for (;;) {
			xs_transaction_t t = xs_transaction_start(h);

			if (t == XBT_NULL)
				die("xs_transaction_start");
			snprintf(base, sizeof(base), "/libxl/static_shm/r%d", i);
			snprintf(uuid, sizeof(uuid), "00000000-0000-0000-0000-%012x", owner);
			path(v, sizeof(v), "%d", owner);
			if (!xs_write(h, t, path(p, sizeof(p), "%s/master", base), v, strlen(v)))
				die("xs_write");
			path(v, sizeof(v), "0x%llx", (0x10000ULL + 16 * i) << 12);
			if (!xs_write(h, t, path(p, sizeof(p), "%s/begin", base), v, strlen(v)))
				die("xs_write");
			if (!xs_write(h, t, path(p, sizeof(p), "%s/size", base), "0x10000", 7) ||
			    !xs_write(h, t, path(p, sizeof(p), "%s/prot", base), "rw", 2) ||
			    !xs_write(h, t, path(p, sizeof(p), "%s/cache_policy", base), "x86_normal", 10) ||
			    !xs_write(h, t, path(p, sizeof(p), "%s/manager", base), "sshm-reconcile", 14) ||
			    !xs_write(h, t, path(p, sizeof(p), "%s/source", base), source, strlen(source)) ||
			    !xs_write(h, t, path(p, sizeof(p), "%s/owner_uuid", base), uuid, strlen(uuid)))
				die("xs_write");
			if (!xs_set_permissions(h, t, base, &n0, 1))
				die("xs_set_permissions");
			path(p, sizeof(p), "/tool/sshm-reconcile/index/%02x/r%d", shard(base + 18), i);
			if (!xs_write(h, t, p, "", 0))
				die("xs_write index");
			write_view(h, t, i, owner, owner, first, borrowers);
			for (b = 0; b < borrowers; b++) {
				int d = first + b;
				char e[160];

				snprintf(e, sizeof(e), "%s/slaves/%d", base, d);
				path(v, sizeof(v), "0x%llx", (0x100000ULL + 16 * i) << 12);
				snprintf(uuid, sizeof(uuid), "00000000-0000-0000-0000-%012x", d);
				if (!xs_write(h, t, path(p, sizeof(p), "%s/begin", e), v, strlen(v)) ||
				    !xs_write(h, t, path(p, sizeof(p), "%s/size", e), "0x10000", 7) ||
				    !xs_write(h, t, path(p, sizeof(p), "%s/offset", e), "0x0", 3) ||
				    !xs_write(h, t, path(p, sizeof(p), "%s/prot", e), "rw", 2) ||
				    !xs_write(h, t, path(p, sizeof(p), "%s/uuid", e), uuid, strlen(uuid)) ||
				    !xs_write(h, t, path(p, sizeof(p), "%s/state", e), "mapped", 6))
					die("xs_write borrower");
				write_view(h, t, i, d, owner, first, borrowers);
			}
			path(v, sizeof(v), "%d", 1 + borrowers);
			if (!xs_write(h, t, path(p, sizeof(p), "%s/usercnt", base), v, strlen(v)))
				die("xs_write usercnt");
			if (xs_transaction_end(h, t, false))
				break;
			if (errno != EAGAIN)
				die("xs_transaction_end");
		}
	}
	printf("wrote %d regions x %d borrowers in %.3f s\n", n, borrowers, now() - t0);
	xs_close(h);
	return 0;
}
