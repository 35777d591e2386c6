/*
 * sandbox.c: the half of the xenstored sandbox shim (see fakexen.c) that keeps a daemon inside its sandbox and
 * feeds it the dom0 files. Built into the same library as fakexen.c by scripts/xenstored-sandbox.
 *
 * Safety (the reason this shim refuses to run without XENSTORED_RUNDIR):
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
 * Also here: /proc/xen/xsd_port and /proc/xen/xsd_kva for the C daemon (through open()): "1" and one zeroed page,
 * dom0's ring; and setrlimit, which oxenstored uses to raise RLIMIT_NOFILE to fs.nr_open and dies of EPERM without
 * CAP_SYS_RESOURCE: clamped to the hard limit.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

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
