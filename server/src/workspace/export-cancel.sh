# shellcheck shell=sh
# Asks a running export (export.sh) to stop: its TERM trap stops git and removes the temp
# folder. The backend runs it in the container as
#   sh -c "<this script>" berth-export-cancel <temp root> <temp name>
# Output: none; it always exits 0 (an export that already ended has nothing to stop).
# Bundled as text; unit-tested under dash and busybox sh.
d=$1/$2
p=$(cat -- "$d/pid" 2>/dev/null) || exit 0
case $p in ''|*[!0-9]*) exit 0 ;; esac
kill -TERM "$p" 2>/dev/null
exit 0
