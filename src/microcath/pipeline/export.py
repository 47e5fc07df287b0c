"""Stage ``report``: every voxel field of the run in one ``fields.vti`` for ParaView."""

from __future__ import annotations

from .. import io as mio
from ..analysis import STATUS_CODE_LEGEND, status_codes
from .context import Figure, RunContext, Stage, StageOutput

#: block compression of fields.vti: lz4 writes faster than zlib for ~15 % more bytes (bench_run.py); a results
#: file for ParaView, which microcath does not read back for its own answers (the structure is
#: in structure.mcath, checked)
VTI_COMPRESSION = "lz4"
CAPTIONS = {"fields.vti": "VTK image data for ParaView, cell arrays: {names}"}


def run(ctx: RunContext) -> StageOutput:
    ms = ctx.structure
    fields = dict(ctx.fields)
    res = ctx.analysis
    if (res is not None and ms.particles is not None and ms.particles.max() > 0
            and res.particles.source == "particles" and len(res.particles)):
        codes = status_codes(res.particles, int(ms.particles.max()))
        fields["particle_status"] = (codes[ms.particles].astype("uint8"), STATUS_CODE_LEGEND)
    mio.write_vti(ctx.path("fields.vti"), ms, fields=fields, compression=VTI_COMPRESSION)
    names = ", ".join(["labels"] + (["particles"] if ms.particles is not None else [])
                      + (["grains"] if ms.grains is not None else []) + list(fields))
    return StageOutput(summary={"fields": list(fields)},
                       files=(Figure("fields.vti", CAPTIONS["fields.vti"].format(names=names)),))


STAGE = Stage("report", run, needs=("structure",))
