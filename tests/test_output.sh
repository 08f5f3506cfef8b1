#!/usr/bin/env bash
# Output layer (src/output/output.c) seen from outside: runs
# build/tests/test_output in its writer modes and checks the files with the
# tools users will use: h5dump, h5py, an XML parser, sh (the recorded command
# line pastes back), the CSV, the kill contract (.part only), an unwritable
# path, a 2-rank run, postprocess/plot_run.py, and a PNG of a field rendered
# by ParaView's pvbatch under Xvfb (postprocess/render_field.py).
# Crash, full-disk and signal tests are in tests/test_crash.sh.
# The expected values repeat the formulas of Sample() and FieldValue() in
# tests/test_output.c. Run from the repository root (tests/run.sh does).
bin=${IONSTACK_BUILD:-build}/tests/test_output
py=/usr/bin/python3
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

if [ ! -x "$bin" ]; then
  fail output_writer_built "$bin is missing; make build/tests/test_output"
  exit 0
fi
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1} OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}
export OMPI_MCA_ess_singleton_isolated=${OMPI_MCA_ess_singleton_isolated:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d /tmp/ionstack_output_sh_XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# ---- a complete run ----
run=$tmp/run
# arguments a shell would mangle, recorded in /provenance/command_line
if "$bin" "$run" 'a b' "it's" '$HOME' '' 'x"y' '*' 'tab	and
newline' >"$tmp/writer.out" 2>&1; then
  if grep -q '^PASS ' "$tmp/writer.out"; then fail writer_quiet "the writer mode printed PASS lines"; else pass writer_runs; fi
else
  fail writer_runs "exit status $?: $(tail -n 5 "$tmp/writer.out")"
fi
h5=$run/run.h5

if h5dump -H "$h5" >"$tmp/h5dump.out" 2>&1; then pass h5dump_opens; else fail h5dump_opens "$(head -n 3 "$tmp/h5dump.out")"; fi

"$py" - "$h5" <<'EOF' || fail h5py_checks "python exited with an error"
import sys
import h5py
import numpy as np

def report(ok, name, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)))

f = h5py.File(sys.argv[1], "r")
datasets = []
f.visititems(lambda name, obj: datasets.append(name) if isinstance(obj, h5py.Dataset) else None)
unread, no_units = [], []
for name in datasets:
    try:
        f[name][()]
    except Exception as e:  # noqa: BLE001 -- any failure to read is the finding
        unread.append("%s (%s)" % (name, e))
    if "units" not in f[name].attrs:
        no_units.append(name)
report(not unread, "h5py_reads_every_dataset", ", ".join(unread))
report(not no_units and len(datasets) > 30, "every_dataset_has_units", "missing on %s (%d datasets)" % (no_units, len(datasets)))

text = lambda p: f[p].asstr()[()]
report(text("provenance/status") == "complete", "status_complete", text("provenance/status"))
report(text("provenance/exit_reason") == "protocol complete", "exit_reason", text("provenance/exit_reason"))
prov = set(f["provenance"].keys())
want = {"ionstack_version", "git_revision", "petsc_version", "hdf5_version", "mpi_size", "hostname", "command_line",
        "config_file", "config", "start_time", "end_time", "exit_reason", "status"}
report(want <= prov, "provenance_complete", "missing %s" % sorted(want - prov))
report("test_output" in text("provenance/command_line"), "command_line_recorded", text("provenance/command_line"))
report(f["provenance/command_line"].dtype.kind == "S", "text_is_fixed_size_utf8", str(f["provenance/command_line"].dtype))
report(text("provenance/start_time") <= text("provenance/end_time"), "start_before_end", "")

x = f["mesh/x_faces"][:]
report(len(x) == 7 and f["mesh/x_centres"].shape == (6,) and f["mesh/phase"].shape == (6,), "mesh_shapes", str(x))
report("lithium" in f["mesh/phase"].attrs["labels"], "phase_labels_attribute", "")
report(f["mesh/x_faces"].attrs["units"] == "m", "mesh_units_m", f["mesh/x_faces"].attrs["units"])

t = f["fields/time"][:]
report(np.array_equal(t, [0, 250, 490]), "three_output_times", str(t))
c = f["fields/electrolyte_concentration"]
k, j = np.meshgrid(np.arange(3), np.arange(6), indexing="ij")
report(np.array_equal(c[:], 1000.0 + 10.0 * k + j), "concentration_values", str(c[:]))
report(c.attrs["units"] == "mol/m^3", "concentration_units", c.attrs["units"])
report(np.allclose(f["fields/electrolyte_potential"][:], -0.001 * (k + 1) * j, rtol=0, atol=1e-15), "potential_values", "")
ic = f["fields/interface_current_density"][:]
report(ic.shape == (3, 2) and np.array_equal(ic[:, 0], [10, 20, 30]), "interface_field_count_2", str(ic))

