#!/usr/bin/env bash
# ionstack-plot (postprocess/plot.py, docs/plots.md) on real outputs: run
# files of `ionstack run` (a cycle of the default composite cell, a 2C
# discharge, a thin-film cell), a killed run's .part (made from a real file
# as a kill leaves it: status running, time datasets shorter than the
# others), and the summary of a small real `ionstack sweep` (thickness x
# C-rate), and a synthetic 2D run (tests/make_2d_run.py) for the field maps.
# Each figure is checked as a file (PNG signature, 16:9 size,
# decodable; SVG parses, with its texts: labels, ticks, legend entries,
# fonts >= 14 pt; PDF header and trailer) and as a picture (many colours,
# ink on a part of it, the palette's colours where curves must be; a field
# map's spread of colours). Bad input
# must stop with one clear line on stderr, status 1 and no figure. Also the
# installed layout of the wrapper (PREFIX/bin, PREFIX/share/ionstack/postprocess).
# The summary checks print SKIP while `ionstack sweep` does not exist.
# Run from the repository root (tests/run.sh does).
bin=$(command -v ionstack || echo bin/ionstack) # the build tests/run.sh put first in PATH
py=/usr/bin/python3
plot=postprocess/ionstack-plot
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

if [ ! -x "$bin" ]; then
  fail plot_tests_built "$bin is missing; make bin/ionstack"
  exit 0
