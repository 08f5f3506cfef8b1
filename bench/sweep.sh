#!/usr/bin/env bash
# make bench: the 1000-point thickness x C-rate sweep of the default cell
# (bench/sweep_1000.yaml) as one `ionstack sweep` command, on 1 and on 2
# ranks. Prints the whole command's wall time, the mean solve time per point
# (the `solve_time` of each point: its protocol loop, with the rows its file
# gets as it goes), the overhead per point beyond it (loading and validating
# the point, building the mesh and solvers, creating and closing its file,
# the summary) and the speed-up from 1 to 2 ranks, next to the targets of
# SPEC section 8. Not a test.
cd "$(dirname "$0")/.." || exit 2
bin=${IONSTACK_BIN:-bin/ionstack}
py=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d /tmp/ionstack_bench_sweep_XXXXXX)
trap 'rm -rf "$tmp"' EXIT

run() { # ranks
  local dir=$tmp/r$1 start end
  start=$(date +%s.%N)
  if [ "$1" = 1 ]; then
    "$bin" sweep bench/sweep_1000.yaml -output_directory "$dir" -quiet || return 1
  else
    mpiexec -n "$1" "$bin" sweep bench/sweep_1000.yaml -output_directory "$dir" -quiet || return 1
  fi
  end=$(date +%s.%N)
  "$py" - "$dir/summary.h5" "$1" "$start" "$end" <<'PY'
import sys
import h5py
import numpy as np
f = h5py.File(sys.argv[1], "r")
ranks, total = int(sys.argv[2]), float(sys.argv[4]) - float(sys.argv[3])
n = len(f["index"])
solve, wall = f["solve_time"][:], f["wall_time"][:]
done = sum(s == b"complete" for s in f["status"][:])
per_point = total * ranks / n  # rank-seconds of the command per point
over = per_point - solve.mean()
print("  %d rank%s: %d points (%d complete) in %.2f s  (target < 60 s), %.1f points/s" % (ranks, "s" if ranks > 1 else "", n, done, total, n / total))
print("    mean solve %.2f ms per point (median %.2f, max %.1f)" % (1e3 * solve.mean(), 1e3 * np.median(solve), 1e3 * solve.max()))
print("    overhead %.2f ms per point = %.0f %% of the solve (target < 20 %%): %.2f ms inside the point (set-up, file), %.2f ms for the sweep (start-up, validation, summary)"
      % (1e3 * over, 100 * over / solve.mean(), 1e3 * (wall.mean() - solve.mean()), 1e3 * (per_point - wall.mean())))
open(sys.argv[1] + ".total", "w").write("%.6f\n" % total)
PY
}

echo "sweep: 1000-point thickness x C-rate sweep of the default cell (bench/sweep_1000.yaml)"
run 1 || exit 1
if command -v mpiexec >/dev/null; then
  run 2 || exit 1
  "$py" -c "print('    speed-up from 1 to 2 ranks: %.2fx' % (float(open('$tmp/r1/summary.h5.total').read()) / float(open('$tmp/r2/summary.h5.total').read())))"
fi
