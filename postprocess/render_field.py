"""Render one field of an ionstack run to a PNG with ParaView.

Usage (pvbatch needs an X display; xvfb-run gives it one on a headless node):
    xvfb-run -a pvbatch postprocess/render_field.py RUN.xmf -o OUT.png
        [--field electrolyte_concentration] [--time T] [--size 900x500]

Opens the XDMF sidecar with ParaView's XDMF Reader (the .h5 must sit beside
it), colours the cells by the field at output time T (default: the last one,
or the nearest output time to T), with a colour bar titled with the field's
name, and saves OUT.png. Cells where the field is NaN (outside its phase, see
docs/output.md) are drawn in ParaView's NaN colour (grey). A 1D run is drawn
as the strip the .xmf describes, viewed along z, with x from the anode end.
"""
import argparse
import os
import sys

from paraview.simple import (  # noqa: F401  (pvbatch provides paraview.simple)
    ColorBy,
    GetActiveViewOrCreate,
    GetColorTransferFunction,
    Render,
    SaveScreenshot,
    Show,
    XDMFReader,
)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("xmf", help="the run's .xmf sidecar")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    ap.add_argument("--field", default="electrolyte_concentration", help="cell field to colour by (default electrolyte_concentration)")
    ap.add_argument("--time", type=float, default=None, help="output time in s (default: the last)")
    ap.add_argument("--size", default="900x500", help="image size WxH in pixels (default 900x500)")
    args = ap.parse_args(argv)
    if not os.path.exists(args.xmf):
        sys.exit("render_field.py: no such file: %s" % args.xmf)
    width, height = (int(v) for v in args.size.lower().split("x"))

    reader = XDMFReader(FileNames=[os.path.abspath(args.xmf)])
    reader.UpdatePipelineInformation()
    fields = list(reader.CellData.keys())
    if args.field not in fields:
        sys.exit("render_field.py: %s has no cell field %s; it has %s" % (args.xmf, args.field, ", ".join(fields)))
    times = list(reader.TimestepValues) if reader.TimestepValues else []
    if isinstance(reader.TimestepValues, float):
        times = [reader.TimestepValues]
    t = None
    if times:
        t = times[-1] if args.time is None else min(times, key=lambda v: abs(v - args.time))

    view = GetActiveViewOrCreate("RenderView")
    view.ViewSize = [width, height]
    view.OrientationAxesVisibility = 0
    if t is not None:
        view.ViewTime = t
    reader.UpdatePipeline(t if t is not None else 0.0)
    display = Show(reader, view)
    display.Representation = "Surface"  # rectilinear grids show as an outline by default
    ColorBy(display, ("CELLS", args.field))
    display.RescaleTransferFunctionToDataRange(False, True)
    display.SetScalarBarVisibility(view, True)
    lut = GetColorTransferFunction(args.field)
    lut.NanColor = [0.6, 0.6, 0.6]
    bar = lut.GetScalarBar(view) if hasattr(lut, "GetScalarBar") else None
    if bar is not None:
        bar.Title = args.field
        bar.ComponentTitle = ""
    view.CameraPosition = [0, 0, 1]
    view.CameraFocalPoint = [0, 0, 0]
    view.CameraViewUp = [0, 1, 0]
    view.CameraParallelProjection = 1
    view.ResetCamera()
    Render(view)
    SaveScreenshot(args.output, view, ImageResolution=[width, height])
    print(args.output)


if __name__ == "__main__":
    main()
