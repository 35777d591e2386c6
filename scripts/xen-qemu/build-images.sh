#!/bin/bash
# Builds the boot images of the system test from Debian packages, into a scratch folder (never into /boot):
#
#   build-images.sh WORK
#
#   WORK/img/xen                Xen 4.17 hypervisor (ELF32 multiboot, QEMU's -kernel loads it)
#   WORK/img/vmlinux            dom0 kernel as a plain ELF (Xen skips the xz step: ~1.5 s faster under TCG)
#   WORK/img/dom0-base.cpio     busybox, Xen 4.17 tools and libraries, Xen modules, domU kernel and initrd, dom0 /init,
#                               the job helpers (lib.sh, peek), sshm-guest; system-test appends sshm-reconcile and the
#                               job to it
#   WORK/img/busybox            the static busybox (its cpio applet builds the archives)
#
# The hypervisor, the kernel and busybox-static are fetched with `apt-get download` and unpacked with `dpkg -x`; the
# Xen userspace is the host's own xen-utils-4.17, so host and dom0 run the same build. Rebuilds only when an input
# changed (a hash of this folder's files, guest/'s sources and the package versions).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GUEST="$(cd "$HERE/../../guest" && pwd)"
WORK="${1:?usage: build-images.sh WORK}"
XENVER=4.17
XENBIN=/usr/lib/xen-$XENVER/bin
log() { printf '[images %s] %s\n' "$(date +%T)" "$*" >&2; }
mkdir -p "$WORK"/{debs,pkgs,img}

# ---------------------------------------------------------------- packages
kernel_package() {
    apt-cache depends linux-image-amd64 2> /dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
hypervisor_known() {
    apt-cache policy "xen-hypervisor-$XENVER-amd64" | awk '/Candidate:/ && $2 != "(none)"' | grep -q .
}
KPKG="$(kernel_package)"
if [ -z "$KPKG" ] || ! hypervisor_known; then
    log "apt-get update (package lists do not know the kernel or the hypervisor)"
    apt-get update -qq
    KPKG="$(kernel_package)"
fi
[ -n "$KPKG" ] || { echo "build-images: cannot resolve the kernel behind linux-image-amd64" >&2; exit 1; }
PKGS=("xen-hypervisor-$XENVER-amd64" "$KPKG" busybox-static)
VERSIONS="$(for p in "${PKGS[@]}"; do apt-cache policy "$p" | awk -v p="$p" '/Candidate:/ {print p, $2}'; done)"
STAMP="$( (echo "$VERSIONS"; dpkg -s "xen-utils-$XENVER" | grep '^Version'; cat "$HERE"/build-images.sh \
    "$HERE"/dom0-init "$HERE"/domU-init "$HERE"/lib.sh "$HERE"/*.c "$GUEST"/Makefile "$GUEST"/*.[ch]) \
    | sha256sum | cut -c1-16)"
if [ -f "$WORK/img/stamp" ] && [ "$(cat "$WORK/img/stamp")" = "$STAMP" ] && [ -f "$WORK/img/dom0-base.cpio" ]; then
    log "images up to date ($STAMP)"
    exit 0
fi

cd "$WORK/debs"
for p in "${PKGS[@]}"; do
    if ! ls "${p}"_*.deb > /dev/null 2>&1; then
        log "apt-get download $p"
        apt-get download "$p" 2>&1 | grep -v 'Download is performed unsandboxed' >&2 || true
        ls "${p}"_*.deb > /dev/null || { echo "build-images: apt-get download $p failed" >&2; exit 1; }
    fi
    if [ ! -e "$WORK/pkgs/$p/.done" ]; then
        log "dpkg -x $p"
        rm -rf "$WORK/pkgs/$p"
        mkdir -p "$WORK/pkgs/$p"
        debs=("${p}"_*.deb)
        dpkg -x "${debs[0]}" "$WORK/pkgs/$p"
        touch "$WORK/pkgs/$p/.done"
    fi
done
KROOT="$WORK/pkgs/$KPKG"
modules=("$KROOT"/lib/modules/*)
KVER="${modules[0]##*/}"
MD="lib/modules/$KVER"
BUSYBOX="$WORK/pkgs/busybox-static/bin/busybox"
cp "$BUSYBOX" "$WORK/img/busybox"
log "kernel $KVER; $(echo "$VERSIONS" | tr '\n' ';')"

# ---------------------------------------------------------------- kernels and hypervisor
zcat "$WORK/pkgs/xen-hypervisor-$XENVER-amd64/boot/xen-$XENVER-amd64.gz" > "$WORK/img/xen"
if [ ! -s "$WORK/img/vmlinux" ] || [ "$KROOT/boot/vmlinuz-$KVER" -nt "$WORK/img/vmlinux" ]; then
    python3 "$HERE/extract-vmlinux.py" "$KROOT/boot/vmlinuz-$KVER" "$WORK/img/vmlinux"
    gzip -6 -c "$WORK/img/vmlinux" > "$WORK/img/vmlinux.gz"
fi

# ---------------------------------------------------------------- helpers
# copy_with_libs ROOT FILE [DEST]: FILE and every library ldd names, at the same paths under ROOT.
copy_with_libs() {
    local root="$1" file="$2" dest="${3:-$2}" lib
    mkdir -p "$root/$(dirname "$dest")"
    cp -L "$file" "$root/$dest"
    for lib in $(ldd "$file" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do
        [ -e "$root/$lib" ] || { mkdir -p "$root/$(dirname "$lib")"; cp -L "$lib" "$root/$lib"; }
    done
}
busybox_root() {
    local root="$1" applet
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,proc,sys,dev,run,tmp,etc,root,lib64}
    cp "$BUSYBOX" "$root/bin/busybox"
    for applet in $("$BUSYBOX" --list); do [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"; done
    mkdir -p "$root/var"
    ln -sfn ../run "$root/var/run"
}
# copy_modules ROOT MODULE...: the kernel's MODULEs (each with its path under kernel/) and a modules.dep for them.
copy_modules() {
    local root="$1" m f
    shift
    mkdir -p "$root/$MD"
    for m in "$@"; do
        f="$(cd "$KROOT/$MD" && find kernel -name "$m.ko" -o -name "$m.ko.xz" | head -n 1)"
        [ -n "$f" ] || { echo "build-images: module $m not found in $KPKG" >&2; exit 1; }
        mkdir -p "$root/$MD/$(dirname "$f")"
        cp "$KROOT/$MD/$f" "$root/$MD/$f"
    done
    cp "$KROOT/$MD/modules.builtin" "$KROOT/$MD/modules.order" "$root/$MD/"
    "$BUSYBOX" depmod -b "$root" "$KVER"
}
mkcpio() {  # mkcpio ROOT OUT: newc cpio, gzip'ed when OUT ends in .gz
    (cd "$1" && find . | "$BUSYBOX" cpio -o -H newc 2> /dev/null) | case "$2" in
        *.gz) gzip -6 > "$2" ;;
        *) cat > "$2" ;;
    esac
}