ts = f["timeseries"]
i = np.arange(50)
expect = {"time": 10.0 * i, "voltage": 4.2 - 0.01 * i, "current": 10.0 + 0 * i, "capacity": 100.0 * i,
          "capacity_mAh_per_cm2": 100.0 * i / 36000.0, "energy": 400.0 * i, "step": i, "protocol_step": (i >= 25).astype(int)}
units = {"time": "s", "voltage": "V", "current": "A/m^2", "capacity": "C/m^2", "capacity_mAh_per_cm2": "mAh/cm^2",
         "energy": "J/m^2", "step": "1", "protocol_step": "1"}
for name, want_values in expect.items():
    got = ts[name][:]
    report(got.shape == (50,) and np.allclose(got, want_values, rtol=1e-15, atol=0), "timeseries_%s_50_samples" % name, str(got[:5]))
    report(ts[name].attrs["units"] == units[name], "timeseries_%s_units" % name, ts[name].attrs["units"])

p = f["protocol"]
report(list(p["index"][:]) == [0, 1], "protocol_index", str(p["index"][:]))
report(list(p["text"].asstr()[:]) == ["discharge at 1C until 3.0 V", "rest for 10 min"], "protocol_text", str(p["text"][:]))
report(list(p["end_reason"].asstr()[:]) == ["cutoff voltage 3 V", "duration"], "protocol_end_reason", str(p["end_reason"][:]))
report(np.array_equal(p["end_time"][:], [240, 490]), "protocol_end_time", str(p["end_time"][:]))

m = f["metrics"]
report(sorted(m.keys()) == ["delivered_capacity", "mean_voltage", "time_steps"], "three_metrics", str(list(m.keys())))
report(m["time_steps"].dtype == np.int64 and m["time_steps"][()] == 49 and m["time_steps"].attrs["units"] == "1", "counter_metric_int64",
       "%s %s" % (m["time_steps"].dtype, m["time_steps"][()]))
report(abs(m["delivered_capacity"][()] - 4900 / 36000) < 1e-15 and m["delivered_capacity"].attrs["units"] == "mAh/cm^2",
       "metric_value_and_units", "")
EOF

# ---- the command line pastes back into sh as the same arguments ----
"$py" - "$h5" "$bin" "$run" <<'EOF' || fail command_line_round_trip "python exited with an error"
import subprocess
import sys
import h5py
cmd = h5py.File(sys.argv[1], "r")["provenance/command_line"].asstr()[()]
want = [sys.argv[2], sys.argv[3], "a b", "it's", "$HOME", "", 'x"y', "*", "tab\tand\nnewline"]
out = subprocess.run(["sh", "-c", 'eval "set -- $1"; for a in "$@"; do printf "%s\\0" "$a"; done', "sh", cmd],
                     capture_output=True, check=True, cwd="/").stdout.decode()
got = out.split("\0")[:-1]
print("PASS command_line_round_trip" if got == want else "FAIL command_line_round_trip: %r from %s, want %r" % (got, cmd, want))
EOF

# ---- XDMF sidecar ----
"$py" - "$run/run.xmf" "$h5" <<'EOF' || fail xmf_checks "python exited with an error"
import sys
import xml.etree.ElementTree as ET
import h5py

def report(ok, name, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)))

root = ET.parse(sys.argv[1]).getroot()
report(root.tag == "Xdmf", "xmf_parses", root.tag)
coll = root.find("Domain/Grid")
report(coll.get("GridType") == "Collection" and coll.get("CollectionType") == "Temporal", "xmf_temporal_collection", str(coll.attrib))
grids = coll.findall("Grid")
times = [float(g.find("Time").get("Value")) for g in grids]
report(times == [0, 250, 490], "xmf_three_time_steps", str(times))
f = h5py.File(sys.argv[2], "r")
refs = [d.text.strip() for d in root.iter("DataItem") if d.get("Format") == "HDF"]
files = {r.split(":")[0] for r in refs}
report(files == {"run.h5"}, "xmf_names_the_h5_by_basename", str(files))
missing = [r for r in refs if r.split(":", 1)[1] not in f]
report(not missing, "xmf_datasets_exist", str(missing))
g = grids[2]
topo = g.find("Topology")
report(topo.get("TopologyType") == "3DRectMesh" and topo.get("Dimensions") == "2 2 7", "xmf_topology", str(topo.attrib))
names = [a.get("Name") for a in g.findall("Attribute")]
report(sorted(names) == ["electrolyte_concentration", "electrolyte_potential", "phase"], "xmf_cell_fields_only", str(names))
slab = [a for a in g.findall("Attribute") if a.get("Name") == "electrolyte_concentration"][0].find("DataItem")
start = slab.find("DataItem").text.split()
report(slab.get("ItemType") == "HyperSlab" and slab.get("Dimensions") == "1 1 6" and start[:2] == ["2", "0"], "xmf_hyperslab_row_2",
       str(start))
