/* sshm_handshake.c: `sshm-guest doorbell`, the guest's side of the doorbell protocol (docs/guest-view.md,
 * "Doorbell"), over any event-channel table (sshm_doorbell.h).
 *
 * Everything is driven by one watch on the region's own view directory (it covers this side's doorbell/ subtree)
 * and one per pair on the peer's port node; on every event the whole state is read again and each pair brought one
 * step closer to connected (sync). The guest never fights the host: a value it did not write in its own port node
 * is reported and left for sshm-reconcile to reset. */
#include "sshm_doorbell.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>

#define NOTE_MAX 200

struct pair {
    unsigned peer;
    unsigned local;    /* this side's port for the pair; 0: none */
    unsigned bound_to; /* a borrower: the owner's port `local` is bound to */
    bool published;    /* `local` is in this side's port node */
    bool fresh;        /* not looked at yet: a value in this side's node is an earlier run's, whose port is gone */
    bool present;      /* this side's port node exists */
    bool connected;
    bool watching; /* the peer's port node */
    /* The last message about each node, so that a value that stays bad is reported once, not on every event. */
    char note_mine[NOTE_MAX], note_peer[NOTE_MAX], note_bind[NOTE_MAX];
};

struct doorbell {
    struct xs_handle *xs;
    const struct sshm_evtchn_ops *ev;
    void *eh;
    unsigned self;
    char id[SSHM_ID_MAX + 1];
    char dir[SSHM_DOORBELL_PATH_MAX]; /* this side's doorbell/ */
    bool known;                       /* the view was read: role and owner are set */
    bool owner;
    struct pair pairs[SSHM_PEERS_MAX];
    size_t npairs;
    char note_dir[NOTE_MAX];
    int fatal; /* the exit code of a failure that ends the run; 0: none */
};

static double now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0; /* cannot fail for CLOCK_MONOTONIC on Linux */
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints a message unless it is the one last printed into `last`. */
__attribute__((format(printf, 2, 3))) static void note(char last[NOTE_MAX], const char *format, ...)
{
    char text[NOTE_MAX];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(text, sizeof(text), format, args);
    va_end(args);
    if (n < 0 || strcmp(text, last) == 0) return;
    memcpy(last, text, sizeof(text));
    fprintf(stderr, "sshm-guest: %s\n", text);
}

static int fail(struct doorbell *d, int code, const char *what)
{
    fprintf(stderr, "sshm-guest: %s: %s\n", what, strerror(errno));
    d->fatal = code;
    return -1;
}

/* fail(), for the callers that return the exit code. */
static int stop(struct doorbell *d, int code, const char *what)
{
    fail(d, code, what);
    return code;
}

/* A hostile value, shown bounded and printable: at most 16 characters, then its length. */
static void show(const char *value, size_t len, char out[48])
{
    size_t i, n = len < 16 ? len : 16;
    out[0] = '\'';
    for (i = 0; i < n; i++) out[1 + i] = value[i] >= 0x20 && value[i] < 0x7f ? value[i] : '?';
    snprintf(out + 1 + n, 48 - 1 - n, "%s', %zu bytes", len > n ? "..." : "", len);
}

enum node { ABSENT, EMPTY, PORT, BAD };

/* Reads a port node. ABSENT also covers EACCES: the host has not given this domain the node yet. */
static enum node read_port(struct doorbell *d, const char *path, unsigned *port, char shown[48])
{
    unsigned int len = 0;
    char *value = xs_read(d->xs, XBT_NULL, path, &len);
    if (!value) {
        if (errno != ENOENT && errno != EACCES) fail(d, 69, path);
        return ABSENT;
    }
    uint32_t parsed = 0;
    int rc = sshm_parse_port(value, len, &parsed);
    if (rc != 0) show(value, len, shown);
    free(value);
    *port = parsed;
    return rc != 0 ? BAD : parsed == 0 ? EMPTY : PORT;
}

/* Writes this side's port node (0: empty), only if it still exists: a pair the host removes meanwhile must not be
 * recreated by the guest (in a real guest its permissions forbid that anyway; over the tests' socket they do not). */
