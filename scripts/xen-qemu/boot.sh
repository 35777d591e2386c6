#!/bin/bash
# Boots Xen 4.17 + the Debian dom0 under QEMU TCG once, runs a job in dom0 and waits for it to power the machine off.
#
#   boot.sh pv|pvh WORK OUT PAYLOAD_DIR [TIMEOUT_S]
#
#   pv    PV dom0 (Debian's default), i440fx machine
#   pvh   PVH dom0 (dom0=pvh): q35 with an emulated AMD IOMMU, which a PVH dom0 needs for its devices
#
# PAYLOAD_DIR (its /job.sh, /opt/sshm/…) is appended to WORK/img/dom0-base.cpio as a second archive; the job's output
# comes back on the serial console only (a virtio-9p share hangs under a PVH dom0 with the IOMMU). OUT receives
# console.log (each line prefixed with host seconds since QEMU started), qemu-cmdline.txt, qemu.stderr and summary.txt.
# Exit status: the job's ("SSHM-RC n" on the console), 124 on timeout, 125 when dom0 never reported (a Xen panic).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODE="${1:?usage: boot.sh pv|pvh WORK OUT PAYLOAD_DIR [TIMEOUT_S]}"
WORK="$2" OUT="$3" PAYLOAD="$4" TIMEOUT="${5:-300}"
IMG="$WORK/img"
mkdir -p "$OUT"

# Linux unpacks concatenated newc archives in order: the payload's files land on top of the base ones.
(cd "$PAYLOAD" && find . | "$IMG/busybox" cpio -o -H newc 2> /dev/null) > "$OUT/payload.cpio"
cat "$IMG/dom0-base.cpio" "$OUT/payload.cpio" > "$OUT/initrd.cpio"
rm -f "$OUT/payload.cpio"

# -cpu max without SMAP (Xen's SMAP handling crashes the PV dom0 under QEMU 7.2 TCG) and without RDTSCP (TCG's SVM
# reports it as RDTSC and PVH guests then spin); bootscrub=false spares scrubbing free RAM under emulation.
# spec-ctrl=eager-fpu: on this AMD-like CPU Xen would switch FPU state lazily (CR0.TS and the #NM intercept), which
# TCG's nested SVM does not emulate faithfully: once a PVH domU runs beside the PVH dom0, programs in dom0 run on
# another vCPU's registers and crash (xl in libgcc_s, busybox sh). See docs/system-test.md, "Why these options".
XEN_ARGS="console=com1 com1=115200,8n1 bootscrub=false spec-ctrl=eager-fpu dom0_mem=512M,max:512M dom0_max_vcpus=1"
XEN_ARGS="$XEN_ARGS loglvl=all guest_loglvl=all"
MACHINE=(-machine pc)
if [ "$MODE" = pvh ]; then
    XEN_ARGS="$XEN_ARGS dom0=pvh iommu=1"
    MACHINE=(-machine q35 -device amd-iommu)
fi
# shellcheck disable=SC2054  # the commas are QEMU's option syntax
QEMU=(qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot "${MACHINE[@]}"
    -accel tcg,thread=single -cpu max,-smap,-rdtscp -smp 1 -m 1536
    -chardev stdio,id=ser0,signal=off -serial chardev:ser0 -monitor none
    -kernel "$IMG/xen" -append "$XEN_ARGS"
    -initrd "$IMG/vmlinux console=hvc0 earlyprintk=xen rdinit=/init,$OUT/initrd.cpio"
    -device isa-debug-exit,iobase=0xf4,iosize=0x04)
printf '%q ' "${QEMU[@]}" > "$OUT/qemu-cmdline.txt"
echo >> "$OUT/qemu-cmdline.txt"

T0=$(python3 -c 'import time; print(repr(time.time()))')
# timeout(1) owns QEMU: whatever happens to this script's caller, QEMU cannot outlive the deadline.
timeout --kill-after=5 "$TIMEOUT" "${QEMU[@]}" < /dev/null 2> "$OUT/qemu.stderr" \
    | python3 "$HERE/tstamp.py" "$T0" "$OUT/console.log"
QRC=${PIPESTATUS[0]}
WALL=$(python3 -c "import time; print('%.1f' % (time.time() - $T0))")
rm -f "$OUT/initrd.cpio"

JRC=$(grep -a -o 'SSHM-RC [0-9]*' "$OUT/console.log" | tail -n 1 | cut -d' ' -f2)
if [ "$QRC" = 124 ] || [ "$QRC" = 137 ]; then RC=124
elif [ -n "$JRC" ]; then RC=$JRC
else RC=125
fi
printf 'mode %s: qemu exit %s, job status %s, wall %s s\n' "$MODE" "$QRC" "$RC" "$WALL" > "$OUT/summary.txt"
grep -a 'SSHM-MARK' "$OUT/console.log" | sed 's/^\[ *\([0-9.]*\)\] SSHM-MARK \([^ ]*\).*/  \1 \2/' >> "$OUT/summary.txt"
exit "$RC"
