#!/usr/bin/env bash
# The run contract seen from the command line (issue reproducers):
# - every argument is used or refused: misspelled config keys and PETSc
#   options, a stray word from an unquoted value, an option that would
#   resize the grid, each refused before any output with the nearest key;
#   options PETSc reads (also those it reads only at exit) are accepted;
#   -help lists the config keys and runs nothing;
# - every run ends in bounded time with its reason: solver.max_steps bounds
#   the whole run, the hold that used to reject steps forever ends, a
#   membrane that cannot carry the current ends at once with a physical
#   reason;
# - output times are exact multiples of output.interval plus every step
#   end, and the run starts with a rest sample (no current, open-circuit
#   voltage) followed by the loaded state at the same instant;
# - SIGTERM, SIGINT and SIGHUP stop the run with exit status 5 and the file
#   closed under its final name with status interrupted.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
py=/usr/bin/python3
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
cfg=configs/default.yaml

# name, expected text, args...: exit 1, the text in the message, nothing written
refused() {
  local name=$1 want=$2; shift 2
  rm -rf "$t/out"; mkdir -p "$t/out"
  timeout 60 ionstack run "$@" -output_file "$t/out/r.h5" >"$t/log" 2>&1; local rc=$?
  if [ $rc -eq 1 ] && grep -qF -- "$want" "$t/log" && [ -z "$(ls -A "$t/out")" ]; then pass "$name"; else fail "$name" "rc=$rc $(tail -c 400 "$t/log")"; fi
}
refused unused_key_without_section_names_the_key "did you mean -cathode_initial_stoichiometry" $cfg -initial_stoichiometry 0.5
refused misspelled_config_key_names_the_key "did you mean -separator_thickness" $cfg -separator_thikness 30um
refused misspelled_petsc_option_refused "-ts_monitr" $cfg -ts_monitr
refused unquoted_temperature_refused "-cell_temperature \"60 degC\"" $cfg -cell_temperature 60 degC
refused unquoted_thickness_refused "-separator_thickness \"30 um\"" $cfg -separator_thickness 30 um
refused grid_option_refused "-da_grid_x" $cfg -da_grid_x 10
refused second_config_file_refused "configs/symmetric.yaml" $cfg configs/symmetric.yaml
# a mesh is sized before it is allocated: check of 100 million cells stops at once (it allocated 6 GB for 22 s)
timeout 60 ionstack check $cfg -separator_cells 99999960 >"$t/log" 2>&1; rc=$?
if [ $rc -eq 1 ] && grep -q "raise mesh.memory_limit" "$t/log"; then pass mesh_larger_than_memory_limit_refused_before_allocating
else fail mesh_larger_than_memory_limit_refused_before_allocating "rc=$rc: $(tail -2 "$t/log")"; fi
refused output_interval_that_never_ends_refused "output.interval = 1e-09 s would take" $cfg -output_interval "1 ns"

if ionstack run $cfg -quiet -options_left -output_file "$t/ol.h5" >"$t/log" 2>&1 && ! grep -q "Option left" "$t/log" && [ -s "$t/ol.h5" ]; then
  pass options_read_at_exit_are_accepted
else fail options_read_at_exit_are_accepted "$(tail -5 "$t/log")"; fi
if ionstack run $cfg -quiet -ts_monitor -ts_view -snes_converged_reason -ksp_view -output_file "$t/v.h5" -protocol "[discharge at 1C for 10 s]" >"$t/log" 2>&1; then
  pass petsc_view_options_are_accepted
else fail petsc_view_options_are_accepted "$(tail -3 "$t/log")"; fi
rm -rf "$t/out"; mkdir -p "$t/out"
if ionstack run $cfg -help -output_file "$t/out/h.h5" >"$t/log" 2>&1 && grep -q -- "-separator_thickness" "$t/log" && grep -q -- "-ts_type" "$t/log" && [ -z "$(ls -A "$t/out")" ]; then
  pass help_lists_config_keys_and_petsc_options_and_runs_nothing
else fail help_lists_config_keys_and_petsc_options_and_runs_nothing "$(grep -c . "$t/log") lines, out: $(ls "$t/out")"; fi

# ---- bounded runs ----
timeout 60 ionstack run $cfg -quiet -solver_max_steps 50 -output_interval 0 -output_file "$t/ms.h5" >"$t/log" 2>&1; rc=$?
steps=$($py -c "import h5py,sys; print(int(h5py.File(sys.argv[1])['timeseries/step'][-1]))" "$t/ms.h5" 2>/dev/null)
if [ $rc -eq 3 ] && grep -q "solver.max_steps = 50" "$t/log" && [ "$steps" = 50 ]; then pass max_steps_bounds_the_whole_run
else fail max_steps_bounds_the_whole_run "rc=$rc steps=$steps $(tail -2 "$t/log")"; fi

