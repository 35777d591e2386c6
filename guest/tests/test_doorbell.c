/* Unit tests of sshm_doorbell.c: a port node's value (what a peer guest may write there, hostile values included)
 * and the paths of a pair's nodes. `make -C guest check`, under ASan and UBSan. A well-formed port of another pair
 * is not detectable here (sshm_doorbell.h): the host resets such a pair. */
#include "sshm_doorbell.h"

#include "check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses `s` (its strlen) and expects a failure with errno `err`; the output is left alone. */
static void refused(const char *s, int err)
{
    uint32_t port = 4242;
    errno = 0;
    int rc = sshm_parse_port(s, strlen(s), &port);
    if (rc != -1 || errno != err || port != 4242) {
        fprintf(stderr, "port '%s': rc %d, errno %d (expected %d), port %u\n", s, rc, errno, err, port);
        failures++;
    }
}

static void ports(void)
{
    uint32_t port = 99;
    CHECK(sshm_parse_port("", 0, &port) == 0 && port == 0); /* no port yet, or reset */
    CHECK(sshm_parse_port("1", 1, &port) == 0 && port == 1);
    CHECK(sshm_parse_port("42", 2, &port) == 0 && port == 42);
    CHECK(sshm_parse_port("131071", 6, &port) == 0 && port == SSHM_PORT_MAX);
    /* Only `len` bytes count: a value needs no NUL. */
    CHECK(sshm_parse_port("1234567", 3, &port) == 0 && port == 123);

    refused("0", ERANGE);      /* port 0 is never a channel */
    refused("131072", ERANGE); /* past the FIFO ABI's last port */
    refused("999999", ERANGE);
    refused("1310710", EINVAL); /* seven characters */
    refused("4294967296", EINVAL);
    refused("18446744073709551617", EINVAL); /* would wrap a 64-bit parser */
    refused("00", EINVAL);
    refused("007", EINVAL);
    refused("+7", EINVAL);
    refused("-1", EINVAL);
    refused(" 7", EINVAL);
    refused("7 ", EINVAL);
    refused("7\n", EINVAL);
    refused("\n", EINVAL);
    refused("0x10", EINVAL);
    refused("1e3", EINVAL);
    refused("abc", EINVAL);
    refused("٣", EINVAL); /* a non-ASCII digit */

    uint32_t kept = 4242;
    CHECK(sshm_parse_port("1\0" "2", 3, &kept) == -1 && errno == EINVAL && kept == 4242); /* an embedded NUL */
    CHECK(sshm_parse_port("\0", 1, &kept) == -1 && errno == EINVAL);

    /* A huge value is refused by its length alone, without reading it through. */
    size_t len = 1 << 20;
    char *huge = malloc(len);
    CHECK(huge != NULL);
    if (huge) {
        memset(huge, '7', len);
        CHECK(sshm_parse_port(huge, len, &kept) == -1 && errno == EINVAL && kept == 4242);
        free(huge);
    }
}

static void paths(void)
{
    char buf[SSHM_DOORBELL_PATH_MAX];
    CHECK(sshm_doorbell_my_port_path(buf, sizeof(buf), 7, "telemetry", 1) == 0 &&
          strcmp(buf, "/local/domain/7/static_shm/telemetry/doorbell/1/port") == 0);
    CHECK(sshm_doorbell_peer_port_path(buf, sizeof(buf), 7, "telemetry", 1) == 0 &&
          strcmp(buf, "/local/domain/1/static_shm/telemetry/doorbell/7/port") == 0);
    CHECK(sshm_doorbell_dir_path(buf, sizeof(buf), 1, "telemetry") == 0 &&
          strcmp(buf, "/local/domain/1/static_shm/telemetry/doorbell") == 0);

    /* The longest id and domids fit SSHM_DOORBELL_PATH_MAX exactly. */
    char id[SSHM_ID_MAX + 1];
    memset(id, 'x', SSHM_ID_MAX);
    id[SSHM_ID_MAX] = '\0';
    CHECK(sshm_doorbell_my_port_path(buf, sizeof(buf), SSHM_DOMID_MAX, id, SSHM_DOMID_MAX - 1) == 0 &&
          strlen(buf) == SSHM_DOORBELL_PATH_MAX - 1);
    CHECK(sshm_doorbell_my_port_path(buf, sizeof(buf) - 1, SSHM_DOMID_MAX, id, SSHM_DOMID_MAX - 1) == -1 &&
          errno == ENAMETOOLONG);

    /* Ids that would leave the view, and domids that are not domains'. */
    CHECK(sshm_doorbell_my_port_path(buf, sizeof(buf), 7, "../1", 1) == -1 && errno == EINVAL);
    CHECK(sshm_doorbell_my_port_path(buf, sizeof(buf), 7, "a/b", 1) == -1 && errno == EINVAL);
    CHECK(sshm_doorbell_my_port_path(buf, sizeof(buf), 7, "", 1) == -1 && errno == EINVAL);
    CHECK(sshm_doorbell_peer_port_path(buf, sizeof(buf), 7, "telemetry", SSHM_DOMID_MAX + 1) == -1 && errno == EINVAL);
    CHECK(sshm_doorbell_dir_path(buf, sizeof(buf), SSHM_DOMID_MAX + 1, "telemetry") == -1 && errno == EINVAL);
    id[0] = '.';
    CHECK(sshm_doorbell_dir_path(buf, sizeof(buf), 1, id) == -1 && errno == EINVAL);
}

int main(void)
{
    ports();
    paths();
    return checks_done("test_doorbell");
}
