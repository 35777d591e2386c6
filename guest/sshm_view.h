/* sshm_view: reads this domain's view of its static shared-memory regions, /local/domain/<self>/static_shm/<id>/
 * (docs/guest-view.md), written by sshm-reconcile in dom0. Every value is parsed strictly and bounded: a view is
 * dom0's, but a guest program should not trust a string it did not check. */
#ifndef SSHM_VIEW_H
#define SSHM_VIEW_H

#include <stddef.h>
#include <stdint.h>

#define SSHM_ID_MAX 128          /* [A-Za-z0-9_-]{1,128}, as sshm-reconcile's manifests */
#define SSHM_VALUE_MAX 1024      /* longest leaf value read; a longer one is an error */
#define SSHM_PEERS_MAX 256       /* borrowers an owner's peer list may name */
#define SSHM_REGIONS_MAX 1024    /* regions listed under static_shm/ */
#define SSHM_DOMID_MAX 0x7fef    /* DOMID_FIRST_RESERVED - 1 */

enum sshm_role { SSHM_ROLE_OWNER, SSHM_ROLE_BORROWER };
enum sshm_prot { SSHM_PROT_RO, SSHM_PROT_RW };
enum sshm_state {
    SSHM_STATE_MAPPING,   /* borrower: the pages are being mapped; do not touch them yet */
    SSHM_STATE_MAPPED,    /* borrower: the pages are there */
    SSHM_STATE_UNMAPPING, /* borrower: the pages are going away; stop using them */
    SSHM_STATE_WAITING,   /* owner: not every borrower is mapped yet */
    SSHM_STATE_READY,     /* owner: every borrower is mapped */
};

struct sshm_view {
    char id[SSHM_ID_MAX + 1];
    enum sshm_role role;
    uint64_t begin;  /* this domain's guest-physical address */
    uint64_t size;   /* bytes */
    uint64_t offset; /* into the owner's region (an owner: 0) */
    enum sshm_prot prot;
    char cache_policy[32];
    uint16_t peers[SSHM_PEERS_MAX]; /* a borrower: the owner; an owner: its borrowers, ascending */
    size_t npeers;
    enum sshm_state state;
};

/* The parsers: 0 on success, -1 (with errno EINVAL or ERANGE) on anything else. `len` is the value's length; no
 * NUL is needed, and an embedded NUL is an error. */
int sshm_parse_hex(const char *s, size_t len, uint64_t *out);          /* 0x + 1..16 hex digits */
int sshm_parse_domid(const char *s, size_t len, uint16_t *out);        /* decimal, no sign, no leading zero */
/* ascending, one space apart; empty: none */
int sshm_parse_peers(const char *s, size_t len, uint16_t *out, size_t cap, size_t *n);
int sshm_parse_id(const char *s, size_t len, char out[SSHM_ID_MAX + 1]);

/* Sets the view's field `name` from its value; -1 with errno EINVAL for a bad value, ENOENT for an unknown name.
 * `why` (may be NULL) gets a short reason. */
int sshm_view_set(struct sshm_view *view, const char *name, const char *value, size_t len, const char **why);

/* Checks that every field was set and they agree (a borrower has one peer and a borrower's state; an owner offset
 * 0 and an owner's state); `seen` is the bitmask sshm_view_leaf_bit() of the names set. */
int sshm_view_complete(const struct sshm_view *view, unsigned seen, const char **why);
int sshm_view_leaf_bit(const char *name); /* -1 for a name that is not a leaf of the view */

const char *sshm_state_name(enum sshm_state state);
const char *sshm_role_name(enum sshm_role role);
const char *sshm_prot_name(enum sshm_prot prot);

struct xs_handle;
/* Reads the view of region `id` of domain `domid` (a guest passes its own; dom0 may pass any). 0 on success; -1
 * with errno from xenstore (EACCES: not this domain's view; ENOENT: no such region) or EINVAL (`why` says which
 * leaf and why). */
int sshm_view_read(struct xs_handle *xs, unsigned domid, const char *id, struct sshm_view *view, const char **why);

#endif
