#!/bin/sh
# Boot 1: PV dom0 (the Debian default) with two PV domUs. Nothing can be mapped here: Xen refuses every physmap
# call on a PV borrower as a whole (EACCES). Checks the contract, the domain list, records that need no mapping
# (written, repaired, garbage-collected when their owner is destroyed) and the refusal path (Failed, no residue,
# no retry).
# shellcheck source=/dev/null  # lib.sh is installed in the dom0 image; shellcheck checks it on its own
. /usr/local/lib/sshm/lib.sh
mkdir -p /etc/sshm.d /run/sshm-reconcile
chmod 755 /etc/sshm.d

mark domus-create
if ! domu_up pv-a pv 600; then
    fail "start two PV domUs" "pv-a did not reach /init"
    exit 1
fi
a=$DOMID
if ! domu_up pv-b pv 600; then
    fail "start two PV domUs" "pv-b did not reach /init"
    exit 1
fi
b=$DOMID
mark domus-ready
grep -h SSHM-DOMU /var/log/xen/console/guest-*.log 2> /dev/null   # when each guest's /init ran (its uptime)
pass "start two PV domUs" "pv-a dom$a, pv-b dom$b"

# ---- the Hypervisor contract on libxenctrl
contract pv-dom0 --probe pv-b:pv-a:foreign:call=EACCES --probe pv-b:pv-a:share:call=EACCES \
    --probe Domain-0:pv-a:foreign:call=EACCES --probe Domain-0:pv-a:share:call=EACCES
check "pv-dom0 domains and UUIDs match xl list -v" "" domains_match_xl
mark contract-done

# ---- a refused region and a region waiting for its borrower
cat > /etc/sshm.d/10-refused.yaml << 'YAML'
version: 1
regions:
  - id: pv-refused
    owner: { domain: pv-a, begin: 0x100000, size: 16KiB }
    borrowers:
      - { domain: pv-b, begin: 0x1000000000 }
YAML
cat > /etc/sshm.d/20-waiting.yaml << 'YAML'
version: 1
regions:
  - id: waiting
    owner: { domain: pv-a, begin: 0x200000, size: 8KiB }
    borrowers:
      - { domain: later-vm, begin: 0x1000000000 }
YAML
chmod 644 /etc/sshm.d/*.yaml

# What a user of stock Debian sees with every default: PV dom0, map space auto (share for a domU), domU to domU.
sr apply
check "pv-dom0 apply with the default map space exits 1" "exit $SR_RC" test "$SR_RC" = 1
sr status
evidence pv-dom0-status-default.txt /tmp/sr.out
sr status --json
m=$(region_field /tmp/sr.out pv-refused message)
want=$(refusal_message "$a" "$b" share "Permission denied (EACCES, errno 13)" pv)
check "pv-dom0 default map space on a PV borrower: whole call EACCES, exact message" "$m" test "$m" = "$want"

# A changed input (another map space) is tried again.
sr apply --map-space foreign
check "pv-dom0 apply with a refused region exits 1" "exit $SR_RC" test "$SR_RC" = 1
sr status --json --map-space foreign
cp /tmp/sr.out /tmp/status1.json
evidence pv-dom0-status-refused.json /tmp/status1.json
c=$(region_field /tmp/status1.json pv-refused condition)
r=$(region_field /tmp/status1.json pv-refused reason)
m=$(region_field /tmp/status1.json pv-refused message)
check "pv-dom0 PV borrower refused: Failed RefusedByHypervisor" "$c $r" test "$c $r" = "Failed RefusedByHypervisor"
want=$(refusal_message "$a" "$b" foreign "Permission denied (EACCES, errno 13)" pv)
check "pv-dom0 refusal message is exact (Xen version, map space, whole-call EACCES, advice)" "$m" test "$m" = "$want"
check "pv-dom0 refused region leaves no residue" "" no_residue pv-refused "$a" "$b"

c=$(region_field /tmp/status1.json waiting condition)
check "pv-dom0 region without its borrower is Pending" "$c" test "$c" = Pending
check "pv-dom0 Pending region has its record" "usercnt $(xenstore-read /libxl/static_shm/waiting/usercnt)" \
    sh -c "test \"\$(xenstore-read /libxl/static_shm/waiting/usercnt)\" = 1 \
        && test \"\$(xenstore-read /libxl/static_shm/waiting/master)\" = $a \
        && test \"\$(xenstore-read /libxl/static_shm/waiting/manager)\" = sshm-reconcile \
        && test \"\$(xenstore-read /local/domain/$a/static_shm/waiting/role)\" = master"

sr apply --map-space foreign
check "pv-dom0 second apply does not retry the refused map" "exit $SR_RC, $(tail -n 1 /tmp/sr.out)" \
    sh -c "test $SR_RC = 1 && grep -q 'No changes were needed' /tmp/sr.out && ! test -s /tmp/sr.err"

# ---- repair
xenstore-write /libxl/static_shm/waiting/usercnt 7
sr plan --map-space foreign
cp /tmp/sr.out /tmp/plan.txt
check "pv-dom0 plan shows the corrupted usercnt as a repair" "$(grep '^~' /tmp/plan.txt | head -n 1)" \
    grep -q '^~ repair' /tmp/plan.txt
sr apply --map-space foreign
check "pv-dom0 apply repairs usercnt" "usercnt $(xenstore-read /libxl/static_shm/waiting/usercnt)" \
    test "$(xenstore-read /libxl/static_shm/waiting/usercnt)" = 1
sr plan --map-space foreign
check "pv-dom0 plan after the repair is empty" "$(tail -n 1 /tmp/sr.out)" grep -q '^No changes' /tmp/sr.out

sr status --map-space foreign
evidence pv-dom0-status.txt /tmp/sr.out

# ---- garbage collection when the owner is destroyed
xl destroy pv-a
wait_for 300 sh -c "! xl domid pv-a" || echo "SSHM-WARN pv-a still listed"
sr apply --map-space foreign
check "pv-dom0 record of a destroyed owner is garbage-collected" "exit $SR_RC" no_residue waiting "$a"
sr status --json --map-space foreign
c=$(region_field /tmp/sr.out waiting condition)
r=$(region_field /tmp/sr.out waiting reason)
check "pv-dom0 region of a destroyed owner waits for it" "$c $r" test "$c $r" = "Pending WaitingForOwner"

xl destroy pv-b
check "pv-dom0 no program in dom0 was killed by a fault" "" no_crash_in_dom0
mark job-done
