#ifndef SSHM_CYAML_SHIM_H
#define SSHM_CYAML_SHIM_H
/* Debian's libyaml (libyaml-dev): manifests are read through its event API. */
#include <yaml.h>
#endif
