#!/usr/bin/python3
"""make_2d_run.py: writes a synthetic 2D run file, in the layout of docs/output.md for dim 2.

    /usr/bin/python3 tests/make_2d_run.py OUT.h5 [--nx 48 --ny 16] [--void 0.375]

The stack is Li | SE | Li along x (a quarter, a half and a quarter of nx
cells, square cells of 1 µm), with a void in the two lithium columns next to
the left Li|SE interface over the middle --void fraction of y. Its fields
come from one steady ohmic solve on the cells (lithium 1e4 S/m, electrolyte
0.1 S/m, void none, no flux at y = 0 and y = top, the potential fixed at both
ends), scaled to a mean current density of 10 A/m² (1 mA/cm²): the current
crowds around the void and peaks at its edges, as it does in a real cell. Two
output times, 0 and 600 s: the same current, and an electrolyte concentration
that is uniform at 0 s and has relaxed into a gradient by 600 s.

This is test input for `ionstack-plot field` before the solver writes 2D
runs; it solves no transport and no kinetics, and the numbers mean nothing
beyond being plausible in size and shape. Needs h5py and numpy (Debian's,
through /usr/bin/python3).
"""
import argparse
import os
import sys

import h5py
import numpy as np

FORMAT = "ionstack output 1 (docs/output.md)"
LABELS = "0 void, 1 lithium, 2 electrolyte, 3 active, 4 composite, 5 collector"
VOID, LITHIUM, ELECTROLYTE = 0, 1, 2
SIGMA = {LITHIUM: 1e4, ELECTROLYTE: 0.1}  # S/m; lithium's real 1e7 would only worsen the dense solve's conditioning
CELL = 1e-6  # m, the side of a square cell
MEAN_CURRENT = 10.0  # A/m^2
C0 = 1000.0  # mol/m^3
TIMES = (0.0, 600.0)
MAX_CELLS = 4096  # the solve is dense: 4096 unknowns take about 17 s


def phase_map(nx, ny, void):
    """Phase labels (ny, nx): Li | SE | Li with a void on the lithium side of the left interface."""
    phase = np.full((ny, nx), ELECTROLYTE, dtype=np.int32)
    a = nx // 4
    phase[:, :a] = LITHIUM
    phase[:, nx - a:] = LITHIUM
    rows = int(round(void * ny))
    j0 = (ny - rows) // 2
    phase[j0:j0 + rows, max(a - 2, 0):a] = VOID
    return phase


def face_resistance(pa, pb):
    """Area-specific resistance (ohm*m^2) between the centres of two neighbouring cells."""
    return 0.5 * CELL / SIGMA[pa] + 0.5 * CELL / SIGMA[pb]


def solve(phase):
    """Cell potentials (NaN in the void) for 1 V across the stack, and the current density through every face.

    Returns (phi, jx, jy): jx (ny, nx+1) through the x faces in +x, jy (ny+1, nx) through the y faces in +y,
    both in A/m^2 and 0 where a face touches the void or the insulated y boundaries."""
    ny, nx = phase.shape
    live = phase != VOID
    index = -np.ones((ny, nx), dtype=int)
    index[live] = np.arange(live.sum())
    n = int(live.sum())
    A = np.zeros((n, n))
    b = np.zeros(n)
    for j in range(ny):
        for i in range(nx):
            k = index[j, i]
            if k < 0:
                continue
            for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                ii, jj = i + di, j + dj
                if 0 <= jj < ny and 0 <= ii < nx:
                    m = index[jj, ii]
                    if m >= 0:
                        g = 1.0 / face_resistance(phase[j, i], phase[jj, ii])
                        A[k, k] += g
                        A[k, m] -= g
                elif ii < 0 or ii >= nx:  # an end of the stack: the potential fixed on the face
                    g = 2.0 * SIGMA[phase[j, i]] / CELL
                    A[k, k] += g
                    b[k] += g * (1.0 if ii < 0 else 0.0)
    phi = np.full((ny, nx), np.nan)
    phi[live] = np.linalg.solve(A, b)
    jx = np.zeros((ny, nx + 1))
    jy = np.zeros((ny + 1, nx))
    for j in range(ny):
        jx[j, 0] = (1.0 - phi[j, 0]) * 2.0 * SIGMA[phase[j, 0]] / CELL if live[j, 0] else 0.0
        jx[j, nx] = phi[j, nx - 1] * 2.0 * SIGMA[phase[j, nx - 1]] / CELL if live[j, nx - 1] else 0.0
        for i in range(1, nx):
            if live[j, i - 1] and live[j, i]:
                jx[j, i] = (phi[j, i - 1] - phi[j, i]) / face_resistance(phase[j, i - 1], phase[j, i])
    for j in range(1, ny):
        for i in range(nx):
            if live[j - 1, i] and live[j, i]:
                jy[j, i] = (phi[j - 1, i] - phi[j, i]) / face_resistance(phase[j - 1, i], phase[j, i])
    return phi, jx, jy


def interface_faces(phase, jx, jy):
    """The lithium|electrolyte faces: (x, y, normal 0/1, area) rows and their current density (+x or +y)."""
    ny, nx = phase.shape
    rows, current = [], []
    pair = {LITHIUM, ELECTROLYTE}
    for j in range(ny):
        for i in range(1, nx):
            if {phase[j, i - 1], phase[j, i]} == pair:
                rows.append((i * CELL, (j + 0.5) * CELL, 0, CELL))
                current.append(jx[j, i])
    for j in range(1, ny):
        for i in range(nx):
            if {phase[j - 1, i], phase[j, i]} == pair:
                rows.append(((i + 0.5) * CELL, j * CELL, 1, CELL))
                current.append(jy[j, i])
    return np.array(rows, dtype=float).reshape(-1, 4), np.array(current)


