#!/usr/bin/env bash
# Kill-and-check tests of the output contract (docs/output.md, "Crash
# safety"), with the real binary:
#  - SIGKILL at 40 random times (fixed seed) of `ionstack run`: every .part
#    left must open, say `running`, and every row its time datasets count must
#    be complete (each field row finite, NaN only in whole phases, the same
#    phases in every row; every time series and /protocol dataset at least as
#    long as its time dataset);
#  - SIGTERM and SIGINT: exit status 5, the file under its final name with
#    status `interrupted` and complete rows;
#  - a full disk (a small tmpfs; needs root, skipped with a SKIP line if the
#    mount is refused): the output layer's own contract through
#    build/tests/test_output's fill mode (1 and 2 ranks), and the real binary:
#    exit status 4, one clean message, the file closed as `failed` with its
#    rows.
# Run from the repository root (tests/run.sh does).
bin=${IONSTACK_BIN:-$(command -v ionstack || echo bin/ionstack)} # the build tests/run.sh put first in PATH
writer=${IONSTACK_OUTPUT_WRITER:-${IONSTACK_BUILD:-build}/tests/test_output}
py=/usr/bin/python3
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

for b in "$bin" "$writer"; do
  if [ ! -x "$b" ]; then
    fail crash_tests_built "$b is missing; make bin/ionstack build/tests/test_output"
    exit 0
  fi
done
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1} OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}
export OMPI_MCA_ess_singleton_isolated=${OMPI_MCA_ess_singleton_isolated:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d /tmp/ionstack_crash_XXXXXX)
full=$tmp/full
cleanup() {
  mountpoint -q "$full" 2>/dev/null && umount "$full"
  rm -rf "$tmp"
}
trap cleanup EXIT

# Checks one output file as docs/output.md promises it: prints "OK <what>"
# or "BAD <why>". Used for killed .part files and for closed files.
cat >"$tmp/check.py" <<'EOF'
import sys
import h5py
import numpy as np


def check(path, statuses):
    try:
        f = h5py.File(path, "r")
    except Exception as e:  # noqa: BLE001 -- a file that does not open is the finding
        return "BAD does not open: %s" % e
    try:
        status = f["provenance/status"].asstr()[()]
        if status not in statuses:
            return "BAD status %r, want one of %s" % (status, statuses)
        t = f["fields/time"][:]
        T = len(t)
        if not np.isfinite(t).all() or (np.diff(t) < 0).any():
            return "BAD /fields/time is not finite and increasing: %s" % t[-5:]
        phase = f["mesh/phase"][:]
        for name, d in f["fields"].items():
            if name == "time":
                continue
            if d.shape[0] < T:
                return "BAD /fields/%s has %d rows for %d output times" % (name, d.shape[0], T)
            rows = d[:T]
            if d.attrs["location"] != "cell":
                if not np.isfinite(rows).all():
                    return "BAD /fields/%s has NaN in a counted row" % name
                continue
            nan = np.isnan(rows)
            for p in np.unique(phase):
                cells = nan[:, phase == p]
                if cells.any() and not cells.all():
                    return "BAD /fields/%s is NaN in only some cells or rows of phase %d" % (name, p)
            if T and nan.all(axis=1).any():
                return "BAD /fields/%s has a row of NaN" % name
        for group, count in (("timeseries", "time"), ("protocol", "end_time")):
            n = f[group][count].shape[0]
            short = [k for k, d in f[group].items() if d.shape[0] < n]
            if short:
                return "BAD /%s/%s counts %d rows, but %s have fewer" % (group, count, n, short)
            bad = [k for k, d in f[group].items() if d.dtype.kind in "fi" and not np.isfinite(d[:n]).all()]
            if bad:
                return "BAD /%s rows counted by %s are not finite in %s" % (group, count, bad)
        return "OK %s, %d output times, %d samples" % (status, T, f["timeseries/time"].shape[0])
    except Exception as e:  # noqa: BLE001
        return "BAD cannot read: %s" % e


if __name__ == "__main__":
    print(check(sys.argv[1], sys.argv[2].split(",")))
EOF

