/*
 * fakexen.c: an LD_PRELOAD shim that runs Debian's unmodified Xen 4.17 xenstore daemons (the C xenstored and the
 * OCaml oxenstored) as ordinary processes on a machine without a hypervisor, serving clients on a private unix
 * socket only. Built and loaded by scripts/xenstored-sandbox; see CONTRIBUTING.md, "The xenstored sandbox".
 *
 * Why a shim and not `xenstored -D`: since XSA-326 the C daemon opens its database only while introducing dom0,
 * so -D leaves it without one and it crashes on the first request. Faking the few Xen library calls the daemons
 * make lets their normal dom0 start-up run. Everything xenstore does (store, transactions, watches, permissions,
 * quotas, the socket protocol) stays the real daemon's code.
 *
 * What is faked:
 *   - libxenctrl: xc_interface_open/close, xc_domain_getinfo (C), xc_domain_getinfolist and xc_map_foreign_range
 *     (OCaml: it maps guest rings through xenctrl, and dies silently on XS_INTRODUCE without it);
 *   - libxengnttab (C): ring "grant maps" are private zeroed pages nobody talks on;
 *   - libxenevtchn: an eventfd that never fires, so no VIRQ_DOM_EXC: @releaseDomain fires only on XS_RELEASE;
 *   - /proc/xen/xsd_port and /proc/xen/xsd_kva (C daemon, through open()): "1" and one zeroed page (dom0's ring);
 *   - setrlimit (OCaml): oxenstored raises RLIMIT_NOFILE to fs.nr_open and exits on EPERM; clamp to the hard limit.
 *
 * Safety (the reason this file refuses to run without XENSTORED_RUNDIR):
 *   - oxenstored's socket path is compiled in (/var/run/xenstored/socket) and both daemons unlink their socket
 *     path before binding it: started carelessly they would cut the host's daemon off its clients. Every path
 *     below /var/run/xenstored, /run/xenstored, /var/run/xen, /run/xen and /var/log/xen that reaches open, unlink,
 *     mkdir or bind is redirected into $XENSTORED_RUNDIR.
 *   - Lifeline: when FAKEXEN_LIFELINE_FD names an inherited fd (the read end of a pipe whose write end the test
 *     process holds), a thread exits the daemon as soon as that fd reaches EOF, i.e. when every holder of the write
 *     end is gone, even if it was SIGKILLed. Orphaned daemons cannot outlive their test run. With
 *     FAKEXEN_LIFELINE_REMOVE_DIR set, it first empties and removes $XENSTORED_RUNDIR, which must then be a private
 *     directory made for this daemon alone (the Swift harness's mkdtemp directory).
 *
 * Fake hypervisor: every domid below DOMID_FIRST_RESERVED exists and runs, unless FAKEXEN_DOMAINS lists the
 * domids that exist besides dom0 ("3,9"; "" = only dom0).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

/* ---- start-up: refuse to run outside a sandbox, start the lifeline ---- */

static void die(const char *what)
{
    dprintf(STDERR_FILENO, "fakexen: %s\n", what);
    _exit(70);
}

/* FAKEXEN_LIFELINE_REMOVE_DIR: on EOF also empty and remove $XENSTORED_RUNDIR (the creator's private mkdtemp dir). */
static char *remove_dir_on_eof;

/* Unlinks the directory's entries (it holds no subdirectories; anything else makes rmdir fail) and the directory. */
static void remove_rundir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *entry;

    if (!d)
        return;
    while ((entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            (void)unlinkat(dirfd(d), entry->d_name, 0);
    }
    closedir(d);
    (void)rmdir(dir);
}

static void *lifeline_thread(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[64];

    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n > 0 || (n < 0 && errno == EINTR))
            continue;
        dprintf(STDERR_FILENO, "fakexen: lifeline closed (%s), exiting\n", n == 0 ? "EOF" : strerror(errno));
        if (remove_dir_on_eof)
            remove_rundir(remove_dir_on_eof);
        _exit(0);
    }
    return NULL;
}

