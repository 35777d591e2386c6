#!/usr/bin/env bash
# Installs sshm-reconcile on a Debian 12 Xen host (dom0), or into a staging tree with --destdir.
#
#   scripts/install.sh [options]               install
#   scripts/install.sh --uninstall [options]   remove exactly what an install with the same --prefix wrote
#
# Options (each also read from the environment variable in brackets, as `make install` passes them):
#   --prefix DIR          [PREFIX]      default /usr/local: binary in DIR/sbin, units in DIR/lib/systemd/system
#   --destdir DIR         [DESTDIR]     stage under DIR: paths inside files stay as if installed, no systemctl
#   --sysconfdir DIR      [SYSCONFDIR]  default /etc: DIR/sshm.d, DIR/default/sshm-reconcile
#   --unitdir DIR         [UNITDIR]     default PREFIX/lib/systemd/system
#   --binary PATH                       install this binary instead of building one
#   --configuration debug|release  [CONFIGURATION]  build configuration (default release: built with the Swift
#                                       runtime linked in by scripts/build-static, so the host needs no Swift libraries)
#   --help-dir DIR                      man pages and completions already made by `scripts/gen-help DIR`
#
# Installed: the binary, deploy/sshm-xl-create (xl create -p, wait, unpause), sshm-reconcile.service, sshm-reconcile-once.{service,timer}, the tmpfiles.d entry for
# /run/sshm-reconcile, man pages (sections 8 and 5), bash/zsh/fish completions, the manifests' JSON Schema
# (PREFIX/share/sshm-reconcile/sshm.schema.json), docs with the cron example, and two files
# under SYSCONFDIR that are only written when absent: default/sshm-reconcile (unit options) and
# sshm.d/README.example (an example manifest, which sshm-reconcile does not read: it reads *.yaml and *.yml).
# The list of installed files is PREFIX/share/sshm-reconcile/installed-files; --uninstall reads it, keeps config
# files the operator changed, and never touches the operator's manifests.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=${PREFIX:-/usr/local}
destdir=${DESTDIR:-}
sysconfdir=${SYSCONFDIR:-/etc}
unitdir=${UNITDIR:-}
binary=""
help_dir=""
work=""
configuration=${CONFIGURATION:-release}
action=install

usage() { sed -n '2,22s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die() { echo "install.sh: $*" >&2; exit 1; }
note() { echo "install.sh: $*"; }

while [ $# -gt 0 ]; do
    case $1 in
        --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
        --destdir) destdir=${2:?--destdir needs a directory}; shift 2 ;;
        --sysconfdir) sysconfdir=${2:?--sysconfdir needs a directory}; shift 2 ;;
        --unitdir) unitdir=${2:?--unitdir needs a directory}; shift 2 ;;
        --binary) binary=${2:?--binary needs a path}; shift 2 ;;
        --configuration) configuration=${2:?--configuration needs debug or release}; shift 2 ;;
        --help-dir) help_dir=${2:?--help-dir needs a directory}; shift 2 ;;
        --uninstall) action=uninstall; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
