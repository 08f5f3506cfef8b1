#!/usr/bin/env bash
# Parameter sweeps with the real binary (docs/sweeps.md):
#  - the points: -list of configs/thickness_sweep.yaml (log range, product);
#  - a small thickness x C-rate sweep: its point files and summary (h5 and
#    CSV), the inputs applied (the summary's thickness is the stack's
#    membrane, the membrane ASR is L/sigma), a point equal to the same
#    `ionstack run`;
#  - re-runs: complete points are skipped, a deleted one is run again, a
#    sweep killed with SIGKILL or stopped with SIGTERM finishes on re-run
#    with the same numbers;
#  - 2 ranks (one point per rank, and both ranks on each point with
#    -ranks_per_run 2) give the same summary as 1; -index runs one point and
#    `ionstack collect` makes the same summary from those files;
#  - a failed point (solver.max_steps, an output.interval refused at set-up)
#    is a row with its reason while the others complete;
#  - bad sweep input stops before anything runs, naming the key or point.
# Run from the repository root (tests/run.sh does).
bin=${IONSTACK_BIN:-$(command -v ionstack || echo bin/ionstack)}
py=/usr/bin/python3
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
check() { if eval "$2"; then pass "$1"; else fail "$1" "${3:-$2}"; fi; }
is_ok() { if [ "$2" = OK ]; then pass "$1"; else fail "$1" "$2"; fi; } # a checker printed OK

