# shellcheck shell=bash
# Shared by the benchmark scripts: sourced, with the repository root as the working directory.

# start_xenstored DIR DAEMON [DAEMON-ARGS]: a private xenstore daemon (c or ocaml) in DIR, exported as XENSTORED_PATH.
# Ends the script when it cannot start: a benchmark must never fall through to the host's own xenstore.
start_xenstored() {
    local env
    env=$(XENSTORED_ARGS="${3:-}" scripts/xenstored-sandbox start "$1" --daemon "$2" 2>"$1.log") || {
        cat "$1.log" >&2
        echo "could not start a private $2 xenstored in $1" >&2
        exit 1
    }
    eval "$env"
    export XENSTORED_PATH
}

# seed_domains BORROWERS: dom0, the owner (dom1, owner-vm) and BORROWERS borrowers (dom2.., borrower-vm-1..), as a
# toolstack writes them.
seed_domains() {
    local nodes=(/local/domain/0/name Domain-0 /local/domain/0/domid 0) d uuid name
    for d in $(seq 1 $(($1 + 1))); do
        uuid=$(printf '00000000-0000-0000-0000-%012x' "$d")
        name=owner-vm
        if [ "$d" -gt 1 ]; then name=borrower-vm-$((d - 1)); fi
        nodes+=("/local/domain/$d/name" "$name" "/local/domain/$d/domid" "$d" "/local/domain/$d/vm" "/vm/$uuid"
            "/vm/$uuid/uuid" "$uuid")
    done
    xenstore-write "${nodes[@]}"
}
