/*
 * baseline-pipelined write N BORROWERS OWNER_DOMID FIRST_BORROWER_DOMID SOURCE
 * baseline-pipelined read
 *
 * The floor with pipelining: the same records as writer.c and reader.c, but on the raw wire protocol
 * (xen/io/xs_wire.h) over the daemon's unix socket ($XENSTORED_PATH), sending requests back to back and reading
 * the replies in order, WINDOW (128) in flight at most, as sshm-reconcile's reads do.
 *
 * write: per region, XS_TRANSACTION_START (one wait), then every write and the permission set back to back, every
 *        reply checked (an error ends the program), then XS_TRANSACTION_END (one wait); EAGAIN there starts the
 *        region over. Three waits per region.
 * read:  the index listing; the shard listings; every record's and borrower list's listing; every leaf, the
 *        record's permissions and the borrowers' guest views; the owners' views (their paths need the owner read
 *        before): five stages, each pipelined. A view is its listing and each node's value and permissions.
 * react ROUNDS REGION OWNER_DOMID FIRST_DOMID: the floor of the daemon's reaction to a new borrower of REGION (a
 *        record with one borrower slot, its owner's view in place, as Benchmarks/daemon/run leaves it): the two
 *        transactions sshm-reconcile sends from the domain's arrival to "mapped", with the same requests (see
 *        docs/design.md, "Transactions on the wire"), without the hypervisor call and the tool's own reads and
 *        planning. Per round, a new domain is built (not timed), the two transactions run (timed), then the
 *        borrower is removed again (not timed). Prints p50, p90, p99 and max in milliseconds.
 */
#include "common.h"
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

#define WINDOW 128

struct req {
	uint32_t type;
	char *payload;
	uint32_t len;
	/* The reply: body (NUL-terminated for convenience), its length and type. */
	char *body;
	uint32_t body_len;
	uint32_t reply_type;
};

static int fd;
static char inbuf[1 << 16];
static size_t inlen, inpos;

static void fill(void)
{
	if (inpos > 0) {
		memmove(inbuf, inbuf + inpos, inlen - inpos);
		inlen -= inpos;
		inpos = 0;
	}
	ssize_t n = read(fd, inbuf + inlen, sizeof(inbuf) - inlen);
	if (n <= 0)
		die("read");
	inlen += n;
}

/* Reads one reply into r. */
static void receive(struct req *r)
{
	struct xsd_sockmsg h;

	while (inlen - inpos < sizeof(h))
		fill();
	memcpy(&h, inbuf + inpos, sizeof(h));
	if (h.len > XENSTORE_PAYLOAD_MAX)
		die("oversized reply");
	while (inlen - inpos < sizeof(h) + h.len)
		fill();
	r->body = malloc(h.len + 1);
	if (!r->body)
		die("malloc");
	memcpy(r->body, inbuf + inpos + sizeof(h), h.len);
	r->body[h.len] = 0;
	r->body_len = h.len;
	r->reply_type = h.type;
	inpos += sizeof(h) + h.len;
}

static void send_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0)
			die("write");
		p += w;
		n -= w;
	}
}

/* Sends the requests of r[0..n) in transaction tx, at most WINDOW in flight, each burst in one write. */
static void run(struct req *r, int n, uint32_t tx)
{
	static char out[WINDOW * (sizeof(struct xsd_sockmsg) + 512)];
	int sent = 0, done = 0;

	while (done < n) {
		if (sent - done <= WINDOW / 2 && sent < n) {
			size_t len = 0;
			while (sent < n && sent - done < WINDOW && len + sizeof(struct xsd_sockmsg) + r[sent].len <= sizeof(out)) {
				struct xsd_sockmsg h = { .type = r[sent].type, .req_id = sent, .tx_id = tx, .len = r[sent].len };
				memcpy(out + len, &h, sizeof(h));
				memcpy(out + len + sizeof(h), r[sent].payload, r[sent].len);
				len += sizeof(h) + r[sent].len;
				sent++;
			}
			send_all(out, len);
		}
		receive(&r[done++]);
	}
}

static void set(struct req *r, uint32_t type, const char *path, const char *value)
{
	size_t p = strlen(path) + 1, v = value ? strlen(value) : 0;

	r->type = type;
	r->payload = malloc(p + v + 1);
	if (!r->payload)
		die("malloc");
	memcpy(r->payload, path, p);
	if (value)
		memcpy(r->payload + p, value, v + 1);
	r->len = p + v;
	r->body = NULL;
}

