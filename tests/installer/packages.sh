#!/usr/bin/env bash
# The Debian packages and the unit, checked (ctest package_* and unit_*; installer/).
#   packages.sh build    BUILD_DIR OUT_DIR      cpack the packages into OUT_DIR (the fixture)
#   packages.sh contents OUT_DIR WITH_SETUP     file lists, modes, owners, control fields, scripts
#   packages.sh lintian  OUT_DIR                no error; the warnings are printed
#   packages.sh verify   OUT_DIR                systemd-analyze verify on the packaged unit
#   packages.sh security OUT_DIR MAX            systemd-analyze security: exposure <= MAX
# WITH_SETUP is 1 when the build has jarvis-setup (then its package must be there).
set -euo pipefail
command=${1:?usage: packages.sh build|contents|lintian|verify|security ...}
shift

fail() {
    echo "packages: FAIL: $*" >&2
    exit 1
}

deb_of() { # the one package NAME in OUT_DIR
    local files=("$1"/"$2"_*.deb)
    [ ${#files[@]} -eq 1 ] && [ -f "${files[0]}" ] || fail "no single $2_*.deb in $1"
    echo "${files[0]}"
}

# The tree of the service package, with the host's units beside jarvisd.service: what
# systemd-analyze's --root needs to check ExecStart= and the dependencies of the unit.
unit_root() {
    local root=$2
    rm -rf "$root"
    dpkg-deb -x "$(deb_of "$1" jarvis-service)" "$root"
    cp -an /lib/systemd/system/. "$root/lib/systemd/system/"
}

case "$command" in
build)
    build=${1:?build dir} out=${2:?out dir}
    rm -rf "$out"
    mkdir -p "$out"
    start=$SECONDS
    cpack --config "$build/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1 \
        || { cat "$out/cpack.log"; fail "cpack"; }
    for deb in "$out"/*.deb; do
        printf 'packages: %s: %s bytes\n' "$(basename "$deb")" "$(stat -c %s "$deb")"
    done
    echo "packages: built in $((SECONDS - start)) s"
    ;;
contents)
    out=${1:?out dir} with_setup=${2:?with setup}
    status=0
    check_package() { # NAME "path mode"... (every file, exactly)
        local name=$1
        shift
        local deb listing files expected
        deb=$(deb_of "$out" "$name")
        listing=$(dpkg-deb -c "$deb")
        echo "packages: $name:"
        echo "$listing" | sed 's/^/  /'
        # Owners: root/root throughout.
        if echo "$listing" | awk '{print $2}' | grep -qv '^root/root$'; then
            echo "packages: $name: files not owned by root/root"; status=1
        fi
        # Directories 0755.
        if echo "$listing" | awk '$1 ~ /^d/ && $1 != "drwxr-xr-x"' | grep -q .; then
            echo "packages: $name: directories not 0755"; status=1
        fi
        # Files: exactly the expected ones with the expected modes.
        files=$(echo "$listing" | awk '$1 !~ /^d/ {print $6, $1}' | sort)
        expected=$(printf '%s\n' "$@" | sort)
        if [ "$files" != "$expected" ]; then
            echo "packages: $name: files differ from the expected list:"
            diff <(echo "$expected") <(echo "$files") | sed 's/^/  /'
            status=1
        fi
        # Control: no conffile (the live configuration is jarvis-setup's), fields present.
        if dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -q conffiles; then
            echo "packages: $name: has conffiles"; status=1
        fi
        dpkg-deb -I "$deb" | sed 's/^/  /'
        for field in Package Version Architecture Maintainer Depends Section Priority Description; do
            [ -n "$(dpkg-deb -f "$deb" "$field")" ] || { echo "packages: $name: no $field"; status=1; }
        done
    }
    doc=./usr/share/doc
    service_files=(
        "./usr/bin/jarvisd -rwxr-xr-x"
        "./lib/systemd/system/jarvisd.service -rw-r--r--"
        "$doc/jarvis-service/README.Debian -rw-r--r--"
        "$doc/jarvis-service/changelog.Debian.gz -rw-r--r--"
        "$doc/jarvis-service/copyright -rw-r--r--"
        "$doc/jarvis-service/examples/jarvisd.conf -rw-r--r--"
        "./usr/share/man/man8/jarvisd.8.gz -rw-r--r--"
    )
    check_package jarvis-service "${service_files[@]}"
    if [ "$with_setup" = 1 ]; then
        check_package jarvis-setup \
            "./usr/bin/jarvis-setup -rwxr-xr-x" \
            "$doc/jarvis-setup/changelog.Debian.gz -rw-r--r--" \
            "$doc/jarvis-setup/copyright -rw-r--r--" \
            "./usr/share/man/man1/jarvis-setup.1.gz -rw-r--r--"
    fi
    check_package jarvis-console \
        "./usr/bin/jarvis-console -rwxr-xr-x" \
        "./usr/share/applications/jarvis-console.desktop -rw-r--r--" \
        "./usr/share/icons/hicolor/scalable/apps/jarvis-console.svg -rw-r--r--" \
        "$doc/jarvis-console/changelog.Debian.gz -rw-r--r--" \
        "$doc/jarvis-console/copyright -rw-r--r--" \
        "./usr/share/man/man1/jarvis-console.1.gz -rw-r--r--"

    # Dependencies: dpkg-shlibdeps' libraries, and what the scripts and QML need.
    service=$(deb_of "$out" jarvis-service)
    console=$(deb_of "$out" jarvis-console)
    depends() { dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//'; }
    for dep in libc6 libstdc++6 libqt6core6 libqt6network6 libqt6httpserver6 libqt6websockets6 \
        libssh-4 libsystemd0 adduser init-system-helpers; do
        depends "$service" | grep -qx "$dep" || { echo "packages: jarvis-service: Depends lacks $dep"; status=1; }
    done
    for dep in libc6 libqt6core6 libqt6gui6 libqt6qml6 libqt6quick6 libvterm0 libqt6keychain1 \
        qml6-module-qtquick-controls qml6-module-qtquick-layouts qml6-module-qtquick-window; do
        depends "$console" | grep -qx "$dep" || { echo "packages: jarvis-console: Depends lacks $dep"; status=1; }
    done
    if [ "$with_setup" = 1 ]; then
        # The same version of jarvis-setup, recommended by the service and the console.
        version=$(dpkg-deb -f "$service" Version)
        dpkg-deb -f "$service" Recommends | tr ',' '\n' | grep -qx " *jarvis-setup (= $version)" \
            || { echo "packages: jarvis-service: Recommends lacks jarvis-setup (= $version)"; status=1; }
        dpkg-deb -f "$console" Recommends | tr ',' '\n' | grep -qx " *jarvis-setup (= $version)" \
            || { echo "packages: jarvis-console: Recommends lacks jarvis-setup (= $version)"; status=1; }
        setup=$(deb_of "$out" jarvis-setup)
        for dep in libc6 libqt6core6 libqt6network6 libqt6keychain1; do
            depends "$setup" | grep -qx "$dep" || { echo "packages: jarvis-setup: Depends lacks $dep"; status=1; }
        done
    fi
    # The maintainer scripts: there, executable, valid sh.
    scripts=$(mktemp -d)
    trap 'rm -rf "$scripts"' EXIT
    dpkg-deb -e "$service" "$scripts"
    for script in postinst prerm postrm; do
        if [ ! -f "$scripts/$script" ]; then
            echo "packages: jarvis-service: no $script"; status=1; continue
        fi
        [ "$(stat -c %a "$scripts/$script")" = 755 ] || { echo "packages: $script is not 0755"; status=1; }
        sh -n "$scripts/$script" || { echo "packages: $script: syntax error"; status=1; }
    done
    [ "$status" = 0 ] && echo "packages: contents as expected"
    exit "$status"
    ;;
lintian)
    out=${1:?out dir}
    # --tag-display-limit 0: every tag; errors fail the test, warnings and the rest are shown.
    report=$(lintian --tag-display-limit 0 --display-info "$out"/*.deb 2>&1) || true
    echo "$report"
    errors=$(echo "$report" | grep -c '^E: ' || true)
    warnings=$(echo "$report" | grep -c '^W: ' || true)
    echo "packages: lintian: $errors error(s), $warnings warning(s)"
    [ "$errors" = 0 ] || fail "lintian reports errors"
    ;;
verify)
    out=${1:?out dir}
    root=$out/unit-root-verify
    unit_root "$out" "$root"
    # Clean means silent: systemd-analyze prints a line for every problem it finds.
    report=$(systemd-analyze verify --root="$root" jarvisd.service 2>&1) || fail "verify: $report"
    [ -z "$report" ] || fail "systemd-analyze verify: $report"
    echo "packages: systemd-analyze verify jarvisd.service: clean"
    ;;
security)
    out=${1:?out dir} max=${2:?max exposure}
    root=$out/unit-root-security
    unit_root "$out" "$root"
    report=$(systemd-analyze security --offline=true --root="$root" --no-pager jarvisd.service 2>&1) \
        || fail "systemd-analyze security: $report"
    echo "$report"
    score=$(echo "$report" | sed -n 's/.*Overall exposure level for jarvisd.service: \([0-9.]*\).*/\1/p')
    [ -n "$score" ] || fail "no exposure level in the report"
    echo "packages: systemd-analyze security jarvisd.service: exposure $score (at most $max)"
    awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' || fail "exposure $score is above $max"
    ;;
*)
    fail "unknown command $command"
    ;;
esac
