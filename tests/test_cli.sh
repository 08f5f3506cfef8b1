#!/usr/bin/env bash
# The command line end to end: the default run writes complete output, bad
# input fails with a message naming the key and leaves nothing behind, and
# -snes_test_jacobian agrees with the analytic Jacobian on every equation type.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

if ionstack run configs/default.yaml -output_file "$t/d.h5" -quiet >"$t/log" 2>&1 && [ -s "$t/d.h5" ] && [ -s "$t/d.xmf" ] && [ -s "$t/d.csv" ] && [ ! -e "$t/d.h5.part" ]; then
  pass cli_default_run_writes_h5_xmf_csv
else fail cli_default_run_writes_h5_xmf_csv "$(tail -3 "$t/log")"; fi
status=$(/usr/bin/python3 -c "import h5py,sys; f=h5py.File(sys.argv[1]); s=f['provenance'].attrs.get('status', None); s = s if s is not None else f['provenance/status'][()]; print(s.decode() if isinstance(s, bytes) else s)" "$t/d.h5" 2>&1)
[ "$status" = complete ] && pass cli_default_run_status_complete || fail cli_default_run_status_complete "$status"
grep -q "current limit" "$t/log" 2>/dev/null || ionstack run configs/default.yaml -output_file "$t/e.h5" >"$t/log2" 2>&1
grep -q "hold at 4.2 V until C/20 .*current limit" "$t/log2" "$t/log" 2>/dev/null && pass cli_default_protocol_completes || fail cli_default_protocol_completes "$(cat "$t/log2" 2>/dev/null | tail -8)"

check_error() { # name, expected text, args...
  local name=$1 want=$2; shift 2
  ionstack "$@" >"$t/out" 2>&1; local rc=$?
  if [ $rc -ne 0 ] && grep -q -- "$want" "$t/out" && [ -z "$(ls "$t"/bad* 2>/dev/null)" ]; then pass "$name"; else fail "$name" "rc=$rc $(cat "$t/out")"; fi
}
check_error cli_unknown_key_named "thikness" run configs/default.yaml -separator_thikness 30um -output_file "$t/bad.h5"
check_error cli_bad_unit_named "separator.thickness" run configs/default.yaml -separator_thickness 30parsecs -output_file "$t/bad.h5"
check_error cli_negative_thickness_named "separator.thickness" run configs/default.yaml -separator_thickness -5um -output_file "$t/bad.h5"
check_error cli_unknown_material_lists_library "Li6PS5Cl" run configs/default.yaml -separator_material unobtainium -output_file "$t/bad.h5"
check_error cli_missing_config_named "nope.yaml" run "$t/nope.yaml"
check_error cli_c_rate_in_symmetric_cell "C-rate" run configs/symmetric.yaml -protocol "[discharge at 1C for 1 h]" -output_file "$t/bad.h5"
check_error cli_unknown_command "unknown command" frobnicate

ionstack materials >"$t/m" 2>&1 && grep -q Li6PS5Cl "$t/m" && grep -q PEO-LiTFSI "$t/m" && pass cli_materials_list || fail cli_materials_list "$(cat "$t/m")"
ionstack materials NMC811 >"$t/m" 2>&1 && grep -qi "doi" "$t/m" && pass cli_materials_show_sources || fail cli_materials_show_sources "$(cat "$t/m")"
ionstack check configs/default.yaml >"$t/c" 2>&1 && grep -qi "mAh/cm" "$t/c" && grep -q "ASR" "$t/c" && pass cli_check_prints_derived_figures || fail cli_check_prints_derived_figures "$(cat "$t/c")"

# PETSc's own Jacobian test on each equation type: single-ion + thin film, binary + Li
for cfg in default polymer_symmetric; do
  ionstack run configs/$cfg.yaml -output_file "$t/j.h5" -quiet -snes_test_jacobian -ts_max_steps 3 >"$t/j" 2>&1
  worst=$(grep -o "||J - Jfd||_F/||J||_F = [0-9.e+-]*" "$t/j" | awk '{print $NF}' | sort -g | tail -1)
  if [ -n "$worst" ] && awk -v w="$worst" 'BEGIN{exit !(w < 1e-4)}'; then pass "cli_snes_test_jacobian_$cfg"; else fail "cli_snes_test_jacobian_$cfg" "worst ratio '$worst'"; fi
done