static int write_port(struct doorbell *d, const char *path, unsigned port)
{
    char value[SSHM_PORT_LEN_MAX + 1] = "";
    int n = port ? snprintf(value, sizeof(value), "%u", port) : 0;
    if (n < 0 || (size_t)n >= sizeof(value)) {
        errno = ERANGE;
        return -1;
    }
    for (int attempt = 0; attempt < 16; attempt++) {
        xs_transaction_t t = xs_transaction_start(d->xs);
        if (t == XBT_NULL) return -1;
        unsigned int len = 0;
        char *old = xs_read(d->xs, t, path, &len);
        bool ok = old && xs_write(d->xs, t, path, value, (unsigned)n);
        int err = errno;
        free(old);
        if (!ok) {
            /* The write's error is the one to report; an abort that fails means the connection failed too. */
            (void)xs_transaction_end(d->xs, t, true);
            errno = err;
            return -1;
        }
        if (xs_transaction_end(d->xs, t, false)) return 0;
        if (errno != EAGAIN) return -1;
    }
    errno = EAGAIN;
    return -1;
}

/* A failed write of this side's node: the pair went away (the next event removes it), its permissions are not this
 * domain's yet, or xenstore failed. */
static void write_failed(struct doorbell *d, struct pair *p, const char *path)
{
    if (errno == ENOENT) return;
    if (errno == EACCES) {
        note(p->note_mine, "%s is not writable here (EACCES): waiting for the host to set it up", path);
        return;
    }
    fail(d, 69, path);
}

static void drop_local(struct doorbell *d, struct pair *p)
{
    if (p->local && d->ev->unbind(d->eh, p->local) != 0)
        fprintf(stderr, "sshm-guest: closing port %u: %s\n", p->local, strerror(errno));
    p->local = p->bound_to = 0;
    p->published = p->connected = false;
}

static void set_connected(struct doorbell *d, struct pair *p, bool connected)
{
    if (connected && !p->connected)
        fprintf(stderr, "sshm-guest: doorbell of region %s connected with dom%u (local port %u)\n", d->id, p->peer,
                p->local);
    if (connected) p->note_mine[0] = p->note_peer[0] = p->note_bind[0] = '\0';
    p->connected = connected;
}

struct paths {
    char mine[SSHM_DOORBELL_PATH_MAX], peer[SSHM_DOORBELL_PATH_MAX];
};

static int pair_paths(struct doorbell *d, const struct pair *p, struct paths *out)
{
    if (sshm_doorbell_my_port_path(out->mine, sizeof(out->mine), d->self, d->id, p->peer) != 0 ||
        sshm_doorbell_peer_port_path(out->peer, sizeof(out->peer), d->self, d->id, p->peer) != 0)
        return fail(d, 1, "a doorbell path");
    return 0;
}

/* This side's node, read at the start of a step. A value in it at the pair's first sight is an earlier run's (its
 * handle, and with it the port, is gone), so it is cleared; later, a value this program did not write is left for
 * the host to reset. Returns false when the step should stop here. */
static bool check_mine(struct doorbell *d, struct pair *p, const struct paths *at, enum node *m, unsigned *mine)
{
    char shown[48] = "";
    *m = read_port(d, at->mine, mine, shown);
    p->present = *m != ABSENT;
    if (d->fatal || *m == ABSENT) {
        drop_local(d, p);
        return false;
    }
    if (p->fresh) {
        p->fresh = false;
        if (*m != EMPTY && write_port(d, at->mine, 0) != 0) {
            write_failed(d, p, at->mine);
            return false;
        }
        *m = EMPTY;
    }
    if (*m == EMPTY && p->published) {
        fprintf(stderr, "sshm-guest: the doorbell with dom%u was reset by the host: meeting again\n", p->peer);
        drop_local(d, p);
    } else if (*m == BAD || (*m == PORT && *mine != p->local)) {
        if (*m == PORT) snprintf(shown, sizeof(shown), "%u", *mine);
        note(p->note_mine, "%s holds %s, not this program's port: waiting for the host to reset the pair", at->mine,
             shown);
        set_connected(d, p, false);
        return false;
    }
    return true;
}

