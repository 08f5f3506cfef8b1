#!/usr/bin/env bash
# Restart from the stored solver state (docs/restart.md), with the real
# binary:
#  - SIGKILL at 8 random times (fixed seed) of the default cell, each .part
#    continued with -restart into the same output.file: exit status 0, one
#    complete file and no .part, its history up to the restart the killed
#    file's rows bit for bit, /provenance/restarted_from naming the .part and
#    its time, and the result the uninterrupted run's (below);
#  - SIGTERM (a batch system's time limit): the interrupted file continued;
#  - a finished file continued with more protocol steps, against the
#    uninterrupted run of the longer protocol;
#  - a changed config refused (exit status 1, the key named, nothing written,
#    the file left as it was), a changed output.interval accepted;
#  - files that cannot be continued: missing, empty, not HDF5, without a
#    stored state;
#  - a run on 2 ranks continued on 1, and one on 1 continued on 2.
# Tolerances. A continued run takes up the stored state exactly; only the
# BDF history starts afresh at the restart, from solver.dt_initial as at
# the start of every protocol step, so from there it takes other time steps
# than the uninterrupted run. Each run is within its time-integration error
# of the exact solution, which solver.rtol = 1e-4 holds to about rtol x 1 V
# in the voltage (measured against rtol = 1e-7: 7.3e-5 V for this cell at
# output.interval 10 s) and rtol in the integrals (capacity, energy, end
# time: 1.7e-6 at most), so the two differ by at most twice that: 2e-4 V,
# and 1e-4 relative in the metrics. Measured: 6.4e-5 V and 6e-7 at worst,
# in the rest right after the discharge (docs/restart.md). A restart
# between two protocol steps restarts the BDF history where the run
# restarts it anyway, so it takes the same steps: 1e-9 relative there.
# Run from the repository root (tests/run.sh does).
bin=${IONSTACK_BIN:-$(command -v ionstack || echo bin/ionstack)}
py=/usr/bin/python3
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

if [ ! -x "$bin" ]; then
  fail restart_binary_built "$bin is missing; make bin/ionstack"
  exit 0