/* Takes over the inherited fd: a private close-on-exec copy, so the daemon cannot close or pass it on by mistake. */
static void start_lifeline(const char *spec)
{
    pthread_attr_t attr;
    pthread_t thread;
    sigset_t all, old;
    char *end;
    long inherited = strtol(spec, &end, 10);
    int fd;

    if (*spec == '\0' || *end != '\0' || inherited < 0 || inherited > 65535)
        die("FAKEXEN_LIFELINE_FD is not a file descriptor number");
    fd = fcntl((int)inherited, F_DUPFD_CLOEXEC, 100);
    if (fd < 0)
        die("FAKEXEN_LIFELINE_FD is not an open file descriptor");
    close((int)inherited);
    if (pthread_attr_init(&attr) != 0 || pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) != 0)
        die("cannot set up the lifeline thread");
    /* Signals stay with the daemon's own threads. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    if (pthread_create(&thread, &attr, lifeline_thread, (void *)(intptr_t)fd) != 0)
        die("cannot start the lifeline thread");
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
}

__attribute__((constructor)) static void fakexen_init(void)
{
    const char *rundir = getenv("XENSTORED_RUNDIR");
    const char *lifeline = getenv("FAKEXEN_LIFELINE_FD");

    if (!rundir || rundir[0] != '/')
        die("refusing to run without an absolute XENSTORED_RUNDIR (the daemon would take over /var/run/xenstored)");
    if (lifeline) {
        if (getenv("FAKEXEN_LIFELINE_REMOVE_DIR") && !(remove_dir_on_eof = strdup(rundir)))
            die("out of memory");
        start_lifeline(lifeline);
        unsetenv("FAKEXEN_LIFELINE_FD");
    }
}

/* ---- file system: the dom0 files, and redirection of the daemons' compiled-in paths ---- */

#define XSD_PORT "/proc/xen/xsd_port"
#define XSD_KVA "/proc/xen/xsd_kva"

/* Maps a path below one of the daemons' system directories to the same name below $XENSTORED_RUNDIR. */
static const char *redirect(const char *path, char *buf, size_t len)
{
    static const char *const prefixes[] = {
        "/var/run/xenstored", "/run/xenstored", "/var/run/xen", "/run/xen", "/var/log/xen",
    };
    const char *rundir = getenv("XENSTORED_RUNDIR");
    size_t i;

    if (!path || !rundir)
        return path;
    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t n = strlen(prefixes[i]);

        if (strncmp(path, prefixes[i], n) == 0 && (path[n] == '/' || path[n] == '\0')) {
            int w = snprintf(buf, len, "%s%s", rundir, path + n);

            if (w < 0 || (size_t)w >= len) {
                errno = ENAMETOOLONG;
                return NULL;
            }
            return buf;
        }
    }
    return path;
}

