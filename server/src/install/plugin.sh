# shellcheck shell=sh
# Berth's in-container plugin protocol (docs/plugins.md). The backend runs it as
#   sh -c "<this script>" berth <op> <root> [args...]
# inside the workload (or a helper container that mounts the same volume), with the env
# variables BERTH_CRASH_AT and BERTH_FAULT_AT always set (maybe empty).
#
# Bundled as text (esbuild loader `.sh: text`); unit-tested under dash and busybox sh
# (test/unit/plugins-script.test.ts).
#
# POSIX sh only. External tools: mkdir, mv, rm; tar for `install stream`; df, sync and chmod
# when present. Everything else uses shell builtins, so an install costs few forks.
#
# stdout is a protocol of records the backend parses (server/src/install/script.ts). A record
# is a keyword and a fixed number of fields, each ended by a NUL byte, then a newline:
#   KEYWORD NUL (field NUL)*arity LF
# No field can hold a NUL (a shell string cannot, nor can a file name), so no name, link target
# or tool message, whatever else it holds (newlines included), can end a field or a record early
# or pass for another; the arity is fixed per keyword and the newline after the last field is
# checked, so a record that does not parse is an error in the backend, never skipped.
# Keywords and their fields:
#   BERTH <version=2>                 the script runs (proves there is a shell); always first
#   STEP <step>                       a named step begins (crash seam, progress, logs)
#   OK <step>                         the step finished
#   INFO <key> <value>                facts for the result (previous stamp, gc count, marker)
#   WARN <text>                       something best-effort did not work
#   FAIL <step> <text>                the step failed; the text is the cause
#   ROLLBACK <text>                   what was rolled back after a failure
#   ROLLBACKFAIL <text>               the rollback itself failed, and why
#   RECOVERED <name> <how>            the sweep finished an interrupted operation
#                                     (how: rolled-back | rolled-forward)
#   REMOVED <entry>                   the sweep deleted a leftover (.staging/<n>, .previous/<n>)
#   NOTAR | NOTFOUND <text> | CONFLICT <text>
#   ROOT <present|missing>            (list, sweep)
#   LIVE <name> <complete|incomplete> <marker>          (list; the marker's first line, or empty)
#   PREV <name> <stamp> <complete|incomplete> <marker>  (list)
#   STAGING <entry> | JUNK <previous|staging>           (list)
#   CRASH <step>                      the crash seam is about to kill the script
#   DONE                              the operation finished; nothing follows
# Exit codes: 0 done, 2 usage, 3 no tar (the backend falls back to putArchive), 4 not found,
# 10 failed and rolled back, 11 failed and the rollback failed too, 12 the marker failed,
# 13 conflict.
set -u
umask 022
LC_ALL=C
export LC_ALL
BERTH_CRASH_AT=${BERTH_CRASH_AT:-}
BERTH_FAULT_AT=${BERTH_FAULT_AT:-}

op=${1:-}
root=${2:-}
st=$root/.staging
pv=$root/.previous
cur=
err=
nl='
'

# One record (see the header): every argument is a field ended by NUL, the record by a newline.
say() {
  printf '%s\0' "$@"
  printf '\n'
}

# Flattens a tool's multi-line message to one line, so error messages read as one sentence
# (the record framing does not need it: a field may hold newlines).
flat() {
  f_rest=$1
  f_out=
  while :; do
    case $f_rest in
      *"$nl"*) f_out="$f_out${f_rest%%"$nl"*} "; f_rest=${f_rest#*"$nl"} ;;
      *) f_out="$f_out$f_rest"; break ;;
    esac
  done
  printf '%s' "$f_out"
}

# A named step: announced first, then the crash seam, so a crash leaves exactly the state
# before the step.
step() {
  cur=$1
  say STEP "$1"
  case ",$BERTH_CRASH_AT," in *",$1,"*) say CRASH "$1"; kill -9 $$ ;; esac
}

ok() { say OK "$cur"; }

# The fault seam for tests: makes the named action fail as if the OS had refused it.
faulted() {
  case ",$BERTH_FAULT_AT," in *",$1,"*) err="injected fault at $1 (BERTH_FAULT_AT)"; return 0 ;; esac
  return 1
}