fi
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1} OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}
export OMPI_MCA_ess_singleton_isolated=${OMPI_MCA_ess_singleton_isolated:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d /tmp/ionstack_restart_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cfg=configs/default.yaml
args=(-quiet -output_interval 10s)

# compare.py REF CONTINUED [SOURCE [TOL_V TOL_REL]]: prints "OK <figures>" or
# "BAD <why>". SOURCE is a copy of the file the run continued from: the
# continued file must start with its rows and name it.
cat >"$tmp/compare.py" <<'EOF'
import sys
import h5py
import numpy as np


def last_at(t, times, values):
    """The value of the last sample at time t (two samples share the instant of a current step)."""
    i = np.searchsorted(times, t + 1e-9 * max(1.0, abs(t)), side="right") - 1
    return values[i]


def compare(ref, new, source=None, tol_v=2e-4, tol_rel=1e-4, source_name=None):
    a, b = h5py.File(ref, "r"), h5py.File(new, "r")
    status = b["provenance/status"].asstr()[()]
    if status != "complete":
        return "BAD status %s: %s" % (status, b["provenance/exit_reason"].asstr()[()])
    worst = {}
    for m in ("discharge_capacity", "discharge_energy", "mean_discharge_voltage", "charge_capacity", "end_time"):
        x, y = a["metrics"][m][()], b["metrics"][m][()]
        worst[m] = abs(x - y) / max(abs(x), 1e-30)
        if not worst[m] <= tol_rel:
            return "BAD metric %s: %.10g, uninterrupted %.10g (rel %.2e > %.1e)" % (m, y, x, worst[m], tol_rel)
    ta, va = a["timeseries/time"][:], a["timeseries/voltage"][:]
    tb, vb = b["timeseries/time"][:], b["timeseries/voltage"][:]
    if np.any(np.diff(tb) < 0):
        return "BAD the continued time series goes back in time"
    fa, fb = a["fields/time"][:], b["fields/time"][:]
    common = fa[np.isin(np.round(fa, 6), np.round(fb, 6))]
    ends = np.concatenate([a["protocol/end_time"][:], b["protocol/end_time"][:]])
    common = [t for t in common if np.min(np.abs(ends - t)) > 1e-6]  # not at a voltage jump
    if len(common) < 0.9 * min(len(fa), len(fb)):
        return "BAD only %d of %d output times in common" % (len(common), min(len(fa), len(fb)))
    dv = max(abs(last_at(t, ta, va) - last_at(t, tb, vb)) for t in common)
    if not dv <= tol_v:
        return "BAD voltage differs by %.3g V at common output times (tol %.1e V)" % (dv, tol_v)
    for k, scale in (("capacity", a["timeseries/capacity"][:]), ("energy", a["timeseries/energy"][:])):
        x, y = a["timeseries"][k][:], b["timeseries"][k][:]
        d = max(abs(last_at(t, ta, x) - last_at(t, tb, y)) for t in common) / np.max(np.abs(scale))
        if not d <= tol_rel:
            return "BAD /timeseries/%s differs by %.3g of its range at common output times (tol %.1e)" % (k, d, tol_rel)
    if [s for s in a["protocol/end_reason"].asstr()[:]] != [s for s in b["protocol/end_reason"].asstr()[:]]:
        return "BAD protocol steps ended otherwise: %s" % list(b["protocol/end_reason"].asstr()[:])
    note = ""
    if source:
        s = h5py.File(source, "r")
        sl = (int(s["restart/count"][()]) - 1) % 2
        names = s["restart/scalars"].attrs["names"].split(",")
        row = dict(zip(names, s["restart/scalars"][sl]))
        n = int(row["rows_timeseries"])
        for k in ("time", "voltage", "current", "capacity", "energy", "step", "protocol_step"):
            if not np.array_equal(s["timeseries"][k][:n], b["timeseries"][k][:n]):
                return "BAD /timeseries/%s differs from the source in its first %d rows" % (k, n)
        nf = int(row["rows_fields"])
        for k in s["fields"]:
            if not np.array_equal(s["fields"][k][:nf], b["fields"][k][:nf], equal_nan=True):
                return "BAD /fields/%s differs from the source in its first %d rows" % (k, nf)
        if "restarted_from" not in b["provenance"]:
            return "BAD no /provenance/restarted_from"
        rf, rt = b["provenance/restarted_from/file"].asstr()[()], b["provenance/restarted_from/time"][()]
        if (source_name and rf != source_name) or rt != row["time"]:
            return "BAD restarted_from says %s at %.10g s, want %s at %.10g s" % (rf, rt, source_name, row["time"])
        note = ", continued at t = %.6g s (%s)" % (row["time"], "between steps" if row["between"] else "in step %d" % (row["step"] + 1))
    return "OK |dV| %.2g V, worst metric rel %.2g (%s)%s" % (dv, max(worst.values()), max(worst, key=worst.get), note)


if __name__ == "__main__":
    extra = [float(x) for x in sys.argv[5:7]] if len(sys.argv) > 5 else []
    print(compare(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] != "-" else None, *extra,
                  source_name=sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] != "-" else None))
EOF

if ! "$bin" run $cfg "${args[@]}" -output_file "$tmp/ref.h5" >"$tmp/ref.log" 2>&1; then
  fail restart_reference_runs "$(tail -n 3 "$tmp/ref.log")"
  exit 0
fi

# ---- SIGKILL mid-way, continued from the .part into the same output.file ----
"$py" - "$bin" "$tmp" "$cfg" "${args[@]}" <<'EOF'
import os
import random
import shutil
import signal
import subprocess
import sys
import time

os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"  # to look at a .part while its run writes it
import h5py  # noqa: E402