case $prefix in /*) ;; *) die "--prefix must be absolute, not '$prefix'" ;; esac
case $sysconfdir in /*) ;; *) die "--sysconfdir must be absolute, not '$sysconfdir'" ;; esac
case $unitdir in '' | /*) ;; *) die "--unitdir must be absolute, not '$unitdir'" ;; esac
case $configuration in debug|release) ;; *) die "--configuration is debug or release, not '$configuration'" ;; esac
if [ -n "$destdir" ]; then
    mkdir -p "$destdir"
    destdir=$(cd "$destdir" && pwd)
fi
prefix=${prefix%/}
unitdir=${unitdir:-$prefix/lib/systemd/system}
sbindir=$prefix/sbin
tmpfilesdir=$prefix/lib/tmpfiles.d
mandir=$prefix/share/man/man8
docdir=$prefix/share/doc/sshm-reconcile
datadir=$prefix/share/sshm-reconcile
manifest=$datadir/installed-files
# zsh on Debian reads vendor completions from /usr/share/zsh/vendor-completions and local ones from
# /usr/local/share/zsh/site-functions.
zshdir=$prefix/share/zsh/site-functions
[ "$prefix" = /usr ] && zshdir=$prefix/share/zsh/vendor-completions
units=(sshm-reconcile.service sshm-reconcile-once.service sshm-reconcile-once.timer)

# systemctl only acts on the live system: never for a staged install, nor where systemd is not running.
live_systemd() { [ -z "$destdir" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

# The manifest has one line per path it owns, sorted by path:
#   d - PATH        a directory the install created (removed on uninstall when empty)
#   f SHA256 PATH   a file (removed on uninstall)
#   c SHA256 PATH   a config file under SYSCONFDIR (removed on uninstall only while unchanged)
declare -a records=()
declare -A old_records=()

load_old_manifest() {
    local kind sum path
    [ -f "$destdir$manifest" ] || return 0
    while read -r kind sum path; do
        if [ -n "$path" ]; then old_records[$path]="$kind $sum"; fi
    done <"$destdir$manifest"
}

# Creates DIR and its missing parents, recording each one this install (or an earlier one) created.
make_dir() {
    local dir=$1 missing=() d
    d=$dir
    while [ -n "$d" ] && [ "$d" != / ] && [ ! -d "$destdir$d" ]; do
        missing=("$d" "${missing[@]}")
        d=$(dirname "$d")
    done
    for d in "${missing[@]}"; do
        mkdir -m 0755 "$destdir$d"
        records+=("d - $d")
    done
}

record_dirs_from_old_install() {
    local path
    for path in "${!old_records[@]}"; do
        [ "${old_records[$path]%% *}" = d ] && [ -d "$destdir$path" ] && records+=("d - $path")
    done
    return 0
}

# put MODE SOURCE TARGET: installs a file, replacing an earlier one.
put() {
    local mode=$1 source=$2 target=$3
    make_dir "$(dirname "$target")"
    install -m "$mode" "$source" "$destdir$target"
    records+=("f $(sha256sum <"$destdir$target" | cut -d' ' -f1) $target")
}

# put_config MODE SOURCE TARGET: installs a config file only where there is none; keeps an earlier install's record
# of it, so that uninstall still removes it while unchanged.
put_config() {
    local mode=$1 source=$2 target=$3
    if [ -e "$destdir$target" ]; then
        local old=${old_records[$target]:-}
        if [ "${old%% *}" = c ]; then records+=("$old $target"); fi
        note "kept existing $target"
        return 0
    fi
    make_dir "$(dirname "$target")"
    install -m "$mode" "$source" "$destdir$target"
    records+=("c $(sha256sum <"$destdir$target" | cut -d' ' -f1) $target")
}

# Rewrites the paths the files in deploy/ are written with (Debian's, as a package would install them).
substitute() {
    sed -e "s#/usr/sbin/sshm-reconcile#$sbindir/sshm-reconcile#g" \
        -e "s#/etc/default/sshm-reconcile#$sysconfdir/default/sshm-reconcile#g" \
        -e "s#/etc/sshm.d#$sysconfdir/sshm.d#g" "$1"
}

# Removes what the manifest lists and the new install does not (everything, on uninstall: records is empty then).
remove_recorded() {
    local -A keep=()
    local -a lines=() dirs=()
    local line kind sum path
    for line in "${records[@]}"; do keep[${line#* * }]=1; done
    mapfile -t lines <"$destdir$manifest"
    # On uninstall the manifest goes too, before the directories, so that its own directory can be removed.
    [ "$action" = uninstall ] && rm -f "$destdir$manifest"
    for line in "${lines[@]}"; do
        read -r kind sum path <<<"$line"
        if [ -z "$path" ] || [ -n "${keep[$path]:-}" ]; then continue; fi
        case $kind in
            f) rm -f "$destdir$path" ;;
            c)
                if [ ! -e "$destdir$path" ]; then
                    :
                elif [ "$(sha256sum <"$destdir$path" | cut -d' ' -f1)" = "$sum" ]; then
                    rm -f "$destdir$path"
                else
                    note "kept $path: it was changed after install"
                fi
                ;;
            d) dirs+=("$path") ;;
        esac
    done
    # Deepest first, and only when empty: an operator's manifests keep SYSCONFDIR/sshm.d.
    [ ${#dirs[@]} -gt 0 ] || return 0
    local dir
    printf '%s\n' "${dirs[@]}" | awk '{ print length($0), $0 }' | sort -rn | cut -d' ' -f2- |
        while IFS= read -r dir; do
            if [ -d "$destdir$dir" ] && ! rmdir "$destdir$dir" 2>/dev/null && [ "$dir" = "$sysconfdir/sshm.d" ]; then
                note "kept $dir: it holds files that are not ours"
            fi
        done
}

find_binary() {
    if [ -n "$binary" ]; then
        [ -x "$binary" ] || die "--binary $binary is not an executable file"
        return 0
    fi
    # Release: scripts/build-static, whose binary needs no Swift libraries on the host.
    if [ "$configuration" = release ]; then
        binary=$("$root/scripts/build-static" --print-path)
    else
        binary=$root/.build/debug/sshm-reconcile
    fi
    if command -v swift >/dev/null 2>&1; then
        # Always: an incremental build is quick, and an old binary must not be installed with new man pages.
        note "building sshm-reconcile ($configuration)"
        if [ "$configuration" = release ]; then
            "$root/scripts/build-static" >/dev/null
        else
            swift build --package-path "$root" -c debug -Xswiftc -warnings-as-errors --product sshm-reconcile
        fi
    elif [ -x "$binary" ]; then
        note "no Swift toolchain: installing the existing $binary"
    else
        die "no $binary and no Swift toolchain to build it: give a built binary with --binary PATH"
    fi
}

do_install() {
    find_binary
    load_old_manifest
    work=$(mktemp -d "${TMPDIR:-/tmp}/sshm-reconcile-install.XXXXXX")
    trap 'rm -rf "$work"' EXIT

    if [ -z "$help_dir" ]; then
        help_dir=$work/help
        # The man pages come from swift-argument-parser's plugin, which builds the package its own way (`swift
        # package` takes no --static-swift-stdlib): a second build, in .build/debug. The pages are the same from
        # either configuration, and debug compiles fastest and is the build `make build` and `make test` leave.
        "$root/scripts/gen-help" --binary "$binary" --configuration debug "$help_dir"
    fi
    [ -d "$help_dir/completions" ] || die "no completions in $help_dir: make it with scripts/gen-help $help_dir"

    put 0755 "$binary" "$sbindir/sshm-reconcile"
    substitute "$root/deploy/sshm-xl-create" >"$work/sshm-xl-create"
    put 0755 "$work/sshm-xl-create" "$sbindir/sshm-xl-create"
    local unit
    for unit in "${units[@]}"; do
        substitute "$root/deploy/$unit" >"$work/$unit"
        put 0644 "$work/$unit" "$unitdir/$unit"
    done
    put 0644 "$root/deploy/tmpfiles.d/sshm-reconcile.conf" "$tmpfilesdir/sshm-reconcile.conf"
    put 0644 "$help_dir/completions/sshm-reconcile.bash" "$prefix/share/bash-completion/completions/sshm-reconcile"
    put 0644 "$help_dir/completions/_sshm-reconcile" "$zshdir/_sshm-reconcile"
    put 0644 "$help_dir/completions/sshm-reconcile.fish" "$prefix/share/fish/vendor_completions.d/sshm-reconcile.fish"
    local page
    for page in "$help_dir"/man8/*.8; do
        [ -e "$page" ] && put 0644 "$page" "$mandir/$(basename "$page")"
    done
    for page in "$help_dir"/man5/*.5; do
        [ -e "$page" ] && put 0644 "$page" "$prefix/share/man/man5/$(basename "$page")"
    done
    # Where manifests/README.md tells editors to look (the yaml-language-server comment).
    put 0644 "$root/manifests/sshm.schema.json" "$datadir/sshm.schema.json"
    put 0644 "$root/docs/deployment.md" "$docdir/deployment.md"
    substitute "$root/deploy/cron.d/sshm-reconcile" >"$work/cron"
    put 0644 "$work/cron" "$docdir/examples/cron.d/sshm-reconcile"
    substitute "$root/deploy/default/sshm-reconcile" >"$work/default"
    put_config 0644 "$work/default" "$sysconfdir/default/sshm-reconcile"
    substitute "$root/deploy/sshm.d/example.yaml" >"$work/example"
    put_config 0644 "$work/example" "$sysconfdir/sshm.d/README.example"
    record_dirs_from_old_install

    [ -f "$destdir$manifest" ] && remove_recorded
    make_dir "$datadir"
    # Sorted by path, so the same install always writes the same list.
    printf '%s\n' "${records[@]}" | LC_ALL=C sort -u -k3 >"$destdir$manifest"

    note "installed $((${#records[@]})) paths; their list is $manifest"
    if live_systemd; then
        systemd-tmpfiles --create "$tmpfilesdir/sshm-reconcile.conf"
        systemctl daemon-reload
        cat <<EOF

Next, on this dom0, choose one way to run it:
  the daemon (maps regions as domains appear):  systemctl enable --now sshm-reconcile.service
  a pass every 5 minutes (systemd timer):        systemctl enable --now sshm-reconcile-once.timer
Options go in $sysconfdir/default/sshm-reconcile; manifests in $sysconfdir/sshm.d/*.yaml (see README.example).
Logs: journalctl -u sshm-reconcile   Docs: $docdir/deployment.md
EOF
    elif [ -n "$destdir" ]; then
        cat <<EOF

Staged under $destdir. After copying the tree to the host, run there:
  systemd-tmpfiles --create $tmpfilesdir/sshm-reconcile.conf && systemctl daemon-reload
  systemctl enable --now sshm-reconcile.service    (or: sshm-reconcile-once.timer)
EOF
    fi
}

do_uninstall() {
    [ -f "$destdir$manifest" ] \
        || die "nothing to uninstall: no $destdir$manifest (was it installed with --prefix $prefix?)"
    if live_systemd; then
        systemctl disable --now "${units[@]}" || note "systemctl disable failed; removing the files anyway"
    fi
    remove_recorded
    if live_systemd; then
        systemctl daemon-reload
        note "left /run/sshm-reconcile (conditions and lock); it is gone after a reboot"
    fi
    note "uninstalled"
}

if [ -z "$destdir" ] && [ "$(id -u)" != 0 ]; then
    die "installing into the system needs root (or stage the tree with --destdir DIR)"
fi
case $action in
    install) do_install ;;
    uninstall) do_uninstall ;;
esac
