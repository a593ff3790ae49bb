# shellcheck shell=sh
# The restore helper's POSIX sh script (docs/restore.md, *The helper's protocol*). The backend
# runs it inside the restore helper container (server/src/restore/helper.ts) as
#   sh -c "<this script>" berth-restore <subcommand> [args...]
# It is bundled as text (esbuild loader `.sh: text`), and unit-tested under dash and busybox sh
# (test/unit/restore-helper.test.ts).
#
# It is the only code that touches the engine host's filesystem, and it only ever does so under the parent directories the
# helper mounts (/berth/p<k>). It relies on a small set of tools that busybox and coreutils both
# have (`tools` lists them) and does no parsing of its own: it prints raw facts and the backend
# decides. Every rename checks inode numbers before and after, so a rename can never act on a
# directory other than the one the journal names, and a `mv` that fell back to copying (EXDEV)
# is detected instead of trusted.
#
# Output framing: everything a subcommand prints that could hold a file name, a link target or
# a tool's free-form output is a framed record, `@@<name> <bytes>[ <bytes>]\n` followed by exactly
# that many bytes (framed.ts), and a listing of names is NUL-separated (`find -print0`). So no
# name or target, whatever bytes it holds (newlines included), can be mistaken for the next
# field or record. Unframed lines carry fixed words and numbers only (mkstage's id, the agent's
# answers); the agent's commands are fixed words and indexes, and every name it acts on was
# passed as an argument at its start, never through a line.
#
# Subcommands (argv after the script) and exactly what each prints on stdout (anything else is a
# protocol error in the backend, never skipped: helper.ts, probe.ts, verifyStaged.ts):
#   tools                            one line: `missing=` and ` <tool>` per missing tool
#   probe <dir> <live>               records: facts (key=value lines: parent, fstype, live,
#                                    writable, space, or error; numbers and fixed words only),
#                                    du, mountinfo (the kernel escapes paths in it), end
#   mkstage <dir> <stage>            creates the staging directory (mode 0700); one line:
#                                    `id=<device>:<inode>`
#   verify <dir> <stage>             records: names (NUL-separated ./paths), stats (one line of
#                                    numbers per name), links (NUL-separated), targets (each
#                                    link's target, its length known from its stat size, then
#                                    a newline), batch <names> <hashes> (sha256sum output for
#                                    the files named in the batch, in order), end
#   list <dir> <name>                the same records as verify without the batches: the whole
#                                    tree (used before a moved-aside directory is removed)
#   agent <n> (<dir> <live> <stage> <aside> <conflict> <oldId> <newId>){n}
#                                    prints `ready`, then reads commands on stdin (`<command>
#                                    <index>`) and answers each with one line:
#     ids <i>        `ok ids live=<id> stage=<id> aside=<id> conflict=<id>` (<id>: device:inode
#                    or `none`)
#     aside | swapin | settle-old | settle-new | rmstage | rmaside <i>
#                    `ok <command>` or `fail <command>`, then at most two lower-case words
#                    (`ok settle-old moved conflict`, `fail aside live-changed`)
#     exit           `bye`
#   The agent acts only on commands: when the backend dies, stdin closes and the agent exits
#   without touching anything more.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 077

# The device and inode of a path as "dev:ino", or "none".
id_of() {
  if [ -e "$1" ] || [ -L "$1" ]; then stat -c '%d:%i' "$1" 2>/dev/null || echo none; else echo none; fi
}

is_empty_dir() {
  [ -d "$1" ] && [ ! -L "$1" ] || return 1
  for e in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    if [ -e "$e" ] || [ -L "$e" ]; then return 1; fi
  done
  return 0
}

# rename(2) through mv -T, then prove it was a rename: the moved directory keeps its id.
move() {
  src_id=$(id_of "$1")
  [ "$src_id" != none ] || { echo "missing $1" >&2; return 1; }
  [ "$(id_of "$2")" = none ] || { echo "exists $2" >&2; return 1; }
  mv -T "$1" "$2" || return 1
  if [ "$(id_of "$2")" = "$src_id" ] && [ "$(id_of "$1")" = none ]; then return 0; fi
  echo "not-a-rename $1" >&2
  return 2
}

# One framed record: "@@<name> <bytes>" and a newline, then the file's bytes.
emit() {
  n=$(wc -c < "$2") || return 1
  printf '@@%s %d\n' "$1" "$((n))"
  cat "$2"
}