/* XS_SET_PERMS of path to n0,r<domid>: the list's entries are NUL-terminated, the last one too. */
static void set_view_perms(struct req *r, const char *path, int domid)
{
	char perms[32];
	size_t p = strlen(path) + 1;
	int v = snprintf(perms, sizeof(perms), "n0%cr%d", 0, domid) + 1;

	r->type = XS_SET_PERMS;
	r->payload = malloc(p + v);
	if (!r->payload)
		die("malloc");
	memcpy(r->payload, path, p);
	memcpy(r->payload + p, perms, v);
	r->len = p + v;
	r->body = NULL;
}

/* Queues the writes of region i's guest view for domain d at r; returns how many. */
static int set_view(struct req *r, int i, int d, int owner, int first, int borrowers)
{
	const char *values[8];
	char p[256], dir[128], begin[32], peer[1024];
	int n = 0, l;

	view_values(values, begin, sizeof(begin), peer, sizeof(peer), i, d, owner, first, borrowers);
	path(dir, sizeof(dir), "/local/domain/%d/static_shm/r%d", d, i);
	set(&r[n++], XS_WRITE, dir, "");
	set_view_perms(&r[n++], dir, d);
	for (l = 0; view_leaves[l]; l++)
		set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/%s", dir, view_leaves[l]), values[l]);
	return n;
}

/* Queues the reads of a member's guest view at r; returns how many. */
static int get_view(struct req *r, const char *domid, const char *id)
{
	char p[256], dir[160];
	int n = 0;

	path(dir, sizeof(dir), "/local/domain/%s/static_shm/%s", domid, id);
	set(&r[n++], XS_DIRECTORY, dir, NULL);
	set(&r[n++], XS_GET_PERMS, dir, NULL);
	for (int l = 0; view_leaves[l]; l++) {
		set(&r[n++], XS_READ, path(p, sizeof(p), "%s/%s", dir, view_leaves[l]), NULL);
		set(&r[n++], XS_GET_PERMS, p, NULL);
	}
	return n;
}

static void release(struct req *r, int n)
{
	for (int i = 0; i < n; i++) {
		free(r[i].payload);
		free(r[i].body);
	}
}

static int failed(const struct req *r)
{
	return r->reply_type == XS_ERROR;
}

/* One request on its own, waiting for the answer. */
static struct req one(uint32_t type, const char *payload, uint32_t tx)
{
	struct req r;

	set(&r, type, payload, NULL);
	run(&r, 1, tx);
	return r;
}

static uint32_t start_transaction(void)
{
	struct req start = one(XS_TRANSACTION_START, "", 0);
	if (failed(&start))
		die("XS_TRANSACTION_START");
	uint32_t tx = strtoul(start.body, NULL, 10);
	release(&start, 1);
	return tx;
}

/* Commits tx; returns 0 on EAGAIN. */
static int end_transaction(uint32_t tx)
{
	struct req end = one(XS_TRANSACTION_END, "T", tx);
	int ok = !failed(&end);
	if (!ok && strcmp(end.body, "EAGAIN"))
		die("XS_TRANSACTION_END");
	release(&end, 1);
	return ok;
}

