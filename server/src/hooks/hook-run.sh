# shellcheck shell=sh
# Starts an application hook (docs/consistency.md) so that it can be stopped: prints the hook's
# PID, then replaces itself with the hook, which therefore keeps that PID (and, as a process the
# engine's exec started, leads its own process group). The backend runs it in the container as
#   /bin/sh -c "<this script>" berth-hook <argv of the hook…>
# Output: first exactly one line `berth-hook-pid:<pid>`, then whatever the hook prints (kept
# apart by the backend: only the first line is read as the protocol, so nothing the hook prints
# can pass for it). Exit code: the hook's (126 or 127 when it cannot be run).
# Bundled as text; unit-tested under dash and busybox sh.
printf 'berth-hook-pid:%s\n' "$$"
exec "$@"
