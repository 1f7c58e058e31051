"""The treatment-option catalogue, read and checked from catalogue.toml."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.clinical import vocabulary

CATALOGUE_PATH = Path(__file__).with_name("catalogue.toml")

FACT_KINDS: tuple[str, ...] = ("indications", "contraindications", "regimens")

_OPTION_REQUIRED = ("code", "number", "name", "modality", "specialties", "delivered_by", "sources")
_OPTION_KEYS = frozenset((*_OPTION_REQUIRED, *FACT_KINDS))
_FACT_REQUIRED = ("text", "tag")
_FACT_KEYS = frozenset((*_FACT_REQUIRED, "source", "note"))


@dataclass(frozen=True)
class Fact:
    """One statement of the catalogue with the confidence tag the reference gives it."""

    text: str
    tag: str
    source: str | None = None
    note: str | None = None

    def content(self) -> dict[str, Any]:
        return {"text": self.text, "tag": self.tag, "source": self.source, "note": self.note}


@dataclass(frozen=True)
class CatalogueOption:
    """One row of the catalogue: a treatment option the board can put in a plan."""

    code: str
    number: int
    name: str
    modality: str
    specialties: tuple[str, ...]
    delivered_by: str
    indications: tuple[Fact, ...]
    contraindications: tuple[Fact, ...]
    regimens: tuple[Fact, ...]
    sources: tuple[str, ...]

    def content(self) -> dict[str, Any]:
        """Return everything the option says, as JSON-serialisable data."""
        return {
            "code": self.code,
            "number": self.number,
            "name": self.name,
            "modality": self.modality,
            "specialties": list(self.specialties),
            "delivered_by": self.delivered_by,
            "indications": [fact.content() for fact in self.indications],
            "contraindications": [fact.content() for fact in self.contraindications],
            "regimens": [fact.content() for fact in self.regimens],
            "sources": list(self.sources),
        }

    @property
    def content_hash(self) -> str:
        """Return the SHA-256 of the canonical JSON of the content.

        The sync command compares it with the stored version's hash, so any change of wording,
        tag or source makes a new version and a signed plan keeps pointing at what it was shown.
        """
        canonical = json.dumps(
            self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def facts(self) -> tuple[Fact, ...]:
        return self.indications + self.contraindications + self.regimens

    def tags(self) -> set[str]:
        """Return the confidence tags the option's facts carry."""
        return {fact.tag for fact in self.facts()}


def load_catalogue(path: Path = CATALOGUE_PATH) -> tuple[CatalogueOption, ...]:
    """Read the catalogue file and return its options in contract order.

    Raises ValueError naming the option and field for anything the contract does not allow.
    """
    if Path(path) == CATALOGUE_PATH:
        return _load_default()
    return _load(Path(path))


# The shipped file does not change while a process runs; other paths (tests, a site's draft) are
# read afresh so an edited file is never answered from the cache.
@lru_cache(maxsize=1)
def _load_default() -> tuple[CatalogueOption, ...]:
    return _load(CATALOGUE_PATH)


def _load(path: Path) -> tuple[CatalogueOption, ...]:
    with path.open("rb") as handle:
        try:
            data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path.name}: not valid TOML: {error}") from error

    unknown = sorted(set(data) - {"option"})
    if unknown:
        raise ValueError(f"{path.name}: unknown key {unknown[0]!r} (only [[option]] tables)")
    rows = data.get("option", [])
    if not isinstance(rows, list):
        raise ValueError(f"{path.name}: option: must be an array of tables ([[option]])")

    options = tuple(_option(row, position) for position, row in enumerate(rows, start=1))
    # Codes before numbers: a dropped row then reads "missing", not "number does not match".
    _check_codes(options)
    for position, option in enumerate(options, start=1):
        if option.number != position:
            raise ValueError(
                f"option {option.code!r}: number: {option.number} does not match its row {position}"
            )
    return options


def _check_codes(options: tuple[CatalogueOption, ...]) -> None:
    # Plans store option codes and the contract fixes which codes exist and their order, so the
    # file must list exactly those, once each, in that order.
    codes = [option.code for option in options]
    missing = [code for code in vocabulary.TREATMENT_OPTIONS if code not in codes]
    if missing:
        raise ValueError(f"option {missing[0]!r}: code: missing from the catalogue")
    for option, expected in zip(options, vocabulary.TREATMENT_OPTIONS, strict=False):
        if option.code != expected:
            raise ValueError(
                f"option {option.code!r}: code: found where {expected!r} belongs (contract order)"
            )
    if len(codes) != len(vocabulary.TREATMENT_OPTIONS):
        extra = codes[len(vocabulary.TREATMENT_OPTIONS)]
        raise ValueError(f"option {extra!r}: code: listed more than once")


