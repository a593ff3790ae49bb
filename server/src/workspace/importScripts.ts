/**
 * The in-container halves of import, as POSIX sh scripts that take all data as positional
 * arguments (never interpolated). They need only sh and busybox-level tools; git only for a
 * branch.
 */

/** The file that marks a copy in progress; its presence lets a re-run clear a partial copy. */
export const IMPORT_MARKER = '.berth-import-incomplete';

/**
 * prepare-target: $1 path  $2 marker  $3 "1" when a branch needs git.
 * Refuses a path that is not a folder or is a non-empty folder that Berth did not start filling;
 * clears a partial copy that an interrupted import left (marked); creates the folder and the
 * marker. Prints `git` or `no-git`.
 */
export const PREPARE_SCRIPT = String.raw`
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
`;

/**
 * finish: $1 path  $2 marker  $3 local HEAD ("" none)  $4 branch ("" none)  $5 start commit
 * ("" = HEAD)  $6 "1" for read-only.
 * Steps: checkout (a new branch), record-base (.git/berth-base, written then renamed), refresh
 * the index's file stat data so the first status/export need not re-hash every file, remove the
 * marker, read-only (chmod -R a-w). Prints `base <id>`.
 */
export const FINISH_SCRIPT = String.raw`
p=$1 marker=$2 head=$3 branch=$4 from=$5 ro=$6
cd -- "$p" || exit 40
have_git=
if command -v git >/dev/null 2>&1; then
  have_git=1
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0="$(pwd -P)"
fi
if [ -n "$branch" ]; then
  [ -n "$have_git" ] || exit 41
  if [ -n "$from" ]; then git checkout -q -b "$branch" "$from" || exit 42
  else git checkout -q -b "$branch" || exit 42
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
`;

export const ImportExit = {
  NotEmpty: 30,
  NotAFolder: 31,
  CannotCreate: 32,
  CannotClear: 33,
  NoGitForBranch: 34,
  NoFolder: 40,
  NoGitForCheckout: 41,
  CheckoutFailed: 42,
  RecordFailed: 43,
  MarkerFailed: 44,
  ReadOnlyFailed: 45,
} as const;
