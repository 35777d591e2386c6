/*
 * owner-page: runs in a domU and gives the system test a page of this domain's RAM with known contents.
 *
 *   owner-page GFN
 *
 * The page is the frame GFN, fixed before the domain was built, so that dom0 can map it while the domain is still
 * paused. The domU's kernel command line keeps it out of Linux's hands (memmap=4K$<address>: reserved, so /dev/mem
 * may map it under CONFIG_STRICT_DEVMEM). owner-page maps it through /dev/mem, writes "SSHM owner dom<domid> <nonce>"
 * at its start and publishes the text and the gfn in xenstore as data/shm-pattern and data/shm-gfn. Then it watches
 * offset 2048 of the page: whatever a borrower writes there through its mapping is published as data/shm-seen. It
 * runs until the domain is destroyed.
 *
 * Build: gcc -O2 -static -o owner-page owner-page.c
 */
#include <errno.h>
#include <fcntl.h>
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

int main(int argc, char **argv)
{
    char *end = NULL;
    unsigned long long frame = argc == 2 ? strtoull(argv[1], &end, 0) : 0;
    if (argc != 2 || end == argv[1] || *end != 0) {
        fprintf(stderr, "usage: owner-page GFN\n");
        return 64;
    }
    char domid[32] = "?";
    FILE *p = popen("xenstore-read domid", "r");
    if (p) {
        if (!fgets(domid, sizeof domid, p)) strcpy(domid, "?");
        domid[strcspn(domid, "\n")] = 0;
        pclose(p);
    }
    int mem = open("/dev/mem", O_RDWR);
    if (mem < 0) { perror("owner-page: /dev/mem"); return 1; }
    volatile char *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mem, (off_t)(frame * PAGE));
    if (page == MAP_FAILED) { perror("owner-page: mmap of /dev/mem"); return 1; }

    unsigned nonce = 0;
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, &nonce, sizeof nonce) != sizeof nonce) nonce = (unsigned)time(NULL) ^ (unsigned)getpid();
    if (fd >= 0) close(fd);
    char pattern[64];
    snprintf(pattern, sizeof pattern, "SSHM owner dom%s %08x", domid, nonce);
    memset((void *)page, 0, PAGE);
    memcpy((void *)page, pattern, strlen(pattern));

    char gfn[32];
    snprintf(gfn, sizeof gfn, "0x%llx", frame);
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
