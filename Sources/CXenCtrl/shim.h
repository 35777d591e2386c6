#ifndef SSHM_CXENCTRL_SHIM_H
#define SSHM_CXENCTRL_SHIM_H
#include <xenctrl.h>
#endif
