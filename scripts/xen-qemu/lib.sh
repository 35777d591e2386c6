# shellcheck shell=sh
# Helpers for the system test's jobs, which run in dom0 as root.  Use:  . /usr/local/lib/sshm/lib.sh
#
# A job reports every check as one console line, "SSHM-CHECK PASS name: detail" or "SSHM-CHECK FAIL name: detail";
# scripts/system-test counts them. Evidence worth keeping (status output, logs) goes between "SSHM-BEGIN name" and
# "SSHM-END name" lines, which the host copies into the run folder.

mark() { echo "SSHM-MARK $1 dom0_uptime=$(cut -d' ' -f1 /proc/uptime)"; }
pass() { echo "SSHM-CHECK PASS $1${2:+: $2}"; }
fail() { echo "SSHM-CHECK FAIL $1${2:+: $2}"; }

# check NAME DETAIL COMMAND...: PASS when COMMAND succeeds. Its output is shown only when it fails.
check() {
    name=$1 detail=$2
    shift 2
    if "$@" > /tmp/check.out 2>&1; then
        pass "$name" "$detail"
    else
        fail "$name" "$detail"
        sed 's/^/    | /' /tmp/check.out | head -n 40
    fi
}

# evidence NAME FILE: copies FILE to the host's run folder as NAME.
evidence() {
    echo "SSHM-BEGIN $1"
    cat "$2"
    echo "SSHM-END $1"
}

# sr ARGS...: sshm-reconcile against this dom0's config and state directories; stdout, stderr and the exit status
# land in /tmp/sr.out, /tmp/sr.err and $SR_RC.
sr() {
    /opt/sshm/sshm-reconcile "$@" --config-dir /etc/sshm.d --state-dir /run/sshm-reconcile \
        > /tmp/sr.out 2> /tmp/sr.err
    SR_RC=$?
    echo "    \$ sshm-reconcile $* -> exit $SR_RC"
    sed 's/^/    > /' /tmp/sr.out | head -n 30
    sed 's/^/    ! /' /tmp/sr.err | head -n 30
    return 0
}

# region_field JSON ID FIELD: a string field of one region in `status --json` output (pretty-printed, sorted keys:
# a region's own fields are the lines indented by six spaces; reason and message are those of its last condition,
# the current one, whose fields are indented by ten).
region_field() {
    awk -v id="$2" -v field="$3" '
        /^    \{/ { split("", f); next }
        /^      "[a-z_]+" : / || /^          "(reason|message)" : / {
            key = $1; gsub(/"/, "", key)
            value = $0; sub(/^[^:]*: /, "", value); sub(/,$/, "", value); gsub(/^"|"$/, "", value)
            f[key] = value
        }
        /^    \}/ { if (f["id"] == id) { print f[field]; exit } }
    ' "$1"
}

# condition_of JSON ID: "condition reason" of one region in `status --json` output.
condition_of() { echo "$(region_field "$1" "$2" condition) $(region_field "$1" "$2" reason)"; }

# doorbell_state JSON: the state of the first doorbell in `status --json` output (waiting_for_owner,
# waiting_for_borrower, connected, broken), or nothing without one.
doorbell_state() {
    awk '/"doorbell" : \{/ {d = 1; next}
        d && /"state" : / {v = $0; sub(/^[^:]*: "/, "", v); sub(/".*/, "", v); print v; exit}
        d && /\}/ {d = 0}' "$1"
}

# doorbell_is STATE: `status --json` shows the first doorbell in STATE now (for wait_for); the output stays in
# /tmp/doorbell.json.
doorbell_is() {
    /opt/sshm/sshm-reconcile status --json --config-dir /etc/sshm.d --state-dir /run/sshm-reconcile \
        > /tmp/doorbell.json 2> /dev/null
    test "$(doorbell_state /tmp/doorbell.json)" = "$1"
}

# now_s: dom0's uptime in whole seconds. Under TCG the guest's clock follows the host's, so a deadline measured with it
# holds however loaded the host is; counting polls does not (one poll can cost seconds at a load of 15 on 2 cores).
now_s() { cut -d. -f1 /proc/uptime; }

