/* sshm_evtchn_xen.c: the event-channel table over libxenevtchn (Debian: libxenevtchn1), i.e. /dev/xen/evtchn. */
#include "sshm_doorbell.h"

#include <errno.h>
#include <stddef.h>
#include <xenevtchn.h>

static void *xen_open(unsigned self)
{
    (void)self; /* the kernel knows which domain this is */
    return xenevtchn_open(NULL, 0);
}

static int xen_close(void *h) { return xenevtchn_close(h); }
static int xen_fd(void *h) { return xenevtchn_fd(h); }
static int xen_bind_unbound(void *h, unsigned remote) { return xenevtchn_bind_unbound_port(h, remote); }

static int xen_bind_interdomain(void *h, unsigned remote, unsigned remote_port)
{
    return xenevtchn_bind_interdomain(h, remote, remote_port);
}

static int xen_unbind(void *h, unsigned port) { return xenevtchn_unbind(h, port); }
static int xen_notify(void *h, unsigned port) { return xenevtchn_notify(h, port); }
static int xen_pending(void *h) { return xenevtchn_pending(h); }
static int xen_unmask(void *h, unsigned port) { return xenevtchn_unmask(h, port); }

static const char *xen_open_hint(int err)
{
    if (err == ENOENT || err == ENODEV || err == ENXIO)
        return "no /dev/xen/evtchn: load the xen-evtchn module (modprobe xen-evtchn) or run this in a Xen guest";
    if (err == EACCES || err == EPERM) return "/dev/xen/evtchn is not open to this user: run this as root";
    return NULL;
}

const struct sshm_evtchn_ops sshm_evtchn_linked = {
    .open = xen_open,
    .close = xen_close,
    .fd = xen_fd,
    .bind_unbound = xen_bind_unbound,
    .bind_interdomain = xen_bind_interdomain,
    .unbind = xen_unbind,
    .notify = xen_notify,
    .pending = xen_pending,
    .unmask = xen_unmask,
    .open_hint = xen_open_hint,
};
