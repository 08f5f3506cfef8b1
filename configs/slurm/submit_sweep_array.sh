#!/bin/bash
# Submits a sweep as a SLURM job array with one task per point, and a collect
# job that runs when every task has ended (docs/cluster.md):
#
#   configs/slurm/submit_sweep_array.sh [sbatch options --] CONFIG [-section_key value ...]
#
# e.g.  configs/slurm/submit_sweep_array.sh -p short -t 0:20:00 -- configs/my_sweep.yaml
#
# It counts the points with `ionstack sweep CONFIG ... -list` (which also
# validates every point: nothing is submitted if one is refused), submits
# sweep_array.sbatch (beside this script) with --array=0-<points - 1>, then
# collect.sbatch with --dependency=afterany:<array job id> and the sweep
# directory. The sbatch options before `--` go to both submissions and win over
# the templates' #SBATCH lines. Run it from the directory the paths are
# relative to: the jobs run there.
#
# The collect job is given the sweep directory that the header of the -list
# output names (output.directory, default out/<config name>/, or the
# -output_directory given after CONFIG).
#
# Environment: IONSTACK, the ionstack binary (default: the one on PATH), which
# the jobs inherit; IONSTACK_ARRAY_LIMIT=k runs at most k tasks at once
# (--array=0-N%k).
#
# Prints the two job ids; exit status 0 when both were submitted, 1 on bad
# input (the config's or ionstack's message is printed), 2 when sbatch failed.

usage() {
  echo "usage: $0 [sbatch options --] CONFIG [-section_key value ...]" >&2
  exit 1
}

here=$(cd "$(dirname "$0")" && pwd)
IONSTACK=${IONSTACK:-ionstack}

sbatch_opts=()
for a in "$@"; do
  if [ "$a" = -- ]; then
    while [ "$1" != -- ]; do
      sbatch_opts+=("$1")
      shift
    done
    shift
    break
  fi
done
[ $# -ge 1 ] || usage
config=$1
shift
[ -r "$config" ] || {
  echo "$0: cannot read the config file '$config'" >&2
  exit 1
}

# The points: one line each after a header that starts with '#'.
list=$("$IONSTACK" sweep "$config" "$@" -list) || {
  echo "$0: '$IONSTACK sweep $config $* -list' failed (above); nothing submitted" >&2
  exit 1
}
n=$(grep -v '^#' <<<"$list" | grep -c '[^[:space:]]')
if [ "$n" -lt 1 ]; then
  echo "$0: $config has no sweep points (a sweep: section lists them); nothing submitted" >&2
  exit 1
fi

# The sweep directory, for the collect job, as ionstack resolved it (the
# command line's -output_directory, the config's output.directory or
# out/<config name>/): the header ends in ", into DIR/".
dir=$(head -n 1 <<<"$list" | sed -n 's/^#.*, into \(.*\)$/\1/p')
dir=${dir%/}
if [ -z "$dir" ]; then
  echo "$0: the -list header does not name the sweep directory (', into DIR/'): $(head -n 1 <<<"$list")" >&2
  exit 1
fi

array=$(sbatch --parsable "${sbatch_opts[@]}" --array="0-$((n - 1))${IONSTACK_ARRAY_LIMIT:+%$IONSTACK_ARRAY_LIMIT}" \
  "$here/sweep_array.sbatch" "$config" "$@") || {
  echo "$0: sbatch of the job array failed (above); nothing submitted" >&2
  exit 2
}
array=${array%%;*} # --parsable prints id[;cluster]
collect=$(sbatch --parsable "${sbatch_opts[@]}" --dependency="afterany:$array" "$here/collect.sbatch" "$dir") || {
  echo "$0: the job array $array is submitted, but the collect job is not (above); once the array has ended, run: sbatch $here/collect.sbatch $dir" >&2
  exit 2
}
collect=${collect%%;*}
echo "array job $array: $n points of $config (tasks 0-$((n - 1)))"
echo "collect job $collect after it: $dir/summary.csv"
