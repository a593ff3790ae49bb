# The first in-container half of a workspace import (docs/workspace.md). The backend runs it as
#   sh -c "<this script>" berth-import <path> <marker> <need git: 1|0>
# All data arrives as positional arguments, never in the script text. It needs only sh and
# busybox-level tools.
#
# prepare-target: $1 path  $2 marker  $3 "1" when a branch needs git.
# Refuses a path that is not a folder or is a non-empty folder that Berth did not start filling;
# clears a partial copy that an interrupted import left (marked); creates the folder and the
# marker. Prints `git` or `no-git`.
p=$1 marker=$2 need_git=$3
if [ "$need_git" = 1 ] && ! command -v git >/dev/null 2>&1; then exit 34; fi
if [ -e "$p" ] && [ ! -d "$p" ]; then exit 31; fi
if [ -d "$p" ]; then
  if [ -e "$p/$marker" ]; then
    rm -rf -- "$p"/* "$p"/.[!.]* "$p"/..?* || exit 33
  elif [ -n "$(ls -A "$p")" ]; then
    exit 30
  fi
else
  mkdir -p -- "$p" || exit 32
fi
: > "$p/$marker" || exit 32
if command -v git >/dev/null 2>&1; then echo git; else echo no-git; fi