# The whole tree under the current directory, never following a link: every name
# (NUL-separated), one line of numbers per name in the same order (type and mode in hex, owner,
# size, inode, link count, device major and minor in hex), and each symlink's target.
list_tree() {
  w=$1
  find . -print0 > "$w/names" || return 1
  xargs -0 stat -c '%f %u %g %s %i %h %t %T' < "$w/names" > "$w/stats" || return 1
  find . -type l -print0 > "$w/links" || return 1
  xargs -0 -r -n 1 readlink < "$w/links" > "$w/targets" || return 1
  emit names "$w/names" && emit stats "$w/stats" && emit links "$w/links" && emit targets "$w/targets"
}

cmd=$1
shift
case $cmd in
tools)
  missing=
  for t in find stat du mv rm mkdir sha256sum xargs cat readlink wc printf basename; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
  done
  echo "missing=$missing"
  ;;

probe)
  d=$1 n=$2
  work=/tmp/berth-probe-$$
  rm -rf "$work"
  mkdir -p "$work" || exit 1
  if [ -d "$d" ]; then
    {
      echo "parent=$(stat -c '%d:%i' "$d")"
      echo "fstype=$(stat -f -c '%t' "$d")"
      if [ -L "$d/$n" ]; then echo "live=symlink"
      elif [ -d "$d/$n" ]; then echo "live=$(stat -c '%d:%i %u %g %a' "$d/$n")"
      elif [ -e "$d/$n" ]; then echo "live=not-a-directory"
      else echo "live=missing"
      fi
      probe="$d/.berth-restore-probe-$$"
      if mkdir "$probe" 2>/dev/null; then rm -rf "$probe"; echo "writable=yes"; else echo "writable=no"; fi
      # Free blocks for unprivileged use, the block size they count in, free and total inodes.
      echo "space=$(stat -f -c '%a %S %d %c' "$d")"
    } > "$work/facts"
    : > "$work/du"
    if [ -d "$d/$n" ] && [ ! -L "$d/$n" ]; then du -s -k -x "$d/$n" > "$work/du" 2>/dev/null || du -s -k "$d/$n" > "$work/du" 2>/dev/null; fi
    cat /proc/self/mountinfo > "$work/mountinfo"
  else
    echo "error=parent-missing" > "$work/facts"
    : > "$work/du"
    : > "$work/mountinfo"
  fi
  emit facts "$work/facts" && emit du "$work/du" && emit mountinfo "$work/mountinfo" || exit 1
  printf '@@end 0\n'
  rm -rf "$work"
  ;;

mkstage)
  d=$1 s=$2
  mkdir -m 700 "$d/$s" || exit 1
  echo "id=$(stat -c '%d:%i' "$d/$s")"
  ;;

verify)
  d=$1 s=$2
  work=/tmp/berth-verify-$$
  rm -rf "$work"
  mkdir -p "$work" || exit 1
  cd "$d/$s" || exit 1
  list_tree "$work" || exit 1
  find . -type f -print0 > "$work/files" || exit 1
  # Two hashers at once, 64 files per batch; each batch appends its names and its hashes to files
  # of its own (a reused PID appends a later batch after an earlier one, in the same order in
  # both), so the backend knows which names each hash line belongs to. The inner script is in
  # single quotes on purpose: its $0, $@ and $$ belong to the sh that xargs starts.
  # shellcheck disable=SC2016
  xargs -0 -r -n 64 -P 2 sh -c 'printf "%s\0" "$@" >> "$0/b.$$.n" && sha256sum "$@" >> "$0/b.$$.h"' "$work" < "$work/files" || exit 1
  for b in "$work"/b.*.n; do
    if [ -e "$b" ]; then
      h="$work/$(basename "$b" .n).h"
      n1=$(wc -c < "$b") && n2=$(wc -c < "$h") || exit 1
      printf '@@batch %d %d\n' "$((n1))" "$((n2))"
      cat "$b" "$h"
    fi
  done
  printf '@@end 0\n'
  rm -rf "$work"
  ;;

list)
  d=$1 a=$2
  work=/tmp/berth-list-$$
  rm -rf "$work"
  mkdir -p "$work" || exit 1
  cd "$d/$a" || exit 1
  list_tree "$work" || exit 1
  printf '@@end 0\n'
  rm -rf "$work"
  ;;