static int write_region(int i, int borrowers, int owner, int first, const char *source)
{
	struct req r[512];
	char p[256], v[128], base[128], uuid[64], e[160];
	int n = 0, b;
	uint32_t tx = start_transaction();

	snprintf(base, sizeof(base), "/libxl/static_shm/r%d", i);
	snprintf(uuid, sizeof(uuid), "00000000-0000-0000-0000-%012x", owner);
	snprintf(v, sizeof(v), "%d", owner);
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/master", base), v);
	snprintf(v, sizeof(v), "0x%llx", (0x10000ULL + 16 * i) << 12);
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/begin", base), v);
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/size", base), "0x10000");
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/prot", base), "rw");
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/cache_policy", base), "x86_normal");
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/manager", base), "sshm-reconcile");
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/source", base), source);
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/owner_uuid", base), uuid);
	set(&r[n], XS_SET_PERMS, base, "n0");
	r[n++].len += 1; /* the permission list ends with a NUL too */
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "/tool/sshm-reconcile/index/%02x/r%d", shard(base + 18), i), "");
	n += set_view(&r[n], i, owner, owner, first, borrowers);
	for (b = 0; b < borrowers; b++) {
		int d = first + b;

		snprintf(e, sizeof(e), "%s/slaves/%d", base, d);
		snprintf(v, sizeof(v), "0x%llx", (0x100000ULL + 16 * i) << 12);
		snprintf(uuid, sizeof(uuid), "00000000-0000-0000-0000-%012x", d);
		set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/begin", e), v);
		set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/size", e), "0x10000");
		set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/offset", e), "0x0");
		set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/prot", e), "rw");
		set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/uuid", e), uuid);
		set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/state", e), "mapped");
		n += set_view(&r[n], i, d, owner, first, borrowers);
	}
	snprintf(v, sizeof(v), "%d", 1 + borrowers);
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/usercnt", base), v);
	run(r, n, tx);
	for (b = 0; b < n; b++)
		if (failed(&r[b])) {
			fprintf(stderr, "%s: %s\n", r[b].payload, r[b].body);
			exit(1);
		}
	release(r, n);
	return end_transaction(tx);
}

/* NUL-separated names of a listing reply, as an array (the names point into body). */
static int names(const struct req *r, char **out, int max)
{
	int n = 0;

	if (failed(r))
		return 0;
	for (uint32_t at = 0; at < r->body_len && n < max; at += strlen(r->body + at) + 1)
		if (r->body[at])
			out[n++] = r->body + at;
	return n;
}