is_name() {
  case $1 in '' | . | .. | .* | *[!A-Za-z0-9._-]*) return 1 ;; esac
  return 0
}

is_stamp() {
  case $1 in
    *[!0-9A-Za-z-]*) return 1 ;;
    [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]Z-[0-9]*-[0-9a-f]*) return 0 ;;
  esac
  return 1
}

exists() { [ -e "$1" ] || [ -L "$1" ]; }

# Deletes a tree, making read-only directories writable first; fails if anything remains.
wipe() {
  exists "$1" || return 0
  rm -rf -- "$1" 2>/dev/null && ! exists "$1" && return 0
  chmod -R u+w -- "$1" 2>/dev/null
  err=$(rm -rf -- "$1" 2>&1)
  if exists "$1"; then err="cannot remove $1: $(flat "$err")"; return 1; fi
  return 0
}

# A pure rename(2). mv falls back to copy-and-delete when rename fails with EXDEV (another
# filesystem, or a directory of the image's overlayfs layer); the file-size limit of 0 kills
# that copy at its first byte, so the fallback can never run to completion unnoticed.
rn() {
  if exists "$2"; then err="cannot rename $1 to $2: the target already exists"; return 1; fi
  if faulted "$cur"; then return 1; fi
  err=$(ulimit -f 0 2>/dev/null; exec mv -f -- "$1" "$2" 2>&1)
  r_rc=$?
  if [ "$r_rc" -eq 0 ] && ! exists "$1"; then return 0; fi
  if exists "$2" && exists "$1"; then
    wipe "$2" || :
    err="EXDEV: cannot rename $1 to $2 in place: they are on different filesystems, or $1 belongs to the container image's layer (overlayfs cannot rename such directories)"
  elif [ "$r_rc" -gt 128 ]; then
    err="EXDEV: cannot rename $1 to $2 in place (mv fell back to copying and was stopped): they are on different filesystems, or $1 belongs to the container image's layer"
  else
    err="cannot rename $1 to $2: $(flat "$err")"
    case $err in
      *"busy"* | *"Busy"*) err="$err (EBUSY: $1 or $2 is a mount point, which cannot be renamed)" ;;
    esac
  fi
  return 1
}

durable() {
  command -v sync >/dev/null 2>&1 || return 0
  sync -f "$1" 2>/dev/null || sync 2>/dev/null || :
}

# Writes the one-line marker to a temp file and renames it into place. The write is tried
# first without capturing its error (a command substitution costs a fork), and repeated with
# the capture only when it failed, to report the OS's reason.
write_marker() {
  if faulted "$cur"; then return 1; fi
  if ! { printf '{"berth":1,"name":"%s","stamp":"%s","version":"%s"}\n' "$2" "$3" "$4" > "$1/.complete.tmp"; } 2>/dev/null &&
    ! err=$( { printf '{"berth":1,"name":"%s","stamp":"%s","version":"%s"}\n' "$2" "$3" "$4" > "$1/.complete.tmp"; } 2>&1 ); then
    err="cannot write $1/.complete: $(flat "$err")"
    rm -f -- "$1/.complete.tmp" 2>/dev/null
    return 1
  fi
  if ! err=$(mv -f -- "$1/.complete.tmp" "$1/.complete" 2>&1); then
    err="cannot write $1/.complete: $(flat "$err")"
    rm -f -- "$1/.complete.tmp" 2>/dev/null
    return 1
  fi
  return 0
}

# Like write_marker: the journal's temp file, then a rename; the error captured only on failure.
write_journal() {
  if faulted "$cur"; then return 1; fi
  if ! { printf 'op %s\nname %s\nstamp %s\nfrom %s\nversion %s\nphase %s\n' "$2" "$3" "$4" "$5" "$6" "$7" > "$1.tmp"; } 2>/dev/null &&
    ! err=$( { printf 'op %s\nname %s\nstamp %s\nfrom %s\nversion %s\nphase %s\n' "$2" "$3" "$4" "$5" "$6" "$7" > "$1.tmp"; } 2>&1 ); then
    err="cannot write the journal $1: $(flat "$err")"
    rm -f -- "$1.tmp" 2>/dev/null
    return 1
  fi
  if ! err=$(mv -f -- "$1.tmp" "$1" 2>&1); then
    err="cannot write the journal $1: $(flat "$err")"
    rm -f -- "$1.tmp" 2>/dev/null
    return 1
  fi
  return 0
}

