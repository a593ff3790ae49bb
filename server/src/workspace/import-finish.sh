# shellcheck shell=sh
# The last in-container half of a workspace import (docs/workspace.md). The backend runs it as
#   sh -c "<this script>" berth-import <path> <marker> <local HEAD> <branch> <start> <read-only>
#   <local HEAD>: "" when there is none; <branch>: "" for none; <start>: the commit the branch
#   starts at, "" for HEAD; <read-only>: 1 or 0.
# All data arrives as positional arguments, never in the script text; git is needed only for a
# branch. Bundled as text; unit-tested under dash and busybox sh.
#
# Steps: checkout (a new branch), record-base (.git/berth-base, written then renamed), refresh
# the index's file stat data so the first status/export need not re-hash every file, remove the
# marker, read-only (chmod -R a-w).
# Output: exactly one line, `base <id>`, or `base ` when there is no commit, read whole by
# importScripts.ts `parseFinished`; whatever git prints goes to stderr.
# Exit codes (ImportExit): 40 no folder, 41 a branch needs git, 42 checkout failed, 43 recording
# the base failed, 44 removing the marker failed, 45 making the copy read-only failed.
p=$1 marker=$2 head=$3 branch=$4 from=$5 ro=$6
cd -- "$p" || exit 40
have_git=
if command -v git >/dev/null 2>&1; then
  have_git=1
  here=$(pwd -P) || exit 40
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0="$here"
fi
if [ -n "$branch" ]; then
  [ -n "$have_git" ] || exit 41
  # Whatever git (or a hook) prints goes to stderr: stdout carries the answer alone.
  if [ -n "$from" ]; then git checkout -q -b "$branch" "$from" >&2 || exit 42
  else git checkout -q -b "$branch" >&2 || exit 42
  fi
fi
base=$head
if [ -n "$have_git" ]; then
  base=$(git rev-parse -q --verify 'HEAD^{commit}' 2>/dev/null) || base=
  git update-index -q --refresh >/dev/null 2>&1
fi
if [ -n "$base" ]; then
  printf '%s\n' "$base" > .git/berth-base.tmp && mv -f .git/berth-base.tmp .git/berth-base || exit 43
else
  rm -f .git/berth-base
fi
rm -f -- "$marker" || exit 44
if [ "$ro" = 1 ]; then chmod -R a-w . || exit 45; fi
printf 'base %s\n' "$base"
