#!/usr/bin/env bash
# make test-install (root): the packages installed into a fresh Debian 12 root, then jarvisd
# started there as the unit would start it.
#
#   test-install.sh BUILD_DIR [--prepare-only]
#
# 1. A minimal Debian 12 root (debootstrap --variant=minbase), made once and kept as a tarball in
#    $JARVIS_TEST_INSTALL_CACHE (default /var/cache/jarvis) under a version stamp; every run
#    unpacks a fresh copy (the downloaded .debs are cached there too).
# 2. apt-get install ./jarvis-service_*.deb ./jarvis-console_*.deb ./jarvis-setup_*.deb inside
#    it (proc, sys, dev mounted, the packages bound read-only, policy-rc.d blocking service
#    starts, no recommended packages): the declared dependencies are all that makes them work.
# 3. Checks: the jarvis user, modes and owners, the unit enabled; jarvis-setup --non-interactive
#    writes the configuration, pointing at jarvis-pvesim (HTTPS, fingerprint) on the host's
#    127.0.0.1; jarvisd started inside the root as user jarvis with exactly the unit's ExecStart=
#    line: /api/health, a login, live nodes through a
#    tool, SIGTERM, exit 0; a reinstall leaves the configuration as it was; jarvis-console
#    --version runs; the container's runtime (the Dockerfile's packages, user and environment)
#    replayed with --demo; then the root booted with systemd (systemd-nspawn -b, the host's
#    network): the enabled unit starts at boot and reports READY, its sandbox holds (user jarvis,
#    no capabilities, no new privileges, seccomp), the watchdog restarts a frozen jarvisd, a stop
#    exits 0; a purge removes /etc/jarvis/jarvisd.conf and /var/lib/jarvis.
# Prints the time of every step.
set -euo pipefail

build=${1:?usage: test-install.sh BUILD_DIR [--prepare-only]}
build=$(realpath "$build")
prepare_only=${2:-}
[ "$(id -u)" = 0 ] || { echo "test-install: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }

cache=${JARVIS_TEST_INSTALL_CACHE:-/var/cache/jarvis}
# Bump the stamp when the root's recipe changes: the next run makes a new one.
stamp=debian12-minbase-v1
base=$cache/$stamp.tar
suite=bookworm
packages=$build/packages
pvesim=$build/tests/support/jarvis-pvesim
source_dir=$(cd "$(dirname "$0")/../.." && pwd)

total_start=$SECONDS
step_start=$SECONDS
step() {
    echo "test-install: [$((SECONDS - step_start)) s] done"
    step_start=$SECONDS
    echo "=== test-install: $*"
}
fail() {
    echo "test-install: FAIL: $*" >&2
    exit 1
}

# The host's Debian mirror and suites (this runs on Debian 12): the root uses the same sources.
host_mirror() {
    local uri
    uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && u && $0 ~ / '"$suite"'( |$)/ {print u; exit}' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1 == "deb" && $3 == "'"$suite"'" {print $2; exit}' /etc/apt/sources.list)
    fi
    [ -n "$uri" ] || fail "no $suite mirror in the host's apt sources"
    echo "$uri"
}

copy_sources() { # ROOT: the host's apt sources, in place of debootstrap's single line
    rm -f "$1/etc/apt/sources.list"
    mkdir -p "$1/etc/apt/sources.list.d"
    [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list \
        && cp /etc/apt/sources.list "$1/etc/apt/sources.list"
    for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] && cp "$f" "$1/etc/apt/sources.list.d/"
    done
    cp /etc/resolv.conf "$1/etc/resolv.conf" 2>/dev/null || true
}

mounts=()
mount_into() { # ROOT: proc, sys, dev, and the shared apt archive cache
    local root=$1
    mount -t proc proc "$root/proc" && mounts+=("$root/proc")
    mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys" && mounts+=("$root/sys")
    mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev" && mounts+=("$root/dev")
    mkdir -p "$cache/apt-archives/partial"
    mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives" \
        && mounts+=("$root/var/cache/apt/archives")
}
unmount_all() {
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
        umount -R "${mounts[$i]}" 2>/dev/null || umount -lR "${mounts[$i]}" || true
    done
    mounts=()
}
# Removes DIR only when nothing is mounted below it any more.
remove_tree() {
    local dir=$1
    [ -d "$dir" ] || return 0
    if findmnt -rn -o TARGET | grep -q "^$dir/"; then
        echo "test-install: $dir still has mounts; left in place" >&2
        return 0
    fi
    rm -rf --one-file-system "$dir"
}

