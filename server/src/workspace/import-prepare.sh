# shellcheck shell=sh
# The first in-container half of a workspace import (docs/workspace.md). The backend runs it as
#   sh -c "<this script>" berth-import <path> <marker> <need git: 1|0>
# All data arrives as positional arguments, never in the script text; it needs only sh and
# busybox-level tools. Bundled as text; unit-tested under dash and busybox sh.
#
# Refuses a path that is not a folder, or a non-empty folder that Berth did not start filling;
# clears a partial copy that an interrupted import left (marked); creates the folder and the
# marker.
# Output: exactly one line, `git` or `no-git` (whether the container has git), read whole by
# importScripts.ts `parsePrepared`; anything else is a protocol error.
# Exit codes (ImportExit): 30 not empty, 31 not a folder, 32 cannot create, 33 cannot clear,
# 34 a branch needs git and there is none.
p=$1 marker=$2 need_git=$3
if [ "$need_git" = 1 ] && ! command -v git >/dev/null 2>&1; then exit 34; fi
if [ -e "$p" ] && [ ! -d "$p" ]; then exit 31; fi
if [ -d "$p" ]; then
  if [ -e "$p/$marker" ]; then
    rm -rf -- "${p:?}"/* "${p:?}"/.[!.]* "${p:?}"/..?* || exit 33
  elif [ -n "$(ls -A "$p")" ]; then
    exit 30
  fi
else
  mkdir -p -- "$p" || exit 32
fi
: > "$p/$marker" || exit 32
if command -v git >/dev/null 2>&1; then echo git; else echo no-git; fi
