/* sshm-guest: what a guest needs from sshm-reconcile's view of its static shared-memory regions
 * (docs/guest-view.md). Runs inside a Linux guest with libxenstore (Debian: libxenstore4), or in dom0 with --domid.
 *
 *   sshm-guest info [--domid N]                      every region of this domain, one line each
 *   sshm-guest wait --region ID [--domid N] [--timeout SECONDS]
 *                                                    until the region is usable here: a borrower's pages mapped,
 *                                                    an owner's borrowers all mapped
 *   sshm-guest doorbell --region ID [--ping N [--peer DOMID] | --serve] [--domid N] [--timeout SECONDS]
 *                                                    the region's doorbell (sshm_handshake.c): meets the peer, then
 *                                                    rings N times and prints the round-trip times, or answers
 *                                                    every ring until the pair's nodes are removed
 *
 * Exit codes: 0 done; 1 a view is malformed, or the doorbell was removed during --ping; 64 usage; 69 xenstore or the
 * event channel device unavailable, or the view is not readable here (EACCES); 75 the wait timed out. */
#include "sshm_doorbell.h"
#include "sshm_view.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>

static int usage(void)
{
    fprintf(stderr, "usage: sshm-guest info [--domid N]\n"
                    "       sshm-guest wait --region ID [--domid N] [--timeout SECONDS]\n"
                    "       sshm-guest doorbell --region ID [--ping N [--peer DOMID] | --serve] [--domid N]"
                    " [--timeout SECONDS]\n");
    return 64;
}

static int own_domid(struct xs_handle *xs, unsigned *domid)
{
    unsigned int len = 0;
    char *value = xs_read(xs, XBT_NULL, "domid", &len); /* relative: this connection's own /local/domain/<id> */
    if (!value) return -1;
    uint16_t parsed;
    int rc = len <= 5 ? sshm_parse_domid(value, len, &parsed) : -1;
    free(value);
    if (rc != 0) {
        errno = EINVAL;
        return -1;
    }
    *domid = parsed;
    return 0;
}

static void print_view(const struct sshm_view *v)
{
    if (v->role == SSHM_ROLE_BORROWER) {
        printf("%s: borrower from dom%u", v->id, v->peers[0]);
    } else if (v->npeers == 0) {
        printf("%s: owner (no borrower yet)", v->id);
    } else {
        printf("%s: owner for", v->id);
        for (size_t i = 0; i < v->npeers; i++) printf(" dom%u", v->peers[i]);
    }
    printf(", begin 0x%llx, size 0x%llx (%llu pages), offset 0x%llx, %s, %s, %s\n", (unsigned long long)v->begin,
           (unsigned long long)v->size, (unsigned long long)(v->size / 4096), (unsigned long long)v->offset,
           sshm_prot_name(v->prot), v->cache_policy, sshm_state_name(v->state));
}

static int failed(const char *what, const char *why)
{
    int err = errno;
    if (err == EINVAL)
        fprintf(stderr, "sshm-guest: %s: %s; ask the host's operator to run sshm-reconcile, which repairs views\n",
                what, why ? why : "malformed");
    else
        fprintf(stderr, "sshm-guest: %s%s%s: %s\n", what, why ? ", " : "", why ? why : "", strerror(err));
    if (err == EINVAL) return 1;
    return 69;
}