work=""
pids=()
nspawn_pid="" # a booted root's systemd-nspawn, while it runs
cleanup() {
    local pid
    # A booted root's init ignores nspawn's SIGTERM for a while: it goes first, for good.
    if [ -n "$nspawn_pid" ]; then
        for pid in $(pgrep -P "$nspawn_pid"); do kill -KILL "$pid" 2>/dev/null || true; done
        kill "$nspawn_pid" 2>/dev/null || true
    fi
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    unmount_all
    if [ -n "$work" ]; then remove_tree "$work"; fi
    return 0
}
trap cleanup EXIT

# 1. The cached root.
mkdir -p "$cache"
if [ ! -f "$base" ]; then
    step "making the Debian 12 root ($stamp; once, kept in $cache)"
    command -v debootstrap >/dev/null || fail "debootstrap is missing (scripts/install-deps.sh)"
    work=$(mktemp -d "$cache/make-root.XXXXXX")
    debootstrap --variant=minbase "$suite" "$work/root" "$(host_mirror)" >"$work/debootstrap.log" 2>&1 \
        || { tail -30 "$work/debootstrap.log"; fail "debootstrap"; }
    copy_sources "$work/root"
    mount_into "$work/root"
    chroot "$work/root" apt-get update -qq || fail "apt-get update in the root"
    chroot "$work/root" apt-get clean
    unmount_all
    rm -f "$work/root/etc/resolv.conf"
    tar -C "$work/root" -cf "$base.tmp" . && mv "$base.tmp" "$base"
    remove_tree "$work"
    work=""
fi
[ "$prepare_only" = --prepare-only ] && { echo "test-install: $base ready"; exit 0; }

service_deb=$(ls "$packages"/jarvis-service_*.deb 2>/dev/null | head -1)
console_deb=$(ls "$packages"/jarvis-console_*.deb 2>/dev/null | head -1)
setup_deb=$(ls "$packages"/jarvis-setup_*.deb 2>/dev/null | head -1)
[ -n "$service_deb" ] && [ -n "$console_deb" ] && [ -n "$setup_deb" ] \
    || fail "no packages in $packages (make package)"
[ -x "$pvesim" ] || fail "no $pvesim (cmake --build $build --target jarvis-pvesim)"

step "a fresh copy of the root"
work=$(mktemp -d /var/tmp/jarvis-test-install.XXXXXX)
root=$work/root
mkdir "$root"
tar -C "$root" -xf "$base"
copy_sources "$root"
mount_into "$root"
printf '#!/bin/sh\n# test-install: no service starts in this root\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
mkdir "$root/debs"
mount --bind "$packages" "$root/debs" && mounts+=("$root/debs")
mount -o remount,bind,ro "$root/debs"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

step "apt-get install ./$(basename "$service_deb") ./$(basename "$console_deb") ./$(basename "$setup_deb")"
install_debs() {
    in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "/debs/$(basename "$service_deb")" "/debs/$(basename "$console_deb")" \
        "/debs/$(basename "$setup_deb")" >"$work/install.log" 2>&1
}
if ! install_debs; then
    # The cached package lists may be older than the mirror: refresh them once.
    in_root apt-get update -qq && install_debs || { cat "$work/install.log"; fail "apt-get install"; }
fi
grep -E '^(Setting up jarvis|jarvis-service:)' "$work/install.log" || true
grep -q "run 'jarvis-setup'" "$work/install.log" || fail "postinst did not point to jarvis-setup"

