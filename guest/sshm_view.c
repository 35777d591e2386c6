/* sshm_view.c: see sshm_view.h. */
#include "sshm_view.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

static int invalid(void)
{
    errno = EINVAL;
    return -1;
}

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int sshm_parse_hex(const char *s, size_t len, uint64_t *out)
{
    if (len < 3 || len > 18 || s[0] != '0' || s[1] != 'x') return invalid();
    uint64_t value = 0;
    for (size_t i = 2; i < len; i++) {
        int digit = hexdigit(s[i]);
        if (digit < 0) return invalid();
        value = value << 4 | (uint64_t)digit;
    }
    *out = value;
    return 0;
}

int sshm_parse_domid(const char *s, size_t len, uint16_t *out)
{
    if (len < 1 || len > 5 || (len > 1 && s[0] == '0')) return invalid();
    unsigned value = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return invalid();
        value = value * 10 + (unsigned)(s[i] - '0');
    }
    if (value > SSHM_DOMID_MAX) {
        errno = ERANGE;
        return -1;
    }
    *out = (uint16_t)value;
    return 0;
}

int sshm_parse_peers(const char *s, size_t len, uint16_t *out, size_t cap, size_t *n)
{
    size_t count = 0, start = 0;
    if (len == 0) { /* an owner whose borrowers have not started yet */
        *n = 0;
        return 0;
    }
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != ' ') continue;
        uint16_t domid;
        if (sshm_parse_domid(s + start, i - start, &domid) != 0) return -1;
        if (count == cap) {
            errno = ERANGE;
            return -1;
        }
        if (count > 0 && domid <= out[count - 1]) return invalid(); /* ascending, no repeats */
        out[count++] = domid;
        start = i + 1;
    }
    *n = count;
    return 0;
}

int sshm_parse_id(const char *s, size_t len, char out[SSHM_ID_MAX + 1])
{
    if (len < 1 || len > SSHM_ID_MAX) return invalid();
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return invalid();
    }
    memcpy(out, s, len);
    out[len] = '\0';
    return 0;
}