start=$(date +%s)
timeout 60 ionstack run $cfg -separator_material PEO-LiTFSI -cell_temperature "0 degC" -separator_thickness 1mm -protocol "[hold at 4.2 V until C/20]" -output_file "$t/hold.h5" >"$t/log" 2>&1; rc=$?
if [ $rc -ne 124 ] && [ $(($(date +%s) - start)) -lt 30 ] && grep -q "ended at t" "$t/log"; then pass hold_that_rejected_steps_forever_ends
else fail hold_that_rejected_steps_forever_ends "rc=$rc $(tail -3 "$t/log")"; fi

timeout 60 ionstack run $cfg -separator_material PEO-LiTFSI -separator_thickness 1mm -output_file "$t/peo.h5" >"$t/log" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -qE "depletion|cutoff voltage" "$t/log" && ! grep -q "solver failure" "$t/log"; then pass thick_polymer_membrane_at_1c_ends_on_a_physical_reason
else fail thick_polymer_membrane_at_1c_ends_on_a_physical_reason "rc=$rc $(tail -3 "$t/log")"; fi
# far above what the membrane can carry: the start itself is the end
timeout 60 ionstack run $cfg -separator_material PEO-LiTFSI -separator_thickness 1mm -cell_temperature "0 degC" -protocol "[discharge at 100C until 3.0 V]" -output_file "$t/peo100.h5" >"$t/log" 2>&1; rc=$?
status=$($py -c "import h5py,sys; print(h5py.File(sys.argv[1])['provenance/status'].asstr()[()])" "$t/peo100.h5" 2>&1)
if [ $rc -eq 0 ] && grep -q "depletion at the start of step 1" "$t/log" && [ "$status" = complete ]; then pass current_far_above_the_limiting_current_ends_at_once_on_depletion
else fail current_far_above_the_limiting_current_ends_at_once_on_depletion "rc=$rc status $status $(tail -3 "$t/log")"; fi

# ---- output times and the first samples ----
ionstack run $cfg -quiet -output_file "$t/d.h5" -output_interval "7 min" >"$t/log" 2>&1
$py - "$t/d.h5" <<'EOF'
import sys
import h5py
import numpy as np
f = h5py.File(sys.argv[1], "r")
times = f["fields/time"][()]
ends = f["protocol/end_time"][()]
interval = 420.0
grid = np.arange(0, times[-1] + 1e-9, interval)
on_grid = np.all([np.any(np.abs(times - g) <= 1e-9 * max(1, g)) for g in grid])
at_ends = np.all([np.any(np.abs(times - e) <= 1e-12 * max(1, e)) for e in ends])
extra = [x for x in times if np.min(np.abs(grid - x)) > 1e-9 * max(1, x) and np.min(np.abs(ends - x)) > 1e-12 * max(1, x)]
ok = on_grid and at_ends and not extra
print(("PASS output_times_are_interval_multiples_and_step_ends (%d times, %d step ends)" % (len(times), len(ends))) if ok else
      "FAIL output_times_are_interval_multiples_and_step_ends: on grid %s, at ends %s, extra %s" % (on_grid, at_ends, extra[:5]))
t, V, I = f["timeseries/time"][:2], f["timeseries/voltage"][:2], f["timeseries/current"][:2]
ok = t[0] == 0 and t[1] == 0 and I[0] == 0 and I[1] > 0 and V[1] < V[0]
print(("PASS first_samples_are_rest_then_loaded_at_t0 (%.4f V at rest, %.4f V at %.4g A/m^2)" % (V[0], V[1], I[1])) if ok else
      "FAIL first_samples_are_rest_then_loaded_at_t0: t %s V %s I %s" % (t, V, I))
EOF

# ---- interrupts ----
for sig in TERM INT HUP; do
  ionstack run $cfg -quiet -cathode_cells 400 -output_interval 1s -output_file "$t/sig.h5" >"$t/log" 2>&1 &
  pid=$!
  # wait until the run is under way: its .part exists
  for _ in $(seq 100); do [ -e "$t/sig.h5.part" ] && break; sleep 0.05; done
  sleep 0.3
  kill -$sig $pid; wait $pid; rc=$?
  status=$($py -c "import h5py,sys; f=h5py.File(sys.argv[1]); print(f['provenance/status'].asstr()[()], len(f['fields/time']) > 1)" "$t/sig.h5" 2>&1)
  if [ $rc -eq 5 ] && [ "$status" = "interrupted True" ] && [ ! -e "$t/sig.h5.part" ] && grep -q "interrupted by signal" "$t/log"; then pass "sig${sig,,}_closes_the_file_as_interrupted"
  else fail "sig${sig,,}_closes_the_file_as_interrupted" "rc=$rc status '$status' $(tail -2 "$t/log")"; fi
  rm -f "$t"/sig.*
done
