/* Unit tests of the view's parsers: every value a view may hold, and hostile ones. `make -C guest check`. */
#include "sshm_view.h"

#include "check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hex(const char *s, uint64_t *out) { return sshm_parse_hex(s, strlen(s), out); }
static int set(struct sshm_view *v, const char *name, const char *value)
{
    return sshm_view_set(v, name, value, strlen(value), NULL);
}

static void hex_numbers(void)
{
    uint64_t v = 0;
    CHECK(hex("0x0", &v) == 0 && v == 0);
    CHECK(hex("0x7fe00000", &v) == 0 && v == 0x7fe00000);
    CHECK(hex("0xFFFFFFFFFFFFFFFF", &v) == 0 && v == UINT64_MAX);
    /* Hostile: no digits, a 17th digit (overflow), decimal, sign, spaces, 0X, trailing junk. */
    const char *bad[] = {"", "0x", "0x10000000000000000", "123", "-0x1", " 0x1", "0x1 ", "0X1", "0x1g", "x1", "0x-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) CHECK(hex(bad[i], &v) == -1 && errno == EINVAL);
    CHECK(sshm_parse_hex("0x1\0" "2", 5, &v) == -1); /* an embedded NUL */
}

static void domids(void)
{
    uint16_t d = 0;
    CHECK(sshm_parse_domid("0", 1, &d) == 0 && d == 0);
    CHECK(sshm_parse_domid("32751", 5, &d) == 0 && d == 32751);
    CHECK(sshm_parse_domid("32752", 5, &d) == -1 && errno == ERANGE); /* DOMID_FIRST_RESERVED */
    CHECK(sshm_parse_domid("99999", 5, &d) == -1);
    CHECK(sshm_parse_domid("123456", 6, &d) == -1);
    CHECK(sshm_parse_domid("07", 2, &d) == -1);
    CHECK(sshm_parse_domid("+7", 2, &d) == -1);
    CHECK(sshm_parse_domid("", 0, &d) == -1);
}

static void peers(void)
{
    uint16_t out[4];
    size_t n = 0;
    CHECK(sshm_parse_peers("1", 1, out, 4, &n) == 0 && n == 1 && out[0] == 1);
    CHECK(sshm_parse_peers("", 0, out, 4, &n) == 0 && n == 0); /* an owner none of whose borrowers runs yet */
    CHECK(sshm_parse_peers(" ", 1, out, 4, &n) == -1);
    CHECK(sshm_parse_peers("2 5 9", 5, out, 4, &n) == 0 && n == 3 && out[2] == 9);
    CHECK(sshm_parse_peers("5 2", 3, out, 4, &n) == -1);        /* not ascending */
    CHECK(sshm_parse_peers("5 5", 3, out, 4, &n) == -1);        /* repeated */
    CHECK(sshm_parse_peers("1  2", 4, out, 4, &n) == -1);       /* two spaces */
    CHECK(sshm_parse_peers(" 1", 2, out, 4, &n) == -1);
    CHECK(sshm_parse_peers("1 ", 2, out, 4, &n) == -1);
    CHECK(sshm_parse_peers("1 2 3 4 5", 9, out, 4, &n) == -1 && errno == ERANGE); /* more than the caller holds */
    /* A huge list: rejected once the capacity is reached, in time linear in the input. */
    size_t len = 1 << 20;
    char *huge = malloc(len);
    CHECK(huge != NULL);
    if (huge) {
        size_t at = 0;
        for (unsigned i = 1; at + 7 < len; i++) at += (size_t)snprintf(huge + at, len - at, "%u ", i % 30000 + 1);
        CHECK(sshm_parse_peers(huge, at - 1, out, 4, &n) == -1);
        free(huge);
    }
}

static void ids(void)
{
    char out[SSHM_ID_MAX + 1];
    char long_id[SSHM_ID_MAX + 2];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[SSHM_ID_MAX + 1] = '\0';
    CHECK(sshm_parse_id("telemetry", 9, out) == 0 && strcmp(out, "telemetry") == 0);
    CHECK(sshm_parse_id(long_id, SSHM_ID_MAX, out) == 0);
    CHECK(sshm_parse_id(long_id, SSHM_ID_MAX + 1, out) == -1);
    CHECK(sshm_parse_id("../x", 4, out) == -1);
    CHECK(sshm_parse_id("a/b", 3, out) == -1);
    CHECK(sshm_parse_id("", 0, out) == -1);
}

static struct sshm_view borrower(unsigned *seen)
{
    struct sshm_view v;
    memset(&v, 0, sizeof(v));
    const char *leaves[][2] = {{"role", "slave"}, {"begin", "0x1000000000"}, {"size", "0x200000"}, {"offset", "0x0"},
                               {"prot", "rw"}, {"cache_policy", "x86_normal"}, {"peer", "1"}, {"state", "mapped"}};
    *seen = 0;
    for (size_t i = 0; i < 8; i++) {
        CHECK(set(&v, leaves[i][0], leaves[i][1]) == 0);
        *seen |= 1u << sshm_view_leaf_bit(leaves[i][0]);
    }
    return v;
}

static void views(void)
{
    unsigned seen;
    struct sshm_view v = borrower(&seen);
    const char *why = NULL;
    CHECK(sshm_view_complete(&v, seen, &why) == 0);
    CHECK(v.role == SSHM_ROLE_BORROWER && v.state == SSHM_STATE_MAPPED && v.npeers == 1 && v.peers[0] == 1);
    CHECK(sshm_view_complete(&v, seen & ~1u, &why) == -1); /* a leaf missing */

    struct sshm_view w = v;
    CHECK(set(&w, "state", "ready") == 0);
    CHECK(sshm_view_complete(&w, seen, &why) == -1); /* an owner's state on a borrower */
    w = v;
    CHECK(set(&w, "peer", "1 2") == 0);
    CHECK(sshm_view_complete(&w, seen, &why) == -1); /* a borrower with two owners */
    CHECK(set(&w, "peer", "") == 0);
    CHECK(sshm_view_complete(&w, seen, &why) == -1); /* a borrower with none */
    w = v;
    CHECK(set(&w, "begin", "0x1001") == 0);
    CHECK(sshm_view_complete(&w, seen, &why) == -1); /* not page-aligned */
    w = v;
    CHECK(set(&w, "begin", "0xfffffffffffff000") == 0);
    CHECK(sshm_view_complete(&w, seen, &why) == -1); /* wraps around */

    /* Hostile values for each leaf. */
    CHECK(set(&w, "role", "root") == -1 && errno == EINVAL);
    CHECK(set(&w, "prot", "rwx") == -1);
    CHECK(set(&w, "size", "0x0") == -1);
    CHECK(set(&w, "state", "MAPPED") == -1);
    CHECK(set(&w, "state", "mapped\n") == -1);
    CHECK(set(&w, "cache_policy", "x86_normal; rm -rf /") == -1);
    CHECK(set(&w, "cache_policy", "a_cache_policy_name_longer_than_31") == -1);
    CHECK(sshm_view_set(&w, "prot", "rw\0x", 4, &why) == -1);
    CHECK(set(&w, "evil", "1") == -1 && errno == ENOENT);
}

int main(void)
{
    hex_numbers();
    domids();
    peers();
    ids();
    views();
    return checks_done("test_view");
}