EOF

# ParaView's XDMF Reader (Xdmf2) itself, when it is installed (python3-paraview).
if command -v pvpython >/dev/null; then
  (cd "$run" && pvpython - run.xmf) >"$tmp/pv.out" 2>&1 <<'EOF'
import sys
from vtkmodules.vtkCommonExecutionModel import vtkStreamingDemandDrivenPipeline as S
from vtkmodules.vtkIOXdmf2 import vtkXdmfReader
r = vtkXdmfReader()
r.SetFileName(sys.argv[1])
r.UpdateInformation()
times = list(r.GetOutputInformation(0).Get(S.TIME_STEPS()) or [])
r.UpdateTimeStep(490.0)
d = r.GetOutputDataObject(0)
values = lambda a: [a.GetValue(i) for i in range(a.GetNumberOfTuples())] if a else None
conc = values(d.GetCellData().GetArray("electrolyte_concentration"))
phase = values(d.GetCellData().GetArray("phase"))
x = values(d.GetXCoordinates())
ok = (times == [0, 250, 490] and d.GetNumberOfCells() == 6 and conc == [1020.0 + j for j in range(6)]
      and phase == [1, 2, 2, 2, 2, 3] and x == [0, 2e-6, 5e-6, 9e-6, 14e-6, 20e-6, 27e-6])
print("PASS xmf_opens_in_paraview_xdmf_reader" if ok else
      "FAIL xmf_opens_in_paraview_xdmf_reader: times %s, cells %d, conc %s, phase %s, x %s" % (times, d.GetNumberOfCells(), conc, phase, x))
EOF
  grep -E '^(PASS|FAIL) ' "$tmp/pv.out" || fail xmf_opens_in_paraview_xdmf_reader "$(tail -n 3 "$tmp/pv.out")"
else
  fail xmf_opens_in_paraview_xdmf_reader "pvpython is not installed; make test installs paraview (apt install paraview python3-paraview)"
fi

# ---- a PNG of a field, rendered by ParaView under Xvfb ----
# pvbatch aborts without an X display; xvfb-run gives it one (Debian packages
# xvfb and xauth, installed by make test-deps).
if ! command -v pvbatch >/dev/null; then
  fail paraview_renders_field "pvbatch is not installed; make test installs paraview (apt install paraview python3-paraview)"
elif ! command -v xvfb-run >/dev/null; then
  fail paraview_renders_field "xvfb-run is not installed; make test installs it (apt install xvfb xauth)"
else
  timeout 300 xvfb-run -a pvbatch postprocess/render_field.py "$run/run.xmf" -o "$tmp/field.png" --field electrolyte_concentration \
    >"$tmp/render.out" 2>&1
  "$py" - "$tmp/field.png" <<'EOF' || fail paraview_renders_field "$(tail -n 3 "$tmp/render.out")"
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg
import numpy as np
with open(sys.argv[1], "rb") as fp:
    signature = fp.read(8)
