#!/bin/bash
# Submits a split study: an array of N parts (slurm/array_parts.sbatch) and a merge job
# that starts when every part has ended (slurm/merge.sbatch).
#   slurm/submit_array.sh [sbatch options --] N JOB.ini STORE.h5 [cwola run options]
# sbatch options (e.g. --time=4:00:00 --ntasks=8) apply to the parts; the merge job
# gets the same --output/--partition/--account if given. Prints the two job ids.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sbatch_options=()
if [[ " $* " == *" -- "* ]]; then
  while [ "$1" != "--" ]; do
    sbatch_options+=("$1")
    shift
  done
  shift
fi
if [ "$#" -lt 3 ]; then
  echo "usage: slurm/submit_array.sh [sbatch options --] N JOB.ini STORE.h5 [cwola options]" >&2
  exit 2
fi
n="$1" job="$2" store="$3"
shift 3
case "$n" in
  '' | *[!0-9]* | 0)
    echo "submit_array.sh: N = '$n' is not a positive number of parts" >&2
    exit 2
    ;;
esac
merge_options=()
for option in "${sbatch_options[@]}"; do
  case "$option" in
    --output=* | --partition=* | --account=* | --qos=*) merge_options+=("$option") ;;
  esac
done
array_id="$(sbatch --parsable --array="1-$n" "${sbatch_options[@]}" \
  "$here/array_parts.sbatch" "$job" "$store" "$@")"
array_id="${array_id%%;*}"
merge_id="$(sbatch --parsable --dependency="afterany:$array_id" "${merge_options[@]}" \
  "$here/merge.sbatch" "$store" "$n")"
merge_id="${merge_id%%;*}"
echo "parts: job $array_id (array 1-$n); merge: job $merge_id"
