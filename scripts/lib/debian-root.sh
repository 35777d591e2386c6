# scripts/lib/debian-root.sh: a clean Debian 12 root for the package's and the Ansible role's tests, so that nothing
# is ever installed on the CI host. Sourced by scripts/deb-test and scripts/ansible-test, which set $cache (the cache
# folder) and $work (their temporary folder), define fail(), keep an array mounts=() and call
# debian_root_cleanup from their EXIT trap.
#
#   debian_root_prepare DIR   unpack a fresh root into DIR and run apt-get update there (network and disk, not CPU:
#                             callers run it in the background while they build)
#   debian_root_enter DIR     mount /proc and the shared package cache in it; sets $target for in_root and apt_get
#   in_root CMD…              run CMD in $target with a clean environment
#   apt_get ARGS…             apt-get in $target, keeping downloaded packages in the cache; log: $work/apt.log
#   debian_root_cleanup       unmount (in reverse) and remove $work, unless a mount is still there

# A debootstrap --variant=minbase bookworm root with this host's apt sources, kept as a tarball in $cache keyed by
# everything that makes it: a new debootstrap, other apt sources or another recipe make a new one (and remove the
# old).
debian_root_prepare() {
    local dir=$1 recipe sources mirror key tarball fresh=""
    recipe="debootstrap --variant=minbase bookworm; policy-rc.d 101; apt-get update; tar --zstd"
    sources=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true)
    mirror=$(printf '%s\n' "$sources" | awk '/^URIs:/ { print $2; exit } /^deb / { print $2; exit }')
    key=$(printf '%s\n' "$recipe" "$(dpkg-query -W -f='${Version}' debootstrap)" "$sources" | sha256sum | cut -c1-16)
    tarball=$cache/bookworm-minbase-$key.tar.zst
    mkdir -p "$cache/archives/partial"
    exec 9>"$cache/lock"
    flock 9
    if [ ! -e "$tarball" ]; then
        fresh=" (bootstrapped from $mirror and cached)"
        find "$cache" -maxdepth 1 -name 'bookworm-minbase-*' -exec rm -rf --one-file-system {} +
        debootstrap --variant=minbase --cache-dir="$cache/archives" bookworm "$work/pristine" "$mirror" \
            >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log"; echo "debootstrap failed"; return 1; }
        rm -f "$work/pristine/etc/apt/sources.list"
        cp /etc/apt/sources.list.d/*.sources "$work/pristine/etc/apt/sources.list.d/" 2>/dev/null || true
        if [ -f /etc/apt/sources.list ]; then cp /etc/apt/sources.list "$work/pristine/etc/apt/"; fi
        # Nothing starts a service inside the root.
        printf '#!/bin/sh\nexit 101\n' >"$work/pristine/usr/sbin/policy-rc.d"
        chmod 0755 "$work/pristine/usr/sbin/policy-rc.d"
        cp /etc/resolv.conf "$work/pristine/etc/resolv.conf"
        # The package lists too: the update of each run then fetches only what changed.
        chroot "$work/pristine" apt-get -q update >"$work/apt-update.log" 2>&1 \
            || { tail -n 30 "$work/apt-update.log"; echo "apt-get update in the new root failed"; return 1; }
        tar -C "$work/pristine" --numeric-owner --zstd -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
        rm -rf --one-file-system "$work/pristine"
    fi
    mkdir "$dir"
    tar -C "$dir" --numeric-owner --zstd -xpf "$tarball"
    flock -u 9
    cp /etc/resolv.conf "$dir/etc/resolv.conf"
    chroot "$dir" apt-get -q update >"$work/apt-update.log" 2>&1 \
        || { tail -n 30 "$work/apt-update.log"; echo "apt-get update in the root failed"; return 1; }
    echo "a clean Debian 12 root in $dir from $tarball$fresh, apt-get update run"
}

debian_root_enter() {
    target=$1
    mount -t proc proc "$target/proc" && mounts+=("$target/proc")
    # Downloaded packages are kept between runs (apt locks the directory itself).
    mount --bind "$cache/archives" "$target/var/cache/apt/archives" && mounts+=("$target/var/cache/apt/archives")
    [ ! -e "$target/run/systemd/system" ] || fail "$target looks like a booted system"
}

in_root() { chroot "$target" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }
apt_get() {
    in_root apt-get -q -y -o APT::Keep-Downloaded-Packages=true "$@" </dev/null >>"$work/apt.log" 2>&1 \
        || { tail -n 30 "$work/apt.log" >&2; fail "apt-get $*"; }
}

debian_root_cleanup() {
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
        umount "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}" || true
    done
    # Never delete through a mount that is still there (the host's /proc, the package cache).
    if [ -n "$(findmnt -rn -o TARGET | awk -v w="$work/" 'index($0, w) == 1')" ]; then
        echo "mounts left under $work; not removing it" >&2
    else
        rm -rf --one-file-system "$work"
    fi
}