# Is <root>/.previous/<name>.<stamp> the newest previous version of <name>?
newest() {
  for n_e in "$pv/$1".*; do
    exists "$n_e" || continue
    n_b=${n_e##*/}
    [ "${n_b%.*}" = "$1" ] || continue
    n_s=${n_b##*.}
    is_stamp "$n_s" || continue
    # POSIX leaves test's string \> undefined, but every /bin/sh a container has (dash, busybox
    # ash, bash, mksh, ksh, zsh, yash) compares bytes with it, as the backend's sort of stamps
    # does; a portable compare would fork per entry.
    # shellcheck disable=SC3012
    [ "$n_s" \> "$2" ] && return 1
  done
  return 0
}

# Finishes or undoes the operation a journal describes. The rename of the staged directory
# onto the live name is the commit point: before it, recovery rolls back; after it, forward.
recover() {
  j_op=; j_name=; j_stamp=; j_from=; j_version=; j_phase=
  while read -r j_k j_v; do
    case $j_k in
      op) j_op=$j_v ;; name) j_name=$j_v ;; stamp) j_stamp=$j_v ;; from) j_from=$j_v ;;
      version) j_version=$j_v ;; phase) j_phase=$j_v ;;
    esac
  done < "$1"
  if ! is_name "$j_name" || ! is_stamp "$j_stamp"; then
    quarantine_journal "$1"
    return $?
  fi
  r_L=$root/$j_name
  r_S=$st/$j_name.$j_stamp
  r_P=$pv/$j_name.$j_stamp
  case $j_op in
    install)
      if [ -d "$r_S" ] || [ "$j_phase" = rollback ]; then
        if exists "$r_L"; then
          wipe "$r_P" || { say WARN "$err"; return 1; }
        elif exists "$r_P"; then
          rn "$r_P" "$r_L" || { say WARN "$err"; return 1; }
        fi
        wipe "$r_S" || { say WARN "$err"; return 1; }
        say RECOVERED "$j_name" rolled-back
      elif [ -d "$r_L" ]; then
        if [ ! -f "$r_L/.complete" ]; then
          write_marker "$r_L" "$j_name" "$j_stamp" "$j_version" || { say WARN "$err"; return 1; }
          durable "$r_L"
        fi
        say RECOVERED "$j_name" rolled-forward
      elif exists "$r_P"; then
        rn "$r_P" "$r_L" || { say WARN "$err"; return 1; }
        say RECOVERED "$j_name" rolled-back
      fi
      ;;
    rollback)
      r_F=$pv/$j_name.$j_from
      if ! is_stamp "$j_from"; then
        quarantine_journal "$1"
        return $?
      elif exists "$r_L"; then
        if exists "$r_F"; then
          wipe "$r_P" || { say WARN "$err"; return 1; }
          say RECOVERED "$j_name" rolled-back
        else
          say RECOVERED "$j_name" rolled-forward
        fi
      elif exists "$r_F"; then
        rn "$r_F" "$r_L" || { say WARN "$err"; return 1; }
        say RECOVERED "$j_name" rolled-forward
      elif exists "$r_P"; then
        rn "$r_P" "$r_L" || { say WARN "$err"; return 1; }
        say RECOVERED "$j_name" rolled-back
      fi
      ;;
    *)
      quarantine_journal "$1"
      return $?
      ;;
  esac
  rm -f -- "$1"
  durable "$root"
  return 0
}

