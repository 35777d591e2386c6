/*
 * baseline-reader
 *
 * Reads every managed record the way a no-op pass must: list the index shards, then for each id list the record,
 * read its header leaves and its permissions, list its borrowers and read each borrower's leaves, and read every
 * member's guest view (its listing, and each node's value and permissions). Prints the count and the time.
 */
#include "common.h"

static const char *header[] = { "master", "owner", "begin", "size", "prot", "cache_policy", "usercnt", "manager",
				"source", "owner_uuid", NULL };
static const char *leaves[] = { "begin", "size", "offset", "prot", "uuid", "state", NULL };

static int wanted(const char *name)
{
	for (int i = 0; header[i]; i++)
		if (!strcmp(header[i], name))
			return 1;
	return 0;
}

/* Reads a member's guest view: its listing, and the value and permissions of each node. Returns the reads made. */
static long read_view(struct xs_handle *h, const char *domid, const char *id)
{
	char dir[160], p[256];
	unsigned int len;
	long reads = 2;

	path(dir, sizeof(dir), "/local/domain/%s/static_shm/%s", domid, id);
	free(xs_directory(h, XBT_NULL, dir, &len));
	free(xs_get_permissions(h, XBT_NULL, dir, &len));
	for (int l = 0; view_leaves[l]; l++) {
		free(xs_read(h, XBT_NULL, path(p, sizeof(p), "%s/%s", dir, view_leaves[l]), &len));
		free(xs_get_permissions(h, XBT_NULL, p, &len));
		reads += 2;
	}
	return reads;
}

int main(void)
{
	struct xs_handle *h = xs_open(0);
	unsigned nshards, nids, nchildren, nentries, i, j, k, l, len;
	char **shards, **ids, **children, **entries;
	char p[256];
	double t0;
	long regions = 0, reads = 0;

	if (!h)
		die("xs_open");
	t0 = now();
	shards = xs_directory(h, XBT_NULL, "/tool/sshm-reconcile/index", &nshards);
	for (i = 0; shards && i < nshards; i++) {
		ids = xs_directory(h, XBT_NULL, path(p, sizeof(p), "/tool/sshm-reconcile/index/%s", shards[i]), &nids);
		for (j = 0; ids && j < nids; j++) {
			char base[160], *owner = NULL;

			snprintf(base, sizeof(base), "/libxl/static_shm/%s", ids[j]);
			children = xs_directory(h, XBT_NULL, base, &nchildren);
			if (!children)
				continue;
			regions++;
			for (k = 0; k < nchildren; k++) {
				if (!wanted(children[k]))
					continue;
				char *v = xs_read(h, XBT_NULL, path(p, sizeof(p), "%s/%s", base, children[k]), &len);
				reads++;
				if (!strcmp(children[k], "master"))
					owner = v;
				else
					free(v);
			}
			entries = xs_directory(h, XBT_NULL, path(p, sizeof(p), "%s/slaves", base), &nentries);
			for (k = 0; entries && k < nentries; k++) {
				for (l = 0; leaves[l]; l++) {
					free(xs_read(h, XBT_NULL, path(p, sizeof(p), "%s/slaves/%s/%s", base, entries[k], leaves[l]), &len));
					reads++;
				}
			}
			free(xs_get_permissions(h, XBT_NULL, base, &len));
			reads++;
			if (owner)
				reads += read_view(h, owner, ids[j]);
			for (k = 0; entries && k < nentries; k++)
				reads += read_view(h, entries[k], ids[j]);
			free(owner);
			free(entries);
			free(children);
		}
		free(ids);
	}
	free(shards);
	printf("read %ld regions (%ld reads) in %.3f s\n", regions, reads, now() - t0);
	xs_close(h);
	return 0;
}