[ -x "$bin" ] || { fail sweep_built "$bin is missing; make bin/ionstack"; exit 0; }
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1} OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}
export OMPI_MCA_ess_singleton_isolated=${OMPI_MCA_ess_singleton_isolated:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d /tmp/ionstack_sweep_XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# ---- the points of the shipped study
"$bin" sweep configs/thickness_sweep.yaml -list >"$tmp/list" 2>&1
check sweep_list_counts "[ \$(grep -c '^[0-9]' $tmp/list) = 24 ] && head -1 $tmp/list | grep -q '^# .*24 points'" "$(head -3 "$tmp/list")"
check sweep_list_range "grep -q '^0  separator.thickness=10 um define.rate=C/3$' $tmp/list && grep -q '^23  separator.thickness=1000 um define.rate=1C$' $tmp/list && grep -q '^2  separator.thickness=15.199111 um' $tmp/list" \
  "log range from 10 um to 1 mm in 12 points: $(head -4 "$tmp/list" | tr '\n' '|')"

# ---- a small study: 3 thicknesses x 2 rates
base() { # the default cell with a defined rate, and the given output and sweep lines
  cat <<EOF
separator: {material: Li6PS5Cl, thickness: 18 um, cells: 20}
cathode: {model: composite, material: NMC811, thickness: 52 um, cells: 20, active_fraction: 0.6,
          electrolyte_fraction: 0.35, carbon_fraction: 0.05, particle_radius: 5 um, shells: 8}
define: {rate: 1C}
protocol: [discharge at \$rate until 3.0 V]
EOF
  printf '%s\n' "$@"
}
base "output: {directory: $tmp/s1}" "sweep:" "  separator.thickness: [10 um, 100 um, 1 mm]" "  define.rate: [C/3, 1C]" >"$tmp/s.yaml"
"$bin" sweep "$tmp/s.yaml" >"$tmp/s1.out" 2>&1
st=$?
check sweep_runs "[ $st = 0 ] && [ \$(ls $tmp/s1/point_000?.h5 | wc -l) = 6 ] && [ -f $tmp/s1/summary.h5 ] && [ -f $tmp/s1/summary.csv ] && grep -q '6 ran, 0 skipped' $tmp/s1.out" \
  "status $st: $(tail -3 "$tmp/s1.out")"
cat >"$tmp/summary.py" <<'EOF'
import sys, csv
import h5py, numpy as np
d = sys.argv[1]
f = h5py.File(d + "/summary.h5", "r")
rows = list(csv.DictReader(open(d + "/summary.csv")))
n = len(f["index"])
assert n == 6 and len(rows) == 6, (n, len(rows))
assert f.attrs["format"] == "ionstack sweep summary 1" and f.attrs["inputs"] == "separator.thickness,define.rate", dict(f.attrs)
L = f["inputs/separator.thickness"][:]
assert f["inputs/separator.thickness"].attrs["units"] == "um" and np.allclose(L, [10, 10, 100, 100, 1000, 1000], rtol=1e-14), L
rate = f["inputs/define.rate"][:]
assert f["inputs/define.rate"].attrs["units"] == "C" and np.allclose(rate, [1 / 3, 1] * 3), rate
assert [s.decode() for s in f["inputs_text/define.rate"][:]] == ["C/3", "1C"] * 3
assert all(s == b"complete" for s in f["status"][:]), f["status"][:]
m = f["metrics"]
# the point's parameters were applied: the stack holds its membrane, whose bulk ASR is L/sigma
assert np.allclose(m["stack/membrane/thickness"][:], L, rtol=1e-12), m["stack/membrane/thickness"][:]
sigma = 1e4 * 1e-6 * L / m["membrane_asr_bulk"][:]  # S/m from um and ohm cm^2
assert np.allclose(sigma, sigma[0], rtol=1e-12) and np.allclose(m["asr_membrane"][:], m["membrane_asr_bulk"][:], rtol=1e-6), (m["asr_membrane"][:], m["membrane_asr_bulk"][:])
# thicker membranes store less energy per volume, at each rate; faster rates deliver less
e = m["energy_density"][:]
assert e[0] > e[2] > e[4] and e[1] > e[3] > e[5], e
q = m["discharge_capacity"][:]
assert q[0] > q[1] and q[2] > q[3], q
# a constant-current discharge: mean power = mean voltage x current (rate x theoretical capacity, mAh/cm^2 -> A/m^2)
P = m["mean_discharge_voltage"][:] * rate * m["theoretical_capacity"][:] * 10
assert np.allclose(m["mean_discharge_power"][:], P, rtol=1e-9), (m["mean_discharge_power"][:], P)
assert np.allclose(m["specific_power"][:] / m["specific_energy"][:], m["mean_discharge_power"][:] / m["discharge_energy"][:], rtol=1e-12)
assert m["energy_density"].attrs["units"] == "Wh/L" and np.isfinite(f["solve_time"][:]).all() and (f["wall_time"][:] >= f["solve_time"][:]).all()
# the CSV holds the same numbers
assert rows[3]["separator.thickness [um]"] == "100" and rows[3]["define.rate [C]"] == "1", rows[3]
assert abs(float(rows[3]["discharge_capacity [mAh/cm^2]"]) - q[3]) <= 1e-9 * q[3]
assert rows[5]["status"] == "complete"
print("OK")
EOF
out=$("$py" "$tmp/summary.py" "$tmp/s1" 2>&1 | tail -3)
is_ok sweep_summary "$out"

# point 3 (100 um at 1C) is the run of the same parameters
"$bin" run "$tmp/s.yaml" -separator_thickness 100um -define_rate 1C -output_file "$tmp/run3.h5" -quiet >/dev/null 2>&1
out=$("$py" - "$tmp" <<'EOF' 2>&1
import sys, h5py
t = sys.argv[1]
a = h5py.File(t + "/run3.h5")["metrics/discharge_capacity"][()]
b = h5py.File(t + "/s1/point_0003.h5")["metrics/discharge_capacity"][()]
print("OK" if a == b else "run %r sweep %r" % (a, b))
EOF
)
is_ok sweep_point_is_run "$out"

# ---- re-runs
touch -d '2000-01-01' "$tmp"/s1/point_*.h5
rm "$tmp/s1/point_0004.h5"
"$bin" sweep "$tmp/s.yaml" >"$tmp/s1b.out" 2>&1
check sweep_rerun_skips "grep -q '1 ran, 5 skipped' $tmp/s1b.out && [ -z \"\$(find $tmp/s1 -name 'point_000[0-35].h5' -newer $tmp/s.yaml)\" ] && [ -f $tmp/s1/point_0004.h5 ]" "$(tail -3 "$tmp/s1b.out")"
out=$("$py" "$tmp/summary.py" "$tmp/s1" 2>&1 | tail -1)
is_ok sweep_rerun_summary "$out"
cp "$tmp/s1/summary.csv" "$tmp/reference.csv"

# a changed config makes every point stale: all run again, then all are skipped
cat >"$tmp/st.yaml" <<EOF
define: {rate: 1C}
protocol: [discharge at \$rate until 3.0 V]
output: {directory: $tmp/st}
sweep: {define.rate: [1C, 2C]}
EOF
"$bin" sweep "$tmp/st.yaml" -quiet >/dev/null 2>&1
"$bin" sweep "$tmp/st.yaml" -cell_temperature 40degC >"$tmp/st1.out" 2>&1
"$bin" sweep "$tmp/st.yaml" -cell_temperature 40degC >"$tmp/st2.out" 2>&1
check sweep_changed_config_reruns "grep -q '2 ran, 0 skipped' $tmp/st1.out && grep -q '0 ran, 2 skipped' $tmp/st2.out" "$(tail -2 "$tmp/st1.out") / $(tail -2 "$tmp/st2.out")"

# the numbers of two summaries, without the timings
cat >"$tmp/same.py" <<'EOF'
import csv, sys
a, b = (list(csv.DictReader(open(p))) for p in sys.argv[1:3])
tol = float(sys.argv[3]) if len(sys.argv) > 3 else 0
assert len(a) == len(b) and a and list(a[0]) == list(b[0]), "columns or rows differ"
for ra, rb in zip(a, b):
    for k in ra:
        if k.startswith(("solve_time", "wall_time", "newton_iterations", "linear_iterations", "time_steps")) and tol:
            continue
        if k.startswith(("solve_time", "wall_time")):
            continue
        x, y = ra[k], rb[k]
        if x == y:
            continue
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            sys.exit("row %s %s: %r vs %r" % (ra["index"], k, x, y))
        if abs(fx - fy) > tol * max(abs(fx), abs(fy)):
            sys.exit("row %s %s: %r vs %r" % (ra["index"], k, x, y))
print("OK")
EOF

# killed mid-sweep with SIGKILL, then re-run: every point complete, the same numbers
base "output: {directory: $tmp/k}" "sweep:" "  separator.thickness: [10 um, 100 um, 1 mm]" "  define.rate: [C/3, 1C]" >"$tmp/k.yaml"
"$bin" sweep "$tmp/k.yaml" -quiet >/dev/null 2>&1 &
pid=$!
for _ in $(seq 200); do [ -f "$tmp/k/point_0002.h5" ] && break; sleep 0.01; done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
left=$(ls "$tmp/k" | grep -c 'point_.*\.h5$')
"$bin" sweep "$tmp/k.yaml" >"$tmp/k.out" 2>&1
st=$?
out=$("$py" "$tmp/same.py" "$tmp/reference.csv" "$tmp/k/summary.csv" 1e-4 2>&1 | tail -1) # a continued point: rtol
check sweep_sigkill_rerun "[ $st = 0 ] && [ '$out' = OK ]" "status $st, $left point files before the re-run: $out $(tail -2 "$tmp/k.out")"

# a point killed mid-run continues from the state its .part stored: the same
# answer as the point run whole, to the time-integration tolerance (rtol 1e-4;
# docs/restart.md measures 6e-7)
base "output: {directory: $tmp/r, interval: 60 s}" "solver: {dt_max: 0.1 s}" "sweep:" "  define.rate: [1C]" >"$tmp/r.yaml"
"$bin" sweep "$tmp/r.yaml" -output_directory "$tmp/r_whole" -quiet >/dev/null 2>&1
"$bin" sweep "$tmp/r.yaml" -quiet >/dev/null 2>&1 &
pid=$!
for _ in $(seq 500); do [ -f "$tmp/r/point_0000.h5.part" ] && break; sleep 0.01; done
sleep 0.3
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
killed=$(ls "$tmp/r")
"$bin" sweep "$tmp/r.yaml" >"$tmp/r.out" 2>&1
st=$?
out=$("$py" - "$tmp" <<'EOF' 2>&1
import sys, h5py
t = sys.argv[1]
a, b = h5py.File(t + "/r_whole/point_0000.h5"), h5py.File(t + "/r/point_0000.h5")
rf = b["provenance"].get("restarted_from")
if rf is None:
    sys.exit("not continued from the .part")
for k in ("discharge_capacity", "discharge_energy", "mean_discharge_voltage", "end_time"):
    x, y = a["metrics/" + k][()], b["metrics/" + k][()]
    if abs(x - y) > 1e-4 * abs(x):
        sys.exit("%s: %r whole, %r continued" % (k, x, y))
print("OK" if b["provenance/status"].asstr()[()] == "complete" else "status " + b["provenance/status"].asstr()[()])
EOF
)
check sweep_killed_point_continues "[ $st = 0 ] && [ '$out' = OK ]" "status $st, left by the kill: $killed; $out"

# SIGTERM (a batch time limit): status 5, then the re-run finishes
base "output: {directory: $tmp/t}" "solver: {dt_max: 1 s}" "sweep:" "  separator.thickness: [10 um, 100 um, 1 mm]" >"$tmp/t.yaml"
"$bin" sweep "$tmp/t.yaml" -quiet >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do [ -f "$tmp/t/point_0000.h5" ] && break; sleep 0.01; done
kill -TERM $pid
wait $pid
st=$?
"$bin" sweep "$tmp/t.yaml" >"$tmp/t.out" 2>&1
st2=$?
out=$("$py" -c "
import h5py; f = h5py.File('$tmp/t/summary.h5'); print(','.join(s.decode() for s in f['status'][:]))" 2>&1)
check sweep_sigterm_rerun "[ $st = 5 ] && [ $st2 = 0 ] && [ '$out' = complete,complete,complete ]" "statuses $st then $st2, rows $out: $(tail -2 "$tmp/t.out")"

# ---- MPI: one point per rank, and two ranks per point
if command -v mpiexec >/dev/null; then
  mpiexec -n 2 "$bin" sweep "$tmp/s.yaml" -output_directory "$tmp/m2" -quiet >"$tmp/m2.out" 2>&1
  st=$?
  out=$("$py" "$tmp/same.py" "$tmp/reference.csv" "$tmp/m2/summary.csv" 2>&1 | tail -1)
  check sweep_2_ranks_same "[ $st = 0 ] && [ '$out' = OK ]" "status $st: $out $(tail -2 "$tmp/m2.out")"
  mpiexec -n 2 "$bin" sweep "$tmp/s.yaml" -output_directory "$tmp/m22" -ranks_per_run 2 -quiet >"$tmp/m22.out" 2>&1
  st=$?
  out=$("$py" "$tmp/same.py" "$tmp/reference.csv" "$tmp/m22/summary.csv" 1e-6 2>&1 | tail -1)
  check sweep_ranks_per_run_2 "[ $st = 0 ] && [ '$out' = OK ]" "status $st: $out $(tail -2 "$tmp/m22.out")"
  mpiexec -n 2 "$bin" sweep "$tmp/s.yaml" -ranks_per_run 3 >"$tmp/m3.out" 2>&1
  st=$?
  check sweep_ranks_per_run_divides "[ $st = 1 ] && grep -q 'ranks_per_run 3 must divide the 2 ranks' $tmp/m3.out" "status $st: $(tail -2 "$tmp/m3.out")"
else
  echo "SKIP sweep_2_ranks_same: no mpiexec"
fi

# ---- job-array style: -index, then collect
for i in 0 1 2 3 4 5; do
  [ "$i" = 2 ] && continue
  "$bin" sweep "$tmp/s.yaml" -index $i -output_directory "$tmp/a" -quiet >>"$tmp/a.out" 2>&1 || echo "index $i: status $?" >>"$tmp/a.out"
done
check sweep_index_one_point "[ -f $tmp/a/point_0005.h5 ] && [ ! -f $tmp/a/point_0002.h5 ] && [ ! -f $tmp/a/summary.csv ] && ! grep -q status $tmp/a.out" "$(tail -3 "$tmp/a.out")"
"$bin" collect "$tmp/a" >"$tmp/c.out" 2>&1
st=$?
out=$("$py" -c "
import csv; r = list(csv.DictReader(open('$tmp/a/summary.csv'))); print(len(r), r[2]['status'], r[3]['status'])" 2>&1)
check collect_missing_row "[ $st = 0 ] && [ '$out' = '6 missing complete' ] && grep -q '6 points, 5 point files' $tmp/c.out" "status $st: $out $(cat "$tmp/c.out")"
"$bin" sweep "$tmp/s.yaml" -index 2 -output_directory "$tmp/a" -quiet >/dev/null 2>&1
"$bin" collect "$tmp/a" >/dev/null 2>&1
out=$("$py" "$tmp/same.py" "$tmp/reference.csv" "$tmp/a/summary.csv" 2>&1 | tail -1)
is_ok collect_equals_sweep "$out"
"$bin" collect "$tmp/nowhere" >"$tmp/c2.out" 2>&1
st=$?
check collect_bad_directory "[ $st = 1 ] && grep -q 'nowhere' $tmp/c2.out" "status $st: $(cat "$tmp/c2.out")"

# ---- failed points are rows with their reason; the others go on
base "output: {directory: $tmp/f}" "sweep:" "  solver.max_steps: [100000, 5]" >"$tmp/f.yaml"
"$bin" sweep "$tmp/f.yaml" >"$tmp/f.out" 2>&1
st=$?
out=$("$py" -c "
import csv; r = list(csv.DictReader(open('$tmp/f/summary.csv'))); print(r[0]['status'], r[1]['status'], 'max_steps' in r[1]['end_reason'])" 2>&1)
check sweep_failed_point_row "[ $st = 3 ] && [ '$out' = 'complete failed True' ] && grep -q '1 ran, 0 skipped (complete), 1 failed' $tmp/f.out" "status $st: $out $(tail -2 "$tmp/f.out")"
cat >"$tmp/g.yaml" <<EOF
protocol: [discharge at 1C until 3.0 V, rest for 1 h]
output: {directory: $tmp/g}
sweep: {output.interval: [60 s, 1 ms]}
EOF
"$bin" sweep "$tmp/g.yaml" >"$tmp/g.out" 2>&1
st=$?
out=$("$py" -c "
import csv; r = list(csv.DictReader(open('$tmp/g/summary.csv'))); print(r[0]['status'], r[1]['status'], 'output.interval' in r[1]['end_reason'])" 2>&1)
check sweep_refused_point_row "[ $st = 3 ] && [ '$out' = 'complete failed True' ]" "status $st: $out $(tail -3 "$tmp/g.out")"

# ---- bad input: refused before anything runs, naming the key or the point
bad() { # name, expected text, sweep lines...
  local name=$1 want=$2
  shift 2
  base "output: {directory: $tmp/bad_$name}" "sweep:" "$@" >"$tmp/bad.yaml"
  "$bin" sweep "$tmp/bad.yaml" >"$tmp/bad.out" 2>&1
  local st=$?
  check "sweep_refuses_$name" "[ $st = 1 ] && grep -qF -- \"$want\" $tmp/bad.out && [ ! -e $tmp/bad_$name ]" "status $st: $(cat "$tmp/bad.out")"
}
bad unknown_key "unknown sweep key 'separator.thicknes'; keys of separator:" "  separator.thicknes: [10 um]"
bad unknown_section "unknown sweep key 'seperator.thickness'" "  seperator.thickness: [10 um]"
bad wrong_dimension "separator.thickness" "  separator.thickness: [10 um, 2 mS/cm]"
bad zip_lengths "mode zip pairs the values one to one, but separator.thickness has 2 values and define.rate has 3" \
  "  separator.thickness: [10 um, 20 um]" "  define.rate: [C/3, 1C, 2C]" "  mode: zip"
bad invalid_point "sweep point 1 (separator.thickness = -5 um) is refused" "  separator.thickness: [10 um, -5 um]"
bad undefined_value "define.speed is not defined" "  define.speed: [1C]"
bad range_points "points: '1' must be an integer from 2" "  separator.thickness: {from: 10 um, to: 1 mm, points: 1}"
bad range_spacing "spacing: 'logarithmic'; allowed: linear, log" "  separator.thickness: {from: 10 um, to: 1 mm, points: 3, spacing: logarithmic}"
bad output_file "output.file cannot be swept" "  output.file: [a.h5, b.h5]"
bad mode "'sideways'; allowed: product, zip" "  separator.thickness: [10 um]" "  mode: sideways"
base "output: {directory: $tmp/none}" >"$tmp/nosweep.yaml"
"$bin" sweep "$tmp/nosweep.yaml" >"$tmp/ns.out" 2>&1
st=$?
check sweep_refuses_no_section "[ $st = 1 ] && grep -q 'no sweep: section' $tmp/ns.out" "status $st: $(cat "$tmp/ns.out")"
"$bin" sweep "$tmp/s.yaml" -index 6 >"$tmp/ix.out" 2>&1
st=$?
check sweep_refuses_index "[ $st = 1 ] && grep -q 'has points 0 to 5' $tmp/ix.out" "status $st: $(cat "$tmp/ix.out")"
"$bin" sweep "$tmp/s.yaml" -separator_thickness 30um >"$tmp/ov.out" 2>&1
st=$?
check sweep_refuses_swept_override "[ $st = 1 ] && grep -q 'separator.thickness is swept' $tmp/ov.out" "status $st: $(cat "$tmp/ov.out")"
"$bin" sweep "$tmp/s.yaml" -output_directory "$tmp/s.yaml" >"$tmp/od.out" 2>&1
st=$?
check sweep_refuses_file_as_directory "[ $st = 1 ] && grep -q 'output.directory $tmp/s.yaml is not a directory' $tmp/od.out && grep -q '^sweep:' $tmp/s.yaml" "status $st: $(cat "$tmp/od.out")"
"$bin" sweep "$tmp/s.yaml" -ts_typo 1 >"$tmp/typo.out" 2>&1
st=$?
check sweep_refuses_unused_option "[ $st = 1 ] && grep -q 'ts_typo' $tmp/typo.out" "status $st: $(cat "$tmp/typo.out")"
exit 0
