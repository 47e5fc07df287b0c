"""The phase table: which label in the voxel image is which phase.

A :class:`Phase` has a name (unique in the table), a kind (what role it plays
in a cathode composite) and the name of a material in the materials library
(``None`` for a pore, or for a phase whose properties are given by hand).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum

from .errors import InputError, did_you_mean

__all__ = ["PhaseKind", "Phase", "PhaseTable"]


class PhaseKind(str, Enum):
    """The role a phase plays in a composite cathode."""

    ACTIVE = "active"
    ELECTROLYTE = "electrolyte"
    CARBON = "carbon"
    PORE = "pore"
    COATING = "coating"
    BINDER = "binder"

    @classmethod
    def parse(cls, value: str | PhaseKind) -> PhaseKind:
        if isinstance(value, PhaseKind):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            allowed = ", ".join(k.value for k in cls)
            raise InputError(
                f"kind: unknown phase kind {value!r}; expected one of {allowed}"
            ) from None


@dataclass(frozen=True)
class Phase:
    """One phase of the composite.

    Parameters
    ----------
    name : str
        Unique name of the phase in its table (often the material name).
    kind : PhaseKind or str
        ``active``, ``electrolyte``, ``carbon``, ``pore``, ``coating`` or ``binder``.
    material : str or None
        Name of the material in the materials library; ``None`` for pores or
        phases whose properties are always given explicitly.
    """

    name: str
    kind: PhaseKind
    material: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError(f"name: a phase needs a non-empty name, got {self.name!r}")
        object.__setattr__(self, "kind", PhaseKind.parse(self.kind))
        if self.material is not None and not isinstance(self.material, str):
            raise InputError(
                f"material: expected a material name (str) or None, got {self.material!r}"
            )

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind.value, "material": self.material}


class PhaseTable(Mapping[int, Phase]):
    """Immutable mapping ``label (0..255) -> Phase`` with unique phase names.

    >>> t = PhaseTable({0: Phase("pore", "pore"), 1: Phase("NMC811", "active", "NMC811")})
    >>> t.label_of("NMC811")
    1
    >>> t.labels_of_kind("active")
    (1,)
    """

    def __init__(self, phases: Mapping[int, Phase | Mapping] | PhaseTable):
        table: dict[int, Phase] = {}
        if isinstance(phases, PhaseTable):
            table = dict(phases._table)
        else:
            if not isinstance(phases, Mapping):
                raise InputError(
                    "phases: expected a mapping label -> Phase, e.g. "
                    "{0: Phase('pore', 'pore'), 1: Phase('NMC811', 'active', 'NMC811')}, "
                    f"got {type(phases).__name__}"
                )
            for label, phase in phases.items():
                try:
                    ilabel = int(label)
                except (TypeError, ValueError):
                    raise InputError(f"phases: label {label!r} is not an integer") from None
                if not 0 <= ilabel <= 255:
                    raise InputError(
                        f"phases: label {ilabel} is outside 0..255 (labels are uint8)"
                    )
                if isinstance(phase, Mapping):
                    phase = Phase(**phase)
                if not isinstance(phase, Phase):
                    raise InputError(
                        f"phases: value for label {ilabel} must be a Phase, got {phase!r}"
                    )
                table[ilabel] = phase
        if not table:
            raise InputError("phases: the phase table is empty; give at least one phase")
        names = [p.name for p in table.values()]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InputError(
                f"phases: phase names must be unique, {dupes} appear more than once; "
                "give each label its own name (e.g. 'NMC811_core', 'NMC811_shell')"
            )
        self._table = dict(sorted(table.items()))

    # Mapping protocol
    def __getitem__(self, label: int) -> Phase:
        return self._table[int(label)]

    def __iter__(self) -> Iterator[int]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}: {v.name} ({v.kind.value})" for k, v in self._table.items())
        return f"PhaseTable({{{inner}}})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PhaseTable):
            return self._table == other._table
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._table.items()))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self._table.values())

    def label_of(self, name: str) -> int:
        """Label of the phase called ``name``; error listing the names if unknown."""
        for label, phase in self._table.items():
            if phase.name == name:
                return label
        close = did_you_mean(name, self.names, key=str.lower)
        hint = f"did you mean {close!r}? " if close else ""
        raise InputError(
            f"phase: no phase named {name!r}; {hint}the table has {', '.join(self.names)}"
        )

    def resolve(self, phase: int | str) -> int:
        """Label of a phase given by label or by name."""
        if isinstance(phase, str):
            if phase.strip().isdigit():
                phase = int(phase)
            else:
                return self.label_of(phase)
        label = int(phase)
        if label not in self._table:
            raise InputError(
                f"phase: label {label} is not in the phase table (labels: {list(self._table)})"
            )
        return label

    def resolve_many(self, phases: int | str | Iterable[int | str]) -> tuple[int, ...]:
        """Labels of one phase or several, given by label, name or kind name."""
        if isinstance(phases, (int, str)):
            phases = [phases]
        out: list[int] = []
        for p in phases:
            if isinstance(p, str) and p in {k.value for k in PhaseKind} and p not in self.names:
                out.extend(self.labels_of_kind(p))
            else:
                out.append(self.resolve(p))
        return tuple(sorted(set(out)))

    def labels_of_kind(self, kind: PhaseKind | str) -> tuple[int, ...]:
        kind = PhaseKind.parse(kind)
        return tuple(k for k, v in self._table.items() if v.kind is kind)

    def to_dict(self) -> dict[str, dict]:
        return {str(k): v.to_dict() for k, v in self._table.items()}

    @classmethod
    def from_dict(cls, data: Mapping) -> PhaseTable:
        return cls({int(k): Phase(**v) for k, v in data.items()})
