#!/usr/bin/env bash
# 2D stacks with the real binary (docs/2d.md):
#  - the three examples (void, rough, particles) run and write complete
#    files with the 2D mesh, the current-density vector and the interface
#    metrics; ParaView opens the void case's .xmf as a grid in the x-y plane;
#  - 1, 2 and 4 ranks, and 1 and 2 threads, give the same answer;
#  - a rough interface of zero rms is the flat stack, and the flat 2D stack
#    is the 1D run of the same cells;
#  - under refinement the ASR of a partial-contact (void) cell converges at
#    first order and its peak interface current grows as h^(-1/2): the
#    contact edge makes the current singular;
#  - the current focuses at the contact edges;
#  - a 2D thickness sweep runs through `ionstack sweep`;
#  - bad 2D input stops with a message that names the key or the file.
# Run from the repository root (tests/run.sh does).
bin=${IONSTACK_BIN:-$(command -v ionstack || echo bin/ionstack)}
py=/usr/bin/python3
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
check() { if eval "$2"; then pass "$1"; else fail "$1" "${3:-$2}"; fi; }
is_ok() { if [ "$2" = OK ]; then pass "$1"; else fail "$1" "$2"; fi; } # a checker printed OK

[ -x "$bin" ] || { fail twod_built "$bin is missing; make bin/ionstack"; exit 0; }
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1} OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}
export OMPI_MCA_ess_singleton_isolated=${OMPI_MCA_ess_singleton_isolated:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d /tmp/ionstack_2d_XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# ---- the examples
for c in void_2d rough_2d particles_2d; do
  "$bin" run configs/$c.yaml -quiet -output_file "$tmp/$c.h5" >"$tmp/$c.out" 2>&1
  st=$?
  check "twod_example_$c" "[ $st = 0 ] && [ -f $tmp/$c.h5 ] && [ -f $tmp/$c.xmf ] && [ ! -e $tmp/$c.h5.part ]" "status $st: $(tail -2 "$tmp/$c.out")"
done
cat >"$tmp/layout.py" <<'EOF2'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
m = f["mesh"]
nx, ny = len(m["x_centres"]), len(m["y_centres"])
bad = []
if int(m["dim"][()]) != 2: bad.append("dim")
if m["phase"].shape != (nx * ny,): bad.append("phase shape")
for k in ("current_density", "current_density_y", "electrolyte_potential", "solid_potential"):
    if f["fields/" + k].shape[1] != nx * ny: bad.append(k)
    if f["fields/" + k].attrs["units"] == "": bad.append(k + " units")
ni = m["interface_faces"].shape[0]
if f["fields/interface_current_density"].shape[1] != ni or ni == 0: bad.append("interface faces")
for k in ("hotspot_factor", "contact_area_fraction", "interface_current_peak", "interface_current_mean", "asr_2d_over_1d"):
    if k not in f["metrics"]: bad.append(k)
if f["provenance/status"][()].decode().strip("\0") != "complete": bad.append("status")
print("OK" if not bad else "missing or wrong: " + ", ".join(bad))
EOF2
for c in void_2d rough_2d particles_2d; do
  [ -f "$tmp/$c.h5" ] && is_ok "twod_layout_$c" "$($py "$tmp/layout.py" "$tmp/$c.h5" 2>&1 | tail -1)"
done

# ---- the current focuses at the contact edges (void_2d: i0 = 1 A/cm^2)
cat >"$tmp/focus.py" <<'EOF2'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
q = f["mesh/interface_faces"][()]
i = f["fields/interface_current_density"][-1]
x0 = q[:, 0].min()                      # the anode's interface is the first along x
a = (q[:, 0] == x0) & (q[:, 2] == 0)    # its x faces: the contact band
y, ia = q[a, 1], np.abs(i[a])
edge = ia[np.argsort(y)][[0, -1]].mean()
mid = ia[np.argsort(np.abs(y - y.mean()))[0]]
hot = f["metrics/hotspot_factor"][()]
cf = f["metrics/contact_area_fraction"][()]
ok = edge > 1.5 * mid and hot > 1.5 and abs(cf - 0.5) < 1e-12
print("OK" if ok else "edge %g mid %g hotspot %g contact %g" % (edge, mid, hot, cf))
EOF2
[ -f "$tmp/void_2d.h5" ] && is_ok twod_void_focus_at_edges "$($py "$tmp/focus.py" "$tmp/void_2d.h5" 2>&1 | tail -1)"

# ---- ParaView opens the 2D sidecar in the x-y plane
if command -v pvbatch >/dev/null && command -v xvfb-run >/dev/null && [ -f "$tmp/void_2d.xmf" ]; then
  cat >"$tmp/pv.py" <<'EOF2'
import sys
from paraview.simple import XDMFReader, UpdatePipeline
import h5py
r = XDMFReader(FileNames=[sys.argv[1]])
r.UpdatePipelineInformation()
times = r.TimestepValues
UpdatePipeline(time=times[-1], proxy=r)
d = r.GetDataInformation()
b = d.GetBounds()
f = h5py.File(sys.argv[2], "r")
nx, ny = len(f["mesh/x_centres"]), len(f["mesh/y_centres"])
xf, yf = f["mesh/x_faces"][()], f["mesh/y_faces"][()]
ok = (d.GetNumberOfCells() == nx * ny and abs(b[1] - xf[-1]) < 1e-12 and abs(b[3] - yf[-1]) < 1e-12
      and b[5] - b[4] < 0.1 * (b[3] - b[2]) and len(times) == len(f["fields/time"])
      and "current_density_y" in r.CellData.keys())
print("OK" if ok else "cells %d (want %d), bounds %s, times %d" % (d.GetNumberOfCells(), nx * ny, b, len(times)))
EOF2
  is_ok twod_paraview_opens "$(timeout 300 xvfb-run -a pvbatch "$tmp/pv.py" "$tmp/void_2d.xmf" "$tmp/void_2d.h5" 2>/dev/null | tail -1)"
  timeout 300 xvfb-run -a pvbatch postprocess/render_field.py "$tmp/void_2d.xmf" -o "$tmp/pv.png" --field current_density >/dev/null 2>&1
  is_ok twod_paraview_render "$($py -c "
import matplotlib.image as im, numpy as np
a = im.imread('$tmp/pv.png')[..., :3].reshape(-1, 3)
print('OK' if len(np.unique((a * 255).astype(int), axis=0)) > 20 else 'blank image')" 2>&1 | tail -1)"
else
  echo "SKIP twod_paraview_opens: pvbatch or xvfb-run missing (make test-deps)"
fi
"$py" postprocess/plot.py field "$tmp/void_2d.h5" -o "$tmp/map.png" >/dev/null 2>&1
is_ok twod_field_map_png "$($py -c "
import matplotlib.image as im, numpy as np
a = im.imread('$tmp/map.png')[..., :3]
w = a.shape[1]
a = a[:, : int(0.8 * w)].reshape(-1, 3)
print('OK' if len(np.unique((a * 255).astype(int), axis=0)) > 50 else 'blank map')" 2>&1 | tail -1)"

# ---- ranks and threads
small="-quiet -mesh_lateral_cells 32"
for n in 1 2 4; do
  mpiexec --oversubscribe -n $n "$bin" run configs/void_2d.yaml $small -output_file "$tmp/r$n.h5" >"$tmp/r$n.out" 2>&1
done
OMP_NUM_THREADS=1 "$bin" run configs/void_2d.yaml -quiet -output_file "$tmp/t1.h5" >/dev/null 2>&1
OMP_NUM_THREADS=2 "$bin" run configs/void_2d.yaml -quiet -output_file "$tmp/t2.h5" >/dev/null 2>&1
mpiexec -n 2 "$bin" run configs/particles_2d.yaml -quiet -output_file "$tmp/p2.h5" >"$tmp/p2.out" 2>&1
# Potentials to tol of their range; currents in ion conductors to tol, in
# metals to tol_metal: a metal's current is sigma/h ~ 1e13 A/(m^2 V) times a
# potential difference, which an iterative solve resolves to ~1e-15 V.
cat >"$tmp/same.py" <<'EOF2'
import sys, h5py, numpy as np
a, b, tol, tol_metal = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r"), float(sys.argv[3]), float(sys.argv[4])
metal = np.isin(a["mesh/phase"][()], (1, 3, 5))
worst, what = 0.0, ""
for k in ("timeseries/voltage", "fields/electrolyte_potential", "fields/solid_potential", "fields/current_density", "fields/current_density_y"):
    x, y = a[k][()], b[k][()]
    if x.shape != y.shape: print("%s: shape %s vs %s" % (k, x.shape, y.shape)); sys.exit()
    s = max(np.nanmax(np.abs(x)), 1e-300)
    e = np.abs(x - y) / s
    if k.startswith("fields/current"):
        e = np.where(metal[None, :], e * tol / tol_metal, e)
    d = np.nanmax(e) if x.size else 0.0
    if not np.array_equal(np.isnan(x), np.isnan(y)): d = np.inf
    if d > worst: worst, what = d, k
print("OK" if worst <= tol else "%s differs by %.3g of its range (tol %g, %g in metals)" % (what, worst, tol, tol_metal))
EOF2
for n in 2 4; do
  is_ok "twod_ranks_1_vs_$n" "$($py "$tmp/same.py" "$tmp/r1.h5" "$tmp/r$n.h5" 1e-8 1e-2 2>&1 | tail -1)"
done
is_ok twod_threads_1_vs_2 "$($py "$tmp/same.py" "$tmp/t1.h5" "$tmp/t2.h5" 0 0 2>&1 | tail -1)"
is_ok twod_particles_ranks_1_vs_2 "$($py "$tmp/same.py" "$tmp/particles_2d.h5" "$tmp/p2.h5" 1e-6 1e-2 2>&1 | tail -1)"

# ---- zero roughness is the flat stack, and the flat 2D stack is the 1D run
grep -v -e '^  rms:' -e '^  correlation_length:' -e '^  seed:' configs/rough_2d.yaml | sed 's/^  generator: rough/  generator: flat/' >"$tmp/flat.yaml"
"$bin" run configs/rough_2d.yaml -quiet -mesh_rms 0 -output_file "$tmp/rough0.h5" >/dev/null 2>&1
"$bin" run "$tmp/flat.yaml" -quiet -output_file "$tmp/flat.h5" >/dev/null 2>&1
is_ok twod_rough_zero_is_flat "$($py "$tmp/same.py" "$tmp/rough0.h5" "$tmp/flat.h5" 0 0 2>&1 | tail -1)"
cat >"$tmp/one.yaml" <<'EOF2'
cell: {temperature: 25 degC, area: 1 cm^2}
anode: {material: lithium, thickness: 10 um, cells: 40, exchange_current_density: 100 mA/cm^2}
separator: {material: Li6PS5Cl, thickness: 18 um, cells: 72}
cathode: {model: lithium, thickness: 10 um, cells: 40, exchange_current_density: 100 mA/cm^2}
protocol: [discharge at 1 mA/cm^2 for 10 min]
output: {interval: 60 s}
EOF2
"$bin" run "$tmp/one.yaml" -quiet -output_file "$tmp/one.h5" >/dev/null 2>&1
cat >"$tmp/as1d.py" <<'EOF2'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")   # 2D, 1D (LU)
nx, ny = len(a["mesh/x_centres"]), len(a["mesh/y_centres"])
metal = np.isin(b["mesh/phase"][()], (1, 3, 5))
worst = {}
for k in ("electrolyte_potential", "solid_potential", "current_density"):
    x = a["fields/" + k][()].reshape(-1, ny, nx)
    y = b["fields/" + k][()]
    s = np.nanmax(np.abs(y))
    for j in range(ny):
        e = np.abs(x[:, j, :] - y) / s
        for part, sel in (("ion", ~metal), ("metal", metal)):
            worst[k, part] = max(worst.get((k, part), 0.0), np.nanmax(np.where(sel[None, :], e, 0.0)))
v = np.max(np.abs(a["timeseries/voltage"][()] - b["timeseries/voltage"][()])) / np.max(np.abs(b["timeseries/voltage"][()]))
cy = np.nanmax(np.abs(a["fields/current_density_y"][()].reshape(-1, ny, nx)[:, :, ~metal])) / np.nanmax(np.abs(b["fields/current_density"][()]))
# the 2D run's AMG solve against the 1D run's LU: 1e-8 of the range (1e-11 V); test_mms2d compares the assemblies to rounding
ok = v < 1e-8 and cy < 1e-8 and all(w < (1e-2 if (k == "current_density" and p == "metal") else 1e-8) for (k, p), w in worst.items())
print("OK" if ok else "voltage %.3g, lateral current %.3g, rows %s" % (v, cy, {"%s/%s" % kp: "%.3g" % w for kp, w in worst.items()}))
EOF2
is_ok twod_flat_equals_1d "$($py "$tmp/as1d.py" "$tmp/flat.h5" "$tmp/one.h5" 2>&1 | tail -1)"
# a composite cathode (particle shells in every cell, the three-way field split) in 2D against 1D on the same cells
cat >"$tmp/comp2d.yaml" <<'EOF2'
mesh: {dim: 2, lateral_size: 10 um, lateral_boundary: periodic, generator: flat, lateral_cells: 8}
anode: {thickness: 10 um}
separator: {material: Li6PS5Cl, thickness: 18 um}
cathode: {model: composite, material: NMC811, thickness: 50 um}
protocol: [discharge at 1C until 3.0 V]
output: {interval: 600 s}
EOF2
cat >"$tmp/comp1d.yaml" <<'EOF2'
anode: {thickness: 10 um, cells: 8}
separator: {material: Li6PS5Cl, thickness: 18 um, cells: 14}
cathode: {model: composite, material: NMC811, thickness: 50 um, cells: 40, grading: 1}
protocol: [discharge at 1C until 3.0 V]
output: {interval: 600 s}
EOF2
mpiexec -n 2 "$bin" run "$tmp/comp2d.yaml" -quiet -output_file "$tmp/comp2d.h5" >/dev/null 2>&1
"$bin" run "$tmp/comp1d.yaml" -quiet -output_file "$tmp/comp1d.h5" >/dev/null 2>&1
is_ok twod_composite_equals_1d "$($py -c "
import h5py, numpy as np
a, b = h5py.File('$tmp/comp2d.h5', 'r'), h5py.File('$tmp/comp1d.h5', 'r')
qa, qb = a['metrics/discharge_capacity'][()], b['metrics/discharge_capacity'][()]
va, vb = a['timeseries/voltage'][()], b['timeseries/voltage'][()]
ok = va.shape == vb.shape and np.max(np.abs(va - vb)) < 1e-8 and abs(qa - qb) < 1e-8 * qb
print('OK' if ok else 'capacity %g vs %g, %s vs %s samples' % (qa, qb, va.shape, vb.shape))" 2>&1 | tail -1)"

# ---- partial contact: first-order ASR, h^(-1/2) peak current (i0 = 1e4 A/cm^2: the contact edge is singular)
for n in 16 32 64 128; do
  "$bin" run configs/void_2d.yaml -quiet -mesh_lateral_cells $n -output_file "$tmp/c$n.h5" -protocol "[discharge at 1 mA/cm^2 for 1 s]" \
    -output_interval 1s -anode_exchange_current_density "1e4 A/cm^2" -cathode_exchange_current_density "1e4 A/cm^2" >/dev/null 2>&1
done
cat >"$tmp/order.py" <<'EOF2'
import sys, h5py, numpy as np
d = sys.argv[1]
asr = [h5py.File("%s/c%d.h5" % (d, n), "r")["metrics/asr_total"][()] for n in (16, 32, 64, 128)]
peak = [h5py.File("%s/c%d.h5" % (d, n), "r")["metrics/interface_current_peak"][()] for n in (16, 32, 64, 128)]
e = np.abs(np.diff(asr))
p = np.log2(e[:-1] / e[1:])
q = np.log2(np.array(peak[1:]) / np.array(peak[:-1]))
print("# ASR (ohm cm^2) at 16..128 rows: %s; orders %s; peak growth exponents %s" % (np.round(asr, 6), np.round(p, 3), np.round(q, 3)))
ok = np.all(np.diff(asr) < 0) and abs(p[-1] - 1) < 0.15 and abs(q[-1] - 0.5) < 0.1
print("OK" if ok else "orders %s, peak exponents %s" % (p, q))
EOF2
out=$($py "$tmp/order.py" "$tmp" 2>&1)
echo "$out" | grep '^#'
is_ok twod_void_asr_first_order "$(echo "$out" | tail -1)"

# ---- a 2D thickness sweep through the studies workflow
cat configs/void_2d.yaml >"$tmp/sw.yaml"
sed -i 's/^  lateral_cells: 64 .*/  lateral_cells: 32/; s/^  interval: 60 s/  interval: 600 s/' "$tmp/sw.yaml"
printf 'sweep:\n  separator.thickness: [10 um, 18 um, 30 um]\n' >>"$tmp/sw.yaml"
sed -i "s|^  file: out/void_2d.h5|  directory: $tmp/sw|" "$tmp/sw.yaml"
mpiexec -n 2 "$bin" sweep "$tmp/sw.yaml" -quiet >"$tmp/sw.out" 2>&1
st=$?
is_ok twod_thickness_sweep "$([ $st = 0 ] && $py -c "
import h5py, numpy as np
f = h5py.File('$tmp/sw/summary.h5', 'r')
a = f['metrics/asr_total'][()]
ok = len(a) == 3 and np.all(np.diff(a) > 0) and all(s.decode() == 'complete' for s in f['status'][()])
print('OK' if ok else 'asr %s' % a)" 2>&1 | tail -1 || echo "status $st: $(tail -2 "$tmp/sw.out")")"

# ---- bad input
bad() { # name, expected message part, then the arguments
  local name=$1 want=$2
  shift 2
  "$bin" run "$@" -quiet >"$tmp/bad.out" 2>&1
  local st=$?
  check "twod_bad_$name" "[ $st = 1 ] && grep -q -- \"$want\" $tmp/bad.out" "status $st, wanted '$want': $(grep -m1 -i error "$tmp/bad.out")"
}
bad cells_in_2d "separator.cells has no meaning on a 2D mesh" configs/void_2d.yaml -separator_cells 20
bad grading_in_2d "anode.grading has no meaning on a 2D mesh" configs/void_2d.yaml -anode_grading 2
bad other_generator_key "mesh.rms has no effect" configs/void_2d.yaml -mesh_rms "1 um"
bad unknown_generator "generator 'holes' is not allowed" configs/void_2d.yaml -mesh_generator holes
grep -v '^  lateral_size:' configs/void_2d.yaml >"$tmp/nosize.yaml"
bad no_lateral_size "needs mesh.lateral_size" "$tmp/nosize.yaml"
bad boundary "lateral_boundary 'open' is not allowed" configs/void_2d.yaml -mesh_lateral_boundary open
printf 'mesh: {dim: 2, lateral_size: 16 um, phase_map: %s/meshes/void_contact.pgm}\ncathode: {model: lithium}\nprotocol: [discharge at 1 mA/cm^2 for 1 s]\n' "$PWD" >"$tmp/map.yaml"
"$bin" run "$tmp/map.yaml" -quiet -output_file "$tmp/map.h5" >"$tmp/map.out" 2>&1
check twod_map_file_runs "[ $? = 0 ] && [ -f $tmp/map.h5 ]" "$(tail -2 "$tmp/map.out")"
bad thickness_with_map "separator.thickness has no meaning with mesh.phase_map" "$tmp/map.yaml" -separator_thickness "18 um"
bad lateral_cells_with_map "lateral_cells has no meaning with mesh.phase_map" "$tmp/map.yaml" -mesh_lateral_cells 16
bad map_cathode_model "cathode.model" "$tmp/map.yaml" -cathode_model active
bad label_remapped_anode_end "the anode end (column 0) must be lithium" "$tmp/map.yaml" -mesh_labels "{1: electrolyte}"
$py -c "
import sys
rows = [[1] * 4 + [7] * 8 + [1] * 4 for j in range(4)]
open('$tmp/seven.pgm', 'w').write('P2\n16 4\n7\n' + '\n'.join(' '.join(map(str, r)) for r in rows) + '\n')"
sed "s|phase_map: .*}|phase_map: $tmp/seven.pgm}|" "$tmp/map.yaml" >"$tmp/seven.yaml"
bad unmapped_label "label 7" "$tmp/seven.yaml"
"$bin" run "$tmp/seven.yaml" -quiet -mesh_labels "{7: electrolyte}" -output_file "$tmp/seven.h5" >"$tmp/seven.out" 2>&1
check twod_label_remap_runs "[ $? = 0 ] && [ -f $tmp/seven.h5 ]" "$(tail -2 "$tmp/seven.out")"
sed '/^mesh:/s|}$|, labels: {7: electrolyte}}|' "$tmp/seven.yaml" >"$tmp/seven_labels.yaml"
"$bin" run "$tmp/seven_labels.yaml" -quiet -output_file "$tmp/seven2.h5" >"$tmp/seven2.out" 2>&1
check twod_label_remap_in_config "[ $? = 0 ] && [ -f $tmp/seven2.h5 ] && $py -c \"import h5py; assert 'labels: {7: electrolyte}' in h5py.File('$tmp/seven2.h5')['provenance/config'][()].decode()\"" "$(tail -2 "$tmp/seven2.out")"
$py - "$tmp/float.pgm" <<'EOF2'
import sys
rows = []
for j in range(8):
    r = [1] * 3 + [2] * 10 + [1] * 3
    if j in (3, 4): r[7] = 1          # a lithium island inside the membrane
    rows.append(r)
open(sys.argv[1], "w").write("P2\n16 8\n5\n" + "\n".join(" ".join(map(str, r)) for r in rows) + "\n")
EOF2
sed "s|meshes/void_contact.pgm|$tmp/float.pgm|; s|$PWD/$tmp|$tmp|" "$tmp/map.yaml" | sed "s|$PWD$tmp|$tmp|" >"$tmp/float.yaml"
sed -i "s|phase_map: .*}|phase_map: $tmp/float.pgm}|" "$tmp/float.yaml"
bad floating_lithium "lithium" "$tmp/float.yaml"
