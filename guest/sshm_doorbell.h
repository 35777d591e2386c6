/* sshm_doorbell: the guest's side of a region's doorbell, an interdomain event channel between the owner and each
 * borrower, set up through rendezvous nodes in the two guests' views (docs/guest-view.md, "Doorbell"):
 *
 *     /local/domain/<me>/static_shm/<id>/doorbell/<peer>/port    my local port for the pair, or empty
 *
 * A port value is written by a guest, so it is untrusted input: it is parsed strictly and bounded here. Whether a
 * well-formed port is really the pair's (and not, say, a port of another pair or a virq) is not the library's to
 * detect: a guest cannot see another domain's ports. Binding a wrong port fails or connects to nothing, and the
 * host's sshm-reconcile, which can (xc_evtchn_status), resets the pair. */
#ifndef SSHM_DOORBELL_H
#define SSHM_DOORBELL_H

#include "sshm_view.h"

#include <stddef.h>
#include <stdint.h>

#define SSHM_PORT_MAX 131071 /* Xen's FIFO ABI: 2^17 - 1 ports; port 0 is never a channel */
#define SSHM_PORT_LEN_MAX 6  /* decimal digits of SSHM_PORT_MAX */
/* The longest path below: "/local/domain/" 5-digit domid "/static_shm/" id "/doorbell/" 5-digit domid "/port". */
#define SSHM_DOORBELL_PATH_MAX (14 + 5 + 12 + SSHM_ID_MAX + 10 + 5 + 5 + 1)

/* A port node's value: the empty string (*out = 0: no port yet, or the pair was reset) or decimal 1..131071 without
 * sign, space or leading zero, at most 6 characters. `len` is the value's length; an embedded NUL is an error. 0 on
 * success, -1 with errno EINVAL (not that form) or ERANGE (0, or above SSHM_PORT_MAX). */
int sshm_parse_port(const char *s, size_t len, uint32_t *out);

/* The paths of a pair's nodes, for this domain `me` and its peer `peer` in region `id`: my port for the peer, the
 * peer's port for me, and my doorbell directory (one child per peer with a doorbell). 0 on success, -1 with errno
 * EINVAL (an id that is not [A-Za-z0-9_-]{1,128}, a domid above SSHM_DOMID_MAX) or ENAMETOOLONG (`cap` too small;
 * SSHM_DOORBELL_PATH_MAX always suffices). */
int sshm_doorbell_my_port_path(char *buf, size_t cap, unsigned me, const char *id, unsigned peer);
int sshm_doorbell_peer_port_path(char *buf, size_t cap, unsigned me, const char *id, unsigned peer);
int sshm_doorbell_dir_path(char *buf, size_t cap, unsigned me, const char *id);

/* The event-channel operations the handshake uses, as a table so that it runs against a fake without Xen
 * (guest/tests/fake_evtchn.c). The real one (sshm_evtchn_xen.c) is libxenevtchn's. Each returns -1 with errno on
 * failure; the port-returning ones return the local port. */
struct sshm_evtchn_ops {
    void *(*open)(unsigned self); /* `self`: this domain's domid (libxenevtchn does not need it) */
    int (*close)(void *h);        /* closes every port the handle holds */
    int (*fd)(void *h);           /* readable when a port is pending */
    int (*bind_unbound)(void *h, unsigned remote);
    int (*bind_interdomain)(void *h, unsigned remote, unsigned remote_port);
    int (*unbind)(void *h, unsigned port);
    int (*notify)(void *h, unsigned port);
    int (*pending)(void *h); /* the port that fired */
    int (*unmask)(void *h, unsigned port);
    const char *(*open_hint)(int err); /* what to do when open fails with `err`, one sentence, or NULL */
};

/* The table the program is linked with: libxenevtchn's in sshm-guest, the fake in the tests' build. */
extern const struct sshm_evtchn_ops sshm_evtchn_linked;

/* `sshm-guest doorbell` (sshm_handshake.c): does the handshake of region `region` from this domain's side (its
 * view's role), then rings `ping` times (a borrower: its owner; an owner: `peer`, or its only borrower) and prints
 * the round-trip times, or with `ping` 0 answers every ring until the pair's nodes are removed. `timeout` bounds the
 * wait for the pair to connect and for each answer. Returns the exit code (sshm-guest.c lists them). */
struct sshm_doorbell_options {
    const char *region;
    unsigned self;
    long peer; /* -1: not given */
    long ping; /* 0: serve */
    double timeout;
};
struct xs_handle;
int sshm_doorbell_run(struct xs_handle *xs, const struct sshm_evtchn_ops *ev, const struct sshm_doorbell_options *opt);

#endif
