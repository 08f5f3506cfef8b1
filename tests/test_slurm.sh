#!/usr/bin/env bash
# The cluster workflow on a real SLURM (docs/cluster.md): a private single-node
# cluster (tests/slurm/cluster.sh: munged, slurmctld, `slurmd -N localhost`,
# free ports, everything in a temporary directory) runs the templates of
# configs/slurm/ themselves, with sbatch command-line overrides for the
# partition, ranks and time:
#  - run.sbatch on 2 ranks, launched by srun (PMIx) and by mpiexec: the job
#    completes with exit code 0 and its file equals a direct run's;
#  - run.sbatch interrupted as its --signal=B:TERM@120 does before a time limit
#    (scancel --batch --signal=TERM delivers the same signal now): exit code 5,
#    the file closed as `interrupted`;
#  - the sweep tests/slurm/sweep.yaml as a job array with a dependent collect job
#    (submit_sweep_array.sh) and as one MPI job (sweep.sbatch): every point
#    complete, the collect job started only after the array ended, the two
#    summaries equal; a sweep job interrupted and resubmitted ends complete
#    without running its complete points again.
# The binary under SLURM is the one tests/run.sh put first in PATH, by its
# absolute path (the plain or the sanitized tree). The daemons are stopped by
# their PIDs when the test ends, however it ends.
#
# Skipped, with the reason, where SLURM cannot run: slurm-wlm or munge not
# installed (make test-deps installs them) or not root. The sweep checks are
# skipped while `ionstack sweep` does not exist.
# Run from the repository root (tests/run.sh does).
top=$PWD
py=/usr/bin/python3
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

missing=""
for c in munged mungekey slurmctld slurmd sbatch scontrol squeue scancel srun sinfo; do
  command -v "$c" >/dev/null || missing="$missing $c"
done
if [ -n "$missing" ]; then
  skip slurm "SLURM is not installed here (no$missing); make test-deps installs Debian's slurm-wlm and munge"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  skip slurm "needs root to run slurmd (it starts job steps as their user)"
  exit 0
fi
bin=$(command -v ionstack) && bin=$(readlink -f "$bin")
if [ ! -x "$bin" ]; then
  fail slurm_binary "no ionstack on PATH; make bin/ionstack"
  exit 0
fi

export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1} OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}
export OMPI_MCA_ess_singleton_isolated=${OMPI_MCA_ess_singleton_isolated:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# the jobs inherit the environment (sbatch --export=ALL, the default), so IONSTACK
# names this binary to the templates, and the sanitizers' options reach it too
export IONSTACK=$bin
unset IONSTACK_LAUNCH IONSTACK_ARRAY_LIMIT

# munged wants every directory above its socket to be searchable by all
t=$(mktemp -d /tmp/ionstack_slurm_XXXXXX) && chmod 0755 "$t"
. tests/slurm/cluster.sh
cleanup() {
  cluster_stop
  rm -rf "$t"
}
trap cleanup EXIT
# a signal (the suite's timeout) ends the test through the EXIT trap
trap 'exit 124' TERM INT HUP

start=$(date +%s%N)
if ! cluster_start "$t/cluster" >"$t/start.log" 2>&1; then
  fail slurm_cluster_starts "$(grep -m 3 '^cluster:' "$t/start.log" | tr '\n' ' ')"
  cat "$t/start.log"
  exit 0
fi
export SLURM_CONF=$conf
pass "slurm_cluster_starts (munged, slurmctld, slurmd -N localhost; node idle after $((($(date +%s%N) - start) / 1000000)) ms)"

# sbatch overrides of the templates' placeholders: this cluster's partition
# and short limits, so that a job that hangs ends on its own
sb=(sbatch --parsable --partition=debug --time=5)

# Waits until the job (every task, for an array) has ended, for at most $2 s
# (default 240); prints one line per task, "task STATE EXITCODE", the task
# being the array index or '-'. Returns 1 on timeout.
job_end() {
  local id=$1 limit=${2:-240} i all
  for ((i = 0; i < 5 * limit; i++)); do
    all=$(scontrol -o show job "$id" 2>/dev/null)
    [ -n "$all" ] && ! grep -qE 'JobState=(PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED|RESIZING|SIGNALING|STAGE_OUT) ' <<<"$all" && break
    sleep 0.2
  done
  awk '{ task = "-"; for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = substr($i, length(kv[1]) + 2) }
         if ("ArrayTaskId" in v) task = v["ArrayTaskId"]; print task, v["JobState"], v["ExitCode"]; delete v }' <<<"$all"
  [ "$i" -lt $((5 * limit)) ]
}