/* The peer's node: a port, or none (absent, empty, or hostile, which is reported). */
static bool peer_port(struct doorbell *d, struct pair *p, const struct paths *at, unsigned *port)
{
    char shown[48] = "";
    enum node t = read_port(d, at->peer, port, shown);
    if (t == BAD)
        note(p->note_peer, "dom%u's doorbell port for dom%u is not a port (%s): waiting for the host to reset the pair",
             p->peer, d->self, shown);
    return t == PORT;
}

/* The owner: publish a port allocated unbound for the borrower; connected once the borrower reports its own. */
static void owner_step(struct doorbell *d, struct pair *p)
{
    struct paths at;
    enum node m;
    unsigned mine, theirs;
    if (pair_paths(d, p, &at) != 0 || !check_mine(d, p, &at, &m, &mine)) return;
    if (m == EMPTY) {
        int port = d->ev->bind_unbound(d->eh, p->peer);
        if (port < 0) {
            char what[64];
            snprintf(what, sizeof(what), "allocating a port for dom%u", p->peer);
            fail(d, 69, what);
            return;
        }
        p->local = (unsigned)port;
        if (write_port(d, at.mine, p->local) != 0) {
            write_failed(d, p, at.mine);
            drop_local(d, p);
            return;
        }
        p->published = true;
    }
    set_connected(d, p, peer_port(d, p, &at, &theirs));
}

/* The borrower: bind the owner's port, publish the local end; unbind when the owner's goes away. */
static void borrower_step(struct doorbell *d, struct pair *p)
{
    struct paths at;
    enum node m;
    unsigned mine, theirs;
    if (pair_paths(d, p, &at) != 0 || !check_mine(d, p, &at, &m, &mine)) return;
    if (!peer_port(d, p, &at, &theirs)) {
        drop_local(d, p);
        if (m == PORT && write_port(d, at.mine, 0) != 0) write_failed(d, p, at.mine);
        return;
    }
    if (p->published && p->bound_to == theirs) {
        set_connected(d, p, true);
        return;
    }
    drop_local(d, p);
    int port = d->ev->bind_interdomain(d->eh, p->peer, theirs);
    if (port < 0) {
        note(p->note_bind, "binding dom%u's port %u: %s: waiting for the host to reset the pair", p->peer, theirs,
             strerror(errno));
        if (m == PORT && write_port(d, at.mine, 0) != 0) write_failed(d, p, at.mine);
        return;
    }
    p->local = (unsigned)port;
    p->bound_to = theirs;
    if (write_port(d, at.mine, p->local) != 0) {
        write_failed(d, p, at.mine);
        drop_local(d, p);
        return;
    }
    p->published = true;
    set_connected(d, p, true);
}

static struct pair *add_pair(struct doorbell *d, unsigned peer)
{
    struct paths at;
    struct pair *p = &d->pairs[d->npairs];
    memset(p, 0, sizeof(*p));
    p->peer = peer;
    p->fresh = true;
    if (pair_paths(d, p, &at) != 0) return NULL;
    if (!xs_watch(d->xs, at.peer, "sshm-peer")) {
        fail(d, 69, at.peer);
        return NULL;
    }
    p->watching = true;
    d->npairs++;
    return p;
}

/* Closes a pair's port. On a clean exit its node is emptied too (if the host has not removed it), so the pair reads
 * `waiting` instead of broken. */
static void close_pair(struct doorbell *d, struct pair *p, bool clear)
{
    struct paths at;
    bool paths = pair_paths(d, p, &at) == 0;
    if (clear && paths && p->published && write_port(d, at.mine, 0) != 0 && errno != ENOENT && errno != EACCES)
        fprintf(stderr, "sshm-guest: clearing %s: %s\n", at.mine, strerror(errno));
    drop_local(d, p);
    if (p->watching && paths && !xs_unwatch(d->xs, at.peer, "sshm-peer"))
        fprintf(stderr, "sshm-guest: unwatching %s: %s\n", at.peer, strerror(errno));
    p->watching = false;
}