# A journal that cannot be read (or names no valid plugin, stamp or operation) says nothing about
# how far its operation got. It is never taken for "nothing to do": deleting it would let the
# clean step wipe the staged copy and the set-aside live version, which may be the only copy of
# the plugin. Its file name still names <name>.<stamp>, and the file system shows enough to undo
# safely: .previous/<name>.<stamp> is always the version that was live when that operation began
# (install.aside and rollback.aside are its only writers), so when nothing is live it is put
# back; when something is live it stays a previous version. The journal and the staged copy are
# moved into .quarantine/<name>.<stamp>/ for a person to look at; nothing is deleted.
quarantine_journal() {
  q_b=${1##*/}
  q_b=${q_b%.journal}
  q_n=${q_b%.*}
  q_dir=$root/.quarantine/$q_b
  q_i=0
  while exists "$q_dir"; do q_i=$((q_i + 1)); q_dir=$root/.quarantine/$q_b.$q_i; done
  if ! err=$(mkdir -p -- "$q_dir" 2>&1); then say WARN "cannot create $q_dir: $(flat "$err")"; return 1; fi
  if [ "$q_n" != "$q_b" ] && is_name "$q_n" && ! exists "$root/$q_n" && [ -d "$pv/$q_b" ]; then
    rn "$pv/$q_b" "$root/$q_n" || { say WARN "$err"; return 1; }
    say RECOVERED "$q_n" rolled-back
  fi
  if exists "$st/$q_b"; then rn "$st/$q_b" "$q_dir/staged" || { say WARN "$err"; return 1; }; fi
  rn "$1" "$q_dir/journal" || { say WARN "$err"; return 1; }
  durable "$root"
  say WARN "unreadable journal $1: moved into quarantine at $q_dir with its staged copy; nothing was deleted"
  return 0
}

# Recovers journals, then deletes every other .staging entry and every .previous entry that is
# not the newest previous version of a live plugin. Idempotent. $1 = the step prefix.
sweep() {
  exists "$st" || exists "$pv" || return 0
  s_failed=0
  s_keep=' '
  step "$1.recover"
  for s_j in "$st"/*.journal; do
    [ -f "$s_j" ] || continue
    if ! recover "$s_j"; then
      s_failed=1
      s_b=${s_j##*/}
      s_keep="$s_keep${s_b%.journal} "
    fi
  done
  step "$1.clean"
  for s_e in "$st"/* "$st"/.[!.]* "$st"/..?*; do
    exists "$s_e" || continue
    s_b=${s_e##*/}
    case $s_keep in *" ${s_b%.journal} "*) continue ;; esac
    if wipe "$s_e"; then say REMOVED ".staging/$s_b"; else say WARN "$err"; s_failed=1; fi
  done
  for s_e in "$pv"/* "$pv"/.[!.]* "$pv"/..?*; do
    exists "$s_e" || continue
    s_b=${s_e##*/}
    s_n=${s_b%.*}
    s_s=${s_b##*.}
    if [ "$s_n" != "$s_b" ] && is_name "$s_n" && is_stamp "$s_s" && [ -d "$root/$s_n" ] && newest "$s_n" "$s_s"; then
      continue
    fi
    case $s_keep in *" $s_n.$s_s "*) continue ;; esac
    if wipe "$s_e"; then say REMOVED ".previous/$s_b"; else say WARN "$err"; s_failed=1; fi
  done
  return "$s_failed"
}

prepare() {
  step install.prepare
  if faulted install.prepare; then say FAIL install.prepare "$err"; exit 10; fi
  if [ -d "$st" ] && [ -d "$pv" ]; then ok; return 0; fi
  if ! err=$(mkdir -p -- "$st" "$pv" 2>&1); then
    say FAIL install.prepare "cannot create $st and $pv: $(flat "$err")"
    exit 10
  fi
  ok
}

# Refuses early when df says the plugin cannot fit (a lower bound: small files take more).
space_check() {
  command -v df >/dev/null 2>&1 || return 0
  sc_need=$1
  # `df -P` prints a 7-word header, then: filesystem, blocks, used, available, capacity, mount.
  set -f
  # shellcheck disable=SC2046
  set -- $(df -Pk "$root" 2>/dev/null)
  set +f
  [ "$#" -ge 11 ] || return 0
  shift 7
  sc_avail=$4
  set -- "$sc_need"
  case $sc_avail in '' | *[!0-9]*) return 0 ;; esac
  sc_need=$(( $1 / 1024 + 1 ))
  if [ "$sc_avail" -lt "$sc_need" ]; then
    err="ENOSPC: not enough space in $root: the plugin needs at least $sc_need KiB, $sc_avail KiB are free"
    return 1
  fi
  return 0
}

# Failure before the swap: remove what this install staged; the live plugin is untouched.
undo_stage() {
  say FAIL "$cur" "$1"
  cur=install.rollback
  if faulted install.rollback || ! wipe "$S" || ! wipe "$J"; then
    say ROLLBACKFAIL "could not remove the staged copy $S: $err"
    exit 11
  fi
  rm -f -- "$J.tmp" 2>/dev/null
  say ROLLBACK "removed the staged copy; the live plugin is untouched"
  exit 10
}