static int memfd_holding(const char *name, const void *data, size_t len, size_t size)
{
    int fd = memfd_create(name, MFD_CLOEXEC);

    if (fd < 0)
        return -1;
    if (ftruncate(fd, (off_t)size) < 0 || (len && pwrite(fd, data, len, 0) != (ssize_t)len)) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int open(const char *path, int flags, ...)
{
    char buf[PATH_MAX];
    const char *target;
    mode_t mode = 0;

    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;

        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    if (strcmp(path, XSD_PORT) == 0) {
        const char *port = getenv("FAKEXEN_XSD_PORT");

        if (!port)
            port = "1";
        return memfd_holding("xsd_port", port, strlen(port), strlen(port));
    }
    if (strcmp(path, XSD_KVA) == 0)
        return memfd_holding("xsd_kva", NULL, 0, (size_t)getpagesize());
    target = redirect(path, buf, sizeof(buf));
    if (!target)
        return -1;
    return (int)syscall(SYS_openat, AT_FDCWD, target, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int unlink(const char *path)
{
    char buf[PATH_MAX];
    const char *target = redirect(path, buf, sizeof(buf));

    return target ? (int)syscall(SYS_unlinkat, AT_FDCWD, target, 0) : -1;
}

int mkdir(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    const char *target = redirect(path, buf, sizeof(buf));

    return target ? (int)syscall(SYS_mkdirat, AT_FDCWD, target, mode) : -1;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct sockaddr_un redirected;
    char buf[PATH_MAX];

    if (addr && addr->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)(const void *)addr;
        const char *target = redirect(un->sun_path, buf, sizeof(buf));

        if (!target)
            return -1;
        if (target != un->sun_path) {
            if (strlen(target) >= sizeof(redirected.sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
            }
            memset(&redirected, 0, sizeof(redirected));
            redirected.sun_family = AF_UNIX;
            strcpy(redirected.sun_path, target);
            addr = (const struct sockaddr *)(const void *)&redirected;
            len = sizeof(redirected);
        }
    }
    return (int)syscall(SYS_bind, fd, addr, len);
}

/* ---- setrlimit: clamp instead of failing without CAP_SYS_RESOURCE ---- */

int setrlimit(__rlimit_resource_t resource, const struct rlimit *limit)
{
    struct rlimit current, wanted;

    wanted = *limit;
    if (prlimit(0, resource, &wanted, NULL) == 0)
        return 0;
    if (errno != EPERM || prlimit(0, resource, NULL, &current) != 0)
        return -1;
    if (wanted.rlim_max > current.rlim_max)
        wanted.rlim_max = current.rlim_max;
    if (wanted.rlim_cur > wanted.rlim_max)
        wanted.rlim_cur = wanted.rlim_max;
    return prlimit(0, resource, &wanted, NULL);
}

/* ---- libxenctrl ---- */

struct xc_interface_core {
    int unused;
};

xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger, unsigned open_flags)
{
    (void)logger;
    (void)dombuild_logger;
    (void)open_flags;
    return calloc(1, sizeof(struct xc_interface_core));
}

int xc_interface_close(xc_interface *xch)
{
    free(xch);
    return 0;
}

static int domain_exists(uint32_t domid)
{
    const char *list = getenv("FAKEXEN_DOMAINS");

    if (domid >= DOMID_FIRST_RESERVED)
        return 0;
    if (!list || domid == 0)
        return 1;
    while (*list) {
        char *end;
        unsigned long d = strtoul(list, &end, 10);

        if (end == list) {
            list++; /* a separator */
            continue;
        }
        if (d == domid)
            return 1;
        list = end;
    }
    return 0;
}

int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid, unsigned int max_doms, xc_dominfo_t *info)
{
    (void)xch;
    /* The daemon only asks about one given domid. */
    if (!max_doms || !domain_exists(first_domid))
        return 0;
    /*
     * Only the leading fields: their layout is stable across Xen versions, while sizeof(xc_dominfo_t) grew in
     * 4.17 and clearing all of it would overflow an older daemon's buffer.
     */
    memset(info, 0, offsetof(xc_dominfo_t, shutdown_reason));
    info->domid = first_domid;
    info->running = 1;
    return 1;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain, unsigned int max_domains, xc_domaininfo_t *info)
{
    (void)xch;
    if (!max_domains || !domain_exists(first_domain))
        return 0;
    memset(info, 0, sizeof(*info));
    info->domain = (domid_t)first_domain;
    info->flags = XEN_DOMINF_running;
    return 1;
}

static void *anonymous_page(size_t size, int prot)
{
    void *p = mmap(NULL, size, prot, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

void *xc_map_foreign_range(xc_interface *xch, uint32_t dom, int size, int prot, unsigned long mfn)
{
    (void)xch;
    (void)dom;
    (void)mfn;
    if (size <= 0) {
        errno = EINVAL;
        return NULL;
    }
    return anonymous_page((size_t)size, prot);
}

/* ---- libxengnttab ---- */

struct xengntdev_handle {
    int unused;
};

xengnttab_handle *xengnttab_open(xentoollog_logger *logger, unsigned open_flags)
{
    (void)logger;
    (void)open_flags;
    return calloc(1, sizeof(struct xengntdev_handle));
}

int xengnttab_close(xengnttab_handle *xgt)
{
    free(xgt);
    return 0;
}

int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
    (void)xgt;
    (void)nr_grants;
    return 0;
}

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid, uint32_t ref, int prot)
{
    (void)xgt;
    (void)domid;
    (void)ref;
    return anonymous_page((size_t)getpagesize(), prot);
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
    (void)xgt;
    return munmap(start_address, (size_t)count * (size_t)getpagesize());
}

/* ---- libxenevtchn ---- */

struct xenevtchn_handle {
    int fd;
    evtchn_port_t virq_port;
};

static evtchn_port_t next_port = 1;

static xenevtchn_handle *evtchn_new(void)
{
    xenevtchn_handle *xce = calloc(1, sizeof(*xce));

    if (!xce)
        return NULL;
    /* Pollable, and never readable: no event ever fires. */
    xce->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (xce->fd < 0) {
        free(xce);
        return NULL;
    }
    return xce;
}

xenevtchn_handle *xenevtchn_open(xentoollog_logger *logger, unsigned open_flags)
{
    (void)logger;
    (void)open_flags;
    return evtchn_new();
}

xenevtchn_handle *xenevtchn_fdopen(xentoollog_logger *logger, int fd, unsigned open_flags)
{
    (void)logger;
    (void)fd;
    (void)open_flags;
    return evtchn_new();
}

int xenevtchn_close(xenevtchn_handle *xce)
{
    if (xce) {
        close(xce->fd);
        free(xce);
    }
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
    return xce->fd;
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
    (void)virq;
    xce->virq_port = next_port++;
    return (xenevtchn_port_or_error_t)xce->virq_port;
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                                                     evtchn_port_t remote_port)
{
    (void)xce;
    (void)domid;
    (void)remote_port;
    return (xenevtchn_port_or_error_t)next_port++;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce;
    (void)port;
    return 0;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce;
    (void)port;
    return 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    uint64_t value;

    /* Reached only if someone wrote the eventfd (nobody does): report VIRQ_DOM_EXC so the daemon rescans. */
    if (read(xce->fd, &value, sizeof(value)) < 0 && errno != EAGAIN)
        return -1;
    return (xenevtchn_port_or_error_t)xce->virq_port;
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce;
    (void)port;
    return 0;
}