# ---- SIGKILL at random times ----
# The delays are uniform over the run's own duration (measured first), so
# kills land before the file exists, while output times are written, and
# after the end. A .part says `running`; only a kill in the instant between
# the final marks and the rename leaves a .part with its final status, and
# then everything in it is complete, which the check verifies the same way.
"$py" - "$bin" "$tmp/kill" "$tmp/check.py" <<'EOF'
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(sys.argv[3]))
from check import check  # noqa: E402

bin, root = sys.argv[1], sys.argv[2]
# the thin-film cell: the contract does not depend on the cathode, and its
# runs are short enough for 40 kills of the sanitized build
args = ["run", "configs/thin_film.yaml", "-quiet", "-output_interval", "10s"]
os.makedirs(root)
# the shortest of three runs: the first on a fresh machine also loads the
# libraries from disk, which would put most kills after the end
duration = float("inf")
for _ in range(3):
    start = time.time()
    subprocess.run([bin] + args + ["-output_file", root + "/ref.h5"], check=True, stdout=subprocess.DEVNULL)
    duration = min(duration, time.time() - start)
rng = random.Random(20240611)
written = 0
# 40 kills at seeded times from the start. Where start-up takes most of a
# run (a loaded machine, a container: 3 of 80 landed after the first output
# time there), few of them land while output is written, so more kills
# follow, up to 80 in all, until 10 have: each of those at a seeded time
# after the run's .part appeared.
kills = 0
for i in range(80):
    if i >= 40 and written >= 10:
        break
    kills += 1
    out = "%s/k%02d/x.h5" % (root, i)
    delay = rng.uniform(0, 1.1 * duration) if i < 40 else rng.uniform(0, 0.3 * duration)
    p = subprocess.Popen([bin] + args + ["-output_file", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if i >= 40:  # from its first output time on
        end = time.time() + 60
        while not os.path.exists(out + ".part") and p.poll() is None and time.time() < end:
            time.sleep(0.002)
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait()
    name = "sigkill_%02d" % i
    if os.path.exists(out + ".part"):
        r = check(out + ".part", ["running", "complete"])
        if r.startswith("OK") and not r.startswith("OK running, 0 "):
            written += 1
    elif os.path.exists(out):
        r = check(out, ["complete"])  # it had finished
    else:
        r = "OK killed before the file existed"
    print(("PASS %s (after %.3f s: %s)" % (name, delay, r[3:])) if r.startswith("OK") else ("FAIL %s: after %.3f s: %s" % (name, delay, r[4:])))
# the test means something only if kills landed while output was being written
print("PASS sigkill_landed_during_output (%d of %d)" % (written, kills) if written >= 10 else
      "FAIL sigkill_landed_during_output: only %d of %d kills left a .part with output times (the run took %.2f s)" % (written, kills, duration))
EOF

# ---- SIGTERM and SIGINT: closed, marked interrupted, exit status 5 ----
# (exit status 5 and the interrupted close are the driver's and solver's part;
# this checks the whole contract from outside.)
for sig in TERM INT; do
  out=$tmp/sig$sig/x.h5
  "$bin" run configs/thin_film.yaml -quiet -output_interval 1s -output_file "$out" >"$tmp/sig$sig.out" 2>&1 &
  pid=$!
  for _ in $(seq 200); do [ -e "$out.part" ] && break; sleep 0.05; done
  sleep 0.3 # some output times into the run
  kill -"$sig" "$pid"
  wait "$pid"
  status=$?
  result=$("$py" "$tmp/check.py" "$out" interrupted)
  if [ "$status" -eq 5 ] && [ ! -e "$out.part" ] && [ "${result%% *}" = OK ] && [ -e "${out%.h5}.xmf" ] && [ -e "${out%.h5}.csv" ]; then
    pass "sig${sig,,}_closes_interrupted (${result#OK })"
  else
    fail "sig${sig,,}_closes_interrupted" "exit status $status (want 5), $result, files: $(ls "$(dirname "$out")" | tr '\n' ' ')"
  fi
done

# ---- a full disk ----
mkdir -p "$full"
if ! mount -t tmpfs -o size=1m tmpfs "$full" 2>"$tmp/mount.err"; then
  echo "SKIP full_disk: cannot mount a small tmpfs ($(head -n 1 "$tmp/mount.err")); run as root to test a full disk"
  exit 0
fi

# The output layer alone: its fill mode closes the output as failed on the
# first write error, as a caller must.
for n in 1 2; do
  rm -rf "${full:?}"/*
  if [ "$n" -eq 1 ]; then "$writer" "$full" fill >"$tmp/fill$n.out" 2>&1; else mpiexec -n 2 "$writer" "$full" fill >"$tmp/fill$n.out" 2>&1; fi
  status=$?
  errors=$(grep -c "write error 67 after .* No space left on device" "$tmp/fill$n.out")
  closed=$(grep -c "closed 67: .*status failed" "$tmp/fill$n.out")
  if [ "$status" -eq 4 ] && [ "$errors" -eq "$n" ] && [ "$closed" -eq "$n" ] && ! grep -q HDF5-DIAG "$tmp/fill$n.out"; then
    pass "full_disk_write_error_on_${n}_ranks"
  else
    fail "full_disk_write_error_on_${n}_ranks" "exit status $status, output: $(head -c 600 "$tmp/fill$n.out")"
  fi
  k=$(sed -n 's/^rank 0: write error 67 after \([0-9]*\) output times.*/\1/p' "$tmp/fill$n.out")
  "$py" - "$full/run.h5" "${k:-0}" "$tmp/check.py" "$n" <<'EOF'
import os
import sys
import h5py
import numpy as np
sys.path.insert(0, os.path.dirname(sys.argv[3]))
from check import check  # noqa: E402
path, k, ranks = sys.argv[1], int(sys.argv[2]), sys.argv[4]
r = check(path, ["failed"])
ok = r.startswith("OK") and not os.path.exists(path + ".part")
if ok:
    f = h5py.File(path, "r")
    c = f["fields/electrolyte_concentration"]
    rows = np.arange(k)[:, None]
    cells = np.arange(c.shape[1])[None, :]
    ok = k > 0 and f["fields/time"].shape[0] == k and np.array_equal(c[:k], 1000.0 + rows + 1e-3 * cells)
    r = "%s; %d output times, want %d with their exact values" % (r, f["fields/time"].shape[0], k)
print("%s full_disk_file_failed_with_its_rows_on_%s_ranks%s" % ("PASS" if ok else "FAIL", ranks, (" (%s)" % r[3:]) if ok else ": " + r))
EOF
done

# The whole program: exit status 4 (the driver's mapping of
# PETSC_ERR_FILE_WRITE), one line of message, the file closed as failed.
for size in 1m 64k; do
  umount "$full" && mount -t tmpfs -o size=$size tmpfs "$full"
  "$bin" run configs/default.yaml -quiet -output_interval 10s -output_file "$full/x.h5" >"$tmp/run_full.out" 2>"$tmp/run_full.err"
  status=$?
  lines=$(wc -l <"$tmp/run_full.err")
  if [ "$status" -eq 4 ] && [ "$lines" -eq 1 ] && grep -q "^ionstack: Cannot write the output file $full/x.h5.part: No space left on device" "$tmp/run_full.err"; then
    pass "full_disk_${size}_exit_4_one_message"
  else
    fail "full_disk_${size}_exit_4_one_message" "exit status $status (want 4), $lines lines: $(head -c 400 "$tmp/run_full.err")"
  fi
  if [ "$size" = 1m ]; then
    result=$("$py" "$tmp/check.py" "$full/x.h5" failed)
    if [ "${result%% *}" = OK ] && [ ! -e "$full/x.h5.part" ] && ! grep -q "OK failed, 0 output" <<<"$result"; then
      pass "full_disk_run_closed_failed_with_rows (${result#OK })"
    else
      fail full_disk_run_closed_failed_with_rows "$result; files: $(ls "$full" | tr '\n' ' ')"
    fi
  else # the first output time does not fit: nothing may be left behind
    if [ -z "$(ls -A "$full")" ] && grep -q "No output file was written" "$tmp/run_full.err"; then
      pass full_disk_before_first_output_leaves_nothing
    else
      fail full_disk_before_first_output_leaves_nothing "files: $(ls -A "$full" | tr '\n' ' '); $(head -c 300 "$tmp/run_full.err")"
    fi
  fi
done
exit 0
