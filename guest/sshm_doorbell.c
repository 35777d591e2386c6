/* sshm_doorbell.c: a doorbell port's value and the paths of a pair's nodes; see sshm_doorbell.h. */
#include "sshm_doorbell.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int sshm_parse_port(const char *s, size_t len, uint32_t *out)
{
    if (len == 0) { /* no port yet, or the pair was reset */
        *out = 0;
        return 0;
    }
    if (len > SSHM_PORT_LEN_MAX || (len > 1 && s[0] == '0')) {
        errno = EINVAL;
        return -1;
    }
    uint32_t value = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            errno = EINVAL;
            return -1;
        }
        value = value * 10 + (uint32_t)(s[i] - '0');
    }
    if (value == 0 || value > SSHM_PORT_MAX) {
        errno = ERANGE;
        return -1;
    }
    *out = value;
    return 0;
}

/* /local/domain/<side>/static_shm/<id>/doorbell[/<other>/port] */
static int path(char *buf, size_t cap, unsigned side, const char *id, const unsigned *other)
{
    char checked[SSHM_ID_MAX + 1];
    if (sshm_parse_id(id, strlen(id), checked) != 0 || side > SSHM_DOMID_MAX ||
        (other && *other > SSHM_DOMID_MAX)) {
        errno = EINVAL;
        return -1;
    }
    int n = other ? snprintf(buf, cap, "/local/domain/%u/static_shm/%s/doorbell/%u/port", side, checked, *other)
                  : snprintf(buf, cap, "/local/domain/%u/static_shm/%s/doorbell", side, checked);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int sshm_doorbell_my_port_path(char *buf, size_t cap, unsigned me, const char *id, unsigned peer)
{
    return path(buf, cap, me, id, &peer);
}

int sshm_doorbell_peer_port_path(char *buf, size_t cap, unsigned me, const char *id, unsigned peer)
{
    return path(buf, cap, peer, id, &me);
}

int sshm_doorbell_dir_path(char *buf, size_t cap, unsigned me, const char *id)
{
    return path(buf, cap, me, id, NULL);
}
