# shellcheck shell=sh
# Stops a hook that outlived its timeout or its cancelled operation (docs/consistency.md): TERM
# to its process group (the hook leads one, so a pg_dump under a shell goes too; a lone process
# when the group is gone), up to 5 s to end, then KILL. The backend runs it in the container as
#   /bin/sh -c "<this script>" berth-hook-stop <pid>
# Output: none. Exit code: always 0 (a hook that already ended has nothing to stop).
# Bundled as text; unit-tested under dash and busybox sh.
pid=$1
case $pid in ''|*[!0-9]*) exit 0 ;; esac
kill -TERM -"$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
i=0
while [ -e "/proc/$pid" ] && [ "$i" -lt 5 ]; do
  sleep 1
  i=$((i + 1))
done
if [ -e "/proc/$pid" ]; then
  kill -KILL -"$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
fi
exit 0