log "compiling owner-page, view-probe, peek and sshm-guest"
mkdir -p "$WORK/bin"
gcc -O2 -Wall -Wextra -static -o "$WORK/bin/owner-page" "$HERE/owner-page.c"
gcc -O2 -Wall -Wextra -static -o "$WORK/bin/view-probe" "$HERE/view-probe.c" -lxenstore -lxentoolcore -lpthread
gcc -O2 -Wall -Wextra -static -o "$WORK/bin/peek" "$HERE/peek.c"
# guest/'s own build, linked against the shared libraries and copied with them (copy_with_libs): Debian's static
# libxenstore.a is built without USE_PTHREAD, so a static client has no reader thread, takes the first watch event
# that arrives before a reply for that reply (EINVAL) and closes its connection; sshm-guest doorbell watches.
rm -rf "$WORK/guest"
make -s -C "$GUEST" BUILD="$WORK/guest" "$WORK/guest/sshm-guest"
strip -o "$WORK/bin/sshm-guest" "$WORK/guest/sshm-guest"

# ---------------------------------------------------------------- domU initrd
log "domU initrd"
DR="$WORK/rootfs-domU"
rm -rf "$DR"
busybox_root "$DR"
copy_with_libs "$DR" /usr/bin/xenstore
for c in read write ls rm; do ln -s xenstore "$DR/usr/bin/xenstore-$c"; done
install -m755 "$WORK/bin/owner-page" "$DR/usr/local/bin/owner-page"
install -m755 "$WORK/bin/view-probe" "$DR/usr/local/bin/view-probe"
copy_with_libs "$DR" "$WORK/bin/sshm-guest" /usr/local/bin/sshm-guest
# glibc dlopen()s libgcc_s for pthread_cancel, which xs_close uses on a watching handle's reader thread.
cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$DR/lib/x86_64-linux-gnu/"
copy_modules "$DR" xen-evtchn   # /dev/xen/evtchn, for sshm-guest doorbell
install -m755 "$HERE/domU-init" "$DR/init"
mkcpio "$DR" "$WORK/img/domU-initrd.gz"

# ---------------------------------------------------------------- dom0 initramfs
log "dom0 initramfs"
R="$WORK/rootfs-dom0"
rm -rf "$R"
busybox_root "$R"
mkdir -p "$R"/{var/lib/xen,var/log/xen,etc/xen,boot,opt/sshm,usr/local/lib/sshm}
for b in xl xenstored xen-init-dom0 xenconsoled; do
    copy_with_libs "$R" "$XENBIN/$b"
    ln -s "$XENBIN/$b" "$R/usr/sbin/$b"
done
copy_with_libs "$R" /usr/bin/xenstore
for c in chmod exists list ls read rm watch write; do ln -s xenstore "$R/usr/bin/xenstore-$c"; done
cp /etc/xen/xl.conf "$R/etc/xen/" 2> /dev/null || : > "$R/etc/xen/xl.conf"
# glibc dlopen()s libgcc_s for pthread_cancel; ldd does not show it and xl aborts without it.
cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$R/lib/x86_64-linux-gnu/"
copy_modules "$R" xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs
cp "$WORK/img/vmlinux.gz" "$WORK/img/domU-initrd.gz" "$R/boot/"
install -m755 "$WORK/bin/peek" "$R/usr/local/bin/peek"
copy_with_libs "$R" "$WORK/bin/sshm-guest" /usr/local/bin/sshm-guest
install -m644 "$HERE/lib.sh" "$R/usr/local/lib/sshm/lib.sh"
install -m755 "$HERE/dom0-init" "$R/init"
# Uncompressed: QEMU loads it as is and the dom0 kernel need not inflate it (about 1 s under TCG).
mkcpio "$R" "$WORK/img/dom0-base.cpio"
echo "$STAMP" > "$WORK/img/stamp"
log "done: $(du -sh "$WORK/img" | cut -f1) of images"
