"""Write examples/quickstart.ipynb (cells without outputs; tests/anisotropic runs it with nbmake)."""

from pathlib import Path

import nbformat as nbf

nb = nbf.v4.new_notebook()
md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
nb.cells = [
    md("""# microcath quick start

Generate a composite cathode, analyse it, solve its ionic conductivity, look at it in 3-D, and import a
small FIB-SEM-like stack whose slices are thicker than its pixels (anisotropic voxels).

The sizes are small so the notebook runs in well under a minute on a laptop CPU. In Jupyter with
`pip install "microcath[jupyter]"` the 3-D views are interactive (PyVista's trame backend); elsewhere
they are static pictures."""),
    code("""import numpy as np
import tifffile

from microcath import analysis, geometries, io, transport, units, viz

ms = geometries.generate("default", shape=(40, 40, 40), seed=1, progress=False)  # NMC811 / Li6PS5Cl / carbon
ms"""),
    md("## Morphology, percolation and particles\n\nThe result shows its summary table."),
    code("""a = analysis.analyze(ms)
a"""),
    md("## Ionic conductivity through the thickness (x)"),
    code("""r = transport.conductivity(ms, carrier="ionic", axis="x", fields=True)
print(f"sigma_ion,eff = {r.sigma_eff_mS_cm:.3g} mS/cm, tau = {r.tau:.3g}, converged: {r.converged}")
r"""),
    md("## 3-D views\n\nThe phases with a corner cut away, and the potential of the ionic solve."),
    code("""viz.show(ms, window_size=(600, 450))"""),
    code("""viz.show(r, "potential", ms=ms, window_size=(600, 450))"""),
    md("""## A FIB-SEM stack with anisotropic voxels

A labelled stack with 10 nm pixels and 20 nm slices, as FIB-SEM gives: grey value 0 is pore, 1 and 2 are
two NMC811 populations (merged into one phase on import), 3 is Li6PS5Cl. It is written here as an
ImageJ TIFF (the spacing in its metadata) and imported with a region of interest."""),
    code("""rng = np.random.default_rng(0)
shape = (36, 64, 64)                      # slices (x) x rows (y) x columns (z)
h = np.array([20e-9, 10e-9, 10e-9])       # slice spacing 20 nm, pixels 10 nm
centres = rng.uniform(0, 1, (12, 3)) * shape * h
radii = rng.uniform(80e-9, 140e-9, 12)
pos = (np.indices(shape).reshape(3, -1).T + 0.5) * h
stack = np.full(shape, 3, np.uint8).ravel()
for i, (c, rad) in enumerate(zip(centres, radii, strict=True)):
    stack[np.sum((pos - c) ** 2, axis=1) < rad**2] = 1 + i % 2
stack = stack.reshape(shape)
stack[rng.random(shape) < 0.03] = 0       # some pores
tifffile.imwrite("fib_stack.tif", stack, imagej=True, resolution=(1 / 0.01, 1 / 0.01),
                 metadata={"spacing": 0.02, "unit": "micron", "axes": "ZYX"})

fib = io.load("fib_stack.tif", phases="0=pore,1=NMC811,2=NMC811,3=Li6PS5Cl", crop="0:36,0:64,0:60")
print(fib)
print("spacing:", units.spacing_text(fib.spacing))     # read from the ImageJ metadata
fib.provenance["import_steps"]"""),
    md("""Every computation takes the three edges: areas, TPB length, particle sizes, and the face
conductances of each axis. The conductivity tensor of the stack as it is, and after binning it 2 x 2
in-plane to cubic 20 nm voxels (majority vote per label): the binned stack conducts a few per cent
better, because the majority vote removes most of the single-voxel pores (printed below)."""),
    code("""t = transport.conductivity(fib, carrier="ionic", axis="all")
binned = io.binning(fib, (1, 2, 2))
tb = transport.conductivity(binned, carrier="ionic", axis="all")
for ax in "xyz":
    print(f"{ax}: {units.to_mS_cm(t[ax].sigma_eff):.4g} mS/cm at {units.spacing_text(fib.spacing)}, "
          f"{units.to_mS_cm(tb[ax].sigma_eff):.4g} mS/cm at {units.spacing_text(binned.spacing)}")
pores = [s.volume_fractions()["pore"] for s in (fib, binned)]
print(f"pore fraction {pores[0]:.3f} -> {pores[1]:.3f} after binning")
analysis.analyze(fib)"""),
    code("""viz.show(fib, window_size=(600, 450))"""),
    md("""The same import on the command line:

```bash
microcath import fib_stack.tif --phases "0=pore,1=NMC811,2=NMC811,3=Li6PS5Cl" \\
    --crop 0:36,0:64,0:60 -o fib.mcath
microcath import fib_stack.tif --phases "0=pore,1=NMC811,2=NMC811,3=Li6PS5Cl" \\
    --bin 1,2,2 -o fib_binned.mcath
```

(the spacing comes from the ImageJ metadata; give `--voxel-size-um 0.02,0.01,0.01` for a stack
without it)."""),
]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nb.metadata["execution"] = {"timeout": 120}
nbf.write(nb, Path(__file__).resolve().parents[1] / "examples" / "quickstart.ipynb")