agent)
  count=$1
  shift
  # Set for each command from the volume it names (the eval below).
  d='' l='' s='' a='' c='' o='' nw=''
  i=0
  while [ "$i" -lt "$count" ]; do
    eval "D$i=\$1 L$i=\$2 S$i=\$3 A$i=\$4 C$i=\$5 O$i=\$6 N$i=\$7"
    shift 7
    i=$((i + 1))
  done
  echo ready
  while read -r op idx; do
    case $idx in
      ''|*[!0-9]*) [ "$op" = exit ] || { echo "fail $op bad-index"; continue; } ;;
      *) [ "$idx" -lt "$count" ] || { echo "fail $op bad-index"; continue; }
         eval "d=\$D$idx l=\$L$idx s=\$S$idx a=\$A$idx c=\$C$idx o=\$O$idx nw=\$N$idx" ;;
    esac
    case $op in
      exit)
        echo bye
        exit 0
        ;;
      ids)
        echo "ok ids live=$(id_of "$d/$l") stage=$(id_of "$d/$s") aside=$(id_of "$d/$a") conflict=$(id_of "$d/$c")"
        ;;
      aside)
        if [ "$(id_of "$d/$l")" != "$o" ]; then echo "fail aside live-changed"
        elif move "$d/$l" "$d/$a"; then echo "ok aside"
        else echo "fail aside rename"
        fi
        ;;
      swapin)
        if [ "$(id_of "$d/$s")" != "$nw" ]; then echo "fail swapin stage-changed"
        elif [ "$(id_of "$d/$l")" != none ]; then echo "fail swapin live-occupied"
        elif [ "$(id_of "$d/$a")" != "$o" ]; then echo "fail swapin aside-missing"
        elif move "$d/$s" "$d/$l"; then echo "ok swapin"
        else echo "fail swapin rename"
        fi
        ;;
      settle-old)
        # Drive the volume to "old data live", whatever step a crash interrupted.
        live=$(id_of "$d/$l")
        if [ "$live" = "$o" ]; then echo "ok settle-old already"; continue; fi
        if [ "$(id_of "$d/$a")" != "$o" ]; then echo "fail settle-old old-not-found"; continue; fi
        note=
        if [ "$live" = none ]; then :
        elif [ "$live" = "$nw" ] && [ "$(id_of "$d/$s")" = none ]; then
          move "$d/$l" "$d/$s" || { echo "fail settle-old unswap"; continue; }
        elif is_empty_dir "$d/$l"; then
          # An empty directory the engine created when something started the container meanwhile.
          rm -rf "${d:?}/${l:?}" || { echo "fail settle-old remove-empty"; continue; }
          note=removed-empty
        else
          move "$d/$l" "$d/$c" || { echo "fail settle-old keep-conflict"; continue; }
          note=conflict
        fi
        if move "$d/$a" "$d/$l"; then echo "ok settle-old moved${note:+ $note}"; else echo "fail settle-old restore"; fi
        ;;
      settle-new)
        live=$(id_of "$d/$l")
        if [ "$live" = "$nw" ]; then echo "ok settle-new already"
        elif [ "$live" = none ] && [ "$(id_of "$d/$s")" = "$nw" ] && [ "$(id_of "$d/$a")" = "$o" ]; then
          if move "$d/$s" "$d/$l"; then echo "ok settle-new moved"; else echo "fail settle-new rename"; fi
        else echo "fail settle-new unexpected"
        fi
        ;;
      rmstage)
        if [ "$(id_of "$d/$s")" = none ]; then echo "ok rmstage absent"
        elif [ "$(id_of "$d/$s")" = "$(id_of "$d/$l")" ]; then echo "fail rmstage is-live"
        else
          rm -rf "${d:?}/${s:?}"
          if [ "$(id_of "$d/$s")" = none ]; then echo "ok rmstage removed"; else echo "fail rmstage remains"; fi
        fi
        ;;
      rmaside)
        # Only ever the old data, and only while the new data is live.
        if [ "$(id_of "$d/$a")" = none ]; then echo "ok rmaside absent"
        elif [ "$(id_of "$d/$a")" != "$o" ]; then echo "fail rmaside not-old"
        elif [ "$(id_of "$d/$l")" != "$nw" ]; then echo "fail rmaside new-not-live"
        else
          rm -rf "${d:?}/${a:?}"
          if [ "$(id_of "$d/$a")" = none ]; then echo "ok rmaside removed"; else echo "fail rmaside remains"; fi
        fi
        ;;
      *)
        echo "fail $op unknown"
        ;;
    esac
  done
  exit 0
  ;;

*)
  echo "unknown subcommand $cmd" >&2
  exit 2
  ;;
esac