step "the installed system"
passwd=$(in_root getent passwd jarvis) || fail "no user jarvis"
echo "test-install: $passwd"
IFS=: read -r _ _ uid gid _ home shell <<<"$passwd"
[ "$uid" -lt 1000 ] || fail "jarvis is not a system user (uid $uid)"
[ "$home" = /var/lib/jarvis ] || fail "jarvis's home is $home"
[ "$shell" = /usr/sbin/nologin ] || fail "jarvis's shell is $shell"
in_root getent group jarvis >/dev/null || fail "no group jarvis"
expect_stat() { # PATH "mode owner:group"
    local got
    got=$(in_root stat -c '%a %U:%G' "$1") || fail "$1 is missing"
    [ "$got" = "$2" ] || fail "$1 is $got, expected $2"
    echo "test-install: $1 $got"
}
expect_stat /usr/bin/jarvisd "755 root:root"
expect_stat /usr/bin/jarvis-console "755 root:root"
expect_stat /lib/systemd/system/jarvisd.service "644 root:root"
expect_stat /usr/share/doc/jarvis-service/examples/jarvisd.conf "644 root:root"
expect_stat /var/lib/jarvis "750 jarvis:jarvis"
expect_stat /etc/jarvis "755 root:root"
expect_stat /usr/bin/jarvis-setup "755 root:root"
[ ! -e "$root/etc/jarvis/jarvisd.conf" ] || fail "the package shipped /etc/jarvis/jarvisd.conf"
[ -L "$root/etc/systemd/system/multi-user.target.wants/jarvisd.service" ] \
    || fail "jarvisd.service is not enabled"
echo "test-install: jarvisd.service enabled (starts once /etc/jarvis/jarvisd.conf exists)"

step "jarvis-pvesim (HTTPS) on the host's 127.0.0.1"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$work/pve.key" -out "$work/pve.crt" -subj /CN=pve-sim \
    -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || fail "openssl"
token_secret=$(openssl rand -hex 16)
JARVIS_PVE_TOKEN_SECRET=$token_secret "$pvesim" --tls-cert "$work/pve.crt" --tls-key "$work/pve.key" \
    >"$work/pvesim.out" 2>"$work/pvesim.err" &
pids+=($!)
wait_for() { # SECONDS COMMAND...: polls the condition every 0.1 s
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.1
    done
}
wait_for 30 grep -qx ready "$work/pvesim.out" || { cat "$work/pvesim.err"; fail "jarvis-pvesim did not start"; }
sim() { sed -n "s/^$1=//p" "$work/pvesim.out"; }
echo "test-install: simulator $(sim url), fingerprint $(sim fingerprint), nodes $(sim nodes)"

step "jarvisd in the root, as the unit starts it"
password=$(openssl rand -hex 12)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setup_args=(--non-interactive --config /etc/jarvis/jarvisd.conf --token-id "$(sim tokenId)"
    --tls-fingerprint "$(sim fingerprint)" --no-ssh --listen 127.0.0.1 --port "$port")
IFS=, read -ra nodes <<<"$(sim nodes)"
for node in "${nodes[@]}"; do
    setup_args+=(--node "$node=$(sim url)")
done
# The packaged jarvis-setup, as an admin runs it: it checks every node against the simulator,
# hashes the password with the packaged jarvisd and writes the file once --check-config accepts it.
in_root env JARVIS_PVE_TOKEN_SECRET="$token_secret" JARVIS_ADMIN_PASSWORD="$password" \
    /usr/bin/jarvis-setup "${setup_args[@]}" </dev/null >"$work/setup.log" 2>&1 \
    || { cat "$work/setup.log"; fail "jarvis-setup --non-interactive"; }
sed 's/^/test-install: jarvis-setup: /' "$work/setup.log"
expect_stat /etc/jarvis/jarvisd.conf "640 root:jarvis"
in_root /usr/bin/jarvisd --check-config --config /etc/jarvis/jarvisd.conf || fail "--check-config"

