/*
 * guest-view: waits until this domain's part of a shared-memory region is in place, then prints where it is
 * (docs/guest-view.md). Runs inside a Linux guest, as root, with libxenstore (Debian: libxenstore4, libxen-dev to
 * build):
 *
 *     gcc -std=c11 -Wall -Wextra -o guest-view guest-view.c -lxenstore
 *     ./guest-view telemetry
 *
 * Paths without a leading slash are the guest's own: static_shm/ID is /local/domain/<its domid>/static_shm/ID.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

static const char *const leaves[] = {"role", "begin", "size", "offset", "prot", "cache_policy", "peer", "state"};

/* Reads static_shm/ID/LEAF; NULL (errno set) when it is missing or unreadable. The caller frees the value. */
static char *read_leaf(struct xs_handle *xs, const char *id, const char *leaf)
{
    char path[256];
    unsigned int length;
    if (snprintf(path, sizeof path, "static_shm/%s/%s", id, leaf) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    return xs_read(xs, XBT_NULL, path, &length);
}

/* A borrower's part is in place once it is mapped; an owner's once its view exists (waiting or ready). */
static int in_place(const char *state)
{
    return strcmp(state, "mapped") == 0 || strcmp(state, "waiting") == 0 || strcmp(state, "ready") == 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s REGION-ID\n", argv[0]);
        return 64;
    }
    const char *id = argv[1];
    struct xs_handle *xs = xs_open(0);
    if (xs == NULL) {
        perror("xs_open");
        return 69;
    }
    char state_path[256];
    if (snprintf(state_path, sizeof state_path, "static_shm/%s/state", id) >= (int)sizeof state_path) {
        fprintf(stderr, "region id too long\n");
        return 64;
    }
    /* Watch first, then read: a change between the two still wakes the loop. */
    if (!xs_watch(xs, state_path, "sshm")) {
        perror("xs_watch");
        return 69;
    }
    for (;;) {
        char *state = read_leaf(xs, id, "state");
        if (state == NULL && errno != ENOENT) {
            perror(state_path);
            return 69;
        }
        int done = state != NULL && in_place(state);
        free(state);
        if (done)
            break;
        unsigned int count;
        char **event = xs_read_watch(xs, &count);
        if (event == NULL) {
            perror("xs_read_watch");
            return 69;
        }
        free(event);
    }
    for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
        char *value = read_leaf(xs, id, leaves[i]);
        if (value == NULL) {
            perror(leaves[i]);
            return 69;
        }
        printf("%s=%s\n", leaves[i], value);
        free(value);
    }
    xs_close(xs);
    return 0;
}
