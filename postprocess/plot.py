#!/usr/bin/python3
"""ionstack-plot: figures from ionstack run files and sweep summaries.

Subcommands (docs/plots.md has examples and the choices they take):

  voltage RUN.h5 [MORE.h5 ...]       cell voltage vs capacity (or time) of one
                                     or more runs; discharge solid, charge
                                     dashed, rest dotted
  profiles RUN.h5 [--times 0,600]    electrolyte concentration and potential,
                                     solid potential and concentration vs x at
                                     a few output times, regions marked
  field RUN.h5 [--field NAME] [--time T] [--component magnitude|x|y]
               [--log] [--arrows] [--interface]
                                     a 2D run's field over the x-y plane at
                                     one output time (default: |current
                                     density| at the last), phase boundaries
                                     drawn; --interface: the interface current
                                     density along y, peak and mean marked
  sweep SUMMARY.h5 [--x K] [--by K] [--y M,...]
                                     metrics of a sweep against one input, one
                                     curve per value of the other inputs
  rate SUMMARY.h5                    delivered capacity and retention vs C-rate
  ragone SUMMARY.h5                  specific energy vs specific power, log-log

Each writes one figure: PNG by default, SVG or PDF with --format (or an -o
name ending in .svg/.pdf), to -o OUT (a file, or a directory for the
default name) or, without -o, beside the first input as
<input>_<subcommand>.<format>. It prints the name it wrote.

Run files are described in docs/output.md. A killed run's RUN.h5.part can be
plotted: only the rows its time datasets count are read. A sweep summary is
the summary.h5 that `ionstack sweep` and `ionstack collect` write (root
attribute format = "ionstack sweep summary 1"); points whose status is not
`complete` are left out of the curves and named in a note under the figure.

Bad input (a missing file, a file of the other kind, an unknown metric or
input) stops with one line on stderr that says what to change, exit status 1.

This script draws; it computes nothing the run or the summary does not hold,
except capacity retention (capacity over that of the lowest rate of the same
curve), for a summary without specific_power that power from
mean_discharge_power and the energies, and in a field map the magnitude of a
vector and the peak, mean and hotspot factor of each interface at the time
drawn (see docs/plots.md).
Needs h5py, numpy and matplotlib: run it with /usr/bin/python3 (Debian's
python3-h5py, python3-numpy, python3-matplotlib), as ionstack-plot does.
"""
import argparse
import os
import re
import shlex
import sys
import textwrap

import h5py
import matplotlib

matplotlib.use("Agg")  # files only, no display: batch nodes have none
import matplotlib.collections  # noqa: E402
import matplotlib.patheffects  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

PROG = "ionstack-plot"
RUN_FORMAT = "ionstack output"  # root attribute `format` of a run file, version follows
SUMMARY_FORMAT = "ionstack sweep summary"
FORMATS = ("png", "svg", "pdf")

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every
# common colour-vision deficiency. Yellow goes last: it is faint on white.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
# Markers vary with the colour, so curves stay apart in grey-scale print too.
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
FIGSIZE = (12.8, 7.2)  # 16:9, 1920 x 1080 pixels at the PNG resolution below
PNG_DPI = 150

PHASES = {0: "void", 1: "lithium", 2: "electrolyte", 3: "active", 4: "composite", 5: "collector"}
ELECTROLYTE_PHASES = (2, 4)

# Words for the metrics and inputs people sweep; anything else is shown by
# its name, so an unlisted metric still plots.
METRIC_NAMES = {
    "discharge_capacity": "delivered capacity",
    "charge_capacity": "charge capacity",
    "theoretical_capacity": "theoretical capacity",
    "specific_capacity": "specific capacity",
    "mean_discharge_voltage": "mean discharge voltage",
    "discharge_energy": "discharge energy",
    "specific_energy": "specific energy",
    "energy_density": "energy density",
    "specific_power": "specific power",
    "power_density": "power density",
    "mean_discharge_power": "mean discharge power",
    "asr_total": "ASR, total",
    "asr_membrane": "ASR, membrane",
    "asr_anode_interface": "ASR, anode interface",
    "asr_cathode": "ASR, cathode transport",
    "asr_cathode_interface": "ASR, cathode interface",
    "asr_cathode_solid": "ASR, cathode solid diffusion",
    "asr_anode": "ASR, lithium foil",
    "membrane_asr_bulk": "membrane ASR L/σ",
    "lithium_excess": "lithium excess N/P",
    "stack_thickness": "stack thickness",
    "stack_areal_mass": "stack areal mass",
    "end_time": "end time",
    "solve_time": "solve time",
    "wall_time": "wall time",
    "retention": "capacity retention",
}
INPUT_NAMES = {
    "separator.thickness": "membrane thickness",
    "separator.conductivity": "membrane conductivity",
    "separator.material": "membrane material",
    "cell.temperature": "temperature",
    "define.rate": "C-rate",
    "cathode.thickness": "cathode thickness",
    "cathode.material": "cathode material",
    "anode.thickness": "lithium foil thickness",
    "anode.film_resistance": "anode interface resistance",
    "cathode.film_resistance": "cathode interface resistance",
}
SWEEP_DEFAULT_Y = ["specific_energy", "energy_density", "discharge_capacity", "asr_total"]


class PlotError(Exception):
    """Bad input: the message says what to change; main() prints it and exits 1."""


# ---------------------------------------------------------------- style


def setup_style():
    plt.rcParams.update({
        "figure.figsize": FIGSIZE,
        "font.size": 16,
        "axes.titlesize": 16,
        "axes.labelsize": 16,
        "xtick.labelsize": 14,
        "ytick.labelsize": 14,
        "legend.fontsize": 14,
        "legend.title_fontsize": 14,
        "figure.titlesize": 18,
        "lines.linewidth": 2.4,
        "lines.markersize": 8,
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.formatter.useoffset": False,  # 41700 reads as 41700, not 1e-12 + 4.17e4
        "pdf.fonttype": 42,  # TrueType: text stays text when pasted into slides
        "svg.fonttype": "none",
        "svg.hashsalt": "ionstack",  # the same figure gives the same file
    })


def colour(k):
    return PALETTE[k % len(PALETTE)]


def marker(k):
    return MARKERS[k % len(MARKERS)]


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def pretty_units(units):
    """The units text of a file as a label shows it: ohm*cm^2 -> Ω·cm², um -> µm."""
    if units is None:
        return ""
    u = units.strip()
    if u in ("", "1"):
        return ""
    u = re.sub(r"\bohm\b", "Ω", u)
    u = re.sub(r"\bum\b", "µm", u)
    u = re.sub(r"\bdegC\b", "°C", u)
    u = re.sub(r"\^(-?\d+)", lambda m: m.group(1).translate(_SUPERSCRIPT), u)
    return u.replace("*", "·")


def axis_label(name, units):
    u = pretty_units(units)
    return "%s (%s)" % (name, u) if u else name


def wrap_title(text, width=95, lines=2):
    """At most `lines` lines of `width` characters, so a long protocol fits a slide."""
    parts = textwrap.wrap(text, width)
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1] + "…"
    return "\n".join(parts)


def number_ticks(axis, values=None, fmt=None):
    """Plain numbers (10, 100, 1000) on an axis, not 10^1; on a log axis spanning less than two decades, 1-2-5
    steps as well, so that a narrow range still shows several labels. With `values` (at most 12), the ticks
    sit at those values (the C-rates of a sweep)."""
    axis.set_major_formatter(FuncFormatter(fmt or (lambda v, _: "%g" % v)))
    if axis.get_scale() == "log":
        axis.set_minor_formatter(NullFormatter())
        lo, hi = axis.get_view_interval()
        if lo > 0 and hi / lo < 100:
            axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    if values is not None and 0 < len(values) <= 12:
        axis.set_ticks(values)
        axis.set_minor_formatter(NullFormatter())


# ---------------------------------------------------------------- files