# The tail of a job's output file and of the daemons' logs, for a failure.
explain() {
  local f
  for f in "$@"; do
    [ -e "$f" ] && { echo "---- $f"; tail -n 15 "$f"; }
  done
  cluster_logs
}

h5() { # file expressions: prints the expressions, separated by spaces, with f the open file
  "$py" -c "import h5py, sys; f = h5py.File(sys.argv[1], 'r'); print($2)" "$1" 2>&1 | tail -n 1
}

# ---- one run, on 2 ranks, both launchers ----
cfg=$top/configs/thin_film.yaml
proto="[discharge at 1C until 3.0 V]"
mkdir -p "$t/run"
cd "$t/run" || exit 2
"$bin" run "$cfg" -protocol "$proto" -output_file "$t/run/direct.h5" -quiet >"$t/run/direct.log" 2>&1 ||
  fail slurm_reference_run "$(tail -n 3 "$t/run/direct.log")"
for launch in srun mpiexec; do
  name=slurm_run_job_on_2_ranks_$launch
  start=$(date +%s%N)
  # srun is the template's default launcher; mpiexec is chosen by IONSTACK_LAUNCH
  env=()
  [ $launch = mpiexec ] && env=(IONSTACK_LAUNCH=mpiexec)
  id=$(env "${env[@]}" "${sb[@]}" --ntasks=2 "$top/configs/slurm/run.sbatch" "$cfg" -protocol "$proto" \
    -output_file "$t/run/$launch.h5" -quiet 2>&1)
  case $id in *[!0-9]* | "") fail "$name" "sbatch: $id"; continue ;; esac
  state=$(job_end "$id") || { fail "$name" "job $id has not ended after 240 s: $state"; explain "ionstack-run-$id.out"; continue; }
  got=$(h5 "$t/run/$launch.h5" "f['provenance/status'].asstr()[()], int(f['provenance/mpi_size'][()]), float(f['metrics/discharge_capacity'][()])")
  ref=$(h5 "$t/run/direct.h5" "float(f['metrics/discharge_capacity'][()])")
  same=$("$py" -c "import sys; print(abs(float(sys.argv[1]) - float(sys.argv[2])) <= 1e-8 * abs(float(sys.argv[2])))" \
    "${got##* }" "$ref" 2>/dev/null)
  if [ "$state" = "- COMPLETED 0:0" ] && [[ $got == "complete 2 "* ]] && [ "$same" = True ]; then
    pass "$name (job $id, $((($(date +%s%N) - start) / 1000000)) ms from sbatch to the end; capacity equals the direct run's)"
  else
    fail "$name" "job $id: '$state' (want '- COMPLETED 0:0'); file: $got; direct run: $ref"
    explain "ionstack-run-$id.out"
  fi
done

# ---- a run stopped before its time limit ----
# --signal=B:TERM@120 in the template makes SLURM send SIGTERM to the batch
# script before the limit; scancel --batch sends that signal now. The run is
# one that would take minutes (2 ranks, time steps of at most 50 ms).
name=slurm_run_job_interrupted_before_time_limit
if ! grep -q '^#SBATCH --signal=B:TERM@' "$top/configs/slurm/run.sbatch"; then
  fail "$name" "configs/slurm/run.sbatch asks for no --signal=B:TERM@<seconds> before its time limit"
else
  id=$("${sb[@]}" --time=3 --ntasks=2 "$top/configs/slurm/run.sbatch" "$cfg" -solver_dt_max 0.05s -solver_max_steps 10000000 \
    -output_file "$t/run/int.h5" -quiet 2>&1)
  for _ in $(seq 600); do [ -e "$t/run/int.h5.part" ] && break; sleep 0.1; done
  sleep 0.5 # some time steps into the run
  scancel --batch --signal=TERM "$id"
  state=$(job_end "$id")
  got=$(h5 "$t/run/int.h5" "f['provenance/status'].asstr()[()], float(f['timeseries/time'][-1])")
  if [ "$state" = "- FAILED 5:0" ] && [[ $got == "interrupted "* ]] && [ ! -e "$t/run/int.h5.part" ]; then
    pass "$name (job $id: exit code 5, file interrupted at t = ${got##* } s)"
  else
    fail "$name" "job $id: '$state' (want '- FAILED 5:0'); file: $got"
    explain "ionstack-run-$id.out"
  fi
fi

# ---- sweeps ----
sweep=$top/tests/slurm/sweep.yaml
if "$bin" sweep 2>&1 | grep -q "unknown command 'sweep'"; then
  for c in slurm_sweep_array_and_collect slurm_sweep_one_mpi_job slurm_sweep_array_equals_mpi_job slurm_sweep_resubmitted_after_interrupt; do
    skip "$c" "ionstack sweep not available"
  done
  exit 0