unit=$root/lib/systemd/system/jarvisd.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
user=$(sed -n 's/^User=//p' "$unit")
state=$(sed -n 's/^StateDirectory=//p' "$unit")
[ "$(grep -c '^ExecStart=' "$unit")" = 1 ] && [[ "$exec_start" == /* ]] \
    || fail "ExecStart= is not one plain command: $exec_start"
read -ra command <<<"$exec_start"
echo "test-install: as $user: $exec_start (STATE_DIRECTORY=/var/lib/$state)"
chroot --userspec="$user:$user" "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 STATE_DIRECTORY="/var/lib/$state" "${command[@]}" \
    >"$work/jarvisd.out" 2>"$work/jarvisd.err" &
jarvisd_pid=$!
pids+=($jarvisd_pid)
wait_for 30 grep -qs '^jarvisd: listening on ' "$work/jarvisd.out" \
    || { cat "$work/jarvisd.err"; fail "jarvisd did not start"; }
url=$(sed -n 's/^jarvisd: listening on //p' "$work/jarvisd.out")
echo "test-install: jarvisd listening on $url"
health() { curl -sf --max-time 5 "$url/api/health"; }
wait_for 30 health >/dev/null || fail "/api/health"
echo "test-install: /api/health: $(health)"
token=$(curl -sf --max-time 10 -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$password\"}" "$url/api/auth/login" \
    | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || fail "login"
echo "test-install: logged in"
status=$(curl -sf --max-time 20 -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"tool":"get_cluster_status"}' "$url/api/tools/execute") || fail "get_cluster_status"
IFS=, read -ra nodes <<<"$(sim nodes)"
for node in "${nodes[@]}"; do
    grep -q "\"$node\"" <<<"$status" || fail "node $node missing from $status"
done
echo "test-install: live nodes: ${nodes[*]}"
# (jarvisd polls only while a client watches /cluster; the tool's calls count as contact.)
reachable() { health | grep -q '"reachable":true'; }
wait_for 30 reachable || { health; cat "$work/jarvisd.err"; fail "Proxmox not reachable from jarvisd"; }
echo "test-install: /api/health: $(health)"
[ -s "$root/var/lib/jarvis/audit.jsonl" ] || fail "no audit log in /var/lib/jarvis"
expect_stat /var/lib/jarvis/audit.jsonl "$(in_root stat -c %a /var/lib/jarvis/audit.jsonl) jarvis:jarvis"
kill -TERM "$jarvisd_pid"
code=0
wait "$jarvisd_pid" || code=$?
[ "$code" = 0 ] || { cat "$work/jarvisd.err"; fail "jarvisd exited $code after SIGTERM"; }
grep -q '^jarvisd: stopped' "$work/jarvisd.out" || fail "jarvisd did not say it stopped"
echo "test-install: SIGTERM: jarvisd stopped, exit 0"

step "the container's runtime (installer/Dockerfile), replayed in the root: jarvisd --demo"
# The Dockerfile's runtime stage installs the package with these packages on Debian 12 slim and
# runs jarvisd as jarvis with STATE_DIRECTORY and JARVIS_LISTEN=0.0.0.0. No Docker engine runs
# here, so its last two steps are replayed in this root: the same packages, the same user, the
# same environment, `--demo` (the image's one-command demo), on a free port of the host.
runtime_packages=$(sed -n 's/^ *ca-certificates /ca-certificates /p' "$source_dir/installer/Dockerfile" | tr -d '\\')
[ -n "$runtime_packages" ] || fail "the Dockerfile's runtime packages not found"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    $runtime_packages </dev/null >"$work/runtime.log" 2>&1 || { cat "$work/runtime.log"; fail "runtime packages"; }
demo_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
chroot --userspec=jarvis:jarvis "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 HOME=/var/lib/jarvis STATE_DIRECTORY=/var/lib/jarvis JARVIS_LISTEN=0.0.0.0 \
    JARVIS_PORT="$demo_port" /usr/bin/jarvisd --demo >"$work/demo.out" 2>"$work/demo.err" &
demo_pid=$!
pids+=($demo_pid)
wait_for 30 grep -qs '^jarvisd: listening on ' "$work/demo.out" \
    || { cat "$work/demo.err"; fail "jarvisd --demo did not start"; }
echo "test-install: $(head -n 2 "$work/demo.out" | tr '\n' ' ')"
# The URL it prints is one to browse (127.0.0.1); the socket is what JARVIS_LISTEN sets: a
# listening (state 0A) socket on 0.0.0.0 and the port, in the kernel's table.
listening_any() { grep -qi "^ *[0-9]*: 00000000:$(printf '%04X' "$demo_port") 00000000:0000 0A " /proc/net/tcp; }
listening_any || fail "--demo does not listen on 0.0.0.0:$demo_port"
demo_url=http://127.0.0.1:$demo_port
wait_for 30 curl -sf --max-time 5 "$demo_url/api/health" >/dev/null || fail "--demo /api/health"
demo_token=$(curl -sf --max-time 10 -H 'Content-Type: application/json' \
    -d '{"username":"admin","password":"jarvis-demo"}' "$demo_url/api/auth/login" \
    | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$demo_token" ] || fail "--demo login"
demo_status=$(curl -sf --max-time 20 -H "Authorization: Bearer $demo_token" \
    -H 'Content-Type: application/json' -d '{"tool":"get_cluster_status"}' \
    "$demo_url/api/tools/execute") || fail "--demo get_cluster_status"
grep -q '"online"' <<<"$demo_status" || fail "--demo shows no online node: $demo_status"
echo "test-install: --demo as jarvis: healthy, logged in, nodes online"
kill -TERM "$demo_pid"
code=0
wait "$demo_pid" || code=$?
[ "$code" = 0 ] || { cat "$work/demo.err"; fail "jarvisd --demo exited $code after SIGTERM"; }
echo "test-install: --demo SIGTERM: exit 0"

step "a reinstall (an upgrade's path) leaves the configuration alone"
before=$(sha256sum <"$root/etc/jarvis/jarvisd.conf")
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall \
    "/debs/$(basename "$service_deb")" </dev/null >"$work/reinstall.log" 2>&1 \
    || { cat "$work/reinstall.log"; fail "reinstall"; }
[ "$(sha256sum <"$root/etc/jarvis/jarvisd.conf")" = "$before" ] || fail "the reinstall changed the configuration"
expect_stat /etc/jarvis/jarvisd.conf "640 root:jarvis"

step "jarvis-console --version in the root"
version=$(in_root env QT_QPA_PLATFORM=offscreen /usr/bin/jarvis-console --version 2>&1) \
    || { echo "$version"; fail "jarvis-console --version"; }
echo "test-install: $version"

step "the unit under systemd: the root booted with systemd-nspawn"
command -v systemd-nspawn >/dev/null || fail "systemd-nspawn is missing (scripts/install-deps.sh: systemd-container)"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    systemd systemd-sysv dbus </dev/null >"$work/systemd.log" 2>&1 || { cat "$work/systemd.log"; fail "systemd in the root"; }
# The same configuration, on a port of its own (the earlier jarvisd's may still be in TIME_WAIT).
unit_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i "s/^port=.*/port=$unit_port/" "$root/etc/jarvis/jarvisd.conf"
unmount_all # nspawn brings its own /proc, /sys and /dev
# --register=no --keep-unit: no machined or D-Bus needed on the host; the host's network, so
# jarvisd reaches jarvis-pvesim and the test reaches jarvisd on 127.0.0.1.
systemd-nspawn --quiet --register=no --keep-unit --directory="$root" --boot \
    >"$work/boot.log" 2>&1 </dev/null &
nspawn_pid=$!
container_init() { pgrep -P "$nspawn_pid" | head -1; }
in_container() { # COMMAND...: run inside the booted root (its namespaces, as root)
    local init
    init=$(container_init) || return 1
    [ -n "$init" ] || return 1
    nsenter --target "$init" --mount --uts --ipc --net --pid /usr/bin/env -i \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
booted() { in_container systemctl is-system-running 2>/dev/null | grep -qxE 'running|degraded'; }
wait_for 60 booted || { cat "$work/boot.log"; in_container systemctl --failed --no-pager || true; fail "the root did not boot"; }
unit_prop() { in_container systemctl show jarvisd -p "$1" --value; }
unit_active() { [ "$(unit_prop ActiveState)" = active ]; }
wait_for 30 unit_active || { in_container journalctl -u jarvisd --no-pager || true; fail "jarvisd.service is not active after boot"; }
echo "test-install: booted; jarvisd.service $(unit_prop ActiveState) ($(unit_prop StatusText))"
[ "$(unit_prop StatusText)" = "listening on http://127.0.0.1:$unit_port" ] || fail "STATUS= is '$(unit_prop StatusText)'"
unit_url=http://127.0.0.1:$unit_port
curl -sf --max-time 5 "$unit_url/api/health" | grep -q '"status":"ok"' || fail "/api/health of the unit's jarvisd"
# The sandbox, as the kernel sees the main process.
main_pid=$(unit_prop MainPID)
proc_status=$(in_container cat "/proc/$main_pid/status")
expect_field() { # NAME VALUE: a line of /proc/PID/status
    grep -qP "^$1:\t$2\$" <<<"$proc_status" || fail "jarvisd's $1 is not $2: $(grep "^$1:" <<<"$proc_status")"
}
jarvis_uid=$(in_root getent passwd jarvis | cut -d: -f3)
expect_field Uid "$jarvis_uid\t$jarvis_uid\t$jarvis_uid\t$jarvis_uid"
expect_field CapEff 0000000000000000
expect_field CapBnd 0000000000000000
expect_field NoNewPrivs 1
expect_field Seccomp 2
echo "test-install: MainPID $main_pid: uid $jarvis_uid (jarvis), no capabilities, NoNewPrivs, seccomp filter"
# The watchdog: a drop-in shortens it; a frozen jarvisd (SIGSTOP) is killed and started again.
in_container mkdir -p /etc/systemd/system/jarvisd.service.d
printf '[Service]\nWatchdogSec=2s\nRestartSec=1s\n' >"$root/etc/systemd/system/jarvisd.service.d/test-watchdog.conf"
in_container systemctl daemon-reload
in_container systemctl restart jarvisd || fail "systemctl restart jarvisd"
frozen=$(unit_prop MainPID)
restarted_by_watchdog() { [ "$(unit_prop NRestarts)" = 1 ] && unit_active && [ "$(unit_prop MainPID)" != "$frozen" ]; }
in_container /bin/sh -c "kill -STOP $frozen"
wait_for 30 restarted_by_watchdog || { in_container journalctl -u jarvisd --no-pager | tail -20; fail "the watchdog did not restart a frozen jarvisd"; }
in_container journalctl -u jarvisd --no-pager | grep -q "Failed with result 'watchdog'" \
    || fail "the restart was not the watchdog's"
echo "test-install: watchdog: frozen MainPID $frozen killed, restarted as $(unit_prop MainPID)"
rm "$root/etc/systemd/system/jarvisd.service.d/test-watchdog.conf"
in_container systemctl daemon-reload
stopped_pid=$(unit_prop MainPID)
in_container systemctl stop jarvisd || fail "systemctl stop jarvisd"
[ "$(unit_prop ExecMainStatus)" = 0 ] && [ "$(unit_prop Result)" = success ] \
    || fail "stop: exit status $(unit_prop ExecMainStatus), result $(unit_prop Result)"
# (journald reads jarvisd's stream on its own: the last line may come after the stop returns)
said_stopped() { in_container journalctl -u jarvisd --no-pager | grep -q "jarvisd\[$stopped_pid\]: jarvisd: stopped"; }
wait_for 10 said_stopped || fail "no 'jarvisd: stopped' in the journal"
echo "test-install: systemctl stop: exit 0, result success"
in_container systemctl poweroff --no-block || true
powered_off() { ! kill -0 "$nspawn_pid" 2>/dev/null; }
wait_for 30 powered_off || fail "the booted root did not power off"
wait "$nspawn_pid" || true
nspawn_pid="" # gone: its number may be reused, and the cleanup must not touch it
mount_into "$root"

step "apt-get purge jarvis-service"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q jarvis-service >"$work/purge.log" 2>&1 \
    || { cat "$work/purge.log"; fail "purge"; }
[ ! -e "$root/etc/jarvis/jarvisd.conf" ] || fail "purge left /etc/jarvis/jarvisd.conf"
[ ! -e "$root/var/lib/jarvis" ] || fail "purge left /var/lib/jarvis"
[ ! -e "$root/lib/systemd/system/jarvisd.service" ] || fail "purge left the unit"
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/jarvisd.service" ] || fail "purge left the unit enabled"
in_root getent passwd jarvis >/dev/null || fail "purge removed the user jarvis (it is kept on purpose)"
echo "test-install: purged: configuration and state gone, the user jarvis kept"

step "cleaning up"
cleanup
work=""
trap - EXIT
echo "test-install: [$((SECONDS - step_start)) s] done"
echo "test-install: all checks passed in $((SECONDS - total_start)) s"