def decode(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def text_of(ds):
    """A text dataset (fixed-size as in run files, or variable-length as in summaries)."""
    if ds.shape == ():
        return decode(ds[()]).rstrip("\0")
    return [decode(v).rstrip("\0") for v in ds[()]]


def open_h5(path, kind):
    """Opens an ionstack file for reading, checking it is a `kind` ("run" or "summary")."""
    if not os.path.exists(path):
        hint = ""
        if kind == "run" and os.path.exists(path + ".part"):
            hint = " (a run that has not ended, or was killed, leaves %s.part: plot that)" % path
        raise PlotError("no such file: %s%s" % (path, hint))
    if os.path.isdir(path):
        raise PlotError("%s is a directory; give a %s" % (path, "run file (.h5)" if kind == "run" else "summary.h5"))
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise PlotError("cannot read %s as HDF5 (%s); give an ionstack %s" % (path, e, "run file" if kind == "run" else "sweep summary"))
    fmt = decode(f.attrs.get("format", ""))
    if kind == "run":
        if fmt.startswith(SUMMARY_FORMAT):
            f.close()
            raise PlotError("%s is a sweep summary, not a run file: plot it with `%s sweep`, `rate` or `ragone`" % (path, PROG))
        if not fmt.startswith(RUN_FORMAT) and "timeseries" not in f:
            f.close()
            raise PlotError("%s is not an ionstack run file (no root attribute format = \"%s ...\")" % (path, RUN_FORMAT))
    else:
        if fmt.startswith(RUN_FORMAT) or ("timeseries" in f and "metrics" in f and "status" not in f):
            f.close()
            raise PlotError("%s is a run file, not a sweep summary: give the summary.h5 that `ionstack sweep` or "
                            "`ionstack collect` writes in the sweep's directory, or plot the run with `%s voltage` "
                            "or `%s profiles`" % (path, PROG, PROG))
        if not fmt.startswith(SUMMARY_FORMAT):
            f.close()
            raise PlotError("%s is not an ionstack sweep summary (no root attribute format = \"%s 1\")" % (path, SUMMARY_FORMAT))
    return f


def file_stem(path):
    name = os.path.basename(path)
    for ext in (".part", ".h5"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    return name


def output_path(args, command):
    """Where the figure goes and in which format (see the module docstring)."""
    fmt = args.format
    out = args.output
    stem = "%s_%s" % (file_stem(args.inputs[0]), command)
    if out is None:
        base = os.path.join(os.path.dirname(args.inputs[0]), stem)
        fmt = fmt or "png"
        return base + "." + fmt, fmt
    if out.endswith(os.sep) or os.path.isdir(out):
        fmt = fmt or "png"
        return os.path.join(out, stem + "." + fmt), fmt
    ext = os.path.splitext(out)[1].lower().lstrip(".")
    if ext in FORMATS:
        if fmt and fmt != ext:
            raise PlotError("-o %s ends in .%s but --format is %s; make them agree" % (out, ext, fmt))
        return out, ext
    fmt = fmt or "png"
    return out + "." + fmt, fmt


def save(fig, path, fmt):
    parent = os.path.dirname(path)
    if parent:
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as e:
            raise PlotError("cannot create the directory %s for %s: %s" % (parent, path, e.strerror))
    # no creation date in SVG/PDF, so that the same figure gives the same file
    kw = {"dpi": PNG_DPI} if fmt == "png" else {"metadata": {"Date": None}}
    try:
        fig.savefig(path, format=fmt, **kw)
    except OSError as e:
        raise PlotError("cannot write %s: %s" % (path, e.strerror or e))
    plt.close(fig)
    print(path)


# ---------------------------------------------------------------- run files


def config_protocol(config):
    """The protocol steps as written, from the resolved config text (/provenance/config)."""
    steps, inside = [], False
    for line in config.splitlines():
        if re.match(r"^protocol:", line):
            inside = True
            continue
        if inside:
            if line and not line[0].isspace():
                break
            m = re.match(r'^\s+-\s+"?(.*?)"?\s*$', line)
            if m:
                steps.append(m.group(1))
    return steps


def command_overrides(command_line):
    """The -key value pairs of an `ionstack run` command line (the file name's key left out)."""
    try:
        argv = shlex.split(command_line)
    except ValueError:
        return []
    if "run" not in argv:
        return []
    rest = argv[argv.index("run") + 2:]  # after `run CONFIG`
    pairs, i = [], 0
    number = re.compile(r"^-?\d*\.?\d+(e-?\d+)?")
    while i < len(rest):
        a = rest[i]
        if a.startswith("-") and not number.match(a):
            value = None
            if i + 1 < len(rest) and not (rest[i + 1].startswith("-") and not number.match(rest[i + 1])):
                value = rest[i + 1]
                i += 1
            if a[1:] not in ("output_file", "quiet"):
                pairs.append((a[1:], value))
        i += 1
    return pairs


class Run:
    """What the plots need of one run file, cut to the rows its time datasets count."""

    def __init__(self, path):
        self.path = path
        with open_h5(path, "run") as f:
            prov = f["provenance"] if "provenance" in f else {}
            get = lambda name: text_of(prov[name]) if name in prov else ""  # noqa: E731
            self.status = get("status") or "unknown"
            self.exit_reason = get("exit_reason")
            self.config_file = get("config_file")
            self.config = get("config")
            self.command_line = get("command_line")
            self.steps = config_protocol(self.config)  # as written, for titles
            self.step_text = {}  # protocol_step index -> its text, for the finished steps (/protocol)
            p = f["protocol"] if "protocol" in f else {}
            if "text" in p and "index" in p:
                m = len(p["end_time"]) if "end_time" in p else len(p["text"])  # the finished steps
                self.step_text = dict(zip((int(i) for i in p["index"][:m]), text_of(p["text"])[:m]))
            if not self.steps:
                self.steps = [self.step_text[k] for k in sorted(self.step_text)]
            self.inputs = []
            if "sweep" in f and "inputs" in f["sweep"]:
                got = {k: text_of(d) for k, d in f["sweep/inputs"].items()}
                order = text_of(f["sweep/keys"]).split(",") if "keys" in f["sweep"] else []
                self.inputs = [(k, got[k]) for k in order if k in got] + [(k, v) for k, v in got.items() if k not in order]
            self.ts = {}
            if "timeseries" in f and "time" in f["timeseries"]:
                ts = f["timeseries"]
                n = len(ts["time"])  # the complete rows, also in a killed run's .part
                for name in ("time", "voltage", "current", "protocol_step", "capacity_mAh_per_cm2", "capacity"):
                    if name in ts:
                        self.ts[name] = np.asarray(ts[name][:n], dtype=float)
                if "capacity_mAh_per_cm2" not in self.ts and "capacity" in self.ts:
                    self.ts["capacity_mAh_per_cm2"] = self.ts["capacity"] / 36000.0  # C/m^2 -> mAh/cm^2
            self.mesh = {k: f["mesh"][k][:] for k in ("x_centres", "x_faces", "phase") if "mesh" in f and k in f["mesh"]}
            self.stack = []  # (part, (material, thickness in um)) in stack order
            if "metrics" in f and "stack" in f["metrics"]:
                g = f["metrics/stack"]
                for part in STACK_PARTS:
                    if part in g and "material" in g[part] and "thickness" in g[part]:
                        self.stack.append((part, (text_of(g[part]["material"]), float(g[part]["thickness"][()]))))

    def status_note(self):
        """Says when the data stop short of the run's end (a .part, a failed run)."""
        t = self.ts.get("time")
        end = " up to t = %.0f s" % t[-1] if t is not None and len(t) else ""
        if self.status == "complete":
            return ""
        if self.status == "running":
            return "not finished (status running: killed, or still going)%s" % end
        return "%s%s: %s" % (self.status, end, self.exit_reason[:60])


def run_labels(runs):
    """One legend label per run: its file name and what sets it apart from the others."""
    stems = [file_stem(r.path) for r in runs]
    if len(set(stems)) < len(stems):
        stems = [os.path.join(os.path.basename(os.path.dirname(os.path.abspath(r.path))), file_stem(r.path)) for r in runs]
    if len(runs) == 1:
        return stems
    labels = []
    if all(r.inputs for r in runs):
        for s, r in zip(stems, runs):
            labels.append("%s: %s" % (s, ", ".join("%s = %s" % (k, pretty_value(v)) for k, v in r.inputs)))
        return labels
    shared_config = len({r.config_file for r in runs}) == 1
    over = [set(command_overrides(r.command_line)) for r in runs]
    common = set.intersection(*over) if over else set()
    for s, r, o in zip(stems, runs, over):
        what = [] if shared_config else [os.path.basename(r.config_file)]
        what += ["%s %s" % (k, v) if v is not None else k for k, v in command_overrides(r.command_line) if (k, v) not in common]
        labels.append("%s: %s" % (s, ", ".join(what)) if what else s)
    return labels


def step_kind(run, step, current):
    """discharge, charge or rest: from the step's text in /protocol, else from its current (a hold, an unfinished step)."""
    words = run.step_text.get(step, "").split()
    if words and words[0].lower() in ("discharge", "charge", "rest"):
        return words[0].lower()
    nonzero = current[current != 0]
    if len(nonzero) == 0:
        return "rest"
    return "discharge" if np.median(nonzero) > 0 else "charge"


def step_segments(run):
    """(kind, slice) of each protocol step's samples, each joined to the last sample before it."""
    ts = run.ts
    n = len(ts.get("time", []))
    if n == 0:
        return []
    steps = ts.get("protocol_step", np.zeros(n))
    current = ts.get("current", np.zeros(n))
    cuts = [0] + [i for i in range(1, n) if steps[i] != steps[i - 1]] + [n]
    segs = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        kind = step_kind(run, int(steps[a]), current[a:b])
        segs.append((kind, slice(max(a - 1, 0), b)))
    return segs


STYLE = {"discharge": "-", "charge": "--", "rest": ":"}


def cmd_voltage(args):
    runs = [Run(p) for p in args.inputs]
    labels = run_labels(runs)
    fig, ax = plt.subplots()
    drawn_kinds = set()
    notes = []
    for k, (run, label) in enumerate(zip(runs, labels)):
        if "voltage" not in run.ts or len(run.ts["voltage"]) == 0:
            raise PlotError("%s has no time-series samples yet (/timeseries/time is empty)" % run.path)
        if args.x == "time":
            x = run.ts["time"] / 3600.0
        else:
            x = run.ts["capacity_mAh_per_cm2"]
        v = run.ts["voltage"]
        first = True
        for kind, s in step_segments(run):
            ax.plot(x[s], v[s], linestyle=STYLE[kind], color=colour(k), linewidth=1.8 if kind == "rest" else 2.4,
                    label=label if first else None)
            first = False
            drawn_kinds.add(kind)
        if run.status_note():
            notes.append("%s: %s" % (file_stem(run.path), run.status_note()))
    ax.set_xlabel("time (h)" if args.x == "time" else "capacity, net charge delivered since the start (mAh/cm²)")
    ax.set_ylabel("cell voltage (V)")
    # the run legend, and one for the line styles in black
    leg = ax.legend(loc="best", title="run" if len(runs) > 1 else None)
    if len(drawn_kinds) > 1 or "charge" in drawn_kinds:
        ax.add_artist(leg)
        handles = [Line2D([], [], color="black", linestyle=STYLE[kk], label=kk) for kk in ("discharge", "charge", "rest")
                   if kk in drawn_kinds]
        ax.legend(handles=handles, loc="lower left" if args.x == "time" else "lower center")
    if args.title:
        title = args.title
    elif len(runs) == 1:
        r = runs[0]
        title = "Cell voltage: %s (%s): %s" % (labels[0], r.config_file or "no config recorded", "; ".join(r.steps) or "no protocol recorded")
    else:
        cfgs = {r.config_file for r in runs}
        protos = {tuple(r.steps) for r in runs}
        title = "Cell voltage of %d runs" % len(runs)
        if len(cfgs) == 1:
            title += " of %s" % next(iter(cfgs))
        if len(protos) == 1:
            title += ": %s" % "; ".join(runs[0].steps)
    ax.set_title(wrap_title(title))
    if notes:
        fig.text(0.01, 0.01, wrap_title("; ".join(notes), 150, 2), fontsize=14, va="bottom", color="#444444")
        fig.tight_layout(rect=(0, 0.06, 1, 1))
    else:
        fig.tight_layout()
    path, fmt = output_path(args, "voltage")
    save(fig, path, fmt)


def parse_times(text):
    """0,600,30min,1h -> seconds."""
    scale = {"": 1.0, "s": 1.0, "min": 60.0, "h": 3600.0}
    out = []
    for item in text.split(","):
        m = re.match(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*(s|min|h)?\s*$", item)
        if not m:
            raise PlotError("--times %s: %r is not a time; give seconds (or with s, min, h), comma-separated, e.g. 0,600,1800" % (text, item))
        out.append(float(m.group(1)) * scale[m.group(2) or ""])
    return out


def regions(phase, x_faces):
    """(phase, x_start, x_end) of each run of equal phase labels, x in µm."""
    out, a = [], 0
    for i in range(1, len(phase) + 1):
        if i == len(phase) or phase[i] != phase[a]:
            out.append((int(phase[a]), x_faces[a] * 1e6, x_faces[i] * 1e6))
            a = i
    return out


REGION_NAMES = {1: ("lithium", "Li"), 2: ("separator", "SE"), 3: ("cathode film", "film"), 4: ("cathode", "cath."),
                5: ("collector", "CC"), 0: ("void", "void")}
STACK_PARTS = ("anode_collector", "anode", "membrane", "cathode", "cathode_collector")


def label_regions(ax, regs, x_max):
    """Region names on a secondary top axis, at each region's centre; a short name, or none, where it would not fit."""
    top = ax.secondary_xaxis("top")
    top.tick_params(length=0, labelsize=14)
    top.grid(False)
    width = ax.get_window_extent().width / ax.figure.dpi  # the axes' size in inches, to see what fits
    ticks, labels = [], []
    for ph, a, b in regs:
        room = (b - a) / x_max * width
        for name in REGION_NAMES.get(ph, ("phase %d" % ph, "%d" % ph)):
            if len(name) * 14 * 0.6 / 72 < room:  # ~0.6 em per character
                ticks.append((a + b) / 2)
                labels.append(name)
                break
    top.set_xticks(ticks)
    top.set_xticklabels(labels)


def stack_note(run, regs):
    """The layers with their thickness and material, from /metrics/stack (else from the mesh)."""
    if run.stack:
        parts = ["%s %s %g µm" % (REGION_NAMES_STACK[p], m, t) for p, (m, t) in run.stack if m != "none"]
        return "stack, anode end first: " + " | ".join(parts)
    return "stack, anode end first: " + " | ".join("%s %g µm" % (REGION_NAMES.get(ph, ("?",))[0], b - a) for ph, a, b in regs)


REGION_NAMES_STACK = {"anode_collector": "collector", "anode": "anode", "membrane": "separator", "cathode": "cathode",
                      "cathode_collector": "collector"}


def cmd_profiles(args):
    run = Run(args.inputs[0])
    with open_h5(run.path, "run") as f:
        if "fields" not in f or "time" not in f["fields"] or len(f["fields/time"]) == 0:
            raise PlotError("%s has no output times yet (/fields/time is empty)" % run.path)
        if mesh_dim(f) == 2:
            raise PlotError("%s is a 2D run (/mesh/dim 2): draw its fields with `%s field`" % (run.path, PROG))
        T = len(f["fields/time"])  # the complete output times, also in a killed run's .part
        times = f["fields/time"][:T]
        if "x_centres" not in run.mesh:
            raise PlotError("%s has no /mesh/x_centres" % run.path)
        x = run.mesh["x_centres"] * 1e6
        faces = run.mesh.get("x_faces")
        phase = run.mesh.get("phase", np.full(len(x), 2))
        wanted = parse_times(args.times) if args.times else np.linspace(times[0], times[-1], max(args.count, 1))
        picks = []
        for t in wanted:
            k = int(np.argmin(np.abs(times - t)))
            if args.times and (t > times[-1] + 1 or t < times[0] - 1):
                print("%s profiles: %s holds output times %g to %g s; for %g s it draws t = %g s" % (
                    PROG, run.path, times[0], times[-1], t, times[k]), file=sys.stderr)
            if k not in picks:
                picks.append(k)
        picks.sort()

        def field(name):
            if name not in f["fields"]:
                return None, None
            d = f["fields"][name]
            if d.shape[-1] != len(x):
                raise PlotError("%s: /fields/%s has %d values per row for %d cells; profiles draws 1D runs "
                                "(draw a 2D field with `%s field`)" % (run.path, name, d.shape[-1], len(x), PROG))
            return d[:T][picks], decode(d.attrs.get("units", ""))

        # (title, y symbol, [(field, line style)])
        panels = [
            ("electrolyte concentration", "c", [("electrolyte_concentration", "-")]),
            ("electrolyte potential", "φₑ", [("electrolyte_potential", "-")]),
            ("solid potential", "φₛ", [("solid_potential", "-")]),
            ("solid concentration", "cₛ", [("solid_concentration", "-"), ("particle_surface_concentration", "--")]),
        ]
        fig, axes = plt.subplots(2, 2, sharex=True, figsize=FIGSIZE)
        styles = []
        cmap = matplotlib.colormaps["viridis"]  # ordered times: a sequential map that reads in colour-blind vision
        shades = [cmap(v) for v in (np.linspace(0.0, 0.85, len(picks)) if len(picks) > 1 else [0.0])]
        # Solid potential: only the cells right of the separator. The anode end
        # is grounded (0 V) and the cathode sits near the cell voltage, so on one
        # axis the cathode's few mV of ohmic drop would be invisible.
        el = np.nonzero(phase == 2)[0]
        cathode_side = np.arange(len(x)) > el[-1] if len(el) else np.ones(len(x), bool)
        regs = regions(phase, faces) if faces is not None else []
        x_max = faces[-1] * 1e6 if faces is not None else x[-1]
        for ax, (title, symbol, names) in zip(axes.flat, panels):
            units, drawn = None, []
            for name, style in names:
                rows, u = field(name)
                if rows is None:
                    continue
                if name == "solid_potential" and np.isfinite(rows[:, cathode_side]).any() and not cathode_side.all():
                    rows = np.where(cathode_side, rows, np.nan)
                    title = "solid potential right of the separator (anode end: 0 V)"
                units = units or u
                for j, k in enumerate(picks):
                    lab = ("t = %s s" % ("%g" % times[k] if times[k] < 100 else "%.0f" % times[k])) if style == "-" else None
                    ax.plot(x, rows[j], linestyle=style, color=shades[j], marker="." if len(x) <= 40 and style == "-" else None, label=lab)
                drawn.append((name, style))
            if len(drawn) > 1:  # the styles of a panel with two fields, in black, beside the figure
                words = {"solid_concentration": "particle mean", "particle_surface_concentration": "particle surface"}
                styles = [Line2D([], [], color="black", linestyle=st, label=words.get(n, n)) for n, st in drawn]
            if not drawn:
                ax.text(0.5, 0.5, "not in this file:\n" + "\n".join("/fields/" + n for n, _ in names), ha="center",
                        va="center", transform=ax.transAxes, fontsize=14, color="#666666")
            ax.set_title(title, fontsize=15, pad=26)
            ax.set_ylabel(axis_label(symbol, units) if units else symbol)
            for r, (ph, a, b) in enumerate(regs):
                if r % 2:
                    ax.axvspan(a, b, color="#000000", alpha=0.05, linewidth=0)
                if r:
                    ax.axvline(a, color="#777777", linewidth=1, linestyle="-")
            ax.set_xlim(0, x_max)
        for ax in axes[1]:
            ax.set_xlabel("x from the anode end (µm)")
        handles, labs = [], []
        for ax in axes.flat:
            handles, labs = ax.get_legend_handles_labels()
            if handles:
                break
        legends = [fig.legend(handles, labs, loc="upper right", bbox_to_anchor=(1, 0.8), title="output time")]
        if styles:
            legends.append(fig.legend(handles=styles, loc="lower right", bbox_to_anchor=(1, 0.12), title="solid concentration"))
        title = args.title or "Profiles: %s (%s): %s" % (file_stem(run.path), run.config_file or "no config recorded",
                                                           "; ".join(run.steps) or "no protocol recorded")
        if run.status_note():
            title += " [%s]" % run.status_note()
        fig.suptitle(wrap_title(title, 90))
        fig.text(0.01, 0.01, wrap_title(stack_note(run, regs), 115, 2), fontsize=14, va="bottom", color="#444444")
        legend_right(fig, legends, 0.06)
        for ax in axes.flat:  # after the layout: which names fit depends on the panels' width
            label_regions(ax, regs, x_max)
        legend_right(fig, legends, 0.06)
    path, fmt = output_path(args, "profiles")
    save(fig, path, fmt)


# ---------------------------------------------------------------- 2D field maps

NAN_GREY = "#a8a8a8"  # cells without a value: neutral, and in none of the colour maps used here
COMPONENTS = ("magnitude", "x", "y")
ARROWS_ALONG = 24  # about this many arrows along the longer side of the map


def mesh_dim(f):
    """/mesh/dim; a file without it (written before 2D) is 1D."""
    return int(f["mesh/dim"][()]) if "mesh" in f and "dim" in f["mesh"] else 1


def field_time(times, text, path):
    """The index of the output time nearest to --time (the last without it); a time outside the run is an error."""
    if text is None:
        return len(times) - 1
    t = parse_times(text)
    if len(t) != 1:
        raise PlotError("--time %s: give one time (in s, or with s, min, h)" % text)
    slack = 1e-6 * max(1.0, abs(times[-1]))
    if t[0] < times[0] - slack or t[0] > times[-1] + slack:
        raise PlotError("--time %s: %s holds output times %g to %g s; give a time in that range (default: the last)" % (
            text, path, times[0], times[-1]))
    return int(np.argmin(np.abs(times - t[0])))


def time_text(t):
    return "t = %s s" % ("%g" % t if t < 100 else "%.0f" % t)


class FieldRun:
    """What a field map needs of a 2D run file: mesh, one output time's fields, metrics (docs/output.md, dim 2)."""

    def __init__(self, path, time_text_):
        self.run = Run(path)
        self.path = path
        with open_h5(path, "run") as f:
            dim = mesh_dim(f)
            if dim == 1:
                raise PlotError("%s is a 1D run (/mesh/dim absent or 1): draw its fields with `%s profiles`" % (path, PROG))
            if dim != 2:
                raise PlotError("%s has /mesh/dim %d; `field` draws 2D runs" % (path, dim))
            missing = [k for k in ("x_faces", "y_faces", "phase") if k not in f["mesh"]]
            if missing:
                raise PlotError("%s has no /mesh/%s; a 2D run file has x_faces, y_faces and phase" % (path, missing[0]))
            self.x_faces, self.y_faces = f["mesh/x_faces"][:], f["mesh/y_faces"][:]
            self.nx, self.ny = len(self.x_faces) - 1, len(self.y_faces) - 1
            phase = f["mesh/phase"][:]
            if phase.size != self.nx * self.ny:
                raise PlotError("%s: /mesh/phase has %d labels for %d x %d cells" % (path, phase.size, self.nx, self.ny))
            self.phase = phase.reshape(self.ny, self.nx)  # x fastest: cell (i, j) at j*nx + i
            if "fields" not in f or "time" not in f["fields"] or len(f["fields/time"]) == 0:
                raise PlotError("%s has no output times yet (/fields/time is empty)" % path)
            T = len(f["fields/time"])  # the complete output times, also in a killed run's .part
            self.times = f["fields/time"][:T]
            self.k = field_time(self.times, time_text_, path)
            self.time = float(self.times[self.k])
            self.fields, self.units = {}, {}  # name -> this time's row, (ny, nx) for cell fields
            for name, d in f["fields"].items():
                if name == "time" or not isinstance(d, h5py.Dataset) or d.ndim != 2 or d.shape[0] < T:
                    continue
                row = np.asarray(d[self.k], dtype=float)
                self.fields[name] = row.reshape(self.ny, self.nx) if d.shape[1] == self.nx * self.ny else row
                self.units[name] = decode(d.attrs.get("units", ""))
            self.faces = f["mesh/interface_faces"][:].reshape(-1, 4) if "interface_faces" in f["mesh"] else None
            self.metrics = {}
            for name in ("interface_current_peak", "interface_current_mean", "hotspot_factor", "contact_area_fraction"):
                if "metrics" in f and name in f["metrics"]:
                    self.metrics[name] = (float(f["metrics"][name][()]), decode(f["metrics"][name].attrs.get("units", "")))

    def cell_fields(self):
        return sorted(n for n, v in self.fields.items() if v.shape == (self.ny, self.nx))

    def vectors(self):
        """Names N whose N_x and N_y are both cell fields (current_density)."""
        cells = self.cell_fields()
        return sorted(n[:-2] for n in cells if n.endswith("_x") and n[:-2] + "_y" in cells)

    def field_list(self):
        vec = self.vectors()
        return ", ".join(["%s (magnitude, x, y)" % n for n in vec] +
                         [n for n in self.cell_fields() if n not in vec and n[:-2] not in vec])

    def values(self, name, component):
        """(cells (ny, nx), colour-bar label, signed component?) of --field and --component."""
        if name in self.vectors():
            comp = component or "magnitude"
            units = self.units[name + "_x"]
            if comp == "magnitude":
                return np.hypot(self.fields[name + "_x"], self.fields[name + "_y"]), axis_label("|%s|" % name, units), False
            return self.fields["%s_%s" % (name, comp)], axis_label("%s, %s component" % (name, comp), units), True
        if name in self.cell_fields():
            if component:
                raise PlotError("--component %s: %s is a scalar field; components belong to the vector fields (%s)" % (
                    component, name, ", ".join(self.vectors()) or "none in this file"))
            return self.fields[name], axis_label(name, self.units[name]), False
        raise PlotError("--field %s: no cell field of that name in %s; it has %s" % (name, self.path, self.field_list()))

    def title(self, what, args):
        r = self.run
        title = args.title or "%s: %s (%s) at %s" % (what, file_stem(self.path), r.config_file or "no config recorded",
                                                     time_text(self.time))
        if not args.title and r.status_note():
            title += " [%s]" % r.status_note()
        return title


def phase_edges(phase, xf, yf):
    """Segments (µm) along every cell face between two phases, for a LineCollection."""
    segs = []
    for j, i in zip(*np.nonzero(phase[:, 1:] != phase[:, :-1])):
        segs.append([(xf[i + 1], yf[j]), (xf[i + 1], yf[j + 1])])
    for j, i in zip(*np.nonzero(phase[1:, :] != phase[:-1, :])):
        segs.append([(xf[i], yf[j + 1]), (xf[i + 1], yf[j + 1])])
    return segs


def map_norm(values, log, signed, name):
    """The colour map and norm: viridis, log viridis with --log, a diverging map centred on 0 for a signed component."""
    finite = values[np.isfinite(values)]
    lo, hi = float(finite.min()), float(finite.max())
    if log:
        if lo < 0:
            raise PlotError("--log: %s runs from %g to %g; a log scale needs values >= 0 (drop --log, or draw the "
                            "magnitude)" % (name, lo, hi))
        positive = finite[finite > 0]
        if not len(positive):
            raise PlotError("--log: %s is 0 in every cell; drop --log" % name)
        return "viridis", matplotlib.colors.LogNorm(vmin=float(positive.min()), vmax=hi, clip=True)
    if signed and lo < 0 < hi:
        a = max(-lo, hi)
        return "RdBu_r", matplotlib.colors.Normalize(vmin=-a, vmax=a)
    return "viridis", matplotlib.colors.Normalize(vmin=lo, vmax=hi)


def direction_arrows(ax, fr, name, xc, yc):
    """Unit arrows of the vector field's direction on every n-th cell, n so that about ARROWS_ALONG fit along the map."""
    step = max(1, int(np.ceil(max(fr.nx, fr.ny) / ARROWS_ALONG)))
    j, i = np.meshgrid(np.arange(step // 2, fr.ny, step), np.arange(step // 2, fr.nx, step), indexing="ij")
    u, v = fr.fields[name + "_x"][j, i], fr.fields[name + "_y"][j, i]
    size = np.hypot(u, v)
    big = np.nanmax(np.hypot(fr.fields[name + "_x"], fr.fields[name + "_y"]))
    keep = np.isfinite(size) & (size > 1e-6 * big)  # no arrow where there is no current to point
    cell = np.median(np.diff(xc)) if fr.nx > 1 else np.median(np.diff(yc))
    length = 0.8 * step * cell
    ax.quiver(xc[i][keep], yc[j][keep], (u / size)[keep], (v / size)[keep], angles="xy", scale_units="xy",
              scale=1.0 / length, pivot="middle", width=0.0022, headwidth=4, color="white", edgecolor="black", linewidth=0.5, zorder=3)
    return step


def cmd_field(args):
    fr = FieldRun(args.inputs[0], args.time)
    if args.interface:
        for opt, given in (("--field", args.field), ("--component", args.component), ("--arrows", args.arrows), ("--log", args.log)):
            if given:
                raise PlotError("%s: --interface draws /fields/interface_current_density along the interface; drop %s" % (opt, opt))
        return field_interface(args, fr)
    name = args.field or "current_density"
    if args.arrows and name not in fr.vectors():
        raise PlotError("--arrows: %s is not a vector field; arrows show the direction of %s" % (
            name, ", ".join(fr.vectors()) or "a vector field (none in this file)"))
    values, label, signed = fr.values(name, args.component)
    if not np.isfinite(values).any():
        raise PlotError("%s: %s has no value at %s (NaN in every cell)" % (fr.path, name, time_text(fr.time)))
    cmap_name, norm = map_norm(values, args.log, signed, label.split(" (")[0])
    cmap = matplotlib.colormaps[cmap_name].copy()
    cmap.set_bad(NAN_GREY)
    xf, yf = fr.x_faces * 1e6, fr.y_faces * 1e6
    xc, yc = 0.5 * (xf[1:] + xf[:-1]), 0.5 * (yf[1:] + yf[:-1])
    fig, ax = plt.subplots()
    ax.grid(False)
    mesh = ax.pcolormesh(xf, yf, np.ma.masked_invalid(values), cmap=cmap, norm=norm, shading="flat",
                         rasterized=fr.nx * fr.ny > 20000)  # a big mesh as an image in SVG/PDF: one path per cell is slow
    # phase boundaries on the cell faces, white with a black rim: visible on every colour of the map
    edges = matplotlib.collections.LineCollection(phase_edges(fr.phase, xf, yf), colors="white", linewidths=1.2, zorder=2)
    edges.set_path_effects([matplotlib.patheffects.Stroke(linewidth=2.4, foreground="black"), matplotlib.patheffects.Normal()])
    ax.add_collection(edges)
    notes = ["grey: no value (void, or a phase without %s)" % name, "lines: phase boundaries"]
    if args.arrows:
        step = direction_arrows(ax, fr, name, xc, yc)
        notes.append("arrows: its direction%s" % (" (every %s cell)" % ("%dnd" % step if step == 2 else "%dth" % step)
                                                   if step > 1 else ""))
    ax.set_xlim(xf[0], xf[-1])
    ax.set_ylim(yf[0], yf[-1])
    ax.set_aspect("equal")
    ax.set_xlabel("x from the anode end (µm)")
    ax.set_ylabel("y (µm)")
    cax = ax.inset_axes([1.015, 0.0, 0.025, 1.0])  # follows the map's box, whatever its aspect
    cax.grid(False)
    bar = fig.colorbar(mesh, cax=cax)
    bar.set_label(label)
    if args.log:
        number_ticks(bar.ax.yaxis)
    ax.set_title(wrap_title(fr.title("Field map of %s" % label.split(" (")[0], args), 90))
    fig.text(0.01, 0.01, wrap_title("; ".join(notes), 115, 2), fontsize=14, va="bottom", color="#444444")
    fig.tight_layout(rect=(0, 0.05, 0.93, 1))
    # the phases by name above the map: each column's most common phase, as the profiles name the regions
    column = np.array([np.bincount(c[c >= 0]).argmax() if (c >= 0).any() else 0 for c in fr.phase.T])
    label_regions(ax, regions(column, fr.x_faces), xf[-1])
    path, fmt = output_path(args, "field")
    save(fig, path, fmt)


def interfaces(fr):
    """The interface faces split into interfaces: runs along x with gaps of more than two cells between them.

    Returns [(label, rows)], rows indexing /mesh/interface_faces, each sorted by y."""
    f = fr.faces
    order = np.argsort(f[:, 0], kind="stable")
    gap = 2.0 * np.max(np.diff(fr.x_faces))
    cuts = [0] + [n for n in range(1, len(order)) if f[order[n], 0] - f[order[n - 1], 0] > gap] + [len(order)]
    out = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        rows = order[a:b]
        rows = rows[np.lexsort((f[rows, 0], f[rows, 1]))]
        pairs = []
        for x, y, normal, _ in f[rows]:  # the phases on the two sides of each face
            if int(normal) == 0:
                i, j = int(np.argmin(np.abs(fr.x_faces - x))), int(np.searchsorted(fr.y_faces, y)) - 1
                lo, hi = (j, i - 1), (j, i)
            else:
                i, j = int(np.searchsorted(fr.x_faces, x)) - 1, int(np.argmin(np.abs(fr.y_faces - y)))
                lo, hi = (j - 1, i), (j, i)
            if 0 <= min(lo + hi) and hi[0] < fr.ny and hi[1] < fr.nx:
                pairs.append("%s | %s" % (PHASES.get(int(fr.phase[lo]), "phase %d" % fr.phase[lo]),
                                          PHASES.get(int(fr.phase[hi]), "phase %d" % fr.phase[hi])))
        sides = max(set(pairs), key=pairs.count) if pairs else "interface"
        out.append(("x ≈ %.3g µm, %s" % (np.mean(f[rows, 0]) * 1e6, sides), rows))
    return out


def field_interface(args, fr):
    """The reaction current density along each interface (y), its peak and area-weighted mean marked."""
    if "interface_current_density" not in fr.fields or fr.faces is None:
        raise PlotError("%s has no /fields/interface_current_density and /mesh/interface_faces: a 2D run writes them "
                        "when its mesh has interfaces" % fr.path)
    current, f = fr.fields["interface_current_density"], fr.faces
    if len(current) != len(f):
        raise PlotError("%s: /fields/interface_current_density has %d values per row for %d faces in "
                        "/mesh/interface_faces" % (fr.path, len(current), len(f)))
    if not len(f):
        raise PlotError("%s has no interface faces (/mesh/interface_faces is empty)" % fr.path)
    units = pretty_units(fr.units["interface_current_density"])
    fig, ax = plt.subplots()
    gaps_drawn = False
    for c, (label, rows) in enumerate(interfaces(fr)):
        y, i, area = f[rows, 1] * 1e6, current[rows], f[rows, 3] * 1e6
        # a break in the line where the faces stop (a void: no contact) instead of a bridge over it
        breaks = np.nonzero(np.diff(y) > 0.5 * (area[1:] + area[:-1]) * 1.01)[0]
        ax.plot(np.insert(y, breaks + 1, np.nan), np.insert(i, breaks + 1, np.nan), color=colour(c), marker=marker(c),
                markersize=5, label=None)
        for n in breaks:
            ax.axvspan(y[n] + 0.5 * area[n], y[n + 1] - 0.5 * area[n + 1], color=colour(c), alpha=0.1, linewidth=0,
                       label=None if gaps_drawn else "no contact")
            gaps_drawn = True
        ok = np.isfinite(i)
        if not ok.any():
            continue
        peak = int(np.nanargmax(np.abs(i)))
        mean = np.sum(i[ok] * area[ok]) / np.sum(area[ok])
        hotspot = abs(i[peak]) / abs(mean) if mean else np.nan
        ax.axhline(mean, color=colour(c), linestyle="--", linewidth=1.8)
        ax.plot(y[peak], i[peak], linestyle="none", marker="*", markersize=20, color=colour(c), markeredgecolor="black")
        ax.plot([], [], color=colour(c), marker=marker(c), label="%s: peak %.3g, mean %.3g %s, hotspot factor %.3g" % (
            label, i[peak], mean, units, hotspot))
    ax.plot([], [], color="black", linestyle="--", linewidth=1.8, label="area-weighted mean")
    ax.plot([], [], color="black", linestyle="none", marker="*", markersize=14, label="peak")
    ax.set_xlim(fr.y_faces[0] * 1e6, fr.y_faces[-1] * 1e6)
    lo, hi = ax.get_ylim()
    if lo > 0:  # a current density reads against 0
        ax.set_ylim(0, hi * 1.05)
    ax.set_xlabel("y, position along the interface (µm)")
    ax.set_ylabel(axis_label("interface current density", fr.units["interface_current_density"]))
    ax.legend(loc="best", fontsize=14)
    ax.set_title(wrap_title(fr.title("Interface current density", args), 90))
    if fr.metrics:
        note = "the run's /metrics: " + ", ".join("%s %.4g%s" % (k, v, " " + pretty_units(u) if pretty_units(u) else "")
                                                 for k, (v, u) in fr.metrics.items())
        fig.text(0.01, 0.01, wrap_title(note, 115, 2), fontsize=14, va="bottom", color="#444444")
        fig.tight_layout(rect=(0, 0.08, 1, 1))
    else:
        fig.tight_layout()
    path, fmt = output_path(args, "field_interface")
    save(fig, path, fmt)


# ---------------------------------------------------------------- sweep summaries

C_RATE = re.compile(r"^\s*(\d*\.?\d+)?\s*C\s*(?:/\s*(\d*\.?\d+))?\s*$")
DISCHARGE_RATE = re.compile(r"\bdischarge\s+at\s+((?:\d*\.?\d+\s*)?C(?:\s*/\s*\d*\.?\d+)?)(?![\w/])")


def c_rate(text):
    """C/3 -> 0.333, 2C -> 2, 0.5 C -> 0.5; None if the text is not a C-rate."""
    m = C_RATE.match(text)
    if not m:
        return None
    num = float(m.group(1)) if m.group(1) else 1.0
    den = float(m.group(2)) if m.group(2) else 1.0
    return num / den if den else None


def c_rate_text(v):
    """0.333 -> C/3, 2 -> 2C."""
    if v <= 0 or not np.isfinite(v):
        return "%g" % v
    if v < 1 and abs(1 / v - round(1 / v)) < 1e-6:
        return "C/%d" % round(1 / v)
    return "%gC" % v


class Summary:
    """A sweep summary (layout in docs/plots.md): inputs, status and metrics per point."""

    def __init__(self, path):
        self.path = path
        with open_h5(path, "summary") as f:
            self.config_file = decode(f.attrs.get("config_file", ""))
            self.mode = decode(f.attrs.get("mode", ""))
            n = len(f["index"]) if "index" in f else int(f.attrs.get("points", 0))
            self.n = n
            self.index = f["index"][:] if "index" in f else np.arange(n)
            self.status = text_of(f["status"]) if "status" in f else ["complete"] * n
            self.end_reason = text_of(f["end_reason"]) if "end_reason" in f else [""] * n
            order = [k for k in decode(f.attrs.get("inputs", "")).split(",") if k]
            have = list(f["inputs"].keys()) if "inputs" in f else []
            # a key with '/' would be a group: the agreed layout has none, but read it whole
            self.keys = [k for k in order if k in have] + [k for k in have if k not in order]
            self.numeric, self.text, self.units = {}, {}, {}
            for k in self.keys:
                d = f["inputs"][k]
                self.units[k] = decode(d.attrs.get("units", ""))
                if d.dtype.kind in "fiu":
                    self.numeric[k] = np.asarray(d[:], dtype=float)
                    if "inputs_text" in f and k in f["inputs_text"]:
                        self.text[k] = text_of(f["inputs_text"][k])
                    else:
                        self.text[k] = ["%g" % v for v in self.numeric[k]]
                else:
                    self.text[k] = text_of(d)
            self.metrics, self.metric_units = {}, {}

            def visit(name, obj):
                if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "fiu" and obj.shape == (n,):
                    self.metrics[name] = np.asarray(obj[:], dtype=float)
                    self.metric_units[name] = decode(obj.attrs.get("units", ""))

            if "metrics" in f:
                f["metrics"].visititems(visit)
            for k in ("solve_time", "wall_time"):
                if k in f and k not in self.metrics:
                    self.metrics[k] = np.asarray(f[k][:], dtype=float)
                    self.metric_units[k] = decode(f[k].attrs.get("units", "s"))
        if not self.keys:
            raise PlotError("%s has no /inputs: it is not the summary of a sweep" % path)
        self.complete = np.array([s == "complete" for s in self.status])

    # ---- inputs

    def key(self, name, option):
        """The swept key a user means: exact, with '_' for '.', or the unique key ending in .name."""
        if name in self.keys:
            return name
        hits = [k for k in self.keys if k.replace(".", "_") == name or k.split(".")[-1] == name or k.endswith("." + name)]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise PlotError("%s %s matches several inputs (%s); name one in full" % (option, name, ", ".join(hits)))
        raise PlotError("%s %s: not an input of %s; its inputs are %s" % (option, name, self.path, ", ".join(self.keys)))

    def value_label(self, k, i):
        """Input k of point i for a legend: 4 significant digits with units (a log range writes 8: 46.415888 um),
        a C-rate as C/3 or 2C, a text as written."""
        if k in self.numeric and np.isfinite(self.numeric[k][i]):
            v = self.numeric[k][i]
            if self.units[k] == "C":
                return c_rate_text(v)
            u = pretty_units(self.units[k])
            num = "%.4g" % v
            if "e" in num and 1 <= abs(v) < 1e9:  # 1e+04 -> 10000
                num = "%.0f" % v
            return "%s %s" % (num, u) if u else num
        return pretty_value(self.text[k][i])

    def rate_values(self, k):
        """The C-rates of input k (numeric with units C, C-rate texts, or protocols that discharge at one), else None."""
        if k in self.numeric:
            return self.numeric[k] if self.units[k] == "C" else None
        rates = [c_rate(t) for t in self.text[k]]
        if all(r is not None for r in rates):
            return np.array(rates)
        found = [DISCHARGE_RATE.search(t) for t in self.text[k]]
        if all(found):
            return np.array([c_rate(m.group(1)) for m in found])
        return None

    def rate_key(self):
        for k in self.keys:
            if self.rate_values(k) is not None:
                return k
        return None

    def values(self, k, as_rate=False):
        """(numbers or None, texts) of input k; C-rate texts count as numbers."""
        if as_rate:
            r = self.rate_values(k)
            if r is not None:
                return r, self.text[k]
        if k in self.numeric:
            return self.numeric[k], self.text[k]
        r = self.rate_values(k) if k != "protocol" else None
        return r, self.text[k]

    def axis_name(self, k, rate=False):
        if rate or self.units.get(k) == "C":
            return "C-rate" if k == "define.rate" or rate else INPUT_NAMES.get(k, k)
        name = INPUT_NAMES.get(k, k)
        return axis_label(name, self.units.get(k, ""))

    # ---- metrics

    def metric(self, name, option="--y"):
        if name == "retention":
            return None
        if name in self.metrics:
            return name
        hits = [m for m in self.metrics if m.endswith("/" + name)]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise PlotError("%s %s matches several metrics (%s); give its path" % (option, name, ", ".join(sorted(hits))))
        raise PlotError("%s %s: no metric of that name in %s; it has %s" % (
            option, name, self.path, ", ".join(sorted(m for m in self.metrics if "/" not in m))))

    # ---- selections

    def select(self, where):
        """Points that match every --where KEY=VALUE (by the value as written or by number)."""
        keep = np.ones(self.n, bool)
        for w in where or []:
            if "=" not in w:
                raise PlotError("--where %s: give KEY=VALUE, e.g. --where cell.temperature=60degC" % w)
            k, v = w.split("=", 1)
            k = self.key(k.strip(), "--where")
            v = v.strip()
            texts = [t.replace(" ", "") for t in self.text[k]]
            match = np.array([t == v.replace(" ", "") for t in texts])
            if not match.any() and k in self.numeric:
                try:
                    match = np.isclose(self.numeric[k], float(v), rtol=1e-9, atol=0)
                except ValueError:
                    pass
            if not match.any():
                raise PlotError("--where %s: %s takes the values %s" % (w, k, ", ".join(dict.fromkeys(self.text[k]))))
            keep &= match
        return keep

    def groups(self, x_key, by, keep):
        """Curves: (label, point indices) for each combination of the `by` inputs among the kept points."""
        others = [k for k in self.keys if k != x_key and k not in by]
        for k in others:
            vals = {self.text[k][i] for i in np.nonzero(keep)[0]}
            if len(vals) > 1:
                raise PlotError("input %s also varies (%s): add it to --by, or pick one value with --where %s=VALUE" % (
                    k, ", ".join(sorted(vals)), k))
        combos = {}
        for i in np.nonzero(keep)[0]:
            combos.setdefault(tuple(self.text[k][i] for k in by), []).append(i)

        def order(item):
            key = []
            for k, t in zip(by, item[0]):
                nums, _ = self.values(k)
                key.append(nums[item[1][0]] if nums is not None else self.text[k].index(t))
            return key

        out = []
        for combo, idx in sorted(combos.items(), key=order):
            label = ", ".join(self.value_label(k, idx[0]) for k in by)  # the legend's title names the inputs
            out.append((label, np.array(idx)))
        return out


def choose_by(s, x_key, by_opt):
    if by_opt:
        return [s.key(b.strip(), "--by") for b in by_opt.split(",") if b.strip()]
    return [k for k in s.keys if k != x_key]


def legend_title(s, by):
    """The words for the curves' inputs, with the keys as written below them."""
    names = [INPUT_NAMES.get(k, k) for k in by]
    keys = [k for k in by if INPUT_NAMES.get(k, k) != k]
    return ", ".join(names) + ("\n(%s)" % ", ".join(keys) if keys else "")


def pretty_value(text):
    """An input value as written, with its units as labels show them: 10 um -> 10 µm, 60 degC -> 60 °C."""
    t = re.sub(r"\bum\b", "µm", text)
    t = re.sub(r"\bdegC\b", "°C", t)
    t = re.sub(r"\bohm\b", "Ω", t)
    return re.sub(r"\^(-?\d+)", lambda m: m.group(1).translate(_SUPERSCRIPT), t)


def excluded_note(s, keep):
    """Names the points left out of the curves, by status."""
    bad = {}
    for i in np.nonzero(keep & ~s.complete)[0]:
        bad.setdefault(s.status[i], []).append(int(s.index[i]))
    if not bad:
        return ""
    parts = []
    for st, idx in sorted(bad.items()):
        shown = ", ".join(str(i) for i in idx[:8]) + (", …" if len(idx) > 8 else "")
        parts.append("%d %s (point%s %s)" % (len(idx), st, "s" if len(idx) > 1 else "", shown))
    return "Not on the curves: " + "; ".join(parts) + "; × marks a value such a point wrote."


def grid_for(n):
    return {1: (1, 1), 2: (1, 2), 3: (1, 3), 4: (2, 2)}.get(n, (2, (n + 1) // 2) if n <= 6 else (3, (n + 2) // 3))


def xscale_of(xs, choice):
    if choice != "auto":
        return choice
    xs = xs[np.isfinite(xs)]
    return "log" if len(xs) and xs.min() > 0 and xs.max() / xs.min() > 10 else "linear"


def metric_labels(ax, name, units, stacked):
    """The metric's words and units: on the y axis, or, with panels stacked (too short for the words), as the
    panel's title with the units on the axis."""
    words = METRIC_NAMES.get(name, name.replace("_", " "))
    if stacked:
        ax.set_title(words)
        ax.set_ylabel(pretty_units(units))
    else:
        ax.set_ylabel(axis_label(words, units))


def draw_curves(ax, s, groups, xs, ys):
    """Complete points as lines with markers, broken where a point is not complete or has no value
    (a line bridging it would claim a value nobody computed); the others as × in the curve's colour."""
    for c, (label, idx) in enumerate(groups):
        idx = idx[np.argsort(xs[idx], kind="stable")]
        idx = idx[np.isfinite(xs[idx])]
        line = np.where(s.complete[idx], ys[idx], np.nan)
        ax.plot(xs[idx], line, color=colour(c), marker=marker(c), label=label)
        bad = idx[~s.complete[idx] & np.isfinite(ys[idx])]
        if len(bad):
            ax.plot(xs[bad], ys[bad], linestyle="none", marker="x", markersize=11, markeredgewidth=2.5, color=colour(c))


def legend_right(fig, legends, bottom=0.0, top=1.0):
    """Lays the axes out left of the legends anchored at the figure's right edge, however wide they are."""
    right = 1.0
    if legends:
        renderer = fig.canvas.get_renderer()
        inv = fig.transFigure.inverted()
        width = max(np.ptp(inv.transform(lg.get_window_extent(renderer))[:, 0]) for lg in legends)
        right = 1.0 - width - 0.01
    fig.tight_layout(rect=(0, bottom, right, top))


def finish_summary_figure(fig, axes, s, groups, by, note, title):
    legends = []
    if len(groups) > 1:
        handles, labels = axes[0].get_legend_handles_labels()
        legends.append(fig.legend(handles, labels, loc="center right", title=legend_title(s, by)))
    fig.suptitle(wrap_title(title, 90))
    bottom = 0.0
    if note:
        fig.text(0.01, 0.01, wrap_title(note, 115, 2), fontsize=14, va="bottom", color="#444444")
        bottom = 0.07
    legend_right(fig, legends, bottom)


def sweep_title(s, what):
    keys = " × ".join(s.keys)
    return "%s: %s (%ssweep of %s, %d points)" % (what, s.config_file or os.path.basename(s.path),
                                                  s.mode + " " if s.mode else "", keys, s.n)


def categorical(ax, s, k, keep):
    """Positions 0..m-1 for a text input, in the order of the summary, labelled as written."""
    cats = list(dict.fromkeys(s.text[k][i] for i in np.nonzero(keep)[0]))
    pos = np.array([cats.index(t) if t in cats else np.nan for t in s.text[k]], dtype=float)
    ax.set_xticks(range(len(cats)))
    ax.set_xticklabels(cats, rotation=20 if max(map(len, cats)) > 8 else 0, ha="right" if max(map(len, cats)) > 8 else "center")
    return pos


def no_values_check(s, name, keep):
    v = s.metrics[name]
    if not np.isfinite(v[keep & s.complete]).any():
        raise PlotError("no complete point of %s has a value of %s (all NaN or not complete)" % (s.path, name))


def cmd_sweep(args):
    s = Summary(args.inputs[0])
    if args.x:
        x_key = s.key(args.x, "--x")
    elif "separator.thickness" in s.keys:
        x_key = "separator.thickness"
    else:
        x_key = next((k for k in s.keys if k in s.numeric), s.keys[0])
    by = choose_by(s, x_key, args.by)
    if x_key in by:
        raise PlotError("--by %s is the x input as well; choose another" % x_key)
    names = [m.strip() for m in (args.y.split(",") if args.y else SWEEP_DEFAULT_Y) if m.strip()]
    metrics = [s.metric(m) for m in names if m != "retention"]
    if len(metrics) != len(names):
        raise PlotError("--y retention is drawn by `%s rate`" % PROG)
    keep = s.select(args.where)
    groups = s.groups(x_key, by, keep)
    for m in metrics:
        no_values_check(s, m, keep)
    rows, cols = grid_for(len(metrics))
    fig, axes = plt.subplots(rows, cols, sharex=True, squeeze=False)
    axes = list(axes.flat)
    nums, _ = s.values(x_key)
    for j, (ax, m) in enumerate(zip(axes, metrics)):
        xs = nums if nums is not None else categorical(ax, s, x_key, keep)
        draw_curves(ax, s, groups, xs, s.metrics[m])
        metric_labels(ax, m, s.metric_units[m], rows > 1)
        if nums is not None:
            ax.set_xscale(xscale_of(nums[keep], args.xscale))
            if s.units.get(x_key) == "C" or x_key not in s.numeric:  # C-rates: ticks at the rates, as C/3, 2C
                number_ticks(ax.xaxis, sorted({v for v in nums[keep] if np.isfinite(v)}), lambda v, _: c_rate_text(v))
            else:
                number_ticks(ax.xaxis)
        ax.set_yscale(args.yscale)
        if args.yscale == "log":
            number_ticks(ax.yaxis)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    label = s.axis_name(x_key, rate=nums is not None and x_key not in s.numeric)
    for ax in axes[max(0, len(metrics) - cols):len(metrics)]:
        ax.set_xlabel(label)
        ax.xaxis.set_tick_params(labelbottom=True)
    title = args.title or sweep_title(s, "Sweep")
    if args.where:
        title += " where " + ", ".join(args.where)
    finish_summary_figure(fig, axes, s, groups, by, excluded_note(s, keep), title)
    path, fmt = output_path(args, "sweep")
    save(fig, path, fmt)


def rate_axis(s, x_opt):
    if x_opt:
        k = s.key(x_opt, "--x")
        if s.rate_values(k) is None:
            raise PlotError("--x %s: its values (%s) are not C-rates (C/3, 1C, 2C) nor protocols that discharge at one" % (
                k, ", ".join(list(dict.fromkeys(s.text[k]))[:6])))
        return k
    k = s.rate_key()
    if k is None:
        raise PlotError("%s sweeps no C-rate (its inputs are %s): sweep define.rate or the protocol, or name the "
                        "input with --x" % (s.path, ", ".join(s.keys)))
    return k


def cmd_rate(args):
    s = Summary(args.inputs[0])
    x_key = rate_axis(s, args.x)
    rates = s.rate_values(x_key)
    by = choose_by(s, x_key, args.by)
    names = [m.strip() for m in (args.y.split(",") if args.y else ["discharge_capacity", "retention"]) if m.strip()]
    cap = s.metric("discharge_capacity", "rate needs") if "retention" in names else None
    keep = s.select(args.where)
    groups = s.groups(x_key, by, keep)
    metrics = [s.metric(m) for m in names]
    for m in metrics:
        if m:
            no_values_check(s, m, keep)
    rows, cols = grid_for(len(names))
    fig, axes = plt.subplots(rows, cols, sharex=True, squeeze=False)
    axes = list(axes.flat)
    for ax, name, m in zip(axes, names, metrics):
        if m is None:  # retention: capacity over that of the lowest complete rate of the curve
            ys = np.full(s.n, np.nan)
            for _, idx in groups:
                ok = idx[s.complete[idx] & np.isfinite(s.metrics[cap][idx])]
                if len(ok):
                    ref = ok[np.argmin(rates[ok])]
                    ys[idx] = 100.0 * s.metrics[cap][idx] / s.metrics[cap][ref]
            metric_labels(ax, "retention", "% of the lowest rate", rows > 1)
        else:
            ys = s.metrics[m]
            metric_labels(ax, m, s.metric_units[m], rows > 1)
        draw_curves(ax, s, groups, rates, ys)
        ax.set_xscale(xscale_of(rates[keep], args.xscale))
        number_ticks(ax.xaxis, sorted({r for r in rates[keep] if np.isfinite(r) and r > 0}), lambda v, _: c_rate_text(v))
        ax.set_yscale(args.yscale)
        if args.yscale == "log":
            number_ticks(ax.yaxis)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    for ax in axes[max(0, len(names) - cols):len(names)]:
        ax.set_xlabel("C-rate (%s)" % x_key if x_key != "define.rate" else "C-rate")
        ax.xaxis.set_tick_params(labelbottom=True)
    title = args.title or sweep_title(s, "Rate capability")
    if args.where:
        title += " where " + ", ".join(args.where)
    finish_summary_figure(fig, axes, s, groups, by, excluded_note(s, keep), title)
    path, fmt = output_path(args, "rate")
    save(fig, path, fmt)


def ragone_axes(s, per):
    """(power, energy) metric arrays with their names and units; power derived when the summary lacks it."""
    e_name, p_name = ("specific_energy", "specific_power") if per == "mass" else ("energy_density", "power_density")
    energy = s.metric(e_name, "ragone needs")
    if p_name in s.metrics:
        return s.metrics[p_name], s.metrics[energy], p_name, s.metric_units[p_name], energy, s.metric_units[energy]
    # P/E is the same per area and per mass (or volume): the discharge's inverse duration
    if "mean_discharge_power" in s.metrics and "discharge_energy" in s.metrics:
        p = s.metrics[energy] * s.metrics["mean_discharge_power"] / s.metrics["discharge_energy"]
        return p, s.metrics[energy], p_name, "W/kg" if per == "mass" else "W/L", energy, s.metric_units[energy]
    raise PlotError("%s has no metrics/%s (nor mean_discharge_power and discharge_energy to derive it); "
                    "it has %s" % (s.path, p_name, ", ".join(sorted(m for m in s.metrics if "/" not in m))))


def cmd_ragone(args):
    s = Summary(args.inputs[0])
    power, energy, p_name, p_units, e_name, e_units = ragone_axes(s, args.per)
    if args.along:
        along = s.key(args.along, "--along")
    else:
        along = s.rate_key() or next((k for k in s.keys if k in s.numeric), s.keys[0])
    by = choose_by(s, along, args.by)
    keep = s.select(args.where)
    groups = s.groups(along, by, keep)
    positive = (power > 0) & (energy > 0)
    if not (positive & keep & s.complete).any():
        raise PlotError("no complete point of %s has a positive %s and %s" % (s.path, p_name, e_name))
    rates = s.rate_values(along)
    nums, texts = s.values(along, as_rate=True)
    order_by = nums if nums is not None else np.array([texts.index(t) for t in texts], float)
    fig, ax = plt.subplots()
    for c, (label, idx) in enumerate(groups):
        idx = idx[np.argsort(order_by[idx], kind="stable")]
        ok = idx[s.complete[idx] & positive[idx]]
        line = idx[positive[idx] | ~s.complete[idx]]  # a point not complete breaks the line
        ax.plot(power[line], np.where(s.complete[line], energy[line], np.nan), color=colour(c), marker=marker(c), label=label)
        bad = idx[~s.complete[idx] & positive[idx]]
        if len(bad):
            ax.plot(power[bad], energy[bad], linestyle="none", marker="x", markersize=11, markeredgewidth=2.5, color=colour(c))
        if c == 0:  # name the points of one curve by what moves along it
            for i in ok:
                tag = c_rate_text(rates[i]) if rates is not None else pretty_value(texts[i])
                ax.annotate(tag, (power[i], energy[i]), textcoords="offset points", xytext=(8, 6), fontsize=14, color=colour(c))
    ax.set_xscale("log")
    ax.set_yscale("log")
    # lines of equal discharge time, E = P t: the usual Ragone guides
    xl, yl = ax.get_xlim(), ax.get_ylim()
    for hours, tag in ((10, "10 h"), (1, "1 h"), (0.1, "6 min"), (0.01, "36 s")):
        p = np.array(xl)
        ax.plot(p, p * hours, color="#999999", linestyle=":", linewidth=1.2, zorder=0)
        # label where the line leaves the box
        px = min(xl[1], yl[1] / hours) / 1.15
        if xl[0] < px and yl[0] < px * hours < yl[1]:
            ax.text(px, px * hours, tag, fontsize=14, color="#777777", ha="right", va="bottom")
    ax.set_xlim(xl)
    ax.set_ylim(yl)
    number_ticks(ax.xaxis)
    number_ticks(ax.yaxis)
    ax.set_xlabel(axis_label(METRIC_NAMES[p_name], p_units))
    ax.set_ylabel(axis_label(METRIC_NAMES[e_name], e_units))
    title = args.title or sweep_title(s, "Ragone plot")
    if args.where:
        title += " where " + ", ".join(args.where)
    note = excluded_note(s, keep)
    dropped = keep & s.complete & ~positive
    if dropped.any():
        note += (" " if note else "") + "%d complete point(s) without a positive %s or %s are not drawn (log axes)." % (
            dropped.sum(), p_name, e_name)
    finish_summary_figure(fig, [ax], s, groups, by, note, title)
    path, fmt = output_path(args, "ragone")
    save(fig, path, fmt)


# ---------------------------------------------------------------- command line


def parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-o", "--output", metavar="OUT",
                        help="the figure's file (its extension may set the format), or a directory for the default "
                             "name; default: beside the first input, <input>_<subcommand>.<format>")
    common.add_argument("--format", choices=FORMATS, help="png (default), svg or pdf")
    common.add_argument("--title", help="the figure's title instead of the one saying what was run")

    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                 epilog="docs/plots.md describes every subcommand, with examples.")
    sub = ap.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("voltage", parents=[common], help="cell voltage vs capacity of one or more runs",
                       description="Cell voltage vs capacity (net charge delivered since the start, mAh/cm^2) of one or "
                                   "more runs: one colour per run, discharge solid, charge dashed, rest dotted.")
    p.add_argument("inputs", nargs="+", metavar="RUN.h5", help="run files (.h5, or a killed run's .h5.part)")
    p.add_argument("--x", choices=("capacity", "time"), default="capacity", help="x axis: capacity (default) or time in h")
    p.set_defaults(func=cmd_voltage)

    p = sub.add_parser("profiles", parents=[common], help="fields vs x at a few output times of one run",
                       description="Electrolyte concentration and potential, solid potential and solid (and particle-"
                                   "surface) concentration vs x (µm) at a few output times, regions marked.")
    p.add_argument("inputs", nargs=1, metavar="RUN.h5", help="a run file (.h5 or .h5.part)")
    p.add_argument("--times", help="output times to draw, in s (or with s, min, h), comma-separated, e.g. 0,600,1800; "
                                   "each is drawn at the nearest output time; default: --count times evenly spread")
    p.add_argument("--count", type=int, default=5, help="how many evenly spread output times without --times (default 5)")
    p.set_defaults(func=cmd_profiles)

    p = sub.add_parser("field", parents=[common], help="a 2D run's field over the x-y plane at one output time",
                       description="A field of a 2D run over the x-y plane (µm, true aspect) at one output time, phase "
                                   "boundaries drawn, cells without a value grey; or, with --interface, the interface "
                                   "current density along each interface with its peak and mean.")
    p.add_argument("inputs", nargs=1, metavar="RUN.h5", help="a 2D run file (.h5 or .h5.part)")
    p.add_argument("--field", metavar="NAME", help="a cell field of /fields (default current_density: the magnitude of "
                                                   "current_density_x and _y)")
    p.add_argument("--time", metavar="T", help="the output time, in s (or with s, min, h); the nearest is drawn; "
                                               "default: the last")
    p.add_argument("--component", choices=COMPONENTS, help="of a vector field: magnitude (default), x or y")
    p.add_argument("--log", action="store_true", help="a logarithmic colour scale (values >= 0)")
    p.add_argument("--arrows", action="store_true", help="arrows of the vector field's direction on a sparse grid")
    p.add_argument("--interface", action="store_true", help="the interface current density against y along each "
                                                            "interface instead of a map")
    p.set_defaults(func=cmd_field)

    for name, func, helptext in (("sweep", cmd_sweep, "metrics of a sweep against one input"),
                                 ("rate", cmd_rate, "rate capability: capacity and retention vs C-rate"),
                                 ("ragone", cmd_ragone, "specific energy vs specific power, log-log")):
        p = sub.add_parser(name, parents=[common], help=helptext, description=helptext + ", from a sweep summary.")
        p.add_argument("inputs", nargs=1, metavar="SUMMARY.h5", help="summary.h5 of ionstack sweep or collect")
        p.add_argument("--by", metavar="KEY[,KEY]", help="the inputs that make one curve per value (default: every "
                                                         "input that is not on the x axis)")
        p.add_argument("--where", action="append", metavar="KEY=VALUE",
                       help="only the points with this input value (as written, or as a number in the input's units); repeatable")
        if name == "ragone":
            p.add_argument("--along", metavar="KEY", help="the input that moves along a curve (default: the C-rate)")
            p.add_argument("--per", choices=("mass", "volume"), default="mass",
                           help="mass: Wh/kg vs W/kg (default); volume: Wh/L vs W/L")
        else:
            p.add_argument("--x", metavar="KEY", help="the input on the x axis (default: %s)" % (
                "separator.thickness, else the first numeric input" if name == "sweep" else "the C-rate input"))
            p.add_argument("--y", metavar="METRIC[,METRIC]", help="the metrics, one panel each (default: %s)" % (
                ",".join(SWEEP_DEFAULT_Y) if name == "sweep" else "discharge_capacity,retention"))
            p.add_argument("--xscale", choices=("auto", "linear", "log"), default="auto",
                           help="auto (default): log when the values span more than a decade")
            p.add_argument("--yscale", choices=("linear", "log"), default="linear")
        p.set_defaults(func=func)
    return ap


def main(argv=None):
    args = parser().parse_args(argv)
    setup_style()
    try:
        args.func(args)
    except PlotError as e:
        print("%s %s: %s" % (PROG, args.command, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