fi

# The summary as "<rows> <header>" plus one line per row, to compare.
csv_rows() { "$py" - "$1" <<'EOF'
import csv
import sys

rows = list(csv.reader(open(sys.argv[1])))
print(len(rows) - 1, ",".join(rows[0]))
for r in rows[1:]:
    print(",".join(r))
EOF
}

npoints=$("$bin" sweep "$sweep" -list 2>/dev/null | grep -v '^#' | grep -c '[^[:space:]]')

# As a job array and a collect job, through submit_sweep_array.sh, into the
# default sweep directory out/sweep/ of the directory it is called from.
name=slurm_sweep_array_and_collect
mkdir -p "$t/array"
cd "$t/array" || exit 2
start=$(date +%s%N)
"$top/configs/slurm/submit_sweep_array.sh" --partition=debug --time=5 -- "$sweep" >"$t/array/submit.log" 2>&1
rc=$?
array=$(sed -n 's/^array job \([0-9]*\):.*/\1/p' "$t/array/submit.log")
collect=$(sed -n 's/^collect job \([0-9]*\) .*/\1/p' "$t/array/submit.log")
if [ $rc -ne 0 ] || [ -z "$array" ] || [ -z "$collect" ]; then
  fail "$name" "submit_sweep_array.sh: status $rc: $(tail -n 3 "$t/array/submit.log")"
