# shellcheck shell=sh
# Berth's workspace export: the throwaway-index diff, as one POSIX sh script (docs/workspace.md).
# The backend runs it as
#   sh -c "<this script>" berth-export <repo> <base> <state base> <temp root> <temp name>
# inside the container (container-git) and on this machine against Berth's copy of the repo
# (local-fallback, server/src/workspace/diffRunners.ts): the same text on both paths, so both
# compute the same patch by construction. Bundled as text (esbuild loader `.sh: text`);
# unit-tested under dash and busybox sh (test/unit/workspace-scripts.test.ts).
#
# Data never enters the script text: everything arrives as positional arguments
#   $1 repo path   $2 base revision ("" = recorded/HEAD)   $3 base recorded in Berth's state
#   folder ("" = none)   $4 the folder for temp files (/tmp in containers)   $5 the name of
#   the temp folder to create there (berth-export.<random>)
#
# The user's git state is never written:
# - the temp index is a copy of the repo's index (or HEAD's tree when there is none), and
#   `git add -A` stages the working tree into the COPY through GIT_INDEX_FILE;
# - new blobs go to a temp object folder (GIT_OBJECT_DIRECTORY) that borrows the repo's objects
#   as an alternate, so the repo's object store is not written either (read-only repos work);
# - GIT_OPTIONAL_LOCKS=0 stops git from refreshing the real index opportunistically;
# - the temp folder is removed by the EXIT trap on every exit the shell survives (errors,
#   TERM/INT/HUP, a closed pipe); when the process is SIGKILLed (the container stopped), the
#   next export's sweep removes folders whose recorded PID is no longer alive.
#
# Seeding from a copy of the index rather than from the base tree is deliberate: a file that was
# force-added past .gitignore and committed after the base would otherwise be dropped silently,
# sparse-checkout entries would look deleted, and every file would be re-hashed on each export.
#
# Output on stdout, framed so one exec carries everything (exportOutput.ts reads it strictly):
#   BERTH-EXPORT 1
#   base <id>                          the commit or tree the patch is against
#   source <import|head|explicit|empty>
#   record <container|state|->         where an import's base came from
#   head <id|->
#   warn record-missing <id> | warn submodules-unchecked -      (zero or more)
#   dirty <byte count>  then exactly that many bytes: `git diff --raw -z` of submodules whose
#                       work tree has changes
#   list <byte count>   then exactly that many bytes: `git diff --cached --raw --numstat -z`
#   patch
#   <`git diff --binary` bytes until EOF>
# Header lines hold object IDs and fixed words only. A file name reaches stdout only inside the
# length-prefixed list (NUL-separated by -z) or in the patch (git quotes a name with control
# characters: core.quotePath=true), so no name can pass for a header line.
#
# Exit codes (ExportExit): 3 no git, 4 no such path, 5 not a repo, 6 not the repo's top folder
# (the top folder on stderr), 7 an unfinished import, 8 bad base, 9 temp folder, 10 staging
# failed, 11 diff failed, 12 HEAD names a commit the repo does not have.
set -u
repo=$1 base_arg=$2 state_base=$3 tmp_root=$4 tmp=$4/$5
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_COMMON_DIR GIT_NAMESPACE GIT_PREFIX GIT_CONFIG GIT_CONFIG_PARAMETERS
export GIT_OPTIONAL_LOCKS=0 GIT_TERMINAL_PROMPT=0 LC_ALL=C
child='' made=''
# Runs from the EXIT trap (shellcheck cannot see a trap's calls).
# shellcheck disable=SC2317
cleanup() {
  if [ -n "$child" ]; then kill "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi
  if [ -n "$made" ]; then rm -rf -- "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP
trap 'exit 141' PIPE
# Long git steps run in the background and are waited for, so a TERM interrupts the wait at once
# and the EXIT trap stops git and removes the temp folder.
run() { "$@" & child=$!; wait "$child"; rc=$?; child=; return "$rc"; }

command -v git >/dev/null 2>&1 || exit 3
[ -d "$repo" ] || exit 4
cd -- "$repo" || exit 4
here=$(pwd -P)
# The user asked for this repo; let git read it even when another user owns the files.
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0="$here"
# One git call for everything about the repo's layout (each spawn costs; exports should not).
info=$(git rev-parse --show-toplevel --absolute-git-dir --git-path index --git-path objects 2>/dev/null) || exit 5
{ IFS= read -r top; IFS= read -r gitdir; IFS= read -r idx; IFS= read -r objects; } <<EOF
$info
EOF
if [ "$top" != "$here" ]; then printf '%s\n' "$top" >&2; exit 6; fi
if [ -e .berth-import-incomplete ]; then exit 7; fi

verify() { git rev-parse -q --verify "$1^{commit}" 2>/dev/null; }
record=- warn=
if [ -n "$base_arg" ]; then
  base=$(verify "$base_arg") || exit 8
  source=explicit
else
  rec=$(cat -- "$gitdir/berth-base" 2>/dev/null) || rec=
  case $rec in ''|*[!0-9a-f]*) rec= ;; esac
  case $state_base in ''|*[!0-9a-f]*) state_base= ;; esac
  if [ -n "$rec" ] && base=$(verify "$rec"); then
    source=import record=container
  elif [ -n "$state_base" ] && base=$(verify "$state_base"); then
    source=import record=state
  elif base=$(verify HEAD); then
    source='head'
  elif git rev-parse -q --verify HEAD >/dev/null 2>&1; then
    # HEAD names a commit the repo does not have: not an empty repo, a broken one.
    exit 12
  else
    base=$(git hash-object -t tree /dev/null) || exit 8
    source=empty
  fi
  if [ -n "$rec" ] && [ "$record" != container ]; then warn="record-missing $rec"; fi