static bool listed(const unsigned *peers, size_t n, unsigned peer)
{
    for (size_t i = 0; i < n; i++)
        if (peers[i] == peer) return true;
    return false;
}

/* The owner's pairs are the children of its doorbell/ (dom0's: a child that is not a domid is ignored). Returns 1
 * while doorbell/ exists, 0 when it does not. */
static int sync_owner(struct doorbell *d)
{
    unsigned int num = 0;
    char **kids = xs_directory(d->xs, XBT_NULL, d->dir, &num);
    if (!kids && errno != ENOENT && errno != EACCES) return fail(d, 69, d->dir);
    bool present = kids != NULL;
    unsigned peers[SSHM_PEERS_MAX];
    size_t n = 0;
    for (unsigned i = 0; kids && i < num; i++) {
        uint16_t domid;
        size_t len = strnlen(kids[i], 8);
        if (sshm_parse_domid(kids[i], len, &domid) != 0 || domid == d->self || listed(peers, n, domid)) {
            note(d->note_dir, "%s/%.8s is not a borrower's domid: ignored", d->dir, kids[i]);
        } else if (n == SSHM_PEERS_MAX) {
            note(d->note_dir, "%s lists more than %d borrowers: the rest are ignored", d->dir, SSHM_PEERS_MAX);
            break;
        } else {
            peers[n++] = domid;
        }
    }
    free(kids);
    for (size_t i = 0; i < d->npairs;) {
        if (listed(peers, n, d->pairs[i].peer)) {
            i++;
            continue;
        }
        fprintf(stderr, "sshm-guest: the doorbell with dom%u was removed; its port is closed\n", d->pairs[i].peer);
        close_pair(d, &d->pairs[i], false);
        d->pairs[i] = d->pairs[--d->npairs];
    }
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (size_t j = 0; j < d->npairs; j++) known = known || d->pairs[j].peer == peers[i];
        if (!known && !add_pair(d, peers[i])) return -1;
    }
    for (size_t i = 0; i < d->npairs && !d->fatal; i++) owner_step(d, &d->pairs[i]);
    return d->fatal ? -1 : present;
}

/* Reads the view once: the role, and for a borrower its owner (its only pair). 1 when read, 0 not there yet. */
static int learn_view(struct doorbell *d)
{
    struct sshm_view view;
    const char *why = NULL;
    if (sshm_view_read(d->xs, d->self, d->id, &view, &why) != 0) {
        if (errno == ENOENT) return 0;
        fprintf(stderr, "sshm-guest: region %s of dom%u%s%s: %s\n", d->id, d->self, why ? ", " : "", why ? why : "",
                strerror(errno));
        d->fatal = errno == EINVAL ? 1 : 69;
        return -1;
    }
    d->known = true;
    d->owner = view.role == SSHM_ROLE_OWNER;
    if (!d->owner && !add_pair(d, view.peers[0])) return -1;
    return 1;
}

/* One look at everything: 1 while this side's doorbell nodes exist, 0 while they do not, -1 on a fatal error. */
static int sync(struct doorbell *d)
{
    if (!d->known) {
        int rc = learn_view(d);
        if (rc <= 0) return rc;
    }
    if (d->owner) return sync_owner(d);
    borrower_step(d, &d->pairs[0]);
    return d->fatal ? -1 : d->pairs[0].present;
}

