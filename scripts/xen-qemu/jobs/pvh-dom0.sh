#!/bin/sh
# Boot 2: PVH dom0 (dom0=pvh, q35 with an emulated AMD IOMMU) and one PVH domU that owns a page with known contents.
# The one mapping stock Xen allows on x86 is gmfn_foreign into a translated hardware domain, so dom0 borrows here.
# The domU is started without a race: created paused with its page at a fixed gfn, mapped into dom0, `wait`, and only
# then unpaused (domu_up). Checks the refusal of --map-space share (even for dom0) while it is paused, the guest view
# as the domU itself reads it (and cannot write, nor read dom0's), the contract, the default (auto: dom0 maps with
# foreign, the PVH domU borrowing from dom0 is refused), a real mapping seen from both sides, the region's doorbell
# (the domU's sshm-guest answers, dom0's rings 1,000 times, the pair connected, the peer's node closed to the domU),
# repair, and garbage collection when the owner is destroyed.
# A second domU would cost a minute here: building a domain from a PVH dom0 maps and unmaps every page of its
# kernel one hypercall at a time under TCG.
# shellcheck source=/dev/null  # lib.sh is installed in the dom0 image; shellcheck checks it on its own
. /usr/local/lib/sshm/lib.sh
mkdir -p /etc/sshm.d /run/sshm-reconcile
chmod 755 /etc/sshm.d
WINDOW=0x1000000000   # dom0's borrower range: 64 GiB, far above its RAM and the PCI hole
# pvh-owner's shared page is fixed before the domain is built, so that dom0 can map it while the domain is paused.
# The domU's kernel keeps it out of its allocator (memmap=...$...: reserved) and owner-page reaches it via /dev/mem.
OWNER_GFN=0x7000
OWNER_BEGIN=$(printf '0x%x' $((OWNER_GFN << 12)))
PROBE_GFN=0x1000100   # the contract's probes map here, beside telemetry's live mapping at WINDOW

cat > /etc/sshm.d/10-telemetry.yaml << YAML
version: 1
regions:
  - id: telemetry
    doorbell: true
    owner: { domain: pvh-owner, begin: $OWNER_BEGIN, size: 4KiB, prot: rw, cache_policy: x86_normal }
    borrowers:
      - { domain: Domain-0, begin: $WINDOW }
YAML
cat > /etc/sshm.d/20-domu.yaml << 'YAML'
version: 1
regions:
  - id: domu-refused
    owner: { domain: Domain-0, begin: 0x100000, size: 16KiB }
    borrowers:
      - { domain: pvh-owner, begin: 0x1000000000 }