install() {
  name=${3:-}
  stamp=${4:-}
  version=${5:-}
  bytes=${6:-0}
  mode=${7:-stream}
  if ! is_name "$name" || ! is_stamp "$stamp"; then say FAIL install.prepare "bad arguments"; exit 2; fi
  L=$root/$name
  S=$st/$name.$stamp
  P=$pv/$name.$stamp
  J=$st/$name.$stamp.journal
  had_previous=no

  if [ "$mode" = stream ]; then
    prepare
    if ! sweep install.sweep; then
      say FAIL install.sweep "leftovers of an earlier operation could not be cleaned up; nothing was installed"
      exit 10
    fi
    command -v tar >/dev/null 2>&1 || { say NOTAR; exit 3; }
    step install.stage
    if ! space_check "$bytes"; then say FAIL install.stage "$err"; say ROLLBACK "nothing was written"; exit 10; fi
    if faulted install.stage || ! err=$(mkdir -- "$S" 2>&1); then undo_stage "cannot create $S: $(flat "$err")"; fi
    # The archive's modes are already decided (permission bits, sticky on folders, never
    # setuid/setgid); umask 0 applies them as they are for a container user other than root,
    # as root's tar does anyway, instead of masking 1777 into 1755.
    if ! err=$(umask 0; tar -x -o -f - -C "$S" 2>&1); then undo_stage "extracting into $S failed: $(flat "$err")"; fi
    ok
  fi

  step install.verify
  s_line=
  if [ -f "$S/.berth-end" ]; then IFS= read -r s_line < "$S/.berth-end" || :; fi
  if [ "$s_line" != "$stamp" ]; then
    undo_stage "the archive did not arrive complete (the upload was cancelled or interrupted)"
  fi
  rm -f -- "$S/.berth-end"
  ok

  step install.journal
  if ! write_journal "$J" install "$name" "$stamp" - "$version" staged; then undo_stage "$err"; fi
  durable "$S"
  ok

  step install.aside
  if exists "$L"; then
    if ! rn "$L" "$P"; then undo_stage "$err"; fi
    had_previous=yes
    say INFO previous "$stamp"
  fi
  ok

  step install.swap
  if ! rn "$S" "$L"; then
    say FAIL install.swap "$err"
    cur=install.rollback
    write_journal "$J" install "$name" "$stamp" - "$version" rollback || :
    if [ "$had_previous" = yes ]; then
      if faulted install.rollback || ! rn "$P" "$L"; then
        say ROLLBACKFAIL "could not put the previous version back from $P to $L: $err"
        exit 11
      fi
      what="renamed the previous version back to live"
    else
      what="the live plugin stays absent"
    fi
    if ! wipe "$S" || ! wipe "$J"; then
      say ROLLBACKFAIL "$what, but could not remove the staged copy $S: $err"
      exit 11
    fi
    say ROLLBACK "removed the staged copy; $what"
    exit 10
  fi
  ok

  step install.marker
  if ! write_marker "$L" "$name" "$stamp" "$version"; then
    say FAIL install.marker "$err"
    rm -f -- "$J" 2>/dev/null
    exit 12
  fi
  rm -f -- "$J"
  ok

  step install.gc
  gc=0
  g_doomed=
  for g_e in "$pv/$name".*; do
    exists "$g_e" || continue
    g_b=${g_e##*/}
    { [ "${g_b%.*}" = "$name" ] && is_stamp "${g_b##*.}"; } || continue
    [ "$g_e" = "$P" ] && [ "$had_previous" = yes ] && continue
    # One rename takes the older version out of .previous at once; deleting it can wait.
    if rn "$g_e" "$st/$g_b.removed"; then
      gc=$((gc + 1))
      g_doomed=yes
    elif wipe "$g_e"; then
      gc=$((gc + 1))
    else
      say WARN "$err"
    fi
  done
  if [ -n "$g_doomed" ]; then
    if reaps_orphans; then
      # Detached from the exec's stdin, stdout and stderr, so the exec ends now; whatever it
      # leaves (a kill, a failure) is a .staging leftover for the next sweep. A deleter of an
      # earlier install may still be at work on its own entries: two rm -rf end the same way.
      ( gc_removed ) < /dev/null > /dev/null 2>&1 &
    else
      gc_removed
    fi
  fi
  say INFO gc "$gc"
  ok
  say DONE
}

# Deletes this plugin's older versions that the GC set aside in .staging.
gc_removed() {
  for g_e in "$st/$name".*.removed; do
    exists "$g_e" || continue
    wipe "$g_e" || say WARN "$err; the next sweep removes it"
  done
}

# May a process outlive this exec? It is adopted by the container's PID 1, which must reap it
# or it stays a zombie. A zombie adopted by PID 1 more than 2 s ago (read from /proc with
# builtins; a shell as PID 1 reaps between its own commands, so younger ones are normal) says
# PID 1 does not reap: the GC then runs in the foreground, and zombies stay few.
reaps_orphans() {
  z_now=
  # z_rest takes the rest of the line, so z_now holds the whole seconds alone.
  # shellcheck disable=SC2034
  { IFS=' .' read -r z_now z_rest < /proc/uptime; } 2>/dev/null || return 0
  case $z_now in '' | *[!0-9]*) return 0 ;; esac
  for z_f in /proc/[0-9]*/stat; do
    z_l=
    { IFS= read -r z_l < "$z_f"; } 2>/dev/null || continue
    z_l=${z_l##*) }
    case $z_l in "Z 1 "*) ;; *) continue ;; esac
    set -f
    # shellcheck disable=SC2086
    set -- $z_l
    set +f
    # Field 20 after the name is the start time in clock ticks (USER_HZ, 100) since boot.
    [ "$#" -ge 20 ] || continue
    shift 19
    case $1 in '' | *[!0-9]*) continue ;; esac
    [ $(( $1 / 100 + 2 )) -lt "$z_now" ] && return 1
  done
  return 0
}

