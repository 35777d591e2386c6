# scripts/lib/sandbox.sh: a private xenstored (scripts/xenstored-sandbox) with example domains, for the scripts that
# run the tool against one: guest/tests/view-integration and scripts/ansible-test. Needs $root (the tree).
#
#   sandbox_start DIR          start a C xenstored whose state and socket live in DIR; exports XENSTORED_PATH and
#                              sets $writer, the write end of its lifeline, which every child must close
#                              ({writer}>&-): the daemon goes away with the sourcing script even after SIGKILL
#   sandbox_domain NAME DOMID  write a domain as a toolstack does (domid 0: only its name and domid)

sandbox_start() {
    local keep
    mkfifo "$1.lifeline"
    exec {keep}<>"$1.lifeline"
    exec {sandbox_lifeline}<"$1.lifeline"
    exec {writer}>"$1.lifeline"
    exec {keep}>&-
    rm "$1.lifeline"
    eval "$(FAKEXEN_LIFELINE_FD=$sandbox_lifeline "$root/scripts/xenstored-sandbox" start "$1" {writer}>&-)"
    export XENSTORED_PATH
}

sandbox_domain() {
    local name=$1 domid=$2 uuid
    if [ "$domid" = 0 ]; then
        xenstore-write /local/domain/0/name "$name" /local/domain/0/domid 0 {writer}>&-
        return
    fi
    uuid=$(printf '5ee0000%d-0000-4000-8000-%012d' "$domid" "$domid")
    xenstore-write "/local/domain/$domid/name" "$name" "/local/domain/$domid/domid" "$domid" \
        "/local/domain/$domid/vm" "/vm/$uuid" "/vm/$uuid/uuid" "$uuid" "/vm/$uuid/name" "$name" \
        "/libxl/$domid/type" pvh {writer}>&-
}
