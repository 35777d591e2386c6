#ifndef SSHM_CXENSTORE_SHIM_H
#define SSHM_CXENSTORE_SHIM_H
#include <xenstore.h>
/* The watch thread of the libxenstore adapter wakes on an eventfd; Glibc's module leaves this header out. */
#include <sys/eventfd.h>
#endif
