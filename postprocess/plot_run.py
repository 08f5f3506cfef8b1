#!/usr/bin/python3
"""Plot one or more ionstack runs: the two figures of ionstack-plot's run subcommands in one go.

Usage:
    /usr/bin/python3 postprocess/plot_run.py RUN.h5 [MORE.h5 ...] -o OUT_DIR [--times N]

Writes into OUT_DIR (created if missing):
  voltage_capacity.png  `ionstack-plot voltage RUN.h5 MORE.h5 ...`: cell voltage
                        (V) vs capacity (mAh/cm^2), one colour per file,
                        discharge solid, charge dashed, rest dotted
  profiles.png          `ionstack-plot profiles RUN.h5 --count N`: electrolyte
                        concentration and potential, solid potential and
                        concentration vs x (um) at N output times of the first
                        file

A killed run's RUN.h5.part can be plotted too: only the rows its time datasets
count are read. The figures are drawn by plot.py beside this script
(docs/plots.md); this script only keeps the older two-figure interface.
Needs h5py, numpy and matplotlib: use /usr/bin/python3 (Debian's packages).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot  # noqa: E402  (plot.py beside this file)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", help="ionstack HDF5 output files (.h5 or .h5.part)")
    ap.add_argument("-o", "--out-dir", required=True, help="directory for the PNGs (created if missing)")
    ap.add_argument("--times", type=int, default=5, help="number of output times in profiles.png (default 5)")
    args = ap.parse_args(argv)
    status = plot.main(["voltage"] + args.files + ["-o", os.path.join(args.out_dir, "voltage_capacity.png")])
    if status == 0:
        status = plot.main(["profiles", args.files[0], "--count", str(args.times), "-o", os.path.join(args.out_dir, "profiles.png")])
    return status


if __name__ == "__main__":
    sys.exit(main())
