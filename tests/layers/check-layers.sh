#!/usr/bin/env bash
# The layer rule of docs/ARCHITECTURE.md, checked: every project include ("folder/file.h") in a
# folder's sources must name a folder that this table allows. Run by ctest as `layers`.
# Usage: check-layers.sh <source root>
set -euo pipefail
root=${1:?usage: check-layers.sh <source root>}
cd "$root"

# folder -> the include folders it may use (its own is always allowed)
declare -A allowed=(
    [shared/protocol]="core"
    [shared/core]=""
    [shared/model]="protocol"
    [shared/client]="core protocol"
    [service/net]=""
    [service/auth]="net core"
    [service/config]="auth net core"
    [service/metrics]="core"
    [service/proxmox]="model protocol core"
    [service/ssh]="core"
    [service/tools]="model protocol core proxmox ssh"
    [service/http]="net auth tools model protocol core"
    [service/realtime]="net http tools proxmox ssh history model protocol core"
    [service/history]="model protocol core proxmox"
    [service/demo]="model protocol core"
    [service/mcp]="http net auth tools model protocol core"
    [console]="models terminal client model protocol core"
    [qml]="console models terminal client model protocol core"
    [service/app]="config auth net http realtime tools proxmox ssh history demo metrics mcp model protocol core"
    # jarvis-setup: the console's trust library for --console, never service/ code (it runs
    # jarvisd --hash-password / --check-config as child processes instead).
    [installer/setup]="console core"
)

status=0
checked=0
for folder in "${!allowed[@]}"; do
    [ -d "$folder" ] || { echo "layers: $folder is in the table but missing"; status=1; continue; }
    own=${folder##*/}
    ok=" $own ${allowed[$folder]} "
    while IFS=: read -r file line text; do
        inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]+"([^"/]+)\/.*/\1/' <<<"$text")
        checked=$((checked + 1))
        if [[ "$ok" != *" $inc "* ]]; then
            echo "layers: $file:$line includes \"$inc/...\", which $folder may not use (allowed:${ok% })"
            status=1
        fi
    done < <(grep -rnE --include='*.h' --include='*.cpp' \
        '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[^"/]+/' "$folder" || true)
done

# Every source folder is in the table, so a new one cannot slip past the rule.
for dir in service/*/ shared/*/ console/ qml/ installer/*/; do
    dir=${dir%/}
    [ "$dir" = service/web ] && continue
    if ! ls "$dir"/*.cpp "$dir"/*.h >/dev/null 2>&1; then continue; fi
    [ -n "${allowed[$dir]+set}" ] || { echo "layers: $dir has sources but no rule"; status=1; }
done

[ "$status" = 0 ] && echo "layers: $checked project includes in ${#allowed[@]} folders follow the rule"
exit "$status"
