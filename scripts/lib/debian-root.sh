# scripts/lib/debian-root.sh: a clean Debian 12 root for the package and role tests, never the CI host itself.
# Sourced by scripts/deb-test and scripts/ansible-test, which must define fail() and keep an array mounts=() that
# their EXIT trap unmounts in reverse.
#
#   debian_root TARGET   copy the cached pristine root (debootstrap --variant=minbase bookworm with this host's apt
#                        sources, built once into $cache) to TARGET, with /proc and the shared package cache mounted
#   in_root CMD…         run CMD in $target with a clean environment
#   apt_get ARGS…        apt-get in $target, keeping downloaded packages in the cache; its log goes to $work/apt.log

# The pristine root is keyed by everything that makes it: a new debootstrap, other apt sources or another recipe
# builds a new one (and removes the old).
debian_root() {
    target=$1
    local recipe sources mirror key pristine
    recipe="debootstrap --variant=minbase bookworm; policy-rc.d 101"
    sources=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true)
    mirror=$(printf '%s\n' "$sources" | awk '/^URIs:/ { print $2; exit } /^deb / { print $2; exit }')
    key=$(printf '%s\n' "$recipe" "$(dpkg-query -W -f='${Version}' debootstrap)" "$sources" | sha256sum | cut -c1-16)
    pristine=$cache/bookworm-minbase-$key
    mkdir -p "$cache/archives/partial"
    exec 9>"$cache/lock"
    flock 9
    if [ ! -e "$pristine/.complete" ]; then
        find "$cache" -maxdepth 1 -name 'bookworm-minbase-*' -exec rm -rf --one-file-system {} +
        echo "bootstrapping a Debian 12 root into $pristine (from $mirror)"
        debootstrap --variant=minbase --cache-dir="$cache/archives" bookworm "$pristine.tmp" "$mirror" \
            >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; fail "debootstrap"; }
        rm -f "$pristine.tmp"/etc/apt/sources.list
        cp /etc/apt/sources.list.d/*.sources "$pristine.tmp/etc/apt/sources.list.d/" 2>/dev/null || true
        if [ -f /etc/apt/sources.list ]; then cp /etc/apt/sources.list "$pristine.tmp/etc/apt/"; fi
        # Nothing starts a service inside the root.
        printf '#!/bin/sh\nexit 101\n' >"$pristine.tmp/usr/sbin/policy-rc.d"
        chmod 0755 "$pristine.tmp/usr/sbin/policy-rc.d"
        touch "$pristine.tmp/.complete"
        mv "$pristine.tmp" "$pristine"
    fi
    cp -a "$pristine" "$target"
    flock -u 9
    cp /etc/resolv.conf "$target/etc/resolv.conf"
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

# Unmounts what debian_root mounted (in reverse), then removes $work unless a mount is still there.
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
