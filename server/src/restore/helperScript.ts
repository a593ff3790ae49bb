// The POSIX sh script that runs inside the restore helper container. It is the only code that
// touches the engine host's filesystem, and it only ever does so under the parent directories the
// helper mounts (/berth/p<k>). It relies on a small set of tools that busybox and coreutils both
// have (`tools` lists them) and does no parsing of its own: it prints raw facts and the backend
// decides. Every rename checks inode numbers before and after, so a rename can never act on a
// directory other than the one the journal names, and a `mv` that fell back to copying (EXDEV)
// is detected instead of trusted.
//
// Subcommands (argv after the script):
//   tools                            missing=<names>
//   probe <dir> <live>               facts about a target and its parent (see probe.ts)
//   mkstage <dir> <stage>            creates the staging directory (mode 0700); prints its id
//   verify <dir> <stage>             the staged tree: @@stat lines, @@sha lines, @@link pairs
//   agent <n> (<dir> <live> <stage> <aside> <conflict> <oldId> <newId>){n}
//                                    reads commands on stdin, one answer line each:
//     ids | aside <i> | swapin <i> | settle-old <i> | settle-new <i> | rmstage <i> | rmaside <i> | exit
//   The agent acts only on commands: when the backend dies, stdin closes and the agent exits
//   without touching anything more.
export const HELPER_SCRIPT = String.raw`
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
  [ "$(id_of "$2")" = "$src_id" ] && [ "$(id_of "$1")" = none ] || { echo "not-a-rename $1" >&2; return 2; }
  return 0
}

cmd=$1
shift
case $cmd in
tools)
  missing=
  for t in find stat df du mv rm mkdir sha256sum xargs cat readlink; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
  done
  echo "missing=$missing"
  ;;

probe)
  d=$1 n=$2
  [ -d "$d" ] || { echo "error=parent-missing"; exit 0; }
  echo "parent=$(stat -c '%d:%i' "$d")"
  echo "fstype=$(stat -f -c '%t' "$d")"
  if [ -L "$d/$n" ]; then echo "live=symlink"
  elif [ -d "$d/$n" ]; then echo "live=$(stat -c '%d:%i %u %g %a' "$d/$n")"
  elif [ -e "$d/$n" ]; then echo "live=not-a-directory"
  else echo "live=missing"
  fi
  probe="$d/.berth-restore-probe-$$"
  if mkdir "$probe" 2>/dev/null; then rm -rf "$probe"; echo "writable=yes"; else echo "writable=no"; fi
  echo "@@df"
  df -P -k "$d" 2>/dev/null
  echo "@@dfi"
  df -i "$d" 2>/dev/null
  echo "@@du"
  if [ -d "$d/$n" ] && [ ! -L "$d/$n" ]; then du -s -k -x "$d/$n" 2>/dev/null || du -s -k "$d/$n" 2>/dev/null; fi
  echo "@@mountinfo"
  cat /proc/self/mountinfo
  echo "@@end"
  ;;

mkstage)
  d=$1 s=$2
  mkdir -m 700 "$d/$s" || exit 1
  echo "id=$(stat -c '%d:%i' "$d/$s")"
  ;;

verify)
  d=$1 s=$2
  cd "$d/$s" || exit 1
  work=/tmp/berth-verify-$$
  rm -rf "$work"
  mkdir -p "$work" || exit 1
  echo "@@stat"
  find . -exec stat -c '%f %u %g %s %n' {} + || exit 1
  echo "@@sha"
  # Two hashers at once; each writes its own file, so lines never interleave.
  find . -type f -print0 | xargs -0 -r -P 2 -n 64 sh -c 'sha256sum "$@" >> "$0/sha.$$"' "$work" || exit 1
  for f in "$work"/sha.*; do
    if [ -e "$f" ]; then cat "$f"; fi
  done
  echo "@@link"
  find . -type l -exec sh -c 'for f; do printf "%s\n" "$f"; readlink "$f"; done' sh {} + || exit 1
  echo "@@end"
  rm -rf "$work"
  ;;

agent)
  count=$1
  shift
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
          rm -rf "$d/$l" || { echo "fail settle-old remove-empty"; continue; }
          note=removed-empty
        else
          move "$d/$l" "$d/$c" || { echo "fail settle-old keep-conflict"; continue; }
          note=conflict
        fi
        if move "$d/$a" "$d/$l"; then echo "ok settle-old moved $note"; else echo "fail settle-old restore"; fi
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
          rm -rf "$d/$s"
          if [ "$(id_of "$d/$s")" = none ]; then echo "ok rmstage removed"; else echo "fail rmstage remains"; fi
        fi
        ;;
      rmaside)
        # Only ever the old data, and only while the new data is live.
        if [ "$(id_of "$d/$a")" = none ]; then echo "ok rmaside absent"
        elif [ "$(id_of "$d/$a")" != "$o" ]; then echo "fail rmaside not-old"
        elif [ "$(id_of "$d/$l")" != "$nw" ]; then echo "fail rmaside new-not-live"
        else
          rm -rf "$d/$a"
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
`;