/* The pair `--ping` rings: the borrower's only one; the owner's given by --peer, or its only one. */
static struct pair *target(struct doorbell *d, long peer, int *rc)
{
    if (!d->owner && d->npairs == 1 && peer >= 0 && (unsigned)peer != d->pairs[0].peer) {
        fprintf(stderr, "sshm-guest: dom%u's owner in region %s is dom%u, not dom%ld\n", d->self, d->id,
                d->pairs[0].peer, peer);
        *rc = 64;
        return NULL;
    }
    if (peer < 0 && d->npairs > 1) {
        fprintf(stderr, "sshm-guest: region %s has doorbells with %zu borrowers: say which with --peer DOMID\n", d->id,
                d->npairs);
        *rc = 64;
        return NULL;
    }
    for (size_t i = 0; i < d->npairs; i++)
        if (peer < 0 || d->pairs[i].peer == (unsigned)peer) return &d->pairs[i];
    return NULL;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int report(const struct doorbell *d, const struct pair *p, double *rtt, long n)
{
    qsort(rtt, (size_t)n, sizeof(*rtt), compare);
    double median = n % 2 ? rtt[n / 2] : (rtt[n / 2 - 1] + rtt[n / 2]) / 2;
    printf("doorbell %s: %ld round trips with dom%u: median %.1f µs, min %.1f µs, max %.1f µs\n", d->id, n, p->peer,
           median, rtt[0], rtt[n - 1]);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "sshm-guest: writing the result: %s\n", strerror(errno));
        return 69;
    }
    return 0;
}

static const char *waiting_for(const struct doorbell *d)
{
    if (!d->known) return "no view of the region yet";
    if (d->npairs == 0 || (!d->owner && !d->pairs[0].present)) return "no doorbell nodes yet";
    return d->owner ? "no borrower's port yet" : "no owner's port yet";
}

/* --ping's rounds: the ring in flight (on which port, when) and the round-trip times so far. */
struct rounds {
    long wanted, done;
    double *rtt; /* µs, `wanted` of them */
    double sent_at, rung_at; /* the round's first ring, and its latest */
    unsigned port;           /* 0: no ring in flight */
};

/* A ring can be lost without an error: Xen drops one sent on a port whose peer is not bound (yet, or any more), and
 * this side cannot tell a peer's port left from an earlier meeting from a new one of the same number. So a ring not
 * answered within this many seconds is rung again; rings coalesce, and the round counts from its first ring. */
#define RING_AGAIN 1.0

/* An answer to a ring, or a ring to answer. Returns an exit code when the run ends, -1 otherwise. */
static int on_event(struct doorbell *d, struct pair *ringing, struct rounds *r)
{
    int port = d->ev->pending(d->eh);
    if (port < 0) return stop(d, 69, "the event channel");
    struct pair *p = NULL;
    for (size_t i = 0; i < d->npairs; i++)
        if (d->pairs[i].local == (unsigned)port) p = &d->pairs[i];
    if (!p) return -1; /* a ring on a port closed since */
    if (d->ev->unmask(d->eh, (unsigned)port) != 0) return stop(d, 69, "the event channel");
    if (r->wanted) {
        if (p == ringing && r->port == p->local) {
            r->rtt[r->done++] = (now() - r->sent_at) * 1e6;
            r->port = 0;
            if (r->done == r->wanted) return report(d, ringing, r->rtt, r->wanted);
        }
        return -1;
    }
    /* Answered even before this side has read the peer's port node: a ring can only come over a bound channel. */
    if (d->ev->notify(d->eh, p->local) != 0) return stop(d, 69, "answering a ring");
    return -1;
}

