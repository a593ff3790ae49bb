#!/bin/sh
# Berth's plugin loader check (docs/plugins.md): a plugin directory counts only when it carries
# the `.complete` marker that Berth writes last. Without it the directory is half-installed (an
# install was interrupted, or its marker could not be written) and must not be loaded.
#
# POSIX sh, no external tools. Use it as a command:
#   plugin-loader-check.sh /configs/plugins/foo && load /configs/plugins/foo
# or copy the function into a loader script:
#   for dir in /configs/plugins/*/; do
#     berth_plugin_complete "$dir" || { echo "skipping half-installed $dir" >&2; continue; }
#     load "$dir"
#   done
# The `*` glob never matches Berth's own `.staging` and `.previous`; the function refuses
# dot-names anyway.

berth_plugin_complete() {
  bpc_dir=${1%/}
  case ${bpc_dir##*/} in '' | .*) return 1 ;; esac
  [ -d "$bpc_dir" ] && [ -f "$bpc_dir/.complete" ]
}

if [ "$#" -eq 0 ]; then
  echo "usage: plugin-loader-check.sh PLUGIN_DIR..." >&2
  exit 2
fi
for bpc_arg in "$@"; do
  if ! berth_plugin_complete "$bpc_arg"; then
    echo "$bpc_arg is not a complete plugin (no .complete marker); refusing to load it" >&2
    exit 1
  fi
done
exit 0
