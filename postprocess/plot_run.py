#!/usr/bin/python3
"""Plot one or more ionstack runs.

Usage:
    /usr/bin/python3 postprocess/plot_run.py RUN.h5 [MORE.h5 ...] -o OUT_DIR [--times N]

Writes into OUT_DIR:
  voltage_capacity.png  cell voltage (V) vs delivered capacity (mAh/cm^2),
                        one line per file, from /timeseries
  profiles.png          electrolyte concentration (mol/m^3) and electrolyte
                        potential (V) vs x (um) at a few output times of the
                        first file, from /fields and /mesh; only cells that
                        hold an electrolyte (phase 2 electrolyte or 4
                        composite) are drawn

A run that was killed leaves RUN.h5.part: it can be plotted too (it holds
every output time written before the end). In such a file the time datasets
count the complete rows (/timeseries/time, /fields/time): other datasets may
hold a few rows more, which this script leaves out. docs/output.md describes
the file.
Needs h5py, numpy and matplotlib: use /usr/bin/python3 (Debian's packages).
"""
import argparse
import os
import re
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
import numpy as np  # noqa: E402

ELECTROLYTE_PHASES = (2, 4)  # electrolyte, composite (SPEC 2.1 labels)


def label_of(path):
    name = os.path.basename(path)
    for ext in (".part", ".h5"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    return name


def labels_of(paths):
    """Basenames, or longer paths when two runs share a basename (sweep points)."""
    labels = [label_of(p) for p in paths]
    if len(set(labels)) < len(labels):
        labels = [os.path.join(os.path.dirname(os.path.normpath(p)), label_of(p)) for p in paths]
    return labels


def pretty_units(units):
    """mol/m^3 -> mol/m$^{3}$ for matplotlib's mathtext."""
    return re.sub(r"\^(-?\d+)", r"$^{\1}$", units)


def read_capacity(f, n):
    ts = f["timeseries"]
    if "capacity_mAh_per_cm2" in ts:
        return ts["capacity_mAh_per_cm2"][:n]
    return ts["capacity"][:n] / 36000.0  # C/m^2 -> mAh/cm^2


def plot_voltage_capacity(files, out_dir):
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for path, label in zip(files, labels_of(files)):
        with h5py.File(path, "r") as f:
            n = f["timeseries/time"].shape[0]  # the complete rows, also in a killed run's .part
            ax.plot(read_capacity(f, n), f["timeseries/voltage"][:n], label=label)
    ax.set_xlabel("delivered capacity (mAh/cm$^2$)")
    ax.set_ylabel("cell voltage (V)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out = os.path.join(out_dir, "voltage_capacity.png")
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def pick_times(n, count):
    """Indices of up to `count` output times spread evenly, first and last included."""
    if n <= count:
        return list(range(n))
    return sorted(set(int(round(i)) for i in np.linspace(0, n - 1, count)))


def plot_profiles(path, out_dir, count):
    with h5py.File(path, "r") as f:
        x = f["mesh/x_centres"][:] * 1e6
        phase = f["mesh/phase"][:] if "phase" in f["mesh"] else np.full(x.shape, 2)
        mask = np.isin(phase, ELECTROLYTE_PHASES)
        times = f["fields/time"][:]
        panels = [
            ("electrolyte_concentration", "electrolyte concentration"),
            ("electrolyte_potential", "electrolyte potential"),
        ]
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
        for ax, (name, title) in zip(axes, panels):
            if name not in f["fields"]:
                ax.text(0.5, 0.5, "no /fields/%s" % name, ha="center", transform=ax.transAxes)
                continue
            d = f["fields"][name]
            units = pretty_units(d.attrs.get("units", ""))
            for k in pick_times(min(len(times), d.shape[0]), count):
                y = np.where(mask, d[k, :], np.nan)
                ax.plot(x, y, marker=".", label="t = %g s" % times[k])
            ax.set_xlabel("x (µm)")
            ax.set_ylabel("%s (%s)" % (title, units))
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize="small")
        fig.suptitle(label_of(path))
        fig.tight_layout()
        out = os.path.join(out_dir, "profiles.png")
        fig.savefig(out, dpi=120)
        plt.close(fig)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", help="ionstack HDF5 output files (.h5 or .h5.part)")
    ap.add_argument("-o", "--out-dir", required=True, help="directory for the PNGs (created if missing)")
    ap.add_argument("--times", type=int, default=5, help="number of output times in profiles.png (default 5)")
    args = ap.parse_args(argv)
    for path in args.files:
        if not os.path.exists(path):
            sys.exit("plot_run.py: no such file: %s" % path)
    os.makedirs(args.out_dir, exist_ok=True)
    print(plot_voltage_capacity(args.files, args.out_dir))
    print(plot_profiles(args.files[0], args.out_dir, args.times))


if __name__ == "__main__":
    main()