static int info(struct xs_handle *xs, unsigned domid)
{
    char path[64];
    snprintf(path, sizeof(path), "/local/domain/%u/static_shm", domid);
    unsigned int num = 0;
    char **ids = xs_directory(xs, XBT_NULL, path, &num);
    if (!ids) {
        if (errno == ENOENT) {
            printf("dom%u has no static shared-memory regions\n", domid);
            return 0;
        }
        return failed(path, NULL);
    }
    int rc = 0;
    if (num > SSHM_REGIONS_MAX) {
        fprintf(stderr, "sshm-guest: %s lists %u regions; only the first %d are shown\n", path, num, SSHM_REGIONS_MAX);
        num = SSHM_REGIONS_MAX;
    }
    for (unsigned i = 0; i < num; i++) {
        struct sshm_view view;
        const char *why = NULL;
        if (sshm_view_read(xs, domid, ids[i], &view, &why) == 0) {
            print_view(&view);
        } else {
            char what[64 + SSHM_ID_MAX];
            snprintf(what, sizeof(what), "region %.*s of dom%u", SSHM_ID_MAX, ids[i], domid);
            int code = failed(what, why);
            if (code > rc) rc = code;
        }
    }
    free(ids);
    return rc;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usable(const struct sshm_view *v)
{
    return v->state == (v->role == SSHM_ROLE_OWNER ? SSHM_STATE_READY : SSHM_STATE_MAPPED);
}

/* A watch on the region's directory fires on every change under it; each firing rereads the view. The first firing
 * comes at once (xenstore fires a new watch once), so a view already usable returns without waiting. */
static int wait_region(struct xs_handle *xs, unsigned domid, const char *id, double timeout)
{
    char path[64 + SSHM_ID_MAX];
    char parsed[SSHM_ID_MAX + 1];
    if (sshm_parse_id(id, strlen(id), parsed) != 0) {
        fprintf(stderr, "sshm-guest: region id '%s' is not [A-Za-z0-9_-]{1,128}\n", id);
        return 64;
    }
    snprintf(path, sizeof(path), "/local/domain/%u/static_shm/%s", domid, parsed);
    if (!xs_watch(xs, path, "sshm")) return failed(path, "watch");
    double deadline = now() + timeout;
    const char *last = "no view yet";
    int announced = 0;
    for (;;) {
        struct sshm_view view;
        const char *why = NULL;
        if (sshm_view_read(xs, domid, parsed, &view, &why) == 0) {
            if (usable(&view)) {
                print_view(&view);
                return 0;
            }
            last = sshm_state_name(view.state);
        } else if (errno == EACCES) {
            return failed(path, NULL);
        }
        if (!announced) {
            fprintf(stderr, "sshm-guest: waiting for region %s of dom%u (state: %s)\n", parsed, domid, last);
            announced = 1;
        }
        double left = deadline - now();
        if (left <= 0) break;
        struct pollfd fd = {.fd = xs_fileno(xs), .events = POLLIN};
        int ready = poll(&fd, 1, (int)(left * 1000) + 1);
        if (ready < 0 && errno != EINTR) return failed("poll", NULL);
        if (ready > 0) {
            unsigned int n = 0;
            char **event = xs_read_watch(xs, &n);
            if (!event) return failed(path, "watch");
            free(event);
        }
    }
    fprintf(stderr, "sshm-guest: region %s of dom%u is not usable after %.0f s (state: %s)\n", parsed, domid, timeout,
            last);
    return 75;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage();
    const char *command = argv[1], *region = NULL;
    long domid = -1, peer = -1, ping = 0;
    int serve = 0;
    double timeout = 30;
    for (int i = 2; i < argc; i++) {
        char *end = NULL;
        if ((strcmp(argv[i], "--domid") == 0 || strcmp(argv[i], "--peer") == 0) && i + 1 < argc) {
            long *which = argv[i][2] == 'd' ? &domid : &peer;
            errno = 0;
            *which = strtol(argv[++i], &end, 10);
            if (errno || end == argv[i] || *end || *which < 0 || *which > SSHM_DOMID_MAX) return usage();
        } else if (strcmp(argv[i], "--ping") == 0 && i + 1 < argc) {
            errno = 0;
            ping = strtol(argv[++i], &end, 10);
            if (errno || end == argv[i] || *end || ping < 1 || ping > 10000000) return usage();
        } else if (strcmp(argv[i], "--serve") == 0) {
            serve = 1;
        } else if (strcmp(argv[i], "--region") == 0 && i + 1 < argc) {
            region = argv[++i];
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            errno = 0;
            timeout = strtod(argv[++i], &end);
            if (errno || *end || !(timeout > 0 && timeout <= 86400)) return usage();
        } else {
            return usage();
        }
    }
    int doorbell = strcmp(command, "doorbell") == 0;
    int known = strcmp(command, "info") == 0 || (strcmp(command, "wait") == 0 && region);
    if (doorbell ? !region || !ping == !serve || (serve && peer >= 0) : !known || ping || serve || peer >= 0)
        return usage();

    struct xs_handle *xs = xs_open(0);
    if (!xs) return failed("xenstore", "open");
    unsigned self;
    int rc;
    if (domid >= 0) {
        self = (unsigned)domid;
    } else if (own_domid(xs, &self) != 0) {
        rc = failed("this domain's domid", NULL);
        xs_close(xs);
        return rc;
    }
    if (doorbell) {
        struct sshm_doorbell_options opt = {
            .region = region, .self = self, .peer = peer, .ping = ping, .timeout = timeout};
        rc = sshm_doorbell_run(xs, &sshm_evtchn_linked, &opt);
    } else {
        rc = strcmp(command, "info") == 0 ? info(xs, self) : wait_region(xs, self, region, timeout);
    }
    xs_close(xs);
    return rc;
}