rollback() {
  name=${3:-}
  stamp=${4:-}
  if ! is_name "$name" || ! is_stamp "$stamp"; then say FAIL rollback.prepare "bad arguments"; exit 2; fi
  L=$root/$name
  A=$pv/$name.$stamp
  J=$st/$name.$stamp.journal
  if ! sweep rollback.sweep; then
    say FAIL rollback.sweep "leftovers of an earlier operation could not be cleaned up; nothing was changed"
    exit 10
  fi
  from=
  for b_e in "$pv/$name".*; do
    exists "$b_e" || continue
    b_b=${b_e##*/}
    [ "${b_b%.*}" = "$name" ] || continue
    b_s=${b_b##*.}
    is_stamp "$b_s" || continue
    # test's \> compares bytes in every container sh (see newest()).
    # shellcheck disable=SC3012
    if [ -z "$from" ] || [ "$b_s" \> "$from" ]; then from=$b_s; fi
  done
  if [ -z "$from" ]; then say NOTFOUND "there is no previous version of $name in $pv"; exit 4; fi
  F=$pv/$name.$from
  if [ ! -d "$F" ] || [ ! -f "$F/.complete" ]; then
    say CONFLICT "the previous version $F has no .complete marker: it was never fully installed, so Berth does not roll back to it"
    exit 13
  fi
  say INFO from "$from"
  b_m=
  IFS= read -r b_m < "$F/.complete" || :
  say INFO marker "$b_m"
  step rollback.journal
  mkdir -p -- "$st" 2>/dev/null
  if ! write_journal "$J" rollback "$name" "$stamp" "$from" - staged; then say FAIL rollback.journal "$err"; say ROLLBACK "nothing was changed"; exit 10; fi
  durable "$st"
  ok
  step rollback.aside
  aside=no
  if exists "$L"; then
    if ! rn "$L" "$A"; then
      say FAIL rollback.aside "$err"
      rm -f -- "$J"
      say ROLLBACK "nothing was changed; the live plugin is untouched"
      exit 10
    fi
    aside=yes
    say INFO replaced "$stamp"
  fi
  ok
  step rollback.restore
  if ! rn "$F" "$L"; then
    say FAIL rollback.restore "$err"
    cur=rollback.undo
    if [ "$aside" = yes ]; then
      if faulted rollback.undo || ! rn "$A" "$L"; then say ROLLBACKFAIL "could not put $A back to $L: $err"; exit 11; fi
    fi
    rm -f -- "$J"
    say ROLLBACK "the live plugin is back as it was"
    exit 10
  fi
  ok
  step rollback.finish
  rm -f -- "$J"
  durable "$root"
  ok
  say DONE
}

remove() {
  name=${3:-}
  stamp=${4:-}
  if ! is_name "$name" || ! is_stamp "$stamp"; then say FAIL remove.prepare "bad arguments"; exit 2; fi
  L=$root/$name
  R=$st/$name.$stamp.removed
  if ! sweep remove.sweep; then
    say FAIL remove.sweep "leftovers of an earlier operation could not be cleaned up; nothing was removed"
    exit 10
  fi
  found=no
  exists "$L" && found=yes
  for m_e in "$pv/$name".*; do
    exists "$m_e" || continue
    m_b=${m_e##*/}
    [ "${m_b%.*}" = "$name" ] && is_stamp "${m_b##*.}" && found=yes
  done
  if [ "$found" = no ]; then say NOTFOUND "there is no plugin $name in $root"; exit 4; fi
  step remove.previous
  removed=0
  for m_e in "$pv/$name".*; do
    exists "$m_e" || continue
    m_b=${m_e##*/}
    { [ "${m_b%.*}" = "$name" ] && is_stamp "${m_b##*.}"; } || continue
    if ! wipe "$m_e"; then say FAIL remove.previous "$err"; say ROLLBACK "the live plugin is untouched"; exit 10; fi
    removed=$((removed + 1))
  done
  say INFO previous "$removed"
  ok
  step remove.aside
  if exists "$L"; then
    mkdir -p -- "$st" 2>/dev/null
    if ! rn "$L" "$R"; then say FAIL remove.aside "$err"; say ROLLBACK "the live plugin is untouched"; exit 10; fi
  fi
  ok
  step remove.delete
  if ! wipe "$R"; then say WARN "$err; the next sweep removes it"; fi
  durable "$root"
  ok
  say DONE
}

sweep_op() {
  if ! exists "$root"; then say ROOT missing; say DONE; exit 0; fi
  if sweep sweep; then
    durable "$root"
    say DONE
    exit 0
  fi
  say FAIL sweep.clean "some leftovers could not be cleaned up"
  exit 10
}

list() {
  if [ ! -d "$root" ]; then say ROOT missing; say DONE; exit 0; fi
  say ROOT present
  for l_d in "$root"/*; do
    [ -d "$l_d" ] || continue
    l_n=${l_d##*/}
    is_name "$l_n" || continue
    if [ -f "$l_d/.complete" ]; then
      l_m=
      IFS= read -r l_m < "$l_d/.complete" || :
      say LIVE "$l_n" complete "$l_m"
    else
      say LIVE "$l_n" incomplete ''
    fi
  done
  for l_e in "$pv"/* "$pv"/.[!.]* "$pv"/..?*; do
    exists "$l_e" || continue
    l_b=${l_e##*/}
    l_n=${l_b%.*}
    l_s=${l_b##*.}
    if [ "$l_n" != "$l_b" ] && is_name "$l_n" && is_stamp "$l_s"; then
      l_m=
      if [ -f "$l_e/.complete" ]; then
        IFS= read -r l_m < "$l_e/.complete" || :
        say PREV "$l_n" "$l_s" complete "$l_m"
      else
        say PREV "$l_n" "$l_s" incomplete ''
      fi
    else
      say JUNK previous
    fi
  done
  for l_e in "$st"/* "$st"/.[!.]* "$st"/..?*; do
    exists "$l_e" || continue
    l_b=${l_e##*/}
    case $l_b in *[!A-Za-z0-9._-]*) say JUNK staging ;; *) say STAGING "$l_b" ;; esac
  done
  say DONE
}

say BERTH 2
case $root in
  /*) ;;
  *) say FAIL "$op.prepare" "the plugin root must be an absolute path"; exit 2 ;;
esac
case $op in
  install) install "$@" ;;
  rollback) rollback "$@" ;;
  remove) remove "$@" ;;
  sweep) sweep_op ;;
  list) list ;;
  *) say FAIL usage "unknown operation $op"; exit 2 ;;
esac