static int read_all(void)
{
	static const char *header[] = { "master", "owner", "begin", "size", "prot", "cache_policy", "usercnt",
					"manager", "source", "owner_uuid", NULL };
	static const char *leaves[] = { "begin", "size", "offset", "prot", "uuid", "state", NULL };
	char p[256], *list[4096];
	int nshards, nids = 0, i, j, k, l, n, reads = 0;

	struct req index = one(XS_DIRECTORY, "/tool/sshm-reconcile/index", 0);
	nshards = names(&index, list, 4096);
	struct req *shards = calloc(nshards + 1, sizeof(*shards));
	for (i = 0; i < nshards; i++)
		set(&shards[i], XS_DIRECTORY, path(p, sizeof(p), "/tool/sshm-reconcile/index/%s", list[i]), NULL);
	run(shards, nshards, 0);

	char **ids = NULL;
	for (i = 0; i < nshards; i++) {
		n = names(&shards[i], list, 4096);
		ids = realloc(ids, (nids + n) * sizeof(*ids));
		for (j = 0; j < n; j++)
			ids[nids++] = strdup(list[j]);
	}
	struct req *dirs = calloc(2 * nids + 1, sizeof(*dirs));
	for (i = 0; i < nids; i++) {
		set(&dirs[2 * i], XS_DIRECTORY, path(p, sizeof(p), "/libxl/static_shm/%s", ids[i]), NULL);
		set(&dirs[2 * i + 1], XS_DIRECTORY, path(p, sizeof(p), "/libxl/static_shm/%s/slaves", ids[i]), NULL);
	}
	run(dirs, 2 * nids, 0);

	/* Leaves, permissions and borrower views; master's position per region, to build the owner views after. */
	int cap = nids * (16 + 64 * 24) + 1, nleaves = 0, *master = calloc(nids + 1, sizeof(int));
	struct req *leaf = calloc(cap, sizeof(*leaf));
	for (i = 0; i < nids; i++) {
		char *children[64], *entries[64];
		int nc = names(&dirs[2 * i], children, 64), ne = names(&dirs[2 * i + 1], entries, 64);

		master[i] = -1;
		for (k = 0; k < nc; k++)
			for (l = 0; header[l]; l++)
				if (!strcmp(children[k], header[l])) {
					if (l == 0)
						master[i] = nleaves;
					set(&leaf[nleaves++], XS_READ,
					    path(p, sizeof(p), "/libxl/static_shm/%s/%s", ids[i], children[k]), NULL);
				}
		if (nc > 0)
			set(&leaf[nleaves++], XS_GET_PERMS, path(p, sizeof(p), "/libxl/static_shm/%s", ids[i]), NULL);
		for (k = 0; k < ne; k++) {
			for (l = 0; leaves[l]; l++)
				set(&leaf[nleaves++], XS_READ,
				    path(p, sizeof(p), "/libxl/static_shm/%s/slaves/%s/%s", ids[i], entries[k], leaves[l]),
				    NULL);
			nleaves += get_view(&leaf[nleaves], entries[k], ids[i]);
		}
	}
	run(leaf, nleaves, 0);

	struct req *roles = calloc(18 * nids + 1, sizeof(*roles));
	for (i = 0, n = 0; i < nids; i++)
		if (master[i] >= 0 && !failed(&leaf[master[i]]))
			n += get_view(&roles[n], leaf[master[i]].body, ids[i]);
	run(roles, n, 0);
	reads = nleaves + n;

	release(&index, 1);
	release(shards, nshards);
	release(dirs, 2 * nids);
	release(leaf, nleaves);
	release(roles, n);
	for (i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	free(shards);
	free(dirs);
	free(leaf);
	free(roles);
	free(master);
	printf("read %d regions (%d reads)", nids, reads);
	return nids;
}

/* Runs r[0..n) in tx and ends the program on any error reply but ENOENT for a read or a removal (nothing there). */
static void run_checked(struct req *r, int n, uint32_t tx)
{
	run(r, n, tx);
	for (int i = 0; i < n; i++)
		if (failed(&r[i]) && !(r[i].type != XS_WRITE && r[i].type != XS_SET_PERMS && !strcmp(r[i].body, "ENOENT"))) {
			fprintf(stderr, "%s: %s\n", r[i].payload, r[i].body);
			exit(1);
		}
	release(r, n);
}

/* Queues the owner's peer and state, each with its permissions, at r; returns how many. */
static int set_owner_summary(struct req *r, const char *owner_view, int owner, const char *peer, const char *state)
{
	char p[256];
	int n = 0;

	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/peer", owner_view), peer);
	set_view_perms(&r[n++], p, owner);
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/state", owner_view), state);
	set_view_perms(&r[n++], p, owner);
	return n;
}

/* The daemon's two transactions for borrower d of region id, owned by owner; returns 0 if either met EAGAIN.
 * *first is set to when the first one ended. */
static int react_once(const char *id, int owner, int d, double *first)
{
	static const char *slave[] = { "begin", "size", "offset", "prot", "uuid", "state" };
	char p[256], base[128], entry[160], view[160], owner_view[160], peer[16], uuid[64];
	const char *slave_values[6] = { "0x3000000000", "0x10000", "0x0", "rw", uuid, "mapping" };
	const char *view_values[8] = { "slave", "0x3000000000", "0x10000", "0x0", "rw", "x86_normal", peer, "mapping" };
	struct req r[64];
	int n = 0, l;

	snprintf(uuid, sizeof(uuid), "11111111-2222-4333-8444-%012d", d);
	snprintf(peer, sizeof(peer), "%d", owner);
	snprintf(base, sizeof(base), "/libxl/static_shm/%s", id);
	snprintf(entry, sizeof(entry), "%s/slaves/%d", base, d);
	snprintf(view, sizeof(view), "/local/domain/%d/static_shm/%s", d, id);
	snprintf(owner_view, sizeof(owner_view), "/local/domain/%d/static_shm/%s", owner, id);

	/* The write-ahead intent: what it is based on read first (the manager says the record exists and is the tool's),
	 * then the entry, the new view, the owner's summary. */
	uint32_t tx = start_transaction();
	set(&r[0], XS_READ, path(p, sizeof(p), "%s/manager", base), NULL);
	run_checked(r, 1, tx);
	set(&r[0], XS_DIRECTORY, path(p, sizeof(p), "%s/slaves", base), NULL);
	run_checked(r, 1, tx);
	for (l = 0; l < 6; l++)
		set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/%s", entry, slave[l]), slave_values[l]);
	set(&r[n++], XS_RM, view, NULL);
	set(&r[n++], XS_WRITE, view, "");
	set_view_perms(&r[n++], view, d);
	for (l = 0; view_leaves[l]; l++)
		set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/%s", view, view_leaves[l]), view_values[l]);
	snprintf(p, sizeof(p), "%d", d);
	n += set_owner_summary(&r[n], owner_view, owner, p, "waiting");
	run_checked(r, n, tx);
	if (!end_transaction(tx))
		return 0;
	*first = now();

	/* After the hypervisor call: mapped. */
	tx = start_transaction();
	set(&r[0], XS_DIRECTORY, path(p, sizeof(p), "%s/slaves", base), NULL);
	run_checked(r, 1, tx);
	n = 0;
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/state", entry), "mapped");
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/state", view), "mapped");
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/usercnt", base), "2");
	set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/state", owner_view), "ready");
	run_checked(r, n, tx);
	return end_transaction(tx);
}

static int react(int rounds, const char *id, int owner, int first)
{
	char p[256], base[128], owner_view[160];
	double *ms = calloc(rounds, sizeof(*ms)), *intent_ms = calloc(rounds, sizeof(*intent_ms)), intent_end = 0;
	struct req r[16];
	int n;

	snprintf(base, sizeof(base), "/libxl/static_shm/%s", id);
	snprintf(owner_view, sizeof(owner_view), "/local/domain/%d/static_shm/%s", owner, id);
	for (int i = 0; i < rounds; i++) {
		int d = first + i;

		/* The toolstack builds the domain. */
		n = 0;
		set(&r[n++], XS_WRITE, path(p, sizeof(p), "/local/domain/%d", d), "");
		set_view_perms(&r[n++], p, d);
		set(&r[n++], XS_WRITE, path(p, sizeof(p), "/local/domain/%d/name", d), "borrower-vm");
		run_checked(r, n, 0);

		double t0 = now();
		while (!react_once(id, owner, d, &intent_end))
			t0 = now();
		ms[i] = (now() - t0) * 1000;
		intent_ms[i] = (intent_end - t0) * 1000;

		/* The domain goes and its entry with it, as after the daemon's garbage collection. */
		n = 0;
		set(&r[n++], XS_RM, path(p, sizeof(p), "/local/domain/%d", d), NULL);
		set(&r[n++], XS_RM, path(p, sizeof(p), "%s/slaves/%d", base, d), NULL);
		set(&r[n++], XS_WRITE, path(p, sizeof(p), "%s/usercnt", base), "1");
		n += set_owner_summary(&r[n], owner_view, owner, "", "ready");
		run_checked(r, n, 0);
	}
	qsort(ms, rounds, sizeof(*ms), cmp_double);
	qsort(intent_ms, rounds, sizeof(*intent_ms), cmp_double);
	printf("reaction floor over %d rounds: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (the first "
	       "transaction: p50 %.2f ms)\n",
	       rounds, ms[rounds / 2], ms[rounds * 90 / 100],
	       ms[rounds * 99 / 100 < rounds ? rounds * 99 / 100 : rounds - 1], ms[rounds - 1], intent_ms[rounds / 2]);
	free(ms);
	free(intent_ms);
	return 0;
}

int main(int argc, char **argv)
{
	const char *socket_path = getenv("XENSTORED_PATH");
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	double t0;

	if (!socket_path || strlen(socket_path) >= sizeof(address.sun_path) ||
	    !((argc == 7 && !strcmp(argv[1], "write")) || (argc == 2 && !strcmp(argv[1], "read")) ||
	      (argc == 6 && !strcmp(argv[1], "react")))) {
		fprintf(stderr,
			"usage: XENSTORED_PATH=SOCKET %s write N BORROWERS OWNER_DOMID FIRST_BORROWER_DOMID SOURCE\n"
			"       XENSTORED_PATH=SOCKET %s read\n"
			"       XENSTORED_PATH=SOCKET %s react ROUNDS REGION OWNER_DOMID FIRST_DOMID\n",
			argv[0], argv[0], argv[0]);
		return 2;
	}
	strcpy(address.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof(address)))
		die("connect");
	if (!strcmp(argv[1], "react"))
		return react(atoi(argv[2]), argv[3], atoi(argv[4]), atoi(argv[5]));
	t0 = now();
	if (!strcmp(argv[1], "read")) {
		read_all();
		printf(" in %.3f s\n", now() - t0);
		return 0;
	}
	int n = atoi(argv[2]), borrowers = atoi(argv[3]), owner = atoi(argv[4]), first = atoi(argv[5]);
	if (borrowers > 20) {
		fprintf(stderr, "at most 20 borrowers: a region's requests must fit its buffer\n");
		return 2;
	}
	for (int i = 0; i < n; i++)
		while (!write_region(i, borrowers, owner, first, argv[6]))
			;
	printf("wrote %d regions x %d borrowers in %.3f s\n", n, borrowers, now() - t0);
	close(fd);
	return 0;
}