static int run(struct doorbell *d, const struct sshm_doorbell_options *opt, double *rtt)
{
    double deadline = now() + opt->timeout;
    bool seen = false, dirty = true, ever = false;
    struct rounds r = {.wanted = opt->ping, .rtt = rtt};
    for (;;) {
        if (dirty) {
            dirty = false;
            int present = sync(d);
            if (present < 0) return d->fatal;
            if (present) seen = true;
            if (!present && seen) {
                fprintf(stderr, "sshm-guest: the doorbell of region %s was removed%s\n", d->id,
                        opt->ping ? " before every round trip was done" : "");
                return opt->ping ? 1 : 0;
            }
        }
        int rc = -1;
        struct pair *ringing = opt->ping ? target(d, opt->peer, &rc) : NULL;
        if (rc >= 0) return rc;
        for (size_t i = 0; i < d->npairs; i++) ever = ever || d->pairs[i].connected;
        /* A ring lost to a reset (the pair's port changed) is rung again once the pair has met again. */
        if (ringing && ringing->connected && r.port != ringing->local) {
            r.sent_at = r.rung_at = now(); /* before the ring: the answer may come before notify returns */
            if (d->ev->notify(d->eh, ringing->local) != 0) return stop(d, 69, "ringing");
            r.port = ringing->local;
            deadline = r.sent_at + opt->timeout;
        } else if (ringing && r.port == ringing->local && r.port && now() - r.rung_at >= RING_AGAIN) {
            if (d->ev->notify(d->eh, r.port) != 0) return stop(d, 69, "ringing");
            r.rung_at = now();
        }
        bool bounded = opt->ping || !ever;
        double left = deadline - now();
        double again = r.rung_at + RING_AGAIN - now();
        double wait = r.port && again < left ? again : left;
        if (wait < 0) wait = 0;
        if (bounded && left <= 0) {
            if (ringing && r.port == ringing->local && r.port)
                fprintf(stderr, "sshm-guest: no answer from dom%u within %g s: is sshm-guest doorbell --serve "
                                "running there?\n", ringing->peer, opt->timeout);
            else
                fprintf(stderr, "sshm-guest: the doorbell of region %s did not connect within %g s (%s)\n", d->id,
                        opt->timeout, waiting_for(d));
            return 75;
        }
        struct pollfd fds[2] = {{.fd = xs_fileno(d->xs), .events = POLLIN},
                                {.fd = d->ev->fd(d->eh), .events = POLLIN}};
        if (fds[0].fd < 0 || fds[1].fd < 0) return stop(d, 69, "a descriptor to wait on");
        int ready = poll(fds, 2, bounded ? (int)(wait * 1000) + 1 : -1);
        if (ready < 0 && errno != EINTR) return stop(d, 69, "poll");
        if (ready <= 0) continue;
        if (fds[0].revents) {
            char **event;
            while ((event = xs_check_watch(d->xs)) != NULL) free(event);
            if (errno != EAGAIN) return stop(d, 69, "xenstore's watch");
            dirty = true;
        }
        if (fds[1].revents) {
            rc = on_event(d, ringing, &r);
            if (rc >= 0) return rc;
        }
    }
}

int sshm_doorbell_run(struct xs_handle *xs, const struct sshm_evtchn_ops *ev, const struct sshm_doorbell_options *opt)
{
    struct doorbell *d = calloc(1, sizeof(*d));
    double *rtt = opt->ping ? calloc((size_t)opt->ping, sizeof(double)) : NULL;
    char region[SSHM_DOORBELL_PATH_MAX];
    int rc = 69;
    if (!d || (opt->ping && !rtt)) {
        fprintf(stderr, "sshm-guest: %s\n", strerror(errno));
        goto out;
    }
    d->xs = xs;
    d->ev = ev;
    d->self = opt->self;
    if (sshm_parse_id(opt->region, strlen(opt->region), d->id) != 0 ||
        sshm_doorbell_dir_path(d->dir, sizeof(d->dir), d->self, d->id) != 0) {
        fprintf(stderr, "sshm-guest: region id '%.*s' is not [A-Za-z0-9_-]{1,128}\n", SSHM_ID_MAX, opt->region);
        rc = 64;
        goto out;
    }
    d->eh = ev->open(d->self);
    if (!d->eh) {
        const char *hint = ev->open_hint(errno);
        fprintf(stderr, "sshm-guest: opening the event channel device: %s\n", hint ? hint : strerror(errno));
        goto out;
    }
    snprintf(region, sizeof(region), "/local/domain/%u/static_shm/%s", d->self, d->id);
    if (!xs_watch(xs, region, "sshm-view")) {
        fprintf(stderr, "sshm-guest: watching %s: %s\n", region, strerror(errno));
        goto out;
    }
    rc = run(d, opt, rtt);
    for (size_t i = 0; i < d->npairs; i++) close_pair(d, &d->pairs[i], true);
    if (!xs_unwatch(xs, region, "sshm-view"))
        fprintf(stderr, "sshm-guest: unwatching %s: %s\n", region, strerror(errno));
out:
    if (d && d->eh && ev->close(d->eh) != 0)
        fprintf(stderr, "sshm-guest: closing the event channels: %s\n", strerror(errno));
    free(rtt);
    free(d);
    return rc;
}
