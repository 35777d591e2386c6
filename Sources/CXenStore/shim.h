#ifndef SSHM_CXENSTORE_SHIM_H
#define SSHM_CXENSTORE_SHIM_H
#include <xenstore.h>
#endif
