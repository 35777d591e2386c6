/*
 * owner-page: runs in a domU and gives the system test a page of this domain's RAM with known contents.
 *
 * Allocates and locks one page, writes "SSHM owner dom<domid> <nonce>" at its start, finds its guest frame number in
 * /proc/self/pagemap (in a PVH or HVM guest that is the gfn the hypervisor maps from), and publishes both in xenstore
 * as data/shm-gfn and data/shm-pattern. Then it watches offset 2048 of the page: whatever a borrower writes there
 * through its mapping is published as data/shm-seen. It runs until the domain is destroyed.
 *
 * Build: gcc -O2 -static -o owner-page owner-page.c
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define REPLY_OFFSET 2048

static int publish(const char *key, const char *value)
{
    char command[512];
    snprintf(command, sizeof command, "xenstore-write 'data/%s' '%s'", key, value);
    int rc = system(command);
    if (rc != 0) fprintf(stderr, "owner-page: %s failed (%d)\n", command, rc);
    return rc;
}

int main(void)
{
    char domid[32] = "?";
    FILE *p = popen("xenstore-read domid", "r");
    if (p) {
        if (!fgets(domid, sizeof domid, p)) strcpy(domid, "?");
        domid[strcspn(domid, "\n")] = 0;
        pclose(p);
    }
    volatile char *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (page == MAP_FAILED) { perror("owner-page: mmap"); return 1; }
    if (mlock((void *)page, PAGE) != 0) { perror("owner-page: mlock"); return 1; }

    unsigned nonce = 0;
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, &nonce, sizeof nonce) != sizeof nonce) nonce = (unsigned)time(NULL) ^ (unsigned)getpid();
    if (fd >= 0) close(fd);
    char pattern[64];
    snprintf(pattern, sizeof pattern, "SSHM owner dom%s %08x", domid, nonce);
    memset((void *)page, 0, PAGE);
    memcpy((void *)page, pattern, strlen(pattern));

    uint64_t entry = 0;
    fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0 || pread(fd, &entry, sizeof entry, (off_t)((uintptr_t)page / PAGE) * 8) != sizeof entry) {
        perror("owner-page: /proc/self/pagemap");
        return 1;
    }
    close(fd);
    if (!(entry >> 63 & 1) || (entry & ((UINT64_C(1) << 55) - 1)) == 0) {
        fprintf(stderr, "owner-page: page not present or PFN hidden (entry 0x%" PRIx64 ")\n", entry);
        return 1;
    }
    char gfn[32];
    snprintf(gfn, sizeof gfn, "0x%" PRIx64, (uint64_t)(entry & ((1ULL << 55) - 1)));
    printf("owner-page: gfn %s pattern '%s'\n", gfn, pattern);
    fflush(stdout);
    if (publish("shm-pattern", pattern) || publish("shm-gfn", gfn)) return 1;

    char last[128] = "";
    struct timespec tick = {0, 50 * 1000 * 1000};
    for (;;) {
        char seen[128];
        memcpy(seen, (const void *)(page + REPLY_OFFSET), sizeof seen - 1);
        seen[sizeof seen - 1] = 0;
        for (char *c = seen; *c; c++)
            if (*c == '\'' || *c < 0x20 || *c > 0x7e) *c = '?';
        if (seen[0] && strcmp(seen, last) != 0) {
            printf("owner-page: borrower wrote '%s'\n", seen);
            fflush(stdout);
            publish("shm-seen", seen);
            strcpy(last, seen);
        }
        nanosleep(&tick, NULL);
    }
}
