/*
 * fakexen.c: an LD_PRELOAD shim that runs Debian's unmodified Xen 4.17 xenstore daemons (the C xenstored and the
 * OCaml oxenstored) as ordinary processes on a machine without a hypervisor, serving clients on a private unix
 * socket only. Built (with sandbox.c, which keeps the daemon inside its directory) and loaded by
 * scripts/xenstored-sandbox; see CONTRIBUTING.md, "The xenstored sandbox".
 *
 * Why a shim and not `xenstored -D`: since XSA-326 the C daemon opens its database only while introducing dom0,
 * so -D leaves it without one and it crashes on the first request. Faking the few Xen library calls the daemons
 * make lets their normal dom0 start-up run. Everything xenstore does (store, transactions, watches, permissions,
 * quotas, the socket protocol) stays the real daemon's code.
 *
 * What is faked here:
 *   - libxenctrl: xc_interface_open/close, xc_domain_getinfo (C), xc_domain_getinfolist and xc_map_foreign_range
 *     (OCaml: it maps guest rings through xenctrl, and dies silently on XS_INTRODUCE without it);
 *   - libxengnttab (C): ring "grant maps" are private zeroed pages nobody talks on;
 *   - libxenevtchn: an eventfd that never fires, so no VIRQ_DOM_EXC: @releaseDomain fires only on XS_RELEASE.
 *
 * Fake hypervisor: every domid below DOMID_FIRST_RESERVED exists and runs, unless FAKEXEN_DOMAINS lists the
 * domids that exist besides dom0 ("3,9"; "" = only dom0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

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
