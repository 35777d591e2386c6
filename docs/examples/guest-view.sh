#!/bin/sh
# guest-view.sh ID: waits until this domain's part of a shared-memory region is in place, then prints where it is
# (docs/guest-view.md). Runs inside a guest with xenstore-read and xenstore-watch (Debian: xenstore-utils); paths
# without a leading slash are the guest's own, /local/domain/<its domid>/static_shm/ID.
set -eu
id=$1
state() { xenstore-read "static_shm/$id/state" 2>/dev/null || true; }
# A borrower's part is in place once it is mapped; an owner's once its view exists (waiting or ready).
until case $(state) in mapped | waiting | ready) true ;; *) false ;; esac; do
    # The watch fires once when set and again on the next change; the timeout covers a change that came between
    # the read above and the watch.
    timeout 5 xenstore-watch -n 2 "static_shm/$id/state" >/dev/null || true
done
for leaf in role begin size offset prot cache_policy peer state; do
    echo "$leaf=$(xenstore-read "static_shm/$id/$leaf")"
done
