/* fake_evtchn.c: event channels without Xen, for the handshake's tests (guest/tests/doorbell-integration). Linked
 * into build/sshm-guest-fake-evtchn in place of sshm_evtchn_xen.c. Processes that play different domains share a
 * directory, $SSHM_FAKE_EVTCHN:
 *
 *   <dom>.sock      the domain's "device": a datagram socket; a ring of port p is a datagram holding p
 *   <dom>.<port>    a port: "<remote> <remote port>", remote port 0 while unbound for <remote>
 *   lock            held (flock) while a port's files change
 *
 * as Xen does: a port is allocated unbound for one remote domain, which alone may bind it; a notification on a port
 * not yet bound is dropped; closing one end of an interdomain channel leaves the other unbound for its domain; the
 * test reads the files to see who is bound to whom. */
#include "sshm_doorbell.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FAKE_PORTS 64

struct fake {
    int sock;
    int lock; /* the directory's lock: one domain's change of two ports' files must not cross another's */
    unsigned self;
    const char *dir;
    unsigned ports[FAKE_PORTS];
    size_t nports;
};

static int name(char *buf, size_t cap, const char *dir, unsigned dom, const char *suffix, unsigned port)
{
    int n = suffix ? snprintf(buf, cap, "%s/%u.%s", dir, dom, suffix) : snprintf(buf, cap, "%s/%u.%u", dir, dom, port);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* A port's file: its remote domain and remote port. */
static int load(const struct fake *f, unsigned dom, unsigned port, unsigned *remote, unsigned *remote_port)
{
    char path[256];
    if (name(path, sizeof(path), f->dir, dom, NULL, port) != 0) return -1;
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    int n = fscanf(file, "%u %u", remote, remote_port);
    if (fclose(file) != 0 || n != 2) {
        errno = EIO;
        return -1;
    }
    return 0;
}

/* Replaces a port's file at once (rename), or creates a new one only if the port is free (exclusive). */
static int store(const struct fake *f, unsigned dom, unsigned port, unsigned remote, unsigned remote_port, bool create)
{
    char path[256], tmp[256];
    if (name(path, sizeof(path), f->dir, dom, NULL, port) != 0) return -1;
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(create ? path : tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    char text[32];
    int len = snprintf(text, sizeof(text), "%u %u\n", remote, remote_port);
    bool ok = len > 0 && write(fd, text, (size_t)len) == len;
    int err = errno;
    if (close(fd) != 0 || !ok) {
        unlink(create ? path : tmp);
        errno = ok ? errno : err;
        return -1;
    }
    if (!create && rename(tmp, path) != 0) {
        err = errno;
        unlink(tmp);
        errno = err;
        return -1;
    }
    return 0;
}

static int allocate(struct fake *f, unsigned remote, unsigned remote_port)
{
    if (f->nports == FAKE_PORTS) {
        errno = ENOSPC;
        return -1;
    }
    for (unsigned port = 1; port <= SSHM_PORT_MAX; port++) {
        if (store(f, f->self, port, remote, remote_port, true) == 0) {
            f->ports[f->nports++] = port;
            return (int)port;
        }
        if (errno != EEXIST) return -1;
    }
    errno = ENOSPC;
    return -1;
}

static bool mine(const struct fake *f, unsigned port)
{
    for (size_t i = 0; i < f->nports; i++)
        if (f->ports[i] == port) return true;
    return false;
}

static void *fake_open(unsigned self)
{
    const char *dir = getenv("SSHM_FAKE_EVTCHN");
    if (!dir) {
        errno = ENOENT;
        return NULL;
    }
    struct fake *f = calloc(1, sizeof(*f));
    if (!f) return NULL;
    f->self = self;
    f->dir = dir;
    f->lock = f->sock = -1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (name(addr.sun_path, sizeof(addr.sun_path), dir, self, "sock", 0) != 0) goto fail;
    char lock[256];
    int n = snprintf(lock, sizeof(lock), "%s/lock", dir);
    if (n < 0 || (size_t)n >= sizeof(lock)) {
        errno = ENAMETOOLONG;
        goto fail;
    }
    f->lock = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    f->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (f->lock >= 0 && f->sock >= 0 && (unlink(addr.sun_path) == 0 || errno == ENOENT) && /* an earlier process's */
        bind(f->sock, (struct sockaddr *)&addr, sizeof(addr)) == 0)
        return f;
    int err = errno;
    if (f->lock >= 0) close(f->lock);
    if (f->sock >= 0) close(f->sock);
    errno = err;
fail:
    free(f);
    return NULL;
}

static int lock(struct fake *f) { return flock(f->lock, LOCK_EX); }

static int unlock(struct fake *f, int rc)
{
    int err = errno;
    if (flock(f->lock, LOCK_UN) != 0) return -1;
    errno = err;
    return rc;
}

static int unbind_locked(struct fake *f, unsigned port)
{
    unsigned remote, remote_port, back, back_port;
    char path[256];
    if (!mine(f, port) || load(f, f->self, port, &remote, &remote_port) != 0 ||
        name(path, sizeof(path), f->dir, f->self, NULL, port) != 0) {
        errno = EINVAL;
        return -1;
    }
    /* The other end, if it is still bound to this one, is left unbound for this domain. */
    if (remote_port && load(f, remote, remote_port, &back, &back_port) == 0 && back == f->self && back_port == port &&
        store(f, remote, remote_port, f->self, 0, false) != 0)
        return -1;
    if (unlink(path) != 0) return -1;
    for (size_t i = 0; i < f->nports; i++)
        if (f->ports[i] == port) f->ports[i] = f->ports[--f->nports];
    return 0;
}

static int fake_unbind(void *h, unsigned port)
{
    if (lock(h) != 0) return -1;
    return unlock(h, unbind_locked(h, port));
}

static int fake_close(void *h)
{
    struct fake *f = h;
    int rc = lock(f);
    while (rc == 0 && f->nports > 0) {
        if (unbind_locked(f, f->ports[f->nports - 1]) == 0) continue;
        rc = -1;
        f->nports--; /* its file is gone or unreadable: forget it */
    }
    rc = unlock(f, rc);
    if (close(f->lock) != 0) rc = -1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (name(addr.sun_path, sizeof(addr.sun_path), f->dir, f->self, "sock", 0) != 0 || unlink(addr.sun_path) != 0)
        rc = -1;
    if (close(f->sock) != 0) rc = -1;
    free(f);
    return rc;
}

static int fake_fd(void *h) { return ((struct fake *)h)->sock; }
static int fake_bind_unbound(void *h, unsigned remote)
{
    if (lock(h) != 0) return -1;
    return unlock(h, allocate(h, remote, 0));
}

static int bind_locked(struct fake *f, unsigned remote, unsigned remote_port)
{
    unsigned for_dom, bound;
    if (load(f, remote, remote_port, &for_dom, &bound) != 0 || for_dom != f->self || bound != 0) {
        errno = EINVAL; /* Xen's answer for a port that is not unbound for the caller */
        return -1;
    }
    int port = allocate(f, remote, remote_port);
    if (port < 0) return -1;
    if (store(f, remote, remote_port, f->self, (unsigned)port, false) != 0) {
        int err = errno;
        unbind_locked(f, (unsigned)port);
        errno = err;
        return -1;
    }
    return port;
}

static int fake_bind_interdomain(void *h, unsigned remote, unsigned remote_port)
{
    if (lock(h) != 0) return -1;
    return unlock(h, bind_locked(h, remote, remote_port));
}

static int fake_notify(void *h, unsigned port)
{
    struct fake *f = h;
    unsigned remote, remote_port;
    if (!mine(f, port) || load(f, f->self, port, &remote, &remote_port) != 0) {
        errno = EINVAL;
        return -1;
    }
    if (remote_port == 0) return 0; /* unbound: the ring is dropped */
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (name(addr.sun_path, sizeof(addr.sun_path), f->dir, remote, "sock", 0) != 0) return -1;
    uint32_t message = remote_port;
    if (sendto(f->sock, &message, sizeof(message), 0, (struct sockaddr *)&addr, sizeof(addr)) == sizeof(message))
        return 0;
    return errno == ENOENT || errno == ECONNREFUSED ? 0 : -1; /* the remote domain is gone */
}

static int fake_pending(void *h)
{
    uint32_t port;
    ssize_t n = recv(((struct fake *)h)->sock, &port, sizeof(port), 0);
    if (n < 0) return -1;
    if (n != sizeof(port) || port == 0 || port > SSHM_PORT_MAX) {
        errno = EIO;
        return -1;
    }
    return (int)port;
}

static int fake_unmask(void *h, unsigned port)
{
    if (!mine(h, port)) errno = EINVAL;
    return mine(h, port) ? 0 : -1;
}

static const char *fake_open_hint(int err)
{
    return err == ENOENT ? "set SSHM_FAKE_EVTCHN to the fake event channels' directory (a test build)" : NULL;
}

const struct sshm_evtchn_ops sshm_evtchn_linked = {
    .open = fake_open,
    .close = fake_close,
    .fd = fake_fd,
    .bind_unbound = fake_bind_unbound,
    .bind_interdomain = fake_bind_interdomain,
    .unbind = fake_unbind,
    .notify = fake_notify,
    .pending = fake_pending,
    .unmask = fake_unmask,
    .open_hint = fake_open_hint,
};