static bool equals(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

static const char *const leaves[] = {"role", "begin", "size", "offset", "prot", "cache_policy", "peer", "state"};
#define NLEAVES (sizeof(leaves) / sizeof(leaves[0]))

int sshm_view_leaf_bit(const char *name)
{
    for (size_t i = 0; i < NLEAVES; i++)
        if (strcmp(name, leaves[i]) == 0) return (int)i;
    return -1;
}

static int reject(const char **why, const char *reason)
{
    if (why) *why = reason;
    return invalid();
}

int sshm_view_set(struct sshm_view *view, const char *name, const char *value, size_t len, const char **why)
{
    if (memchr(value, '\0', len)) return reject(why, "holds a NUL byte");
    if (strcmp(name, "role") == 0) {
        if (equals(value, len, "owner") || equals(value, len, "master")) view->role = SSHM_ROLE_OWNER;
        else if (equals(value, len, "borrower") || equals(value, len, "slave")) view->role = SSHM_ROLE_BORROWER;
        else return reject(why, "is not owner, borrower, master or slave");
    } else if (strcmp(name, "begin") == 0) {
        if (sshm_parse_hex(value, len, &view->begin) != 0) return reject(why, "is not 0x and 1-16 hex digits");
    } else if (strcmp(name, "size") == 0) {
        if (sshm_parse_hex(value, len, &view->size) != 0 || view->size == 0)
            return reject(why, "is not a non-zero 0x hex number");
    } else if (strcmp(name, "offset") == 0) {
        if (sshm_parse_hex(value, len, &view->offset) != 0) return reject(why, "is not 0x and 1-16 hex digits");
    } else if (strcmp(name, "prot") == 0) {
        if (equals(value, len, "rw")) view->prot = SSHM_PROT_RW;
        else if (equals(value, len, "ro")) view->prot = SSHM_PROT_RO;
        else return reject(why, "is not rw or ro");
    } else if (strcmp(name, "cache_policy") == 0) {
        if (len == 0 || len >= sizeof(view->cache_policy)) return reject(why, "is empty or too long");
        for (size_t i = 0; i < len; i++)
            if (!((value[i] >= 'a' && value[i] <= 'z') || (value[i] >= 'A' && value[i] <= 'Z') ||
                  (value[i] >= '0' && value[i] <= '9') || value[i] == '_'))
                return reject(why, "is not a cache policy name");
        memcpy(view->cache_policy, value, len);
        view->cache_policy[len] = '\0';
    } else if (strcmp(name, "peer") == 0) {
        if (sshm_parse_peers(value, len, view->peers, SSHM_PEERS_MAX, &view->npeers) != 0)
            return reject(why, "is not ascending domids separated by one space");
    } else if (strcmp(name, "state") == 0) {
        static const struct { const char *name; enum sshm_state state; } states[] = {
            {"mapping", SSHM_STATE_MAPPING}, {"mapped", SSHM_STATE_MAPPED}, {"unmapping", SSHM_STATE_UNMAPPING},
            {"waiting", SSHM_STATE_WAITING}, {"ready", SSHM_STATE_READY},
        };
        size_t i;
        for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
            if (equals(value, len, states[i].name)) break;
        if (i == sizeof(states) / sizeof(states[0])) return reject(why, "is not a state");
        view->state = states[i].state;
    } else {
        if (why) *why = "is not a leaf of the view";
        errno = ENOENT;
        return -1;
    }
    return 0;
}

int sshm_view_complete(const struct sshm_view *view, unsigned seen, const char **why)
{
    if (seen != (1u << NLEAVES) - 1) return reject(why, "misses a leaf");
    bool owner = view->role == SSHM_ROLE_OWNER;
    bool owner_state = view->state == SSHM_STATE_WAITING || view->state == SSHM_STATE_READY;
    if (owner != owner_state) return reject(why, "has a state of the other role");
    if (!owner && view->npeers != 1) return reject(why, "is a borrower's with more than one peer");
    if (owner && view->offset != 0) return reject(why, "is an owner's with an offset");
    if (view->begin % 4096 != 0 || view->size % 4096 != 0 || view->offset % 4096 != 0)
        return reject(why, "is not page-aligned");
    if (view->begin > UINT64_MAX - view->size) return reject(why, "ends past the address space");
    return 0;
}

const char *sshm_state_name(enum sshm_state state)
{
    switch (state) {
    case SSHM_STATE_MAPPING: return "mapping";
    case SSHM_STATE_MAPPED: return "mapped";
    case SSHM_STATE_UNMAPPING: return "unmapping";
    case SSHM_STATE_WAITING: return "waiting";
    case SSHM_STATE_READY: return "ready";
    }
    return "?";
}

const char *sshm_role_name(enum sshm_role role) { return role == SSHM_ROLE_OWNER ? "owner" : "borrower"; }
const char *sshm_prot_name(enum sshm_prot prot) { return prot == SSHM_PROT_RW ? "rw" : "ro"; }

/* One try at reading every leaf inside transaction `t`. */
static int read_leaves(struct xs_handle *xs, xs_transaction_t t, unsigned domid, struct sshm_view *view,
                       const char **why)
{
    char path[64 + SSHM_ID_MAX + 32];
    unsigned seen = 0;
    for (size_t i = 0; i < NLEAVES; i++) {
        snprintf(path, sizeof(path), "/local/domain/%u/static_shm/%s/%s", domid, view->id, leaves[i]);
        unsigned int len = 0;
        char *value = xs_read(xs, t, path, &len);
        if (!value) {
            if (why) *why = leaves[i];
            return -1; /* errno from xenstore */
        }
        int rc = len > SSHM_VALUE_MAX ? reject(why, "a value is too long")
                                      : sshm_view_set(view, leaves[i], value, len, why);
        free(value);
        if (rc != 0) return -1;
        seen |= 1u << i;
    }
    return sshm_view_complete(view, seen, why);
}

int sshm_view_read(struct xs_handle *xs, unsigned domid, const char *id, struct sshm_view *view, const char **why)
{
    memset(view, 0, sizeof(*view));
    if (sshm_parse_id(id, strlen(id), view->id) != 0) return reject(why, "the region id is not [A-Za-z0-9_-]{1,128}");
    /* The leaves are read in one transaction, committed, so that they all come from one moment: dom0 changes the
     * view as the mapping progresses. A commit that conflicts (EAGAIN) is tried again, a bounded number of times. */
    for (int attempt = 0; attempt < 16; attempt++) {
        xs_transaction_t t = xs_transaction_start(xs);
        if (t == XBT_NULL) return -1;
        int rc = read_leaves(xs, t, domid, view, why);
        int saved = errno;
        if (!xs_transaction_end(xs, t, rc != 0)) {
            if (rc != 0) {
                errno = saved;
                return -1;
            }
            if (errno == EAGAIN) continue;
            return -1;
        }
        if (rc != 0) errno = saved;
        return rc;
    }
    if (why) *why = "the view kept changing while it was read";
    errno = EAGAIN;
    return -1;
}