# wait_for SECONDS COMMAND...: polls COMMAND until it succeeds or SECONDS of dom0's clock have passed.
wait_for() {
    deadline=$(($(now_s) + $1))
    shift
    until "$@" > /dev/null 2>&1; do
        [ "$(now_s)" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

# domu_config NAME TYPE [EXTRA]: /tmp/NAME.cfg, a 128 MiB busybox domU of TYPE (pv|pvh); EXTRA goes on its kernel
# command line. A crash destroys it (the retry in domu_up starts it again).
domu_config() {
    cat > "/tmp/$1.cfg" << CFG
name = "$1"
type = "$2"
kernel = "/boot/vmlinux.gz"
ramdisk = "/boot/domU-initrd.gz"
extra = "console=hvc0 quiet rdinit=/init ${3:-}"
memory = 128
maxmem = 128
vcpus = 1
on_crash = "destroy"
on_reboot = "destroy"
on_poweroff = "destroy"
CFG
}

domu_ready() { xenstore-read "/local/domain/$1/data/ready"; }

# domu_alive NAME DOMID: NAME still runs as DOMID: not destroyed, crashed, shut down or dying (xl list's state).
domu_alive() {
    xl list "$1" 2> /dev/null | awk -v d="$2" 'NR == 2 && $2 == d && $5 !~ /[csd]/ {ok = 1} END {exit !ok}'
}

# domu_paused NAME: xl list shows NAME paused.
domu_paused() { xl list "$1" 2> /dev/null | awk 'NR == 2 && $5 ~ /p/ {ok = 1} END {exit !ok}'; }

# domu_up NAME TYPE TIMEOUT [EXTRA [REGION [FIRST]]]: starts a domU the race-free way and waits until its /init ran:
#   1. xl create -p: the domain is built, paused;
#   2. FIRST DOMID, once (checks that need the built domain before anything is mapped into or out of it);
#   3. with REGION: `sshm-reconcile apply`, then `sshm-reconcile wait --region REGION`, while the domain is paused;
#   4. xl unpause, then data/ready within TIMEOUT seconds.
# PVH guests triple-fault now and then under TCG (nested SVM) and are destroyed then (on_crash); xl itself can fail.
# Either way the attempt is destroyed and all of 1, 3 and 4 run again, in that order, up to three times.
# Sets DOMID; with REGION also WAIT_RC (wait's exit status on the attempt that came up), /tmp/NAME-wait.out (its
# output), /tmp/NAME-paused.json (`status --json` just before the unpause) and PAUSED (yes: xl list still showed the
# domain paused after that).
domu_up() {
    first_done=
    DOMID=
    for attempt in 1 2 3; do
        xl destroy "$1" > /dev/null 2>&1
        domu_config "$1" "$2" "${4:-}"
        if ! xl create -p "/tmp/$1.cfg" >&2 || ! d=$(xl domid "$1" 2> /dev/null); then
            echo "SSHM-WARN xl create -p $1 failed (attempt $attempt)" >&2
            continue
        fi
        mark "$1-created-paused domid=$d attempt=$attempt" >&2
        if [ -n "${6:-}" ] && [ -z "$first_done" ]; then
            "$6" "$d"
            first_done=1
        fi
        if [ -n "${5:-}" ]; then
            sr apply
            sr wait --region "$5" --timeout 120s
            WAIT_RC=$SR_RC
            cat /tmp/sr.out /tmp/sr.err > "/tmp/$1-wait.out"
            mark "$1-wait-returned rc=$WAIT_RC" >&2
            /opt/sshm/sshm-reconcile status --json --config-dir /etc/sshm.d --state-dir /run/sshm-reconcile \
                > "/tmp/$1-paused.json" 2> /dev/null
            if domu_paused "$1"; then PAUSED=yes; else PAUSED=no; fi
        fi
        xl unpause "$1" || { echo "SSHM-WARN xl unpause $1 failed (attempt $attempt)" >&2; continue; }
        mark "$1-unpaused domid=$d" >&2
        deadline=$(($(now_s) + $3))
        while [ "$(now_s)" -lt "$deadline" ] && domu_alive "$1" "$d"; do
            if domu_ready "$d" > /dev/null 2>&1; then
                mark "$1-ready domid=$d attempt=$attempt" >&2
                DOMID=$d
                return 0
            fi
            sleep 0.2
        done
        echo "SSHM-WARN $1 (dom$d) did not come up (attempt $attempt); its last console lines:" >&2
        tail -n 5 "/var/log/xen/console/guest-$1.log" >&2 2> /dev/null
    done
    return 1
}

# no_crash_in_dom0: the kernel killed no program in dom0 for a fault (its "segfault at" or "trap" lines, shown on a
# FAIL): a fault in dom0 under TCG (see spec-ctrl=eager-fpu in boot.sh) shows as itself, not as a later symptom.
no_crash_in_dom0() { ! dmesg | grep -E 'segfault at|traps: '; }

# domains_match_xl: the domid/UUID pairs `sshm-reconcile selftest domains` lists equal the ones `xl list -v` shows.
domains_match_xl() {
    /opt/sshm/sshm-reconcile selftest domains | awk '{print $1, $2}' | sort > /tmp/domains.tool
    xl list -v | awk 'NR > 1 {print $2, $7}' | sort > /tmp/domains.xl
    echo "tool:"; cat /tmp/domains.tool; echo "xl list -v:"; cat /tmp/domains.xl
    [ -s /tmp/domains.xl ] && cmp -s /tmp/domains.tool /tmp/domains.xl
}

# no_residue ID DOMID...: nothing of region ID in xenstore: no record, no index entry, no role node of any DOMID.
no_residue() {
    id=$1
    shift
    found=0
    xenstore-exists "/libxl/static_shm/$id" && { echo "record /libxl/static_shm/$id exists"; found=1; }
    if xenstore-ls -f /tool/sshm-reconcile 2>/dev/null | grep -q "/$id = "; then
        echo "index entry for $id exists"
        found=1
    fi
    for d in "$@"; do
        xenstore-exists "/local/domain/$d/static_shm/$id" && { echo "role node of dom$d exists"; found=1; }
    done
    xenstore-ls -f /libxl/static_shm 2>/dev/null
    [ $found = 0 ]
}

# contract NAME ARGS...: `selftest hypervisor` against libxenctrl; every contract line becomes a check.
contract() {
    name=$1
    shift
    /opt/sshm/sshm-reconcile selftest hypervisor --hypervisor xenctrl "$@" > /tmp/contract.out 2> /tmp/contract.err
    rc=$?
    if ! grep -q '^[0-9]* passed, [0-9]* failed$' /tmp/contract.out; then
        fail "$name contract ran" "exit $rc"
        cat /tmp/contract.out /tmp/contract.err
        return
    fi
    grep -E '^(PASS|FAIL) ' /tmp/contract.out | sed "s/^\(PASS\|FAIL\) /SSHM-CHECK \1 $name contract: /"
    sed 's/^/    ! /' /tmp/contract.err
}

# refusal_message OWNER BORROWER SPACE ERRNO_TEXT KIND: the exact sentence of a region whose map stock Xen refused,
# as sshm-reconcile words it (RefusalMessage.text): the borrower's KIND (pv, pvh, hvm) and what would work; the
# failing frame is the borrower range's first, 0x1000000.
refusal_message() {
    xenver=$(xl info | awk -F': ' '/^xen_version/ {print $2}')
    kind=$(echo "$5" | tr 'a-z' 'A-Z')
    if [ "$3" = share ]; then n=6; else n=4; fi
    if [ "$2" != 0 ]; then
        role=domU
        advice="stock Xen maps only into dom0: make dom0 the borrower, or run Xen with the static shared memory series' gmfn_share patch"
        [ "$3" = foreign ] && advice="$advice and --map-space auto"
    elif [ "$3" = share ]; then
        role=dom0 advice="stock Xen has no gmfn_share: a dom0 borrower works with --map-space auto (the default) or foreign"
    elif [ "$(uname -m)" = x86_64 ] && [ "$5" != pvh ]; then
        role=dom0 advice="on x86, stock Xen maps only into a PVH dom0: boot dom0 with dom0=pvh"
    else
        role=dom0 advice="check the hypervisor's XSM policy, which must let dom0 map foreign pages"
    fi
    printf "%s on %s refused to map dom%s's pages into dom%s, a %s %s, with map space %s (XENMAPSPACE %s: %s at gfn %s); %s.\n" \
        "Xen $xenver" "$(uname -m)" "$1" "$2" "$kind" "$role" "$3" "$n" "$4" 0x1000000 "$advice"
}
