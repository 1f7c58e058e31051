"""Layout of the spine map: where each vertebra, label and mark goes (pure; no Flask)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from app.clinical.vocabulary import LEVELS

REGIONS: tuple[tuple[str, str], ...] = (
    ("Cervical", "C"),
    ("Thoracic", "T"),
    ("Lumbar", "L"),
    ("Sacral", "S"),  # the coccyx is drawn below the sacrum, within this region
)

# Sizes in SVG user units. Vertebrae widen down the spine and the sacrum tapers, so the
# drawing reads as a spine at a glance; the numbers have no anatomical meaning.
TOP = 16
PITCH = 20
BOX_HEIGHT = 16
SPINE_X = 150
REGION_X = 8
BRACKET_X = 84
MARKER_X = 104
NOTE_X = 196
WIDTH = 440
LEGEND_HEIGHT = 44


def _box_width(level: str) -> int:
    if level == "coccyx":
        return 40
    number = int(level[1:])
    return {
        "C": 40 + number,
        "T": 48 + number // 2,
        "L": 56 + number,
        "S": 62 - 6 * number,
    }[level[0]]


class LesionMark(NamedTuple):
    """What the map shows of one lesion (a plain tuple works as well)."""

    level: str
    sins_total: int | None
    escc_grade: str | None
    is_index: bool


@dataclass(frozen=True)
class LevelShape:
    """One vertebra: its box, its label, and what the board knows of it."""

    code: str
    label: str
    region: str
    x: int
    y: int
    width: int
    height: int
    affected: bool
    is_index: bool
    sins_totals: tuple[int, ...]
    escc_grades: tuple[str, ...]

    @property
    def centre_x(self) -> int:
        return self.x + self.width // 2

    @property
    def centre_y(self) -> int:
        return self.y + self.height // 2

    @property
    def scored(self) -> bool:
        return bool(self.sins_totals or self.escc_grades)

    @property
    def note(self) -> str:
        """The text beside a scored level: "SINS 12 · ESCC 2" ("" when nothing is scored)."""
        parts = []
        if self.sins_totals:
            parts.append("SINS " + "/".join(str(total) for total in self.sins_totals))
        if self.escc_grades:
            parts.append("ESCC " + "/".join(self.escc_grades))
        return " · ".join(parts)


@dataclass(frozen=True)
class RegionShape:
    """A region's visible name and the bracket spanning its vertebrae."""

    name: str
    label_y: int
    top: int
    bottom: int


@dataclass(frozen=True)
class SpineMap:
    width: int
    height: int
    levels: tuple[LevelShape, ...]
    regions: tuple[RegionShape, ...]
    title: str
    description: str
    legend_y: int
    # Columns, left to right: region names, region brackets, index marker, notes.
    region_x: int = REGION_X
    bracket_x: int = BRACKET_X
    marker_x: int = MARKER_X
    note_x: int = NOTE_X

    @property
    def affected(self) -> tuple[LevelShape, ...]:
        return tuple(shape for shape in self.levels if shape.affected)

    @property
    def index(self) -> LevelShape | None:
        return next((shape for shape in self.levels if shape.is_index), None)


def _region_of(level: str) -> str:
    initial = "S" if level == "coccyx" else level[0]
    return next(name for name, prefix in REGIONS if prefix == initial)


def _checked_level(field: str, level: str) -> str:
    if level not in LEVELS:
        raise ValueError(f"{field}: {level!r} is not one of C1…C7, T1…T12, L1…L5, S1…S5, coccyx")
    return level


def _level_label(level: str) -> str:
    return "Coccyx" if level == "coccyx" else level


def _description(shapes: tuple[LevelShape, ...]) -> str:
    affected = [shape for shape in shapes if shape.affected]
    if not affected:
        return "Spine from C1 to the coccyx. No affected levels are recorded."
    sentences = [
        "Spine from C1 to the coccyx.",
        "Affected levels: " + ", ".join(shape.label for shape in affected) + ".",
    ]
    index = [shape.label for shape in shapes if shape.is_index]
    sentences.append(f"Index lesion: {index[0]}." if index else "No index lesion.")
    scored = [shape for shape in shapes if shape.scored]
    if scored:
        sentences.append(
            "Scored levels: "
            + "; ".join(f"{shape.label} {shape.note.replace(' · ', ', ')}" for shape in scored)
            + "."
        )
    return " ".join(sentences)


def spine_map(levels: Iterable[str], lesions: Iterable[tuple] = ()) -> SpineMap:
    """Lay out C1 to the coccyx, marking affected levels, the index lesion and the scores.

    `lesions` holds (level, sins_total | None, escc_grade | None, is_index) for each lesion;
    a lesion's level counts as affected even when the case's levels leave it out. Raises
    ValueError naming the field for an unknown level or more than one index level.
    """
    affected = {_checked_level("levels", level) for level in levels}
    sins: dict[str, list[int]] = {}
    escc: dict[str, list[str]] = {}
    index_levels: set[str] = set()
    for lesion in lesions:
        level, sins_total, escc_grade, is_index = LesionMark(*lesion)
        _checked_level("lesions", level)
        affected.add(level)
        if sins_total is not None and sins_total not in sins.setdefault(level, []):
            sins[level].append(sins_total)
        if escc_grade is not None and escc_grade not in escc.setdefault(level, []):
            escc[level].append(str(escc_grade))
        if is_index:
            index_levels.add(level)
    if len(index_levels) > 1:
        raise ValueError(
            "lesions: only one index lesion, found at " + ", ".join(sorted(index_levels))
        )

    shapes = []
    for position, level in enumerate(LEVELS):
        width = _box_width(level)
        shapes.append(
            LevelShape(
                code=level,
                label=_level_label(level),
                region=_region_of(level),
                x=SPINE_X - width // 2,
                y=TOP + position * PITCH,
                width=width,
                height=BOX_HEIGHT,
                affected=level in affected,
                is_index=level in index_levels,
                sins_totals=tuple(sins.get(level, ())),
                escc_grades=tuple(escc.get(level, ())),
            )
        )
    shapes = tuple(shapes)

    regions = []
    for name, _prefix in REGIONS:
        members = [shape for shape in shapes if shape.region == name]
        top, bottom = members[0].y, members[-1].y + BOX_HEIGHT
        regions.append(
            RegionShape(name=name, label_y=(top + bottom) // 2 + 4, top=top, bottom=bottom)
        )

    legend_y = TOP + len(LEVELS) * PITCH + 12
    return SpineMap(
        width=WIDTH,
        height=legend_y + LEGEND_HEIGHT,
        levels=shapes,
        regions=tuple(regions),
        title="Spine map: affected levels, index lesion, SINS and ESCC",
        description=_description(shapes),
        legend_y=legend_y,
    )


def spine_map_of(levels: Iterable[str], assessment) -> SpineMap:
    """The map of a case: its levels, and each lesion of its assessment with SINS and ESCC.

    `assessment` is an `app.clinical.assessment.Assessment` (or None when there is none);
    the index lesion is the one the assessment picked.
    """
    lesions = []
    if assessment is not None:
        index = assessment.index_lesion
        for lesion in assessment.lesions:
            lesions.append(
                LesionMark(
                    level=lesion.level,
                    sins_total=lesion.sins.total if lesion.sins is not None else None,
                    escc_grade=lesion.escc_grade,
                    is_index=index is not None and lesion == index,
                )
            )
    return spine_map(levels, lesions)
