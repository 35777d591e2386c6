#ifndef SSHM_CXENCTRL_SHIM_H
#define SSHM_CXENCTRL_SHIM_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <xenctrl.h>
#include <xenevtchn.h>
#include <xentoollog.h>

/*
 * A xentoollog logger that keeps the last warning or error instead of printing it. Without an explicit logger,
 * xc_interface_open() logs to stderr ("xencall: error: Could not obtain handle on privileged command interface")
 * on every host without Xen; the adapter puts the captured text into its error instead.
 *
 * The vtable must stay the first member: libxenctrl calls back with a pointer to it.
 */
typedef struct sshm_capture_logger {
    xentoollog_logger vtable;
    char last[256];
    int last_errno;
} sshm_capture_logger;

static inline void sshm_capture_vmessage(xentoollog_logger *logger, xentoollog_level level, int errnoval,
                                  const char *context, const char *format, va_list al)
{
    sshm_capture_logger *capture = (sshm_capture_logger *)logger;
    if (level < XTL_WARN)
        return;
    int used = 0;
    if (context)
        used = snprintf(capture->last, sizeof capture->last, "%s: ", context);
    if (used < 0 || (size_t)used >= sizeof capture->last)
        used = 0;
    vsnprintf(capture->last + used, sizeof capture->last - (size_t)used, format, al);
    capture->last_errno = errnoval;
}

static inline void sshm_capture_progress(xentoollog_logger *logger, const char *context, const char *doing_what,
                                  int percent, unsigned long done, unsigned long total)
{
    (void)logger; (void)context; (void)doing_what; (void)percent; (void)done; (void)total;
}

/* The Swift side owns the memory; libxenctrl never destroys a logger it was given. */
static inline void sshm_capture_destroy(xentoollog_logger *logger) { (void)logger; }

static inline void sshm_capture_logger_init(sshm_capture_logger *capture)
{
    memset(capture, 0, sizeof *capture);
    capture->vtable.vmessage = sshm_capture_vmessage;
    capture->vtable.progress = sshm_capture_progress;
    capture->vtable.destroy = sshm_capture_destroy;
    capture->last_errno = -1;
}

static inline xentoollog_logger *sshm_capture_logger_base(sshm_capture_logger *capture)
{
    return &capture->vtable;
}

/* How a domain runs, from getdomaininfo. */
enum sshm_domain_kind { SSHM_DOMAIN_PV = 0, SSHM_DOMAIN_PVH = 1, SSHM_DOMAIN_HVM = 2 };

static inline int sshm_domaininfo_kind(const xc_domaininfo_t *info)
{
    if (!(info->flags & XEN_DOMINF_hvm_guest))
        return SSHM_DOMAIN_PV;
#if defined(__x86_64__) || defined(__i386__)
    /* PVH guests (dom0 included) get no emulated PIC; HVM guests always do. */
    return (info->arch_config.emulation_flags & XEN_X86_EMU_PIC) ? SSHM_DOMAIN_HVM : SSHM_DOMAIN_PVH;
#else
    /* Arm guests are auto-translated and have no device model: PVH-like. */
    return SSHM_DOMAIN_PVH;
#endif
}

/* XENVER_version packs major << 16 | minor into the return value; a negative value is an error. */
static inline int sshm_xen_version(xc_interface *xch) { return xc_version(xch, XENVER_version, NULL); }

static inline int sshm_xen_extraversion(xc_interface *xch, xen_extraversion_t *extra)
{
    return xc_version(xch, XENVER_extraversion, extra);
}

static inline int sshm_xen_capabilities(xc_interface *xch, xen_capabilities_info_t *caps)
{
    return xc_version(xch, XENVER_capabilities, caps);
}

/* xc_evtchn_status with the union flattened: the state and, for unbound and interdomain, the remote end. */
static inline int sshm_evtchn_status(xc_interface *xch, uint32_t dom, uint32_t port, uint32_t *state,
                                     uint32_t *remote_dom, uint32_t *remote_port)
{
    xc_evtchn_status_t status;
    memset(&status, 0, sizeof status);
    status.dom = (domid_t)dom;
    status.port = port;
    int rc = xc_evtchn_status(xch, &status);
    if (rc < 0)
        return rc;
    *state = status.status;
    *remote_dom = 0;
    *remote_port = 0;
    if (status.status == EVTCHNSTAT_unbound) {
        *remote_dom = status.u.unbound.dom;
    } else if (status.status == EVTCHNSTAT_interdomain) {
        *remote_dom = status.u.interdomain.dom;
        *remote_port = status.u.interdomain.port;
    }
    return rc;
}

#endif
