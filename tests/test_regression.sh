#!/usr/bin/env bash
# Regression against gold files (tests/gold/<config>.json): a run of each
# config must reproduce its figures within per-quantity tolerances. The
# tolerances follow the solver's time-step error control (solver.rtol 1e-4):
# integrated quantities (capacity, energy, end times) may move by a few 1e-4
# when a legitimate change alters the step sequence, so they get 5e-4
# relative; voltages 1 mV; the area-specific resistances come from one
# algebraic solve at t = 0 and get 1e-6 relative. A larger difference is a
# change of the physics or of the numbers, and the gold file is rewritten on
# purpose (tests/gold/README.md says how), never to make this pass.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
py=/usr/bin/python3
for gold in tests/gold/*.json; do
  name=$(basename "$gold" .json)
  if ! timeout 300 ionstack run "configs/$name.yaml" -quiet -output_file "$t/$name.h5" >"$t/$name.log" 2>&1; then
    echo "FAIL regression_${name}_runs: $(tail -n 3 "$t/$name.log")"
    continue
  fi
  "$py" - "$gold" "$t/$name.h5" "$name" <<'PY'
import json, sys
import h5py
import numpy as np
gold, f, name = json.load(open(sys.argv[1])), h5py.File(sys.argv[2], "r"), sys.argv[3]
for key, spec in gold.items():
    if key.startswith("_"):
        continue
    if key.startswith("voltage_at_"):
        ts = f["timeseries"]
        got = float(np.interp(float(key[len("voltage_at_"):-1]), ts["time"][()], ts["voltage"][()]))
    else:
        got = np.asarray(f[key.split("#")[0]][()], float)
        if "index" in spec:
            got = got[spec["index"]]
        got = float(got)
    want, tol = spec["value"], spec["tol"]
    err = abs(got - want) / (abs(want) if spec.get("relative") else 1.0)
    ok = err <= tol
    print("%s regression_%s_%s (got %.10g, want %.10g, %s error %.2e, tol %.1e)" % ("PASS" if ok else "FAIL", name, key.replace("/", "_").replace("#", "_"), got, want,
          "relative" if spec.get("relative") else "absolute", err, tol))
PY
done
