"""Studies: many pipeline runs as Dask tasks, one table, its plots.

* :mod:`.spec`: the study file (TOML or dict) -> a validated :class:`Study` and its cases.
* :mod:`.quantities`: what can be asked for (any number a pipeline stage produces).
* :mod:`.case`: one case as a task (the stages its quantities need, numbers out).
* :mod:`.store`: the sweep folder (one atomic file per case, the table rebuilt from them).
* :mod:`.execute`: :func:`sweep` (local cluster, an existing scheduler, or your client).
* :mod:`.summary`, :mod:`.page`: mean and spread over seeds, plots and the HTML page.
* :mod:`.box_size`: :func:`rve`, is the box big enough (quantities against box size, over seeds).

>>> from microcath import studies                                           # doctest: +SKIP
>>> df = studies.sweep({"recipe": "default", "shape": 24, "seeds": 2,       # doctest: +SKIP
...                     "quantities": ["sigma_ion_eff.x"],
...                     "zip": {"active.fraction": [0.6, 0.7], "electrolyte.fraction": [0.37, 0.27]}})

Dask, pandas and pyarrow are imported when a sweep runs, not on ``import microcath``.
"""

from .box_size import RVEResult, rve
from .execute import plan, sweep
from .quantities import Quantity, resolve
from .spec import Case, Study, load_study

__all__ = ["sweep", "rve", "RVEResult", "plan", "load_study", "Study", "Case", "Quantity", "resolve"]