def _option(row: Any, position: int) -> CatalogueOption:
    label = f"option #{position}"
    if not isinstance(row, dict):
        raise ValueError(f"{label}: must be a table")
    code = row.get("code")
    if code is not None:
        label = f"option {code!r}"
    if not isinstance(code, str) or not code:
        raise ValueError(f"{label}: code: missing")
    if code not in vocabulary.TREATMENT_OPTIONS:
        raise ValueError(
            f"{label}: code: {code!r} is not one of {', '.join(vocabulary.TREATMENT_OPTIONS)}"
        )
    _check_keys(row, _OPTION_REQUIRED, _OPTION_KEYS, label)

    number = row["number"]
    # bool is an int in Python; "number = true" is a mistake, not row 1.
    if type(number) is not int:
        raise ValueError(f"{label}: number: {number!r} is not a whole number")
    modality = row["modality"]
    if modality not in vocabulary.MODALITIES:
        raise ValueError(
            f"{label}: modality: {modality!r} is not one of {', '.join(vocabulary.MODALITIES)}"
        )
    specialties = _strings(row["specialties"], label, "specialties", allow_empty=True)
    for specialty in specialties:
        if specialty not in vocabulary.SPECIALTIES:
            raise ValueError(
                f"{label}: specialties: {specialty!r} is not one of "
                f"{', '.join(vocabulary.SPECIALTIES)}"
            )
    if len(set(specialties)) != len(specialties):
        raise ValueError(f"{label}: specialties: listed more than once")

    return CatalogueOption(
        code=code,
        number=number,
        name=_text(row["name"], label, "name"),
        modality=modality,
        specialties=specialties,
        delivered_by=_text(row["delivered_by"], label, "delivered_by"),
        # A row whose cell is "—" or "n/a" has no tables of that kind: missing means none.
        indications=_facts(row.get("indications", []), label, "indications"),
        contraindications=_facts(row.get("contraindications", []), label, "contraindications"),
        regimens=_facts(row.get("regimens", []), label, "regimens"),
        sources=_strings(row["sources"], label, "sources", allow_empty=False),
    )


def _facts(rows: Any, label: str, kind: str) -> tuple[Fact, ...]:
    if not isinstance(rows, list):
        raise ValueError(f"{label}: {kind}: must be an array of tables ([[option.{kind}]])")
    facts = []
    for index, row in enumerate(rows, start=1):
        field = f"{kind}[{index}]"
        if not isinstance(row, dict):
            raise ValueError(f"{label}: {field}: must be a table")
        _check_keys(row, _FACT_REQUIRED, _FACT_KEYS, label, prefix=f"{field}.")
        tag = row["tag"]
        if tag not in vocabulary.CONFIDENCE_TAGS:
            raise ValueError(
                f"{label}: {field}.tag: {tag!r} is not one of "
                f"{', '.join(vocabulary.CONFIDENCE_TAGS)}"
            )
        facts.append(
            Fact(
                text=_text(row["text"], label, f"{field}.text"),
                tag=tag,
                source=_optional_text(row.get("source"), label, f"{field}.source"),
                note=_optional_text(row.get("note"), label, f"{field}.note"),
            )
        )
    return tuple(facts)


def _check_keys(
    row: dict[str, Any],
    required: tuple[str, ...],
    allowed: frozenset[str],
    label: str,
    prefix: str = "",
) -> None:
    # A misspelt key ("indication", "contraindication") would otherwise drop facts silently.
    unknown = sorted(set(row) - allowed)
    if unknown:
        raise ValueError(f"{label}: {prefix}{unknown[0]}: unknown key")
    for key in required:
        if key not in row:
            raise ValueError(f"{label}: {prefix}{key}: missing")


def _text(value: Any, label: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{label}: {field}: must be non-empty text")
    return value


def _optional_text(value: Any, label: str, field: str) -> str | None:
    if value is None:
        return None
    return _text(value, label, field)


def _strings(value: Any, label: str, field: str, *, allow_empty: bool) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"{label}: {field}: must be a list of text")
    if not value and not allow_empty:
        raise ValueError(f"{label}: {field}: must not be empty")
    return tuple(_text(item, label, field) for item in value)