YAML
chmod 644 /etc/sshm.d/*.yaml

# share_refusals DOMID: --map-space share on stock Xen, every page EINVAL, dom0 included. It runs once, while
# pvh-owner is built and paused and nothing is mapped yet.
share_refusals() {
    sr apply --map-space share
    check "pvh-dom0 apply with share exits 1" "exit $SR_RC" test "$SR_RC" = 1
    sr status --json --map-space share
    cp /tmp/sr.out /tmp/status-share.json
    evidence pvh-dom0-status-share.json /tmp/status-share.json
    for id in telemetry domu-refused; do
        cr=$(condition_of /tmp/status-share.json $id)
        check "pvh-dom0 share refused for $id: Failed RefusedByHypervisor" "$cr" \
            test "$cr" = "Failed RefusedByHypervisor"
    done
    m=$(region_field /tmp/status-share.json telemetry message)
    want=$(refusal_message "$1" 0 share "Invalid argument (EINVAL, errno 22)" pvh)
    check "pvh-dom0 share refusal message is exact (Xen version, borrower type, per-page EINVAL, what works)" "$m" \
        test "$m" = "$want"
    check "pvh-dom0 share refusal leaves no residue (telemetry)" "" no_residue telemetry 0 "$1"
    check "pvh-dom0 share refusal leaves no residue (domu-refused)" "" no_residue domu-refused 0 "$1"
    sr apply --map-space share
    check "pvh-dom0 second apply with share does not retry" "exit $SR_RC, $(tail -n 1 /tmp/sr.out)" \
        sh -c "test $SR_RC = 1 && grep -q 'No changes were needed' /tmp/sr.out && ! test -s /tmp/sr.err"
}

mark domus-create
echo "dom0 guest_type: $(cat /sys/hypervisor/guest_type 2>/dev/null)"
# Created paused; share_refusals; apply (the default, auto: dom0 maps with gmfn_foreign); wait; unpause.
if ! domu_up pvh-owner pvh 600 \
    "sshm.owner_gfn=$OWNER_GFN sshm.view=telemetry sshm.doorbell=telemetry memmap=4K\$$OWNER_BEGIN" \
    telemetry share_refusals; then
    fail "start the PVH domU" "pvh-owner never reached /init"
    exit 1
fi
o=$DOMID
cr=$(condition_of /tmp/pvh-owner-paused.json telemetry)
check "pvh-dom0 telemetry is Ready while pvh-owner is still paused" "$cr, paused: $PAUSED" \
    test "$cr $PAUSED" = "Ready Converged yes"
check "pvh-dom0 wait --region telemetry returns 0 before pvh-owner is unpaused" "exit $WAIT_RC" \
    sh -c "cat /tmp/pvh-owner-wait.out; test $WAIT_RC = 0"
if ! wait_for 300 xenstore-read "/local/domain/$o/data/shm-gfn"; then
    fail "start the PVH domU" "owner-page published nothing"
    exit 1
fi
gfn=$(xenstore-read "/local/domain/$o/data/shm-gfn")
pattern=$(xenstore-read "/local/domain/$o/data/shm-pattern")
check "start the PVH domU" "pvh-owner dom$o, its page at the fixed gfn $gfn holds '$pattern'" \
    test "$gfn" = "$OWNER_GFN"
free -m
mark domus-ready
grep -h SSHM-DOMU /var/log/xen/console/guest-*.log 2> /dev/null   # when each guest's /init ran (its uptime)

# ---- the guest view, from inside pvh-owner: view-probe's SSHM-VIEW lines on its console
GUEST_LOG=/var/log/xen/console/guest-pvh-owner.log
wait_for 300 grep -q 'SSHM-VIEW done' "$GUEST_LOG" || echo "SSHM-WARN view-probe did not finish in pvh-owner"
grep -a 'SSHM-VIEW' "$GUEST_LOG" | tr -d '\r' > /tmp/view.txt
evidence pvh-dom0-guest-view.txt /tmp/view.txt
# view_line OP KEY: view-probe's outcome of one operation ("ok VALUE" or "error ENAME text").
view_line() {
    awk -v op="$1" -v key="$2" '$2 == op && $3 == key {sub(/^SSHM-VIEW [^ ]+ [^ ]+ /, ""); print; exit}' /tmp/view.txt
}
for kv in role=master begin=$OWNER_BEGIN size=0x1000 offset=0x0 prot=rw cache_policy=x86_normal peer=0 state=ready; do
    got=$(view_line read "${kv%%=*}")
    check "pvh-dom0 inside pvh-owner, its view's ${kv%%=*} reads ${kv#*=}" "${got:-no answer}" \
        test "$got" = "ok ${kv#*=}"
done
got=$(view_line write state)
check "pvh-dom0 inside pvh-owner, writing its own view fails with EACCES" "${got:-no answer}" \
    sh -c "echo '$got' | grep -q '^error EACCES '"
got=$(view_line read-dom0 begin)
check "pvh-dom0 inside pvh-owner, reading dom0's view fails with EACCES" "${got:-no answer}" \
    sh -c "echo '$got' | grep -q '^error EACCES '"
# The doorbell's rendezvous (docs/guest-view.md): dom0's port node for pvh-owner is the pair's, read by both, written
# by dom0 only.
got=$(view_line list doorbell)
check "pvh-dom0 inside pvh-owner, its view's doorbell/ lists dom0" "${got:-no answer}" test "$got" = "ok 0"
got=$(view_line read-peer-port 0)
check "pvh-dom0 inside pvh-owner, reading dom0's doorbell port node for it succeeds" "${got:-no answer}" \
    sh -c "echo '$got' | grep -q '^ok'"
got=$(view_line write-peer-port 0)
check "pvh-dom0 inside pvh-owner, writing dom0's doorbell port node fails with EACCES" "${got:-no answer}" \
    sh -c "echo '$got' | grep -q '^error EACCES '"

# ---- the Hypervisor contract on libxenctrl
contract pvh-dom0 --owner-gfn "$gfn" --borrower-gfn "$PROBE_GFN" \
    --probe Domain-0:pvh-owner:foreign --probe Domain-0:pvh-owner:share:pages=EINVAL \
    --probe pvh-owner:Domain-0:foreign:pages=EPERM --probe pvh-owner:Domain-0:share:pages=EINVAL \
    --unmap-probe Domain-0 --unmap-probe pvh-owner
check "pvh-dom0 domains and UUIDs match xl list -v" "" domains_match_xl
mark contract-done

# ---- the default, --map-space auto (domu_up's apply): dom0 maps with gmfn_foreign, the PVH domU borrower gets share
# and EINVAL
sr status --json
cp /tmp/sr.out /tmp/status-auto.json
evidence pvh-dom0-status-auto.json /tmp/status-auto.json
cr=$(condition_of /tmp/status-auto.json telemetry)
check "pvh-dom0 dom0 borrower with the default: Ready" "$cr" test "$cr" = "Ready Converged"
cr=$(condition_of /tmp/status-auto.json domu-refused)
check "pvh-dom0 PVH domU borrower with the default: Failed RefusedByHypervisor" "$cr" \
    test "$cr" = "Failed RefusedByHypervisor"
m=$(region_field /tmp/status-auto.json domu-refused message)
want=$(refusal_message 0 "$o" share "Invalid argument (EINVAL, errno 22)" pvh)
check "pvh-dom0 default's domU refusal message is exact" "$m" test "$m" = "$want"
check "pvh-dom0 refused domU borrower leaves no residue (auto)" "" no_residue domu-refused 0 "$o"

# ---- gmfn_foreign for every borrower: dom0 stays mapped, the PVH domU borrower is tried again and refused per page
sr apply --map-space foreign
check "pvh-dom0 apply with foreign exits 1 (the domU borrower is refused)" "exit $SR_RC" test "$SR_RC" = 1
sr status --json --map-space foreign
cp /tmp/sr.out /tmp/status-foreign.json
evidence pvh-dom0-status-foreign.json /tmp/status-foreign.json
cr=$(condition_of /tmp/status-foreign.json telemetry)
check "pvh-dom0 dom0 borrower with foreign: Ready" "$cr" test "$cr" = "Ready Converged"
cr=$(condition_of /tmp/status-foreign.json domu-refused)
check "pvh-dom0 PVH domU borrower with foreign: Failed RefusedByHypervisor" "$cr" \
    test "$cr" = "Failed RefusedByHypervisor"
m=$(region_field /tmp/status-foreign.json domu-refused message)
want=$(refusal_message 0 "$o" foreign "Operation not permitted (EPERM, errno 1)" pvh)
check "pvh-dom0 domU refusal message is exact (per-page EPERM)" "$m" test "$m" = "$want"
check "pvh-dom0 refused domU borrower leaves no residue" "" no_residue domu-refused 0 "$o"
R=/libxl/static_shm/telemetry
check "pvh-dom0 record of the mapped region" \
    "master=$(xenstore-read $R/master) usercnt=$(xenstore-read $R/usercnt) state=$(xenstore-read $R/slaves/0/state)" \
    sh -c "test \"\$(xenstore-read $R/master)\" = $o && test \"\$(xenstore-read $R/usercnt)\" = 2 \
        && test \"\$(xenstore-read $R/slaves/0/state)\" = mapped \
        && test \"\$(xenstore-read /local/domain/0/static_shm/telemetry/role)\" = slave \
        && test \"\$(xenstore-read /local/domain/$o/static_shm/telemetry/role)\" = master"
{ xenstore-ls -f /libxl/static_shm; xenstore-ls -f /tool/sshm-reconcile; xenstore-ls -f /local/domain/0/static_shm; \
    xenstore-ls -f "/local/domain/$o/static_shm"; } > /tmp/record.txt 2>&1
evidence pvh-dom0-record.txt /tmp/record.txt

# ---- both sides see the same bytes
seen=$(peek read $WINDOW 64)
check "pvh-dom0 dom0 reads the owner's page through the mapping" "dom0 sees '$seen', owner wrote '$pattern'" \
    test "$seen" = "$pattern"
reply="SSHM borrower dom0 $(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
peek write $((WINDOW + 2048)) "$reply"
wait_for 300 sh -c "test \"\$(xenstore-read /local/domain/$o/data/shm-seen)\" = \"$reply\""
check "pvh-dom0 the owner sees what dom0 wrote through the mapping" \
    "owner saw '$(xenstore-read "/local/domain/$o/data/shm-seen" 2>/dev/null)'" \
    test "$(xenstore-read "/local/domain/$o/data/shm-seen" 2>/dev/null)" = "$reply"

# ---- the doorbell: pvh-owner's sshm-guest answers rings since its /init (sshm.doorbell=telemetry); dom0, the
# borrower, meets it through the two views, rings, then stays bound until the region goes
wait_for 300 doorbell_is waiting_for_borrower
st=$(doorbell_state /tmp/doorbell.json)
check "pvh-dom0 pvh-owner has published its doorbell port: status shows the pair waiting for borrower" "$st" \
    test "$st" = waiting_for_borrower
/usr/local/bin/sshm-guest doorbell --region telemetry --ping 1000 --timeout 120 > /tmp/ping.out 2> /tmp/ping.err
PING_RC=$?
cat /tmp/ping.out /tmp/ping.err > /tmp/ping.txt
evidence pvh-dom0-doorbell-ping.txt /tmp/ping.txt
check "pvh-dom0 dom0 rings pvh-owner's doorbell 1000 times, every ring answered" \
    "exit $PING_RC, $(grep '^doorbell ' /tmp/ping.out)" \
    sh -c "test $PING_RC = 0 && grep -q '^doorbell telemetry: 1000 round trips with dom$o: median ' /tmp/ping.out"
# --ping closes its end when done; a --serve in dom0 meets pvh-owner again and stays bound.
/usr/local/bin/sshm-guest doorbell --region telemetry --serve --timeout 300 > /tmp/serve.out 2>&1 &
SERVE=$!
sr wait --region telemetry --doorbell --timeout 300s
check "pvh-dom0 wait --doorbell returns 0 once dom0 is bound again" "exit $SR_RC" test "$SR_RC" = 0
sr status
cp /tmp/sr.out /tmp/status-doorbell.txt
evidence pvh-dom0-status-doorbell.txt /tmp/status-doorbell.txt
check "pvh-dom0 status shows the doorbell connected" "$(grep '^telemetry ' /tmp/status-doorbell.txt)" \
    grep -q '^telemetry .* Domain-0 (dom0) mapped \[doorbell: connected\]' /tmp/status-doorbell.txt
sr status --json
st=$(doorbell_state /tmp/sr.out)
check "pvh-dom0 status --json shows the doorbell connected" "$st" test "$st" = connected

# ---- repair
xenstore-write $R/usercnt 7
sr plan --map-space foreign
check "pvh-dom0 plan shows the corrupted usercnt as a repair" "$(grep '^~' /tmp/sr.out | head -n 1)" \
    grep -q '^~ repair' /tmp/sr.out
sr apply --map-space foreign
check "pvh-dom0 apply repairs usercnt" "usercnt $(xenstore-read $R/usercnt)" test "$(xenstore-read $R/usercnt)" = 2
check "pvh-dom0 the mapping survives the repair" "" test "$(peek read $WINDOW 64)" = "$pattern"
sr status --map-space foreign
evidence pvh-dom0-status.txt /tmp/sr.out

# ---- garbage collection: destroy the owner; dom0's mapping keeps it dying until sshm-reconcile unmaps
xl destroy pvh-owner
/opt/sshm/sshm-reconcile selftest domains > /tmp/domains-after-destroy.txt
echo "after xl destroy:"; cat /tmp/domains-after-destroy.txt
sr apply --map-space foreign
check "pvh-dom0 record of a destroyed owner is garbage-collected" "exit $SR_RC" no_residue telemetry 0 "$o"
# Reading a hole could upset the PVH dom0: ask the hypervisor instead whether the frame is still mapped.
/opt/sshm/sshm-reconcile selftest hypervisor --unmap-probe Domain-0 --borrower-gfn $((WINDOW >> 12)) > /tmp/probe.out
check "pvh-dom0 dom0's frame is unmapped" "$(grep unmap-of-unmapped /tmp/probe.out)" \
    grep -q '^PASS unmap-of-unmapped-frame-answers-not-mapped dom0' /tmp/probe.out
check "pvh-dom0 the destroyed owner is gone once unmapped" "" \
    wait_for 300 sh -c "! /opt/sshm/sshm-reconcile selftest domains | grep -q '^$o '"
sr status --json --map-space foreign
cr=$(condition_of /tmp/sr.out telemetry)
check "pvh-dom0 region of a destroyed owner waits for it" "$cr" test "$cr" = "Pending WaitingForOwner"
# dom0's doorbell nodes went with its view: its sshm-guest --serve ends by itself.
exited() { ! test -e "/proc/$1/stat" || test "$(cut -d' ' -f3 "/proc/$1/stat")" = Z; }   # a zombie until waited for
if wait_for 120 exited "$SERVE"; then
    wait "$SERVE"
    SERVE_RC=$?
else
    kill "$SERVE"
    SERVE_RC="none: still running after 120 s"
fi
evidence pvh-dom0-doorbell-serve.txt /tmp/serve.out
check "pvh-dom0 dom0's sshm-guest doorbell --serve exits 0 once the region's doorbell is gone" \
    "exit $SERVE_RC, $(tail -n 1 /tmp/serve.out)" test "$SERVE_RC" = 0
grep -a 'sshm-guest:\|SSHM-DOORBELL' "$GUEST_LOG" | tr -d '\r' > /tmp/owner-doorbell.txt
evidence pvh-dom0-doorbell-owner.txt /tmp/owner-doorbell.txt

check "pvh-dom0 no program in dom0 was killed by a fault" "" no_crash_in_dom0
mark job-done