else
  # at once, while the tasks run: the collect job waits on the whole array
  dep=$(scontrol -o show job "$collect" 2>/dev/null | grep -o 'Dependency=[^ ]*')
  astate=$(job_end "$array")
  cstate=$(job_end "$collect")
  # the dependency: the collect job started after every task had ended (1 s resolution)
  order=$({ scontrol -o show job "$array"; scontrol -o show job "$collect"; } 2>/dev/null | "$py" -c "
import sys
from datetime import datetime
ends, start = [], None
for line in sys.stdin:
    v = dict(kv.split('=', 1) for kv in line.split() if '=' in kv)
    t = lambda k: datetime.fromisoformat(v[k])
    if v['JobId'] == '$collect':
        start = t('StartTime')
    else:
        ends.append(t('EndTime'))
print('after' if start and ends and start >= max(ends) else 'before', len(ends))")
  want=$(for ((i = 0; i < npoints; i++)); do echo "$i COMPLETED 0:0"; done)
  rows=$(csv_rows out/sweep/summary.csv 2>&1)
  complete=$(tail -n +2 <<<"$rows" | grep -c ',complete,')
  points=$(ls out/sweep/point_*.h5 2>/dev/null | wc -l)
  # each point file was written by its own task: `-index i` in its command line
  alone=$(for f in out/sweep/point_*.h5; do
    h5 "$f" "f'-index {int(f[\"sweep/index\"][0])}' in f['provenance/command_line'].asstr()[()]"
  done | grep -c True)
  if [ "$(sort -n <<<"$astate")" = "$want" ] && [ "$cstate" = "- COMPLETED 0:0" ] && [ "$order" = "after $npoints" ] &&
    [[ $dep == "Dependency=afterany:${array}_*"* ]] &&
    [ "${rows%% *}" = "$npoints" ] && [ "$complete" = "$npoints" ] && [ "$points" = "$npoints" ] && [ "$alone" = "$npoints" ]; then
    pass "$name ($npoints tasks of job $array, then collect job $collect; $((($(date +%s%N) - start) / 1000000)) ms from submission to the summary)"
  else
    fail "$name" "array $array: $(tr '\n' ';' <<<"$astate") collect $collect: $cstate, ${dep:-no dependency} (want afterany:${array}_*), started $order the tasks; $points point files ($alone written by their own task with -index), $complete of $(head -n 1 <<<"$rows" | cut -d ' ' -f 1) summary rows complete"
    explain "ionstack-collect-$collect.out" "ionstack-point-${array}_0.out"
  fi
fi

# As one MPI job on 2 ranks.
name=slurm_sweep_one_mpi_job
mkdir -p "$t/mpi"
cd "$t/mpi" || exit 2
start=$(date +%s%N)
id=$("${sb[@]}" --ntasks=2 "$top/configs/slurm/sweep.sbatch" "$sweep" -output_directory "$t/mpi/sweep" 2>&1)
state=$(job_end "$id")
rows_mpi=$(csv_rows "$t/mpi/sweep/summary.csv" 2>&1)
complete=$(tail -n +2 <<<"$rows_mpi" | grep -c ',complete,')
if [ "$state" = "- COMPLETED 0:0" ] && [ "${rows_mpi%% *}" = "$npoints" ] && [ "$complete" = "$npoints" ]; then
  pass "$name (job $id, 2 ranks, $npoints points; $((($(date +%s%N) - start) / 1000000)) ms from sbatch to the end)"
else
  fail "$name" "job $id: '$state' (want '- COMPLETED 0:0'); $complete of $(head -n 1 <<<"$rows_mpi" | cut -d " " -f 1) summary rows complete"
  explain "ionstack-sweep-$id.out"
fi

# The two summaries agree on every input and metric (not on the times).
name=slurm_sweep_array_equals_mpi_job
"$py" - "$t/array/out/sweep/summary.csv" "$t/mpi/sweep/summary.csv" "$name" <<'EOF'
import csv
import math
import sys

a, b, name = list(csv.reader(open(sys.argv[1]))), list(csv.reader(open(sys.argv[2]))), sys.argv[3]
if a[0] != b[0] or len(a) != len(b):
    print("FAIL %s: headers or row counts differ: %s (%d) vs %s (%d)" % (name, a[0], len(a), b[0], len(b)))
    sys.exit()
timing = [i for i, h in enumerate(a[0]) if h.startswith(("solve_time", "wall_time"))]
worst, where = 0.0, ""
for ra, rb in zip(sorted(a[1:]), sorted(b[1:])):
    for i, (x, y) in enumerate(zip(ra, rb)):
        if i in timing:
            continue
        try:
            x, y = float(x), float(y)
        except ValueError:
            if x != y:
                worst, where = math.inf, "%s: %r vs %r" % (a[0][i], x, y)
            continue
        if math.isnan(x) and math.isnan(y):
            continue
        err = abs(x - y) / (1e-12 + 1e-8 * abs(x))
        if not err <= worst:
            worst, where = err, a[0][i]
print(("PASS %s (%d rows, worst %.2g of the tolerance, at %s)" % (name, len(a) - 1, worst, where or "-")) if worst <= 1 else
      "FAIL %s: worst %.3g of the tolerance (1e-8 relative) at %s" % (name, worst, where))
EOF

# Interrupted before its time limit and resubmitted: the points complete
# before the signal are not run again, the rest end complete. Each point is
# slowed down (time steps of at most 20 ms, a few seconds a point) and the
# signal is sent as soon as the first point is complete, so that it lands
# while the others run.
name=slurm_sweep_resubmitted_after_interrupt
mkdir -p "$t/int"
cd "$t/int" || exit 2
slow=(-solver_dt_max 0.02s -solver_max_steps 10000000 -output_directory "$t/int/sweep")
id=$("${sb[@]}" --ntasks=2 "$top/configs/slurm/sweep.sbatch" "$sweep" "${slow[@]}" 2>&1)
for _ in $(seq 1200); do ls "$t/int/sweep"/point_*.h5 >/dev/null 2>&1 && break; sleep 0.05; done
scancel --batch --signal=TERM "$id"
state1=$(job_end "$id")
before=$(for f in "$t/int/sweep"/point_*.h5; do [ "$(h5 "$f" "f['provenance/status'].asstr()[()]")" = complete ] && echo "$f $(h5 "$f" "f['provenance/start_time'].asstr()[()]")"; done)
id2=$("${sb[@]}" --ntasks=2 "$top/configs/slurm/sweep.sbatch" "$sweep" "${slow[@]}" 2>&1)
state2=$(job_end "$id2" 400)
rows=$(csv_rows "$t/int/sweep/summary.csv" 2>&1)
complete=$(tail -n +2 <<<"$rows" | grep -c ',complete,')
rerun=""
while read -r f when; do
  [ -n "$f" ] && [ "$(h5 "$f" "f['provenance/start_time'].asstr()[()]")" != "$when" ] && rerun="$rerun ${f##*/}"
done <<<"$before"
ndone=$(grep -c . <<<"$before")
if [ "$state1" = "- FAILED 5:0" ] && [ "$ndone" -ge 1 ] && [ "$ndone" -lt "$npoints" ] && [ "$state2" = "- COMPLETED 0:0" ] &&
  [ "$complete" = "$npoints" ] && [ -z "$rerun" ]; then
  pass "$name (job $id: exit code 5 with $ndone of $npoints points complete; job $id2 ran the other $((npoints - ndone)): $(grep -o '[0-9]* ran, [0-9]* skipped' "ionstack-sweep-$id2.out"))"
else
  fail "$name" "first job $id: '$state1' (want '- FAILED 5:0') with $ndone of $npoints points complete (want 1 to $((npoints - 1))), second $id2: '$state2'; $complete of $npoints rows complete; run again:${rerun:- none}"
  explain "ionstack-sweep-$id.out" "ionstack-sweep-$id2.out"
fi
exit 0