def write(path, nx, ny, void):
    phase = phase_map(nx, ny, void)
    phi, jx, jy = solve(phase)
    scale = MEAN_CURRENT / jx[:, nx].mean()  # the current that leaves at x = L, over the height
    phi, jx, jy = phi * scale, jx * scale, jy * scale
    live = phase != VOID
    ix = np.where(live, 0.5 * (jx[:, :-1] + jx[:, 1:]), np.nan)
    iy = np.where(live, 0.5 * (jy[:-1, :] + jy[1:, :]), np.nan)
    faces, i_face = interface_faces(phase, jx, jy)
    el = phase == ELECTROLYTE
    # the concentration follows the potential in the electrolyte: a gradient along the current, 0 at t = 0
    shape = np.where(el, phi - np.nanmean(np.where(el, phi, np.nan)), 0.0)
    shape /= max(np.abs(shape[el]).max(), 1e-30)
    x_faces = np.arange(nx + 1) * CELL
    y_faces = np.arange(ny + 1) * CELL
    with h5py.File(path, "w") as f:
        f.attrs["format"] = FORMAT
        prov = f.create_group("provenance")
        for name, text in (("status", "complete"), ("exit_reason", "end of protocol"),
                           ("config_file", "tests/make_2d_run.py"),
                           ("command_line", "tests/make_2d_run.py %s --nx %d --ny %d" % (path, nx, ny)),
                           ("config", "protocol:\n  - \"discharge at 10 A/m^2 for 600 s\"\n")):
            prov[name] = np.bytes_(text.encode())
        m = f.create_group("mesh")
        m["dim"] = np.int32(2)
        m["x_faces"], m["y_faces"] = x_faces, y_faces
        m["x_centres"], m["y_centres"] = 0.5 * (x_faces[1:] + x_faces[:-1]), 0.5 * (y_faces[1:] + y_faces[:-1])
        for name in ("x_faces", "y_faces", "x_centres", "y_centres"):
            m[name].attrs["units"] = "m"
        m["phase"] = phase.reshape(-1)  # x fastest: cell (i, j) at j*nx + i
        m["phase"].attrs["labels"] = LABELS
        m["interface_faces"] = faces
        m["interface_faces"].attrs["columns"] = "x (m), y (m), normal direction (0 x, 1 y), area (m)"
        g = f.create_group("fields")
        nt, cells = len(TIMES), nx * ny
        g.create_dataset("time", data=np.array(TIMES), maxshape=(None,), chunks=(512,))
        g["time"].attrs["units"] = "s"

        def field(name, rows, units, width=cells):
            d = g.create_dataset(name, data=np.asarray(rows, dtype=float).reshape(nt, width),
                                 maxshape=(None, width), chunks=(1, width))
            d.attrs["units"] = units

        c = [np.where(el, C0 + 40.0 * (t / TIMES[-1]) * shape, np.nan) for t in TIMES]
        field("electrolyte_concentration", [r.reshape(-1) for r in c], "mol/m^3")
        field("electrolyte_potential", [np.where(el, phi, np.nan).reshape(-1)] * nt, "V")
        field("solid_potential", [np.where(phase == LITHIUM, phi, np.nan).reshape(-1)] * nt, "V")
        field("current_density_x", [ix.reshape(-1)] * nt, "A/m^2")
        field("current_density_y", [iy.reshape(-1)] * nt, "A/m^2")
        field("current_density", [ix.reshape(-1)] * nt, "A/m^2")  # the x component, as 1D files have it
        field("interface_current_density", [i_face] * nt, "A/m^2", width=len(i_face))
        # the metrics of the interface next to the void (the left one), at the last time
        left = faces[:, 0] < 0.5 * nx * CELL
        mean = np.sum(i_face[left] * faces[left, 3]) / np.sum(faces[left, 3])
        peak = np.abs(i_face[left]).max()
        metrics = f.create_group("metrics")
        for name, value, units in (("interface_current_peak", peak, "A/m^2"), ("interface_current_mean", mean, "A/m^2"),
                                   ("hotspot_factor", peak / mean, "1"),
                                   ("contact_area_fraction", np.sum(faces[left, 3]) / (ny * CELL), "1")):
            metrics[name] = float(value)
            metrics[name].attrs["units"] = units


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output", metavar="OUT.h5")
    ap.add_argument("--nx", type=int, default=48, help="cells along the stack, x (default 48)")
    ap.add_argument("--ny", type=int, default=16, help="cells across it, y (default 16)")
    ap.add_argument("--void", type=float, default=0.375, help="the void's share of the height (default 0.375)")
    a = ap.parse_args(argv)
    if a.nx < 8 or a.ny < 2 or a.nx * a.ny > MAX_CELLS:
        print("make_2d_run.py: --nx %d --ny %d: give nx >= 8, ny >= 2 and at most %d cells" % (a.nx, a.ny, MAX_CELLS),
              file=sys.stderr)
        return 1
    if not 0 <= a.void < 1:
        print("make_2d_run.py: --void %g: give a fraction in [0, 1)" % a.void, file=sys.stderr)
        return 1
    if os.path.dirname(a.output):
        os.makedirs(os.path.dirname(a.output), exist_ok=True)
    write(a.output, a.nx, a.ny, a.void)
    print(a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