fi
head=$(git rev-parse -q --verify HEAD 2>/dev/null) || head=-

# Sweep temp folders of earlier exports that died without their trap (SIGKILL).
for d in "$tmp_root"/berth-export.*; do
  [ -d "$d" ] || continue
  p=$(cat -- "$d/pid" 2>/dev/null) || p=
  case $p in ''|*[!0-9]*) ;; *) if kill -0 "$p" 2>/dev/null; then continue; fi ;; esac
  rm -rf -- "$d"
done
mkdir -m 700 -- "$tmp" || exit 9
made=1
echo $$ > "$tmp/pid" && mkdir -- "$tmp/objects" || exit 9

case $idx in /*) ;; *) idx=$here/$idx ;; esac
case $objects in /*) ;; *) objects=$here/$objects ;; esac
if [ -f "$idx" ]; then
  # -p keeps the index's mtime, which git compares with its entries' to catch a file changed in
  # the same second as the index was written ("racily clean"); a fresh mtime would hide it.
  cp -p -- "$idx" "$tmp/index" || exit 9
elif [ "$head" != - ]; then
  GIT_INDEX_FILE=$tmp/index git read-tree "$head" || exit 10
fi
export GIT_INDEX_FILE="$tmp/index" GIT_OBJECT_DIRECTORY="$tmp/objects" GIT_ALTERNATE_OBJECT_DIRECTORIES="$objects"
run git -c core.splitIndex=false add -A || exit 10

# Submodules (gitlinks): the patch records only which commit each is at, so changes inside one
# would be lost without a word. List those whose work tree differs from that commit (uncommitted
# or untracked files); git looks inside each (in the container with its git, on this machine
# with the git dirs Berth built). Only when there are gitlinks: it stats the tree once more.
: > "$tmp/dirty"
unchecked=
if git ls-files -s | grep -q '^160000 '; then
  run git diff --raw -z --no-abbrev --no-ext-diff --no-textconv --ignore-submodules=none > "$tmp/dirty" 2>/dev/null || { : > "$tmp/dirty"; unchecked=1; }
fi

# Output options are pinned so that the patch does not depend on anyone's diff configuration.
# (-U and --inter-hunk-context imply a patch, so only the patch run gets them.)
set -- -c core.quotePath=true -c diff.suppressBlankEmpty=false diff --cached --no-renames --no-ext-diff --no-textconv --no-color --full-index --no-abbrev --src-prefix=a/ --dst-prefix=b/ --ignore-submodules=none --diff-algorithm=myers --indent-heuristic -O/dev/null
run git "$@" --raw --numstat -z "$base" > "$tmp/list" || exit 11
size=$(wc -c < "$tmp/list") || exit 11
printf 'BERTH-EXPORT 1\nbase %s\nsource %s\nrecord %s\nhead %s\n' "$base" "$source" "$record" "$head"
if [ -n "$warn" ]; then printf 'warn %s\n' "$warn"; fi
if [ -n "$unchecked" ]; then printf 'warn submodules-unchecked -\n'; fi
printf 'dirty %d\n' "$(wc -c < "$tmp/dirty")"
cat -- "$tmp/dirty"
printf 'list %d\n' "$size"
cat -- "$tmp/list"
printf 'patch\n'
run git "$@" -p --binary -U3 --inter-hunk-context=0 "$base" || exit 11
exit 0
