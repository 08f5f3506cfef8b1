#!/usr/bin/env bash
# The same run on 1, 2 and 3 MPI ranks gives the same answer to solver
# tolerance (SPEC section 7): the terminal voltage at every sample, every
# field at every output time and the metrics. Newton stops when the error
# left is below 1e-10 V; the ranks differ only in the rounding of the
# factorization (PETSc LU on one rank, MUMPS on several), so 1e-8 V on
# potentials and 1e-8 relative on everything else leaves a wide margin
# while catching any face counted twice or missed between ranks. The cell
# current in lithium is the exception, with an absolute floor (see below).
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

for cfg in default polymer_symmetric; do
  ok=1
  for n in 1 2 3; do
    if ! mpiexec --oversubscribe -n $n ionstack run configs/$cfg.yaml -output_file "$t/$cfg-$n.h5" -quiet >"$t/$cfg-$n.log" 2>&1; then
      fail "mpi_${cfg}_runs_on_${n}_ranks" "$(tail -n 3 "$t/$cfg-$n.log")"
      ok=0
    fi
  done
  [ $ok = 1 ] || continue
  for n in 2 3; do
    /usr/bin/python3 - "$t/$cfg-1.h5" "$t/$cfg-$n.h5" "mpi_${cfg}_${n}_ranks_equal_1_rank" <<'EOF'
import sys
import h5py
import numpy as np

a, b, name = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r"), sys.argv[3]
worst, where = 0.0, ""

def compare(path, x, y, tol_abs, tol_rel):
    global worst, where
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape:
        worst, where = np.inf, "%s: shape %s vs %s" % (path, x.shape, y.shape)
        return
    both = np.isfinite(x) & np.isfinite(y)
    if not np.array_equal(np.isfinite(x), np.isfinite(y)):
        worst, where = np.inf, "%s: NaN pattern differs" % path
        return
    if both.any():
        err = np.max(np.abs(x[both] - y[both]) / (tol_abs + tol_rel * np.abs(x[both])))
        if err > worst:
            worst, where = err, path

compare("timeseries/voltage", a["timeseries/voltage"], b["timeseries/voltage"], 1e-8, 0)
compare("timeseries/capacity", a["timeseries/capacity"], b["timeseries/capacity"], 1e-12, 1e-8)
compare("timeseries/time", a["timeseries/time"], b["timeseries/time"], 1e-9, 1e-8)
# the current in a metal cell is sigma/h times a potential difference at the
# rounding level of phi: 1.1e7 S/m / 2 um x 1e-16 x 4 mV ~ 2e-6 A/m^2 of noise
# the reaction current of a composite cell is a i0 F/RT (3.5e7 A/(m^3 V) in the
# default cell) times eta, which Newton settles to 1e-10 V: 4e-3 A/m^3 of noise
tol_abs = {"current_density": 1e-4, "reaction_current_density": 0.1}
for f in a["fields"]:
    potential = "potential" in f
    compare("fields/" + f, a["fields"][f][()], b["fields"][f][()], 1e-8 if potential else tol_abs.get(f, 1e-12), 0 if potential else 1e-8)
for m in ("discharge_capacity", "charge_capacity", "discharge_energy", "end_time", "min_interface_concentration"):
    if m in a["metrics"]:
        compare("metrics/" + m, [a["metrics"][m][()]], [b["metrics"][m][()]], 1e-12, 1e-8)
status = b["provenance/status"].asstr()[()]
ok = worst <= 1 and status == "complete" and b["provenance/mpi_size"][()] > 1
print(("PASS %s (worst %.2g of the tolerance, at %s)" % (name, worst, where)) if ok else ("FAIL %s: worst %.3g of the tolerance at %s, status %s" % (name, worst, where, status)))
EOF
  done
done

# Decisions taken together: a domain error met on one rank only (the first,
# far too long step of a polymer cell near its limiting current drives the
# concentration at the depleting interface negative, on the last rank) is
# reduced over the ranks, so all of them retry the step; a hang here would
# be the deadlock in the line search. The run's summary counts the domain
# errors; every rank count must see the same one and end the same way.
ref=""
for n in 1 2 3; do
  timeout 300 mpiexec --oversubscribe -n $n ionstack run configs/polymer_symmetric.yaml -protocol "[discharge at 1.0 mA/cm^2 for 2 h]" \
    -solver_dt_initial 1000s -output_interval 0 -output_file "$t/dom-$n.h5" >"$t/dom-$n.log" 2>&1
  rc=$?
  errors=$(grep -o "[0-9]* domain errors" "$t/dom-$n.log" | grep -o "^[0-9]*")
  V=$(/usr/bin/python3 -c "import h5py,sys; print('%.9f' % h5py.File(sys.argv[1])['timeseries/voltage'][-1])" "$t/dom-$n.h5" 2>/dev/null)
  [ $n = 1 ] && ref=$V
  if [ $rc -eq 0 ] && [ -n "$errors" ] && [ "$errors" -ge 1 ] && [ "$V" = "$ref" ]; then pass "mpi_domain_error_on_one_rank_is_shared_${n}_ranks ($errors domain errors, V_end $V V)"
  else fail "mpi_domain_error_on_one_rank_is_shared_${n}_ranks" "rc=$rc errors='$errors' V_end '$V' (1 rank: '$ref') $(tail -n 2 "$t/dom-$n.log")"; fi
done
# the other deadlock: a finer cathode on two ranks
timeout 300 mpiexec -n 2 ionstack run configs/default.yaml -cathode_cells 80 -quiet -output_file "$t/c80.h5" >"$t/c80.log" 2>&1
rc=$?
[ $rc -eq 0 ] && pass mpi_fine_cathode_runs_on_2_ranks || fail mpi_fine_cathode_runs_on_2_ranks "rc=$rc $(tail -n 3 "$t/c80.log")"
