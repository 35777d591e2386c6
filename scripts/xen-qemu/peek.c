/*
 * peek: reads or writes guest-physical memory of the domain it runs in through /dev/mem, to see what a mapping made
 * by sshm-reconcile shows. Only frames that are not RAM are allowed by the kernel (CONFIG_STRICT_DEVMEM), which is
 * exactly where borrower ranges live.
 *
 *   peek read ADDRESS LENGTH     prints the bytes up to the first NUL (at most LENGTH), non-printables as '.'
 *   peek write ADDRESS TEXT      writes TEXT and a NUL at ADDRESS
 *
 * Build: gcc -O2 -static -o peek peek.c
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "read") && strcmp(argv[1], "write"))) {
        fprintf(stderr, "usage: peek read ADDRESS LENGTH | peek write ADDRESS TEXT\n");
        return 2;
    }
    int writing = !strcmp(argv[1], "write");
    uint64_t address = strtoull(argv[2], NULL, 0);
    size_t length = writing ? strlen(argv[3]) + 1 : strtoul(argv[3], NULL, 0);
    uint64_t base = address & ~(PAGE - 1);
    size_t span = ((address - base + length + PAGE - 1) / PAGE) * PAGE;
    int fd = open("/dev/mem", (writing ? O_RDWR : O_RDONLY) | O_SYNC);
    if (fd < 0) { perror("peek: open /dev/mem"); return 1; }
    volatile char *map = mmap(NULL, span, writing ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, (off_t)base);
    if (map == MAP_FAILED) { perror("peek: mmap /dev/mem"); return 1; }
    volatile char *at = map + (address - base);
    if (writing) {
        for (size_t i = 0; i < length; i++) at[i] = argv[3][i];
    } else {
        for (size_t i = 0; i < length && at[i]; i++) putchar(at[i] >= 0x20 && at[i] < 0x7f ? at[i] : '.');
        putchar('\n');
    }
    munmap((void *)map, span);
    close(fd);
    return 0;
}