img = mpimg.imread(sys.argv[1])[..., :3]
row = img[img.shape[0] // 2]
colours = {tuple(np.round(c, 3)) for c in row}
# not blank, and across the middle: the background and the six cells of the
# last output time, each value its own colour (an outline alone gives 2)
ok = signature == b"\x89PNG\r\n\x1a\n" and len(np.unique(img.reshape(-1, 3), axis=0)) > 1 and len(colours) >= 7
print("PASS paraview_renders_field" if ok else "FAIL paraview_renders_field: %d colours across the middle row" % len(colours))
EOF
fi

# ---- CSV sidecar ----
csv=$run/run.csv
lines=$(wc -l <"$csv" 2>/dev/null || echo 0)
if [ "$lines" -eq 51 ]; then pass csv_51_lines; else fail csv_51_lines "$csv has $lines lines"; fi
header=$(head -n 1 "$csv" 2>/dev/null)
want_header=time_s,voltage_V,current_A_per_m2,capacity_mAh_per_cm2,energy_Wh_per_m2,step,protocol_step
if [ "$header" = "$want_header" ]; then pass csv_header; else fail csv_header "got '$header'"; fi
row=$(sed -n 38p "$csv" 2>/dev/null) # sample 36: 4.2-0.36 V, 3600 C/m^2 = 0.1 mAh/cm^2, 14400 J/m^2 = 4 Wh/m^2
if [ "$row" = "360,3.84,10,0.1,4,36,1" ]; then pass csv_row_values; else fail csv_row_values "row 38 is '$row'"; fi

# ---- a killed run leaves only the .part ----
kill_dir=$tmp/kill
"$bin" "$kill_dir" kill >"$tmp/kill.out" 2>&1
left=$(ls "$kill_dir" 2>/dev/null | tr '\n' ' ')
if [ "$left" = "run.h5.part " ]; then pass killed_run_leaves_only_part; else fail killed_run_leaves_only_part "directory holds '$left'"; fi
"$py" - "$kill_dir/run.h5.part" <<'EOF' || fail killed_part_readable "h5py cannot read the .part"
import sys
import h5py
f = h5py.File(sys.argv[1], "r")
ok = list(f["fields/time"][:]) == [0.0] and f["provenance/status"].asstr()[()] == "running" and f["fields/electrolyte_concentration"].shape == (1, 6)
print("PASS killed_part_keeps_first_output_time" if ok else "FAIL killed_part_keeps_first_output_time: %s" % list(f["fields/time"][:]))
# the one sample taken before that output time was flushed with it
ok = list(f["timeseries/time"][:]) == [0.0] and list(f["timeseries/voltage"][:]) == [4.2]
print("PASS killed_part_keeps_samples" if ok else "FAIL killed_part_keeps_samples: %s" % list(f["timeseries/time"][:]))
EOF

# ---- an unwritable path ----
touch "$tmp/a_file"
bad=$tmp/a_file/sub
"$bin" "$bad" >"$tmp/bad.out" 2>&1
status=$?
if [ "$status" -ne 0 ] && grep -q "$bad/run.h5" "$tmp/bad.out"; then
  pass unwritable_path_fails_naming_it
else
  fail unwritable_path_fails_naming_it "status $status, output: $(grep -m 3 ERROR "$tmp/bad.out")"
fi

# ---- two ranks write the same file as one ----
if command -v mpiexec >/dev/null; then
  if mpiexec -n 2 "$bin" "$tmp/mpi" >"$tmp/mpi.out" 2>&1; then
    "$py" - "$h5" "$tmp/mpi/run.h5" <<'EOF' || fail two_ranks_same_file "python exited with an error"
import sys
import h5py
import numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
names = [n for g in ("fields", "timeseries", "protocol", "metrics", "mesh") for n in ("%s/%s" % (g, k) for k in a[g])]
diff = [n for n in names if n not in b or (a[n].dtype.kind in "fi" and not np.array_equal(a[n][()], b[n][()]))]
ok = not diff and b["provenance/mpi_size"][()] == 2 and b["provenance/status"].asstr()[()] == "complete"
print("PASS two_ranks_same_file" if ok else "FAIL two_ranks_same_file: differs in %s" % diff)
EOF
  else
    fail two_ranks_same_file "mpiexec -n 2 failed: $(tail -n 3 "$tmp/mpi.out")"
  fi
fi

# ---- plots ----
if "$py" postprocess/plot_run.py "$h5" -o "$tmp/plots" >"$tmp/plot.out" 2>&1; then
  "$py" - "$tmp/plots" <<'EOF' || fail plots_valid "python exited with an error"
import os
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg
import numpy as np
for name in ("voltage_capacity.png", "profiles.png"):
    path = os.path.join(sys.argv[1], name)
    with open(path, "rb") as fp:
        signature = fp.read(8)
    distinct = len(np.unique(mpimg.imread(path)))
    ok = signature == b"\x89PNG\r\n\x1a\n" and distinct > 1
    print("PASS plot_%s" % name if ok else "FAIL plot_%s: signature %r, %d distinct values" % (name, signature, distinct))
EOF
else
  fail plot_run_runs "$(tail -n 5 "$tmp/plot.out")"
fi
exit 0