sys.path.insert(0, sys.argv[2])
from compare import compare  # noqa: E402

bin, tmp, cfg, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]


def last_stored(part):
    """The time of the last state a .part holds, or None (none yet, or caught mid-write)."""
    try:
        with h5py.File(part, "r") as f:
            n = int(f["restart/count"][()])
            return f["restart/scalars"][(n - 1) % 2][0] if n > 0 else None
    except Exception:  # noqa: BLE001 -- not there yet, or being written
        return None


def wait_for_state(p, part, after=None, limit=60.0):
    """Waits until the running process p has stored a state (later than `after`):
    kills then land inside the run however loaded the machine is. False if p ended first."""
    end = time.time() + limit
    while time.time() < end and p.poll() is None:
        t = last_stored(part)
        if t is not None and (after is None or t > after):
            return True
        time.sleep(0.005)
    return False
duration = float("inf")  # the shortest of two runs (the first may load libraries from disk)
for _ in range(2):
    start = time.time()
    subprocess.run([bin, "run", cfg] + args + ["-output_file", tmp + "/timing.h5"], check=True, stdout=subprocess.DEVNULL)
    duration = min(duration, time.time() - start)
rng = random.Random(20250131)
continued = 0
for i in range(8):
    out = "%s/k%d/run.h5" % (tmp, i)
    delay = rng.uniform(0.0, 0.8) * duration  # after its first stored state
    p = subprocess.Popen([bin, "run", cfg] + args + ["-output_file", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_state(p, out + ".part")
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait()
    name = "restart_after_sigkill_%d" % i
    part = out + ".part"
    try:
        with h5py.File(part, "r") as f:
            stored = int(f["restart/count"][()])
    except Exception:  # noqa: BLE001 -- killed before its first output time, or after the end
        stored = 0
    if not stored:
        print("PASS %s (after %.3f s: no state stored yet or run finished; nothing to continue)" % (name, delay))
        continue
    shutil.copy(part, tmp + "/source%d.h5" % i)
    r = subprocess.run([bin, "run", cfg] + args + ["-output_file", out, "-restart", part], capture_output=True, text=True)
    left = sorted(os.listdir(os.path.dirname(out)))
    if r.returncode != 0:
        print("FAIL %s: exit status %d: %s" % (name, r.returncode, r.stderr.strip()[-400:]))
        continue
    if left != ["run.csv", "run.h5", "run.xmf"]:
        print("FAIL %s: files left: %s (want run.h5 and its sidecars, no .part)" % (name, left))
        continue
    res = compare(tmp + "/ref.h5", out, tmp + "/source%d.h5" % i, source_name=part)
    continued += res.startswith("OK")
    print(("PASS %s (killed after %.3f s; %s)" % (name, delay, res[3:])) if res.startswith("OK") else "FAIL %s: %s" % (name, res[4:]))
print("PASS restart_sigkill_left_states (%d of 8)" % continued if continued >= 4 else
      "FAIL restart_sigkill_left_states: only %d of 8 kills left a state to continue (the run took %.2f s)" % (continued, duration))

# a chain: the continued run killed in turn, and continued again (it stores
# its own states as it goes, and names the file it continued last)
out, times, rc = tmp + "/chain/run.h5", [], -1
for k in range(3):
    extra = ["-restart", out + ".part"] if k else []
    p = subprocess.Popen([bin, "run", cfg] + args + ["-output_file", out] + extra, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if k < 2:
        wait_for_state(p, out + ".part", times[-1] if times else None)  # a state of this leg's own
        time.sleep(0.2 * duration)
        p.send_signal(signal.SIGKILL)
        p.wait()
        try:
            with h5py.File(out + ".part", "r") as f:
                times.append(f["restart/scalars"][(int(f["restart/count"][()]) - 1) % 2][0])
        except Exception:  # noqa: BLE001 -- no .part: the leg finished before the kill
            break
    else:
        rc = p.wait()
try:
    res = compare(tmp + "/ref.h5", out)
    with h5py.File(out, "r") as f:
        last = f["provenance/restarted_from/time"][()] if "restarted_from" in f["provenance"] else None
except Exception as e:  # noqa: BLE001 -- no file is the finding
    res, last = "BAD %s" % e, None
ok = len(times) == 2 and rc == 0 and res.startswith("OK") and last == times[-1] and times[0] < times[1]
print(("PASS restart_chain_killed_twice (continued at %.6g s, then %.6g s; %s)" % (times[0], times[1], res[3:])) if ok else
      "FAIL restart_chain_killed_twice: exit status %d, states at %s, restarted_from %s: %s" % (rc, times, last, res))
EOF

# ---- SIGTERM: the batch-system case, interrupted file continued ----
out=$tmp/term/run.h5
"$bin" run $cfg "${args[@]}" -output_file "$out" >"$tmp/term.log" 2>&1 &
pid=$!
for _ in $(seq 200); do [ -e "$out.part" ] && break; sleep 0.02; done
sleep 0.2
kill -TERM "$pid"
wait "$pid"
status=$?
cp "$out" "$tmp/term_source.h5" 2>/dev/null
"$bin" run $cfg "${args[@]}" -output_file "$out" -restart "$out" >"$tmp/term2.log" 2>&1
status2=$?
result=$("$py" "$tmp/compare.py" "$tmp/ref.h5" "$out" "$tmp/term_source.h5" "$out")
if [ "$status" -eq 5 ] && [ "$status2" -eq 0 ] && [ "${result%% *}" = OK ] && [ ! -e "$out.part" ]; then
  pass "restart_after_sigterm (${result#OK })"
else
  fail restart_after_sigterm "exit statuses $status (want 5) and $status2 (want 0): $result $(tail -n 2 "$tmp/term2.log")"
fi

# ---- a finished run continued with more protocol steps ----
longer='[discharge at 1C until 3.0 V, rest for 10 min, charge at C/3 until 4.2 V, hold at 4.2 V until C/20, discharge at C/2 until 3.0 V]'
"$bin" run $cfg "${args[@]}" -protocol "$longer" -output_file "$tmp/longer_ref.h5" >"$tmp/longer_ref.log" 2>&1
sum0=$(md5sum <"$tmp/ref.h5")
"$bin" run $cfg "${args[@]}" -protocol "$longer" -output_file "$tmp/longer.h5" -restart "$tmp/ref.h5" >"$tmp/longer.log" 2>&1
status=$?
result=$("$py" "$tmp/compare.py" "$tmp/longer_ref.h5" "$tmp/longer.h5" "$tmp/ref.h5" "$tmp/ref.h5" 1e-9 1e-9)
steps=$("$py" -c "import h5py,sys; print(len(h5py.File(sys.argv[1])['protocol/end_time']))" "$tmp/longer.h5" 2>/dev/null)
if [ "$status" -eq 0 ] && [ "${result%% *}" = OK ] && [ "$steps" = 5 ] && [ "$(md5sum <"$tmp/ref.h5")" = "$sum0" ]; then
  pass "restart_finished_run_with_more_steps (${result#OK })"
else
  fail restart_finished_run_with_more_steps "exit status $status, $steps steps: $result $(tail -n 2 "$tmp/longer.log")"
fi

# ---- a deterministic state in the middle of a step: a run stopped by a step limit ----
# (-ts_max_steps is a PETSc option, not a config key: the continued run may drop it)
"$bin" run $cfg "${args[@]}" -ts_max_steps 150 -output_file "$tmp/mid.h5" >"$tmp/mid.log" 2>&1
status=$?
if [ "$status" -eq 3 ]; then pass restart_source_stopped_by_step_limit; else fail restart_source_stopped_by_step_limit "exit status $status (want 3): $(tail -n 2 "$tmp/mid.log")"; fi
sum0=$(md5sum <"$tmp/mid.h5")

# ---- the state of the first output time (t = 0, before the first time step) ----
# (-ts_max_steps 0 stops the run before its first step: the state at t = 0 is its last)
"$bin" run $cfg "${args[@]}" -ts_max_steps 0 -output_file "$tmp/first.h5" >"$tmp/first.log" 2>&1
"$bin" run $cfg "${args[@]}" -output_file "$tmp/first_continued.h5" -restart "$tmp/first.h5" >"$tmp/first_continued.log" 2>&1
status=$?
result=$("$py" "$tmp/compare.py" "$tmp/ref.h5" "$tmp/first_continued.h5" "$tmp/first.h5" "$tmp/first.h5" 1e-9 1e-9)
if [ "$status" -eq 0 ] && [ "${result%% *}" = OK ]; then
  pass "restart_from_the_first_output_time (${result#OK })"
else
  fail restart_from_the_first_output_time "exit status $status: $result $(tail -n 2 "$tmp/first_continued.log")"
fi

# ---- a changed config is refused before any output ----
refused() { # name, pattern the message must hold, extra arguments...
  local name=$1 pattern=$2 dir=$tmp/$1
  shift 2
  mkdir -p "$dir"
  "$bin" run $cfg "${args[@]}" -output_file "$dir/out.h5" -restart "$tmp/mid.h5" "$@" >"$dir/log" 2>&1
  local status=$?
  if [ "$status" -eq 1 ] && grep -q -- "$pattern" "$dir/log" && [ -z "$(ls -A "$dir" | grep -v '^log$')" ] && [ "$(md5sum <"$tmp/mid.h5")" = "$sum0" ]; then
    pass "$name"
  else
    fail "$name" "exit status $status (want 1), files: $(ls "$dir" | tr '\n' ' '); message: $(head -c 500 "$dir/log")"
  fi
}
refused restart_refuses_changed_separator_thickness "separator.thickness (1.8e-05 in the file, 3e-05 now)" -separator_thickness 30um
refused restart_refuses_changed_mesh "separator.cells (30 in the file, 40 now)" -separator_cells 40
refused restart_refuses_changed_current_step "protocol step 1 ('discharge at 1C until 3.0 V' in the file, 'discharge at 2C until 3.0 V' now)" \
  -protocol "[discharge at 2C until 3.0 V, rest for 10 min]"
refused restart_refuses_changed_tolerance "solver.rtol" -solver_rtol 1e-5
# the same output.file as the file refused: it must stay as it was
cp "$tmp/mid.h5" "$tmp/same.h5"
"$bin" run $cfg "${args[@]}" -output_file "$tmp/same.h5" -restart "$tmp/same.h5" -separator_thickness 30um >"$tmp/same.log" 2>&1
status=$?
if [ "$status" -eq 1 ] && [ "$(md5sum <"$tmp/same.h5")" = "$sum0" ] && [ ! -e "$tmp/same.h5.part" ]; then
  pass restart_refused_into_its_own_file_keeps_it
else
  fail restart_refused_into_its_own_file_keeps_it "exit status $status, $(ls "$tmp" | grep same | tr '\n' ' '): $(head -c 300 "$tmp/same.log")"
fi

# ---- what a restart may change ----
"$bin" run $cfg -quiet -output_interval 30s -solver_max_steps 200000 -output_file "$tmp/interval.h5" -restart "$tmp/mid.h5" >"$tmp/interval.log" 2>&1
status=$?
# the time steps land on other output times after the restart as well: the
# uninterrupted runs at 10 s and at 30 s differ by 8.2e-5 V and 3.3e-5
# relative; ten times rtol leaves room for that and the restart
result=$("$py" "$tmp/compare.py" "$tmp/ref.h5" "$tmp/interval.h5" "$tmp/mid.h5" "$tmp/mid.h5" 1e-3 1e-3)
spacing=$("$py" - "$tmp/interval.h5" <<'EOF'
import sys
import h5py
import numpy as np
f = h5py.File(sys.argv[1], "r")
t0 = f["provenance/restarted_from/time"][()]
t = f["fields/time"][:]
ends = f["protocol/end_time"][:]
after = [x for x in t if x > t0 + 1e-6 and np.min(np.abs(ends - x)) > 1e-6]
print("ok" if after and all(abs(x / 30 - round(x / 30)) < 1e-6 for x in after) else "bad: %s" % after[:5])
EOF
)
if [ "$status" -eq 0 ] && [ "${result%% *}" = OK ] && [ "$spacing" = ok ]; then
  pass "restart_accepts_output_interval_and_max_steps (${result#OK })"
else
  fail restart_accepts_output_interval_and_max_steps "exit status $status, output times after the restart $spacing: $result $(tail -n 2 "$tmp/interval.log")"
fi

# ---- files that cannot be continued ----
"$py" -c "
import h5py, sys
with h5py.File(sys.argv[1], 'w') as f:
    f['provenance/config'] = 'cell: {}'
" "$tmp/nostate.h5"
: >"$tmp/empty.h5.part"
for what in missing:"$tmp/none.h5":"No such file" empty:"$tmp/empty.h5.part":"it is empty" \
  not_hdf5:configs/default.yaml:"not an HDF5 file" no_state:"$tmp/nostate.h5":"no stored solver state"; do
  name=${what%%:*} rest=${what#*:}
  file=${rest%%:*} pattern=${rest#*:}
  "$bin" run $cfg "${args[@]}" -output_file "$tmp/c_$name.h5" -restart "$file" >"$tmp/c_$name.log" 2>&1
  status=$?
  if [ "$status" -eq 1 ] && grep -q "Cannot restart from $file: .*$pattern" "$tmp/c_$name.log" && [ -z "$(ls "$tmp" | grep "c_$name.h5")" ]; then
    pass "restart_refuses_${name}_file"
  else
    fail "restart_refuses_${name}_file" "exit status $status (want 1): $(head -c 300 "$tmp/c_$name.log")"
  fi
done

# ---- across rank counts ----
if mpiexec -n 2 "$bin" run $cfg "${args[@]}" -ts_max_steps 150 -output_file "$tmp/two.h5" >"$tmp/two.log" 2>&1; then
  fail restart_2_ranks_on_1 "the 2-rank run should have stopped at -ts_max_steps 150"
else
  "$bin" run $cfg "${args[@]}" -output_file "$tmp/two_on_one.h5" -restart "$tmp/two.h5" >"$tmp/two_on_one.log" 2>&1
  status=$?
  result=$("$py" "$tmp/compare.py" "$tmp/ref.h5" "$tmp/two_on_one.h5" "$tmp/two.h5" "$tmp/two.h5")
  if [ "$status" -eq 0 ] && [ "${result%% *}" = OK ]; then pass "restart_2_ranks_on_1 (${result#OK })"; else fail restart_2_ranks_on_1 "exit status $status: $result $(tail -n 2 "$tmp/two_on_one.log")"; fi
fi
mpiexec -n 2 "$bin" run $cfg "${args[@]}" -output_file "$tmp/one_on_two.h5" -restart "$tmp/mid.h5" >"$tmp/one_on_two.log" 2>&1
status=$?
result=$("$py" "$tmp/compare.py" "$tmp/ref.h5" "$tmp/one_on_two.h5" "$tmp/mid.h5" "$tmp/mid.h5")
if [ "$status" -eq 0 ] && [ "${result%% *}" = OK ]; then pass "restart_1_rank_on_2 (${result#OK })"; else fail restart_1_rank_on_2 "exit status $status: $result $(tail -n 2 "$tmp/one_on_two.log")"; fi
exit 0