fi
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1} OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}
export OMPI_MCA_ess_singleton_isolated=${OMPI_MCA_ess_singleton_isolated:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d /tmp/ionstack_plot_XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# check.py NAME FILE [--text T]... [--colour HEX]... [--same OTHER] [--differs OTHER]
# prints "PASS NAME" or "FAIL NAME: why" for one figure.
cat >"$tmp/check.py" <<'EOF'
import argparse
import re
import struct
import xml.etree.ElementTree as ET

import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("name")
ap.add_argument("path")
ap.add_argument("--text", action="append", default=[], help="an SVG text element that must exist (exact)")
ap.add_argument("--colour", action="append", default=[], help="#rrggbb that must cover >= 2000 pixels of a PNG (a curve: a legend entry alone covers about 500)")
ap.add_argument("--same", help="a PNG that must have exactly the same pixels")
ap.add_argument("--differs", help="a PNG that must not have the same pixels")
ap.add_argument("--map", type=int, metavar="N", help="a PNG colour map (field): left of its colour bar (the left 80 %% "
                "of the picture) coloured pixels cover >= 5 %% and take >= N colours (4 bits per channel) of >= 0.1 %% "
                "of them each: not blank, and not one uniform colour")
a = ap.parse_args()


def check():
    try:
        data = open(a.path, "rb").read()
    except OSError as e:
        return "cannot read it: %s" % e
    if a.path.endswith(".png"):
        if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
            return "no PNG signature: %r" % data[:16]
        w, h = struct.unpack(">II", data[16:24])
        if w < 1280 or h < 720 or abs(w / h - 16 / 9) > 0.01:
            return "%d x %d pixels, want 16:9 and at least 1280 x 720" % (w, h)
        img = mpimg.imread(a.path)[..., :3]
        q = (img * 255).round().astype(np.uint32)
        colours = len(np.unique((q[..., 0] << 16) | (q[..., 1] << 8) | q[..., 2]))  # one number per colour: fast
        ink = float(np.mean(img.min(axis=2) < 0.95))
        if colours < 50 or not 0.02 < ink < 0.6:
            return "looks blank: %d distinct colours, %.3f of the pixels not background" % (colours, ink)
        for hexc in a.colour:
            rgb = np.array([int(hexc[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
            n = int(np.sum(np.abs(img - rgb).max(axis=2) < 0.06))
            if n < 2000:
                return "colour %s covers %d pixels (want >= 2000: that curve is not drawn)" % (hexc, n)
        if a.map:
            left = img[:, : int(0.8 * img.shape[1])]
            chroma = left.max(axis=2) - left.min(axis=2)
            coloured = q[:, : left.shape[1]][chroma > 0.08] >> 4  # grey, white and black are axes, text and NaN cells
            share = len(coloured) / float(chroma.size)
            if share < 0.05:
                return "no colour map: %.3f of the pixels left of the colour bar coloured (want >= 0.05)" % share
            _, counts = np.unique((coloured[:, 0] << 8) | (coloured[:, 1] << 4) | coloured[:, 2], return_counts=True)
            spread = int(np.sum(counts >= 0.001 * len(coloured)))
            if spread < a.map:
                return "a flat map: %d colours on >= 0.1 %% of its pixels each (want >= %d), the commonest on %.2f" % (
                    spread, a.map, counts.max() / float(len(coloured)))
        for other, want in ((a.same, True), (a.differs, False)):
            if other:
                b = mpimg.imread(other)[..., :3]
                same = b.shape == img.shape and np.array_equal(b, img)
                if same != want:
                    return ("differs from %s" if want else "has the same pixels as %s") % other
        return None
    if a.path.endswith(".svg"):
        try:
            root = ET.fromstring(data)
        except ET.ParseError as e:
            return "not XML: %s" % e
        if not root.tag.endswith("svg"):
            return "root element %s" % root.tag
        texts = ["".join(t.itertext()) for t in root.iter() if t.tag.endswith("text")]
        paths = sum(1 for t in root.iter() if t.tag.endswith("path"))
        sizes = [float(s) for s in re.findall(r"font: (?:[a-z]+ )*([0-9.]+)px", data.decode())]
        if paths < 20 or not texts:
            return "%d paths, %d texts: empty" % (paths, len(texts))
        if not sizes or min(sizes) < 14:
            return "fonts of %s pt, want >= 14" % sorted(set(sizes))
        missing = [t for t in a.text if t not in texts]
        if missing:
            return "no text %s among %s" % (missing, texts)
        return None
    if a.path.endswith(".pdf"):
        if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-64:] or len(data) < 5000:
            return "not a whole PDF (%d bytes, starts %r)" % (len(data), data[:8])
        return None
    return "unknown extension"


why = check()
print("PASS %s" % a.name if why is None else "FAIL %s: %s" % (a.name, why))
EOF
check() { "$py" "$tmp/check.py" "$@" || fail "$1" "check.py exited with an error"; }

# plotted NAME OUT -- ARGS...: runs ionstack-plot ARGS and checks that it
# says it wrote OUT; prints FAIL and returns 1 otherwise.
plotted() {
  local name=$1 out=$2
  shift 3
  if ! "$plot" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
    fail "$name" "ionstack-plot $* exited with status $?: $(tail -n 3 "$tmp/$name.err")"
    return 1
  fi
  if [ "$(cat "$tmp/$name.out")" != "$out" ] || [ ! -s "$out" ]; then
    fail "$name" "ionstack-plot $* printed '$(cat "$tmp/$name.out")', want $out (exists: $([ -s "$out" ] && echo yes || echo no))"
    return 1
  fi
}

# Okabe-Ito blue, vermillion, bluish green: the first three curves
blue='#0072B2' vermillion='#D55E00' green='#009E73'

# ---- run files ----
runs=$tmp/runs
ok=1
"$bin" run configs/default.yaml -quiet -output_file "$runs/cycle.h5" >"$tmp/run1.out" 2>&1 || ok=0
"$bin" run configs/default.yaml -quiet -output_file "$runs/fast.h5" -protocol '[discharge at 2C until 3.0 V]' >"$tmp/run2.out" 2>&1 || ok=0
"$bin" run configs/thin_film.yaml -quiet -output_file "$runs/film.h5" -protocol '[discharge at 1C until 3.0 V]' >"$tmp/run3.out" 2>&1 || ok=0
if [ "$ok" = 1 ]; then pass runs_for_plots; else fail runs_for_plots "$(tail -n 3 "$tmp"/run*.out)"; fi

# ---- voltage ----
if plotted voltage_one_run "$tmp/v1.png" -- voltage "$runs/cycle.h5" -o "$tmp/v1.png"; then
  check voltage_one_run "$tmp/v1.png" --colour "$blue"
fi
if plotted voltage_three_runs "$tmp/v3.png" -- voltage "$runs/cycle.h5" "$runs/fast.h5" "$runs/film.h5" -o "$tmp/v3.png"; then
  check voltage_three_runs "$tmp/v3.png" --colour "$blue" --colour "$vermillion" --colour "$green"
fi
# the SVG's texts: axis labels, one legend entry per run (with what sets it
# apart: the -protocol of the 2C run), the line styles of a cycle
if plotted voltage_svg "$tmp/v3.svg" -- voltage "$runs/cycle.h5" "$runs/fast.h5" "$runs/film.h5" --format svg -o "$tmp/v3"; then
  check voltage_svg "$tmp/v3.svg" --text "cell voltage (V)" --text "capacity, net charge delivered since the start (mAh/cm²)" \
    --text "cycle: default.yaml" --text "fast: default.yaml, protocol [discharge at 2C until 3.0 V]" --text "film: thin_film.yaml, protocol [discharge at 1C until 3.0 V]" \
    --text discharge --text charge --text rest
fi
if plotted voltage_pdf "$tmp/v.pdf" -- voltage "$runs/cycle.h5" -o "$tmp/v.pdf"; then check voltage_pdf "$tmp/v.pdf"; fi
if plotted voltage_default_name "$runs/fast_voltage.png" -- voltage "$runs/fast.h5"; then
  check voltage_default_name "$runs/fast_voltage.png" --colour "$blue"
fi
if plotted voltage_versus_time "$tmp/vt.svg" -- voltage "$runs/cycle.h5" --x time -o "$tmp/vt.svg"; then
  check voltage_versus_time "$tmp/vt.svg" --text "time (h)"
fi

# ---- a killed run's .part ----
# A kill leaves the file under run.h5.part, status running, and the datasets
# of a group may hold rows beyond those the group's time dataset counts. Two
# copies of the cycle, cut to its first 200 samples and 120 output times:
# killed/ keeps 5 more rows everywhere else, filled with wild values (a
# plotter that drew them would change the axes), cut/ has none. Plotted
# under the same name and title, they must give the same pixels.
"$py" - "$runs/cycle.h5" "$tmp/killed/run.h5.part" "$tmp/cut/run.h5.part" <<'EOF' || fail part_files_made "python exited with an error"
import os
import shutil
import sys
import h5py
import numpy as np

src, killed, cut = sys.argv[1:]
for dst, extra in ((killed, 5), (cut, 0)):
    os.makedirs(os.path.dirname(dst))
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        f["provenance/status"][()] = np.bytes_(b"running".ljust(16, b"\0"))
        for group, n in (("timeseries", 200), ("fields", 120), ("protocol", 1)):
            g = f[group]
            counted = "end_time" if group == "protocol" else "time"
            for name, d in g.items():
                rows = n if name == counted else n + extra
                d.resize(rows, axis=0)
                if rows > n and d.dtype.kind == "f":
                    d[n:] = 1e6
print("PASS part_files_made")
EOF
if plotted part_voltage "$tmp/killed_v.png" -- voltage "$tmp/killed/run.h5.part" --title "killed run" -o "$tmp/killed_v.png" &&
  plotted part_voltage_cut "$tmp/cut_v.png" -- voltage "$tmp/cut/run.h5.part" --title "killed run" -o "$tmp/cut_v.png"; then
  check part_voltage_counts_rows "$tmp/killed_v.png" --same "$tmp/cut_v.png" --differs "$tmp/v1.png"
fi
if plotted part_profiles "$tmp/killed_p.png" -- profiles "$tmp/killed/run.h5.part" --title "killed run" -o "$tmp/killed_p.png" &&
  plotted part_profiles_cut "$tmp/cut_p.png" -- profiles "$tmp/cut/run.h5.part" --title "killed run" -o "$tmp/cut_p.png"; then
  check part_profiles_count_rows "$tmp/killed_p.png" --same "$tmp/cut_p.png"
fi

# ---- profiles ----
if plotted profiles_png "$tmp/p.png" -- profiles "$runs/cycle.h5" --times 0,600,1800 -o "$tmp/p.png"; then
  check profiles_png "$tmp/p.png"
fi
# --times picks those output times (every 60 s here); a composite cathode
# draws the particle-surface concentration; regions are named
if plotted profiles_svg "$tmp/p.svg" -- profiles "$runs/cycle.h5" --times 0,600,1800 -o "$tmp/p.svg"; then
  check profiles_svg "$tmp/p.svg" --text "t = 0 s" --text "t = 600 s" --text "t = 1800 s" --text "particle surface" \
    --text "x from the anode end (µm)" --text "c (mol/m³)" --text "φₑ (V)" --text "φₛ (V)" --text "cₛ (mol/m³)" \
    --text lithium --text cathode --text "electrolyte concentration" --text "solid concentration"
fi
if plotted profiles_film_pdf "$tmp/pf.pdf" -- profiles "$runs/film.h5" --format pdf -o "$tmp/pf"; then check profiles_film_pdf "$tmp/pf.pdf"; fi

# ---- bad input: one line on stderr, status 1, no figure ----
refused() { # NAME MESSAGE ARGS...: ionstack-plot ARGS must fail with MESSAGE on stderr
  local name=$1 want=$2
  shift 2
  rm -f "$tmp/bad.png"
  "$plot" "$@" -o "$tmp/bad.png" >"$tmp/$name.out" 2>"$tmp/$name.err"
  local status=$?
  if [ "$status" -eq 1 ] && grep -qF -- "$want" "$tmp/$name.err" && [ "$(wc -l <"$tmp/$name.err")" -eq 1 ] && [ ! -e "$tmp/bad.png" ]; then
    pass "$name"
  else
    fail "$name" "status $status (want 1), stderr '$(head -c 300 "$tmp/$name.err")' (want one line with '$want'), figure written: $([ -e "$tmp/bad.png" ] && echo yes || echo no)"
  fi
}
refused bad_missing_file "no such file: $tmp/none.h5" voltage "$tmp/none.h5"
refused bad_not_hdf5 "cannot read configs/default.yaml as HDF5" profiles configs/default.yaml
refused bad_run_to_sweep "is a run file, not a sweep summary" sweep "$runs/cycle.h5"
refused bad_run_to_ragone "is a run file, not a sweep summary" ragone "$runs/cycle.h5"
refused bad_times "'soon' is not a time" profiles "$runs/cycle.h5" --times 0,soon
"$plot" voltage "$runs/cycle.h5" -o "$tmp/x.svg" --format pdf >/dev/null 2>"$tmp/conflict.err"
status=$?
if [ "$status" -eq 1 ] && grep -q "ends in .svg but --format is pdf" "$tmp/conflict.err" && [ ! -e "$tmp/x.svg" ] && [ ! -e "$tmp/x.pdf" ]; then
  pass bad_output_format_conflict
else
  fail bad_output_format_conflict "status $status, stderr '$(cat "$tmp/conflict.err")'"
fi

# ---- 2D field maps ----
# A synthetic 2D run (tests/make_2d_run.py: Li | SE | Li, a void at the left
# interface, the current crowding at its edges; output at 0 and 600 s) until
# the solver writes 2D runs. --map: a colour map that is not blank and not one
# colour; the uniform concentration at t = 0 must fail that check.
two=$tmp/2d
if "$py" tests/make_2d_run.py "$two/run.h5" >"$tmp/make_2d.out" 2>&1; then pass field_run_made; else
  fail field_run_made "$(tail -n 3 "$tmp/make_2d.out")"
fi
if plotted field_magnitude "$two/run_field.png" -- field "$two/run.h5"; then
  check field_magnitude "$two/run_field.png" --map 10
fi
if plotted field_x_component "$tmp/fx.png" -- field "$two/run.h5" --component x -o "$tmp/fx.png"; then
  check field_x_component "$tmp/fx.png" --map 10 --differs "$two/run_field.png"
fi
if plotted field_y_arrows "$tmp/fy.png" -- field "$two/run.h5" --component y --arrows -o "$tmp/fy.png"; then
  check field_y_arrows "$tmp/fy.png" --map 10
fi
if plotted field_log "$tmp/flog.png" -- field "$two/run.h5" --log -o "$tmp/flog.png"; then
  check field_log "$tmp/flog.png" --map 10 --differs "$two/run_field.png"
fi
if plotted field_concentration "$tmp/fc.png" -- field "$two/run.h5" --field electrolyte_concentration --time 10min -o "$tmp/fc.png"; then
  check field_concentration "$tmp/fc.png" --map 10
fi
if plotted field_uniform "$tmp/fc0.png" -- field "$two/run.h5" --field electrolyte_concentration --time 0 -o "$tmp/fc0.png"; then
  if "$py" "$tmp/check.py" field_uniform "$tmp/fc0.png" --map 10 | grep -q "^FAIL field_uniform: a flat map"; then
    pass field_uniform_caught
  else
    fail field_uniform_caught "the check passed a uniform field (t = 0) as a map"
  fi
fi
if plotted field_svg "$tmp/f.svg" -- field "$two/run.h5" -o "$tmp/f.svg"; then
  check field_svg "$tmp/f.svg" --text "x from the anode end (µm)" --text "y (µm)" --text "|current_density| (A/m²)" \
    --text "Field map of |current_density|: run (tests/make_2d_run.py) at t = 600 s" --text lithium --text separator
fi
if plotted field_interface "$two/run_field_interface.png" -- field "$two/run.h5" --interface; then
  check field_interface "$two/run_field_interface.png" --colour "$blue" --colour "$vermillion"
fi
# the void's interface: its peak at the void's edges, mean over the contact, their ratio; the other one uniform
if plotted field_interface_svg "$tmp/fi.svg" -- field "$two/run.h5" --interface --time 0 -o "$tmp/fi.svg"; then
  check field_interface_svg "$tmp/fi.svg" --text "y, position along the interface (µm)" --text "interface current density (A/m²)" \
    --text "x ≈ 12 µm, lithium | electrolyte: peak 23.9, mean 16 A/m², hotspot factor 1.49" \
    --text "x ≈ 36 µm, electrolyte | lithium: peak 10, mean 10 A/m², hotspot factor 1" --text "no contact" \
    --text "Interface current density: run (tests/make_2d_run.py) at t = 0 s"
fi
# a killed 2D run: a third row of every field, wild, that /fields/time does not count
"$py" - "$two/run.h5" "$tmp/2dkilled/run.h5.part" <<'EOF2' || fail field_part_made "python exited with an error"
import os
import shutil
import sys
import h5py
import numpy as np

src, dst = sys.argv[1:]
os.makedirs(os.path.dirname(dst))
shutil.copy(src, dst)
with h5py.File(dst, "r+") as f:
    f["provenance/status"][()] = np.bytes_(b"running")
    for name, d in f["fields"].items():
        if name != "time":
            d.resize(3, axis=0)
            d[2] = 1e6
EOF2
if plotted field_part "$tmp/fpart.png" -- field "$tmp/2dkilled/run.h5.part" --title "2D run" -o "$tmp/fpart.png" &&
  plotted field_part_whole "$tmp/fwhole.png" -- field "$two/run.h5" --title "2D run" -o "$tmp/fwhole.png"; then
  check field_part_counts_rows "$tmp/fpart.png" --same "$tmp/fwhole.png"
fi
cp "$two/run.h5" "$tmp/2d_no_interface.h5"
"$py" -c 'import sys, h5py; f = h5py.File(sys.argv[1], "r+"); del f["fields/interface_current_density"]' "$tmp/2d_no_interface.h5" ||
  fail bad_field_no_interface "could not remove the interface field"
refused bad_field_1d "is a 1D run (/mesh/dim absent or 1): draw its fields with \`ionstack-plot profiles\`" field "$runs/cycle.h5"
refused bad_field_unknown "--field nonsense: no cell field of that name in $two/run.h5; it has current_density (magnitude, x, y), electrolyte_concentration, electrolyte_potential, solid_potential" \
  field "$two/run.h5" --field nonsense
refused bad_field_time "--time 2h: $two/run.h5 holds output times 0 to 600 s" field "$two/run.h5" --time 2h
refused bad_field_component "--component x: electrolyte_potential is a scalar field" field "$two/run.h5" --field electrolyte_potential --component x
refused bad_field_log_signed "--log: current_density, y component runs from" field "$two/run.h5" --component y --log
refused bad_field_no_interface "has no /fields/interface_current_density" field "$tmp/2d_no_interface.h5" --interface
refused bad_profiles_2d "is a 2D run (/mesh/dim 2): draw its fields with \`ionstack-plot field\`" profiles "$two/run.h5"

# ---- the installed layout and a link to the wrapper ----
prefix=$tmp/prefix
mkdir -p "$prefix/bin" "$prefix/share/ionstack/postprocess" "$tmp/links"
cp postprocess/ionstack-plot "$prefix/bin/" && cp postprocess/plot.py "$prefix/share/ionstack/postprocess/"
ln -s "$prefix/bin/ionstack-plot" "$tmp/links/ionstack-plot"
if (cd / && "$tmp/links/ionstack-plot" voltage "$runs/fast.h5" -o "$tmp/installed.png") >"$tmp/installed.out" 2>&1; then
  check installed_wrapper "$tmp/installed.png" --colour "$blue"
else
  fail installed_wrapper "$(tail -n 3 "$tmp/installed.out")"
fi
rm "$prefix/share/ionstack/postprocess/plot.py"
"$prefix/bin/ionstack-plot" voltage "$runs/fast.h5" >/dev/null 2>"$tmp/noscript.err"
status=$?
if [ "$status" -ne 0 ] && grep -q "cannot find plot.py" "$tmp/noscript.err"; then pass wrapper_without_plot_py; else
  fail wrapper_without_plot_py "status $status, stderr '$(cat "$tmp/noscript.err")'"
fi

# ---- sweep summaries ----
if "$bin" sweep 2>&1 | grep -q "unknown command 'sweep'"; then
  for name in sweep_runs sweep_png sweep_svg rate_svg ragone_png ragone_pdf sweep_x_by_y sweep_failed_point_noted \
    bad_unknown_metric bad_unknown_input bad_summary_to_voltage; do
    skip "$name" "ionstack sweep not available"
  done
  exit 0
fi
# 3 membranes (10 um to 1 mm, log) x 3 C-rates of the default cell: 9 short discharges
cat >"$tmp/study.yaml" <<EOF
cell: {temperature: 25 degC, area: 1 cm^2}
anode: {material: lithium, thickness: 20 um, cells: 10}
separator: {material: Li6PS5Cl, thickness: 18 um, cells: 30}
cathode: {model: composite, material: NMC811, thickness: 52 um, cells: 30, active_fraction: 0.60,
          electrolyte_fraction: 0.35, carbon_fraction: 0.05, particle_radius: 5 um, shells: 10}
define: {rate: 1C}
protocol: [discharge at \$rate until 3.0 V]
output: {directory: $tmp/study, interval: 0}
sweep:
  separator.thickness: {from: 10 um, to: 1 mm, points: 3, spacing: log}
  define.rate: [C/3, 1C, 3C]
EOF
summary=$tmp/study/summary.h5
if "$bin" sweep "$tmp/study.yaml" -quiet >"$tmp/sweep.out" 2>&1 && [ -s "$summary" ]; then pass sweep_runs; else
  fail sweep_runs "$(tail -n 3 "$tmp/sweep.out")"
fi
if plotted sweep_png "$tmp/study/summary_sweep.png" -- sweep "$summary"; then
  check sweep_png "$tmp/study/summary_sweep.png" --colour "$blue" --colour "$vermillion" --colour "$green"
fi
# thickness on a log axis (10 to 1000 um: plain numbers), one curve per rate, the four default panels
if plotted sweep_svg "$tmp/s.svg" -- sweep "$summary" -o "$tmp/s.svg"; then
  check sweep_svg "$tmp/s.svg" --text "membrane thickness (µm)" --text 10 --text 100 --text 1000 --text C/3 --text 1C --text 3C \
    --text "specific energy" --text "energy density" --text "delivered capacity" --text "ASR, total" --text "Wh/kg" --text "Ω·cm²"
fi
if plotted rate_svg "$tmp/r.svg" -- rate "$summary" -o "$tmp/r.svg"; then
  check rate_svg "$tmp/r.svg" --text C-rate --text C/3 --text 3C --text "10 µm" --text "1000 µm" \
    --text "delivered capacity (mAh/cm²)" --text "capacity retention (% of the lowest rate)" --text 100
fi
if plotted ragone_png "$tmp/g.png" -- ragone "$summary" -o "$tmp/g.png"; then
  check ragone_png "$tmp/g.png" --colour "$blue" --colour "$vermillion" --colour "$green"
fi
if plotted ragone_pdf "$tmp/g.pdf" -- ragone "$summary" --format pdf -o "$tmp/g.pdf"; then check ragone_pdf "$tmp/g.pdf"; fi
if plotted sweep_x_by_y "$tmp/xby.svg" -- sweep "$summary" --x define.rate --by separator.thickness --y asr_total -o "$tmp/xby.svg"; then
  check sweep_x_by_y "$tmp/xby.svg" --text "C-rate" --text "ASR, total (Ω·cm²)" --text "10 µm" --text "100 µm" --text "1000 µm"
fi
# a point that failed is left out of the curves and named under the figure
cp "$summary" "$tmp/failed.h5"
"$py" -c 'import sys, h5py; f = h5py.File(sys.argv[1], "r+"); s = f["status"]; v = list(s.asstr()[:]); v[4] = "failed"; s[...] = v' \
  "$tmp/failed.h5" || fail sweep_failed_point_noted "could not mark point 4 failed"
if plotted sweep_failed_point_noted "$tmp/failed.svg" -- sweep "$tmp/failed.h5" -o "$tmp/failed.svg"; then
  check sweep_failed_point_noted "$tmp/failed.svg" --text "Not on the curves: 1 failed (point 4); × marks a value such a point wrote."
fi
refused bad_unknown_metric "--y specific_nonsense: no metric of that name" sweep "$summary" --y specific_energy,specific_nonsense
refused bad_unknown_input "--x temperature: not an input of" sweep "$summary" --x temperature
refused bad_summary_to_voltage "is a sweep summary, not a run file" voltage "$summary"
exit 0
