"""What opened interfaces cost: conductivity and utilisable active material before and after.

The stress solver (:mod:`microcath.mechanics`) marks every face whose normal
traction exceeds the interface strength on active/electrolyte, active/carbon
and active/active faces and grain boundaries. An opened face conducts neither
ions nor electrons, and an opened grain boundary cuts a particle apart. This
module recomputes, with the same definitions before and after opening:

* the effective ionic and electronic conductivity along x (transport with the
  opened faces cut);
* the utilisable active fraction: active material is split into *fragments*
  (face-connected active voxels joined through faces that did not open); a
  fragment is ionically connected when one of its faces that did not open
  touches electrolyte connected to the separator side (x = 0), electronically
  connected when it belongs to the network of carbon and active voxels (joined
  through faces that did not open) that reaches the current collector (x = nx-1);
  utilisable = both, counted by volume.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from .microstructure import Microstructure
from .phases import PhaseKind

__all__ = ["contact_loss", "utilisable_fraction"]

log = logging.getLogger(__name__)


def utilisable_fraction(ms: Microstructure, cuts=None) -> dict[str, float]:
    """Volume fractions of the active material that are ionically / electronically connected and
    utilisable (both), with the faces in ``cuts`` opened (see module doc)."""
    from .analysis.faces import face_components, touching_layers

    kinds = ms.phases
    act = np.isin(ms.labels, kinds.labels_of_kind(PhaseKind.ACTIVE))
    ele = np.isin(ms.labels, kinds.labels_of_kind(PhaseKind.ELECTROLYTE))
    car = np.isin(ms.labels, kinds.labels_of_kind(PhaseKind.CARBON))
    n_act = int(act.sum())
    if n_act == 0:
        return {"ionic": 0.0, "electronic": 0.0, "utilisable": 0.0}
    elab, ne = face_components(ele)  # electrolyte/electrolyte faces never open
    ion_net = touching_layers(elab, ne, 0)[elab]
    frag, nf = face_components(act, cuts)
    # ionic: a fragment voxel with an unopened face to inlet-connected electrolyte
    ion_ok = np.zeros(nf + 1, bool)
    for ax in range(3):
        n = ms.labels.shape[ax]
        a = [slice(None)] * 3
        b = [slice(None)] * 3
        a[ax], b[ax] = slice(0, n - 1), slice(1, n)
        a, b = tuple(a), tuple(b)
        open_ = cuts[ax][a] if cuts is not None else np.zeros(act[a].shape, bool)
        for s, t in ((a, b), (b, a)):
            hit = act[s] & ion_net[t] & ~open_
            ion_ok[np.unique(frag[s][hit])] = True
    ion_ok[0] = False
    elab2, n2 = face_components(act | car, cuts)
    el_net = touching_layers(elab2, n2, -1)[elab2]
    el_ok = np.zeros(nf + 1, bool)
    el_ok[np.unique(frag[act & el_net])] = True
    el_ok[0] = False
    vol = np.bincount(frag.ravel(), minlength=nf + 1).astype(float)
    vol[0] = 0.0
    return {"ionic": float(vol[ion_ok].sum() / n_act), "electronic": float(vol[el_ok].sum() / n_act),
            "utilisable": float(vol[ion_ok & el_ok].sum() / n_act), "n_fragments": int(nf)}


def contact_loss(ms: Microstructure, opened, *, materials: Any = None, tol: float = 1e-6,
                 before: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Before/after numbers for the opened faces ``opened`` (three bool arrays, see
    :func:`microcath.mechanics.stress`): effective conductivities along x [mS/cm] and the
    utilisable fractions. ``before`` may hand in ``{carrier: ConductivityResult}`` along x of the
    same structure already solved (e.g. by the pipeline's conductivity stages)."""
    from . import transport
    from .errors import InputError
    from .units import to_mS_cm

    cuts = tuple(np.asarray(c, bool) for c in opened)
    out: dict[str, Any] = {"before": {}, "after": {}}
    for key, carrier in (("sigma_ion_eff_mS_cm", "ionic"), ("sigma_e_eff_mS_cm", "electronic")):
        for when, c in (("before", None), ("after", cuts)):
            try:
                known = (before or {}).get(carrier) if when == "before" else None
                r = known if known is not None and known.axis == "x" else transport.conductivity(
                    ms, carrier=carrier, materials=materials, tol=tol, cut_faces=c)
            except InputError as exc:  # e.g. no conducting phase for this carrier
                log.info("contact loss: %s conductivity skipped: %s", carrier, exc)
                break
            out[when][key] = to_mS_cm(float(r.sigma_eff)) if r.converged else float("nan")
            out[when][key.replace("_mS_cm", "_converged")] = bool(r.converged)
    for when, c in (("before", None), ("after", cuts)):
        u = utilisable_fraction(ms, c)
        out[when]["utilisable_fraction"] = u["utilisable"]
        out[when]["ionic_fraction"] = u["ionic"]
        out[when]["electronic_fraction"] = u["electronic"]
        out[when]["n_fragments"] = u["n_fragments"]
    out["opened_faces"] = int(sum(int(c.sum()) for c in cuts))
    return out
