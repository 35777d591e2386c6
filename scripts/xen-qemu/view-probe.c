/*
 * view-probe: runs in a domU and reports what this domain can do with the guest view of one region.
 *
 *   view-probe ID
 *
 * Reads every leaf of its own view, /local/domain/<self>/static_shm/ID/, tries to write its own view's state, and
 * tries to read dom0's view of the same region. With a doorbell (docs/guest-view.md, "Doorbell"), for each peer P
 * its view's doorbell/ lists, it reads and tries to write P's rendezvous node for this domain,
 * /local/domain/P/static_shm/ID/doorbell/<self>/port, which only P may write. Prints one console line per
 * operation, which dom0's job compares with the manifest (the domU does not know the manifest):
 *
 *   SSHM-VIEW read role ok master
 *   SSHM-VIEW write state error EACCES Permission denied
 *   SSHM-VIEW list doorbell ok 0
 *   SSHM-VIEW write-peer-port 0 error EACCES Permission denied
 *   SSHM-VIEW done
 *
 * A libxenstore client, so that errno comes from the library itself: xenstore-write(1) prints no errno. Linked
 * statically: it sets no watch, so the static library's lack of a reader thread (build-images.sh) does not matter.
 *
 * Build: gcc -O2 -static -o view-probe view-probe.c -lxenstore -lxentoolcore -lpthread
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

static const char *errno_name(int e)
{
    switch (e) {
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case E2BIG: return "E2BIG";
    case EAGAIN: return "EAGAIN";
    default: return "EOTHER";
    }
}

static void report_error(const char *op, const char *key, int e)
{
    printf("SSHM-VIEW %s %s error %s %s\n", op, key, errno_name(e), strerror(e));
}

int main(int argc, char **argv)
{
    static const char *const leaves[] = {"role", "begin", "size", "offset", "prot", "cache_policy", "peer", "state"};
    if (argc != 2 || strchr(argv[1], '/') != NULL) {
        fprintf(stderr, "usage: view-probe REGION-ID\n");
        return 64;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct xs_handle *h = xs_open(0);
    if (h == NULL) {
        printf("SSHM-VIEW open - error %s %s\n", errno_name(errno), strerror(errno));
        printf("SSHM-VIEW done\n");
        return 1;
    }
    unsigned int len = 0;
    char *self = xs_read(h, XBT_NULL, "domid", &len);
    if (self == NULL) {
        report_error("read", "domid", errno);
        printf("SSHM-VIEW done\n");
        return 1;
    }
    printf("SSHM-VIEW self - ok %s\n", self);

    char path[256];
    for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
        snprintf(path, sizeof path, "/local/domain/%s/static_shm/%s/%s", self, argv[1], leaves[i]);
        char *value = xs_read(h, XBT_NULL, path, &len);
        if (value == NULL) {
            report_error("read", leaves[i], errno);
        } else {
            printf("SSHM-VIEW read %s ok %s\n", leaves[i], value);
            free(value);
        }
    }

    /* The view is dom0's: the guest may read it and nothing else. */
    snprintf(path, sizeof path, "/local/domain/%s/static_shm/%s/state", self, argv[1]);
    if (xs_write(h, XBT_NULL, path, "mapped", strlen("mapped")))
        printf("SSHM-VIEW write state ok (the guest changed its own view)\n");
    else
        report_error("write", "state", errno);

    snprintf(path, sizeof path, "/local/domain/0/static_shm/%s/begin", argv[1]);
    char *other = xs_read(h, XBT_NULL, path, &len);
    if (other != NULL) {
        printf("SSHM-VIEW read-dom0 begin ok %s\n", other);
        free(other);
    } else {
        report_error("read-dom0", "begin", errno);
    }

    snprintf(path, sizeof path, "/local/domain/%s/static_shm/%s/doorbell", self, argv[1]);
    unsigned int npeers = 0;
    char **peers = xs_directory(h, XBT_NULL, path, &npeers);
    if (peers == NULL) {
        report_error("list", "doorbell", errno);
    } else {
        printf("SSHM-VIEW list doorbell ok");
        for (unsigned int i = 0; i < npeers; i++) printf("%s%s", i ? "," : " ", peers[i]);
        printf("\n");
        for (unsigned int i = 0; i < npeers; i++) {
            snprintf(path, sizeof path, "/local/domain/%s/static_shm/%s/doorbell/%s/port", peers[i], argv[1], self);
            char *port = xs_read(h, XBT_NULL, path, &len);
            if (port != NULL) {
                printf("SSHM-VIEW read-peer-port %s ok %s\n", peers[i], port);
                free(port);
            } else {
                report_error("read-peer-port", peers[i], errno);
            }
            /* Were it writable, dom0 would find "1" in its node: a broken pair, which the job would see too. */
            if (xs_write(h, XBT_NULL, path, "1", 1))
                printf("SSHM-VIEW write-peer-port %s ok (the guest changed its peer's port)\n", peers[i]);
            else
                report_error("write-peer-port", peers[i], errno);
        }
        free(peers);
    }
    free(self);
    xs_close(h);
    printf("SSHM-VIEW done\n");
    return 0;
}
