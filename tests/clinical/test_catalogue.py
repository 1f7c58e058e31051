"""The treatment catalogue file matches the reference §8.1 and the loader refuses bad files."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.clinical import vocabulary
from app.clinical.catalogue import CATALOGUE_PATH, CatalogueOption, Fact, load_catalogue

REPO_ROOT = Path(__file__).resolve().parents[2]

# Rows whose §8.1 cell is "—" or "n/a".
NO_CONTRAINDICATIONS = {"analgesia", "spinal_precautions", "rehabilitation", "best_supportive_care"}
NO_REGIMENS = {"spinal_precautions", "en_bloc_resection"}


@pytest.fixture(scope="module")
def catalogue() -> dict[str, CatalogueOption]:
    return {option.code: option for option in load_catalogue()}


def test_all_twenty_codes_in_contract_order_numbered_from_one():
    options = load_catalogue()
    assert [option.code for option in options] == list(vocabulary.TREATMENT_OPTIONS)
    assert [option.number for option in options] == list(range(1, 21))


def test_default_catalogue_is_read_once():
    assert load_catalogue() is load_catalogue(CATALOGUE_PATH)


def test_every_option_has_indications_and_sources(catalogue):
    for option in catalogue.values():
        assert option.indications, option.code
        assert option.sources, option.code
        assert option.name and option.delivered_by, option.code


def test_empty_cells_of_the_reference_are_empty_lists(catalogue):
    for code, option in catalogue.items():
        assert bool(option.contraindications) is (code not in NO_CONTRAINDICATIONS), code
        assert bool(option.regimens) is (code not in NO_REGIMENS), code


def test_codes_tags_modalities_and_specialties_come_from_the_vocabulary(catalogue):
    for option in catalogue.values():
        assert option.modality in vocabulary.MODALITIES
        assert set(option.specialties) <= set(vocabulary.SPECIALTIES)
        assert option.tags() <= set(vocabulary.CONFIDENCE_TAGS)
        for fact in option.facts():
            assert fact.text.strip() and fact.tag in vocabulary.CONFIDENCE_TAGS


def test_the_reference_tags_are_all_used(catalogue):
    used = set().union(*(option.tags() for option in catalogue.values()))
    # [I] never appears in §8.1: the catalogue states published facts, not the tool's choices.
    assert used == {"C2", "C", "S", "R"}


def test_inferred_tags_say_where_they_came_from(catalogue):
    inferred = [
        fact
        for option in catalogue.values()
        for fact in option.facts()
        if fact.note and fact.note.startswith("tag inferred")
    ]
    assert inferred
    assert all(fact.note.startswith("tag inferred from ") for fact in inferred)


@pytest.mark.parametrize(
    ("code", "kind", "fragment", "tag"),
    [
        ("cebrt", "regimens", "8 Gy ×1, 20 Gy/5, 24 Gy/6, 30 Gy/10", "C2"),
        ("cebrt", "regimens", "8 Gy/1, 16 Gy/2, 20 Gy/5, 30 Gy/10", "C2"),
        ("cebrt", "regimens", "20 Gy/8", "C"),
        ("cebrt", "regimens", "69.3% vs 72.7%", "C"),
        ("cebrt", "contraindications", "life expectancy ≥ 4 weeks", "C2"),
        ("sbrt", "regimens", "24 Gy/2", "C2"),
        ("sbrt", "regimens", "41.3% vs 60.5%", "C2"),
        ("sbrt", "regimens", "18–40 Gy in 3–5 fx", "C"),
        ("sbrt", "regimens", "27 Gy/3", "R"),
        ("sbrt", "contraindications", "risk of fracture after SBRT", "C"),
        ("separation_surgery", "regimens", "2–3 mm", "R"),
        ("decompression_surgery", "regimens", "30 Gy/10", "C2"),
        ("decompression_surgery", "regimens", "84% vs 57%", "C2"),
        ("cement_augmentation", "indications", "8.3 points", "C2"),
        ("cement_augmentation", "contraindications", "relative rather than absolute", "C"),
        ("thermal_ablation", "regimens", "7.1 → 1.4/10", "C"),
        ("thermal_ablation", "regimens", "≤ 3 cm", "C"),
        ("mrgfus", "regimens", "64.3% vs 20.0%", "C"),
        ("embolization", "indications", "Hypervascular mets", "C2"),
        ("embolization", "contraindications", "Adamkiewicz", "R"),
        ("bone_modifying_agent", "regimens", "120 mg", "C"),
        ("bone_modifying_agent", "regimens", "4 mg IV", "C"),
        ("bone_modifying_agent", "contraindications", "RR 1.9", "C"),
        ("radiopharmaceutical", "regimens", "55 kBq/kg", "R"),
        ("radiopharmaceutical", "regimens", "six injections at 4-week intervals", "C"),
        ("corticosteroids", "regimens", "16 mg", "S"),
        ("corticosteroids", "regimens", "96 mg", "C2"),
        ("corticosteroids", "indications", "RT combined with dexamethasone", "C2"),
        ("en_bloc_resection", "indications", "Tokuhashi 12–15", "C2"),
        ("best_supportive_care", "regimens", "VTE prophylaxis", "C"),
    ],
)
def test_reference_facts_are_transcribed_with_their_tags(catalogue, code, kind, fragment, tag):
    facts = [fact for fact in getattr(catalogue[code], kind) if fragment in fact.text]
    assert facts, f"{code} {kind} has nothing mentioning {fragment!r}"
    assert facts[0].tag == tag


def test_sources_are_kept_as_cited(catalogue):
    assert "Hoskin JAMA 2019;322:2084" in catalogue["cebrt"].sources
    assert "Patchell Lancet 2005;366:643-8" in catalogue["decompression_surgery"].sources
    assert "Sørensen Eur J Cancer 1994;30A:22" in catalogue["corticosteroids"].sources
    fact = next(f for f in catalogue["cebrt"].regimens if "SCORAD III" in f.text)
    assert fact.source == "SCORAD III"


def test_specialties_of_some_options(catalogue):
    assert catalogue["separation_surgery"].specialties == ("spine_surgery", "radiation_oncology")
    assert catalogue["cement_augmentation"].specialties == (
        "interventional_radiology",
        "spine_surgery",
    )
    assert catalogue["radiopharmaceutical"].specialties == ()


# --- the loader refuses broken files -------------------------------------------------------


def _blocks() -> tuple[str, list[str]]:
    """Split the shipped file into its header and one text block per [[option]]."""
    header, *options = CATALOGUE_PATH.read_text(encoding="utf-8").split("\n[[option]]\n")
    return header, options


def _write(tmp_path: Path, header: str, options: list[str]) -> Path:
    path = tmp_path / "catalogue.toml"
    path.write_text("\n[[option]]\n".join([header, *options]), encoding="utf-8")
    return path


def _broken(tmp_path: Path, old: str, new: str, block: int) -> Path:
    header, options = _blocks()
    assert old in options[block]
    options[block] = options[block].replace(old, new, 1)
    return _write(tmp_path, header, options)


def test_an_unchanged_copy_loads(tmp_path):
    header, options = _blocks()
    copy = load_catalogue(_write(tmp_path, header, options))
    assert [option.content_hash for option in copy] == [
        option.content_hash for option in load_catalogue()
    ]


@pytest.mark.parametrize(
    ("block", "old", "new", "message"),
    [
        (0, 'tag = "C2"', 'tag = "X9"', r"'cebrt'.*indications\[1\]\.tag: 'X9' is not one of"),
        (2, 'modality = "surgery"', 'modality = "surgical"', r"'separation_surgery'.*modality"),
        (0, 'code = "cebrt"', 'code = "ebrt"', r"code: 'ebrt' is not one of"),
        (1, "number = 2", "number = 3", r"'sbrt'.*number"),
        (1, "number = 2", "number = true", r"'sbrt'.*number"),
        (4, '"spine_surgery"', '"neurosurgery"', r"'open_stabilization'.*specialties"),
        (3, 'name = "Direct', 'colour = "red"\nname = "Direct', r"'decompression_surgery'.*colour"),
        (0, "[[option.indications]]", "[[option.indication]]", r"'cebrt'.*indication: unknown"),
        (0, 'source = "SCORAD III"', 'sauce = "SCORAD III"', r"regimens\[4\]\.sauce: unknown"),
        (0, 'text = "Painful spinal metastases"', 'text = " "', r"indications\[1\]\.text"),
        (0, 'name = "Conventional EBRT (cEBRT), palliative"', 'name = ""', r"'cebrt'.*name"),
        (5, 'tag = "R"', "", r"'mis_stabilization'.*contraindications\[1\]\.tag: missing"),
        (9, 'code = "embolization"\n', "", r"option #10: code: missing"),
    ],
)
def test_loader_rejects_a_broken_field(tmp_path, block, old, new, message):
    path = _broken(tmp_path, old, new, block)
    with pytest.raises(ValueError, match=message):
        load_catalogue(path)


def test_loader_rejects_a_missing_option(tmp_path):
    header, options = _blocks()
    del options[8]
    with pytest.raises(ValueError, match=r"option 'mrgfus': code: missing"):
        load_catalogue(_write(tmp_path, header, options))


def test_loader_rejects_options_out_of_contract_order(tmp_path):
    header, options = _blocks()
    options[0], options[1] = options[1], options[0]
    with pytest.raises(ValueError, match=r"option 'sbrt': code: .*'cebrt'.*contract order"):
        load_catalogue(_write(tmp_path, header, options))


def test_loader_rejects_a_duplicate_option(tmp_path):
    header, options = _blocks()
    with pytest.raises(ValueError, match=r"option 'best_supportive_care': code: .*more than once"):
        load_catalogue(_write(tmp_path, header, [*options, options[-1]]))


def test_loader_rejects_an_unknown_top_level_key(tmp_path):
    header, options = _blocks()
    with pytest.raises(ValueError, match=r"unknown key 'version'"):
        load_catalogue(_write(tmp_path, "version = 2\n" + header, options))


def test_loader_rejects_invalid_toml(tmp_path):
    path = tmp_path / "catalogue.toml"
    path.write_text("[[option]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_catalogue(path)


# --- content and its hash -------------------------------------------------------------------


def test_content_is_json_and_the_hash_is_stable(catalogue):
    option = catalogue["sbrt"]
    content = option.content()
    assert json.loads(json.dumps(content, ensure_ascii=False)) == content
    assert content["regimens"][0] == {
        "text": option.regimens[0].text,
        "tag": "C2",
        "source": "SC.24",
        "note": None,
    }
    assert re.fullmatch(r"[0-9a-f]{64}", option.content_hash)
    assert option.content_hash == option.content_hash
    assert len({o.content_hash for o in catalogue.values()}) == len(catalogue)


def test_the_hash_changes_when_text_or_tag_changes(catalogue):
    option = catalogue["corticosteroids"]
    first = option.regimens[0]
    rest = option.regimens[1:]
    reworded = dataclasses.replace(option, regimens=(Fact(first.text + ".", first.tag), *rest))
    retagged = dataclasses.replace(option, regimens=(dataclasses.replace(first, tag="C"), *rest))
    assert dataclasses.replace(option).content_hash == option.content_hash
    assert reworded.content_hash != option.content_hash
    assert retagged.content_hash != option.content_hash


def test_the_hash_changes_when_the_file_changes(tmp_path):
    old = "Painful spinal metastases"
    changed = load_catalogue(_broken(tmp_path, old, "Painful spinal metastases (any)", 0))
    original = load_catalogue()
    assert changed[0].content_hash != original[0].content_hash
    assert [o.content_hash for o in changed[1:]] == [o.content_hash for o in original[1:]]


# --- purity ---------------------------------------------------------------------------------


def test_the_catalogue_imports_neither_flask_nor_sqlalchemy():
    # app/__init__.py (the Flask factory) runs on any `import app.…`, so the parent package is
    # stood in for by a bare module: what is checked is app.clinical and the catalogue itself.
    code = (
        "import sys, types\n"
        "app = types.ModuleType('app'); app.__path__ = ['app']; sys.modules['app'] = app\n"
        "import app.clinical.catalogue as catalogue\n"
        "assert len(catalogue.load_catalogue()) == 20\n"
        "loaded = [m for m in sys.modules if m.startswith(('flask', 'sqlalchemy'))]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
