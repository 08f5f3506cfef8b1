#!/usr/bin/env bash
# make bench: the 2D void case (bench/void_2d.yaml) on grids of 64^2 to
# 1024^2 cells, on 1 and 2 ranks. For each it prints the time per time step
# and per Newton step (the run's solve_time over its counts), the linear
# iterations per Newton step, and the peak memory per unknown: the largest
# resident set of the run's processes (GNU time), summed over its ranks,
# less that of the same run on a 16^2 grid (start-up, libraries), over the
# unknowns. Then the growth from 64^2 to 1024^2 next to the targets of SPEC
# section 8. Not a test. IONSTACK_BENCH_2D_MAX (default 1024) caps the grid.
cd "$(dirname "$0")/.." || exit 2
bin=${IONSTACK_BIN:-bin/ionstack}
py=/usr/bin/python3
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1} OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}
export OMPI_MCA_ess_singleton_isolated=${OMPI_MCA_ess_singleton_isolated:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
max=${IONSTACK_BENCH_2D_MAX:-1024}
tmp=$(mktemp -d /tmp/ionstack_bench_2d_XXXXXX)
trap 'rm -rf "$tmp"' EXIT

run() { # ranks, cells per side: prints "ranks n seconds_per_step seconds_per_newton linear_per_newton rss_bytes unknowns"
  local out=$tmp/r$1_$2
  # each rank's own GNU time writes its peak to a file named by the rank
  mpiexec -n "$1" sh -c 'exec /usr/bin/time -f "%M" -o "$0.rss.$OMPI_COMM_WORLD_RANK" "$@"' "$out" "$bin" run bench/void_2d.yaml -quiet \
    -mesh_lateral_cells "$2" -output_file "$out.h5" >"$out.log" 2>&1 || { echo "run failed: $(tail -2 "$out.log")" >&2; return 1; }
  "$py" - "$out" "$1" "$2" <<'PY'
import sys, glob
import h5py
import numpy as np
out, ranks, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
f = h5py.File(out + ".h5", "r")
m = f["metrics"]
files = glob.glob(out + ".rss.*")
assert len(files) == ranks, files
rss = sum(int(open(p).read().split()[-1]) * 1024 for p in files)
unknowns = int(np.sum(f["mesh/phase"][()] != 0))
print(ranks, n, m["solve_time"][()] / m["time_steps"][()], m["solve_time"][()] / m["newton_iterations"][()],
      m["linear_iterations"][()] / m["newton_iterations"][()], rss, unknowns)
PY
}

"$bin" version >/dev/null 2>&1 || { echo "bench/scaling_2d.sh: $bin is missing; make bin/ionstack" >&2; exit 1; }
echo "2D void case (bench/void_2d.yaml): 10 time steps of 1 s, GMRES + BoomerAMG"
printf '%6s %10s %11s %12s %12s %10s %14s\n' ranks cells unknowns "s/step" "s/Newton" "lin/Newton" "bytes/unknown"
for ranks in 1 2; do
  base=$(run $ranks 16) || exit 1
  base_rss=$(echo "$base" | awk '{print $6}')
  for n in 64 128 256 512 1024; do
    [ "$n" -le "$max" ] || continue
    r=$(run $ranks $n) || exit 1
    echo "$r" >>"$tmp/table"
    echo "$r" | awk -v b="$base_rss" '{printf "%6d %10s %11d %12.4g %12.4g %10.2f %14.0f\n", $1, $2 "^2", $7, $3, $4, $5, ($6 - b) / $7}'
  done
done
"$py" - "$tmp/table" <<'PY'
import sys
import numpy as np
rows = [l.split() for l in open(sys.argv[1])]
for ranks in ("1", "2"):
    r = sorted([x for x in rows if x[0] == ranks], key=lambda x: int(x[1]))
    if len(r) < 2: continue
    a, b = r[0], r[-1]
    cells = (int(b[1]) / int(a[1])) ** 2
    lin = float(b[4]) / float(a[4])
    newton = float(b[3]) / float(a[3]) / cells
    print("%s rank%s, %s^2 -> %s^2: linear iterations per Newton x%.2f (target <= 2); time per Newton %.2f x linear in the cells (target <= 1.5)"
          % (ranks, "" if ranks == "1" else "s", a[1], b[1], lin, newton))
PY
