"""The spine map: its layout, its standalone SVG, and the map on the case page."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.assessment.spine_map import LesionMark, spine_map
from app.clinical.vocabulary import LEVELS
from tests.factories import make_case
from tests.support import login, post_form, text_of

SVG = "{http://www.w3.org/2000/svg}"
TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "assessment" / "templates"


def render_svg(map_, id_prefix="spine-map") -> str:
    """The macro alone, outside Flask: it must need nothing from the application."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(),
        undefined=StrictUndefined,
    )
    macro = environment.get_template("assessment/_spine_map_svg.html").module.spine_map_svg
    return str(macro(map_, id_prefix=id_prefix))


def parse(markup: str) -> ET.Element:
    """Parse the board's own markup (not untrusted input): raises unless it is well-formed."""
    return ET.fromstring(markup)  # noqa: S314


def levels_of(root) -> dict[str, ET.Element]:
    return {
        group.get("data-level"): group for group in root.iter(f"{SVG}g") if group.get("data-level")
    }


def text_in(element) -> str:
    return "".join(element.itertext())


EXAMPLE = spine_map(
    ["T4", "T5", "L2"],
    [("T5", 13, "2", True), ("T4", None, "1b", False), ("L2", 9, None, False)],
)


# Layout -------------------------------------------------------------------------------------


def test_layout_has_every_level_from_c1_to_the_coccyx_in_order():
    assert [shape.code for shape in EXAMPLE.levels] == list(LEVELS)
    assert len(EXAMPLE.levels) == 30
    tops = [shape.y for shape in EXAMPLE.levels]
    assert tops == sorted(tops) and len(set(tops)) == 30  # one below the other, no overlap
    assert all(shape.y + shape.height <= EXAMPLE.legend_y for shape in EXAMPLE.levels)
    assert all(shape.x > 0 and shape.x + shape.width < EXAMPLE.note_x for shape in EXAMPLE.levels)


def test_layout_marks_affected_levels_index_and_scores():
    by_code = {shape.code: shape for shape in EXAMPLE.levels}
    assert [shape.code for shape in EXAMPLE.affected] == ["T4", "T5", "L2"]
    assert EXAMPLE.index.code == "T5"
    assert by_code["T5"].note == "SINS 13 · ESCC 2"
    assert by_code["T4"].note == "ESCC 1b"
    assert by_code["L2"].note == "SINS 9"
    assert by_code["T6"].note == "" and not by_code["T6"].affected


def test_regions_span_their_levels():
    names = [region.name for region in EXAMPLE.regions]
    assert names == ["Cervical", "Thoracic", "Lumbar", "Sacral"]
    by_code = {shape.code: shape for shape in EXAMPLE.levels}
    thoracic = EXAMPLE.regions[1]
    assert thoracic.top == by_code["T1"].y
    assert thoracic.bottom == by_code["T12"].y + by_code["T12"].height
    assert EXAMPLE.regions[3].bottom == by_code["coccyx"].y + by_code["coccyx"].height


def test_a_lesion_level_counts_as_affected_and_lesion_tuples_may_be_named():
    result = spine_map([], [LesionMark(level="L1", sins_total=7, escc_grade="1c", is_index=False)])
    assert [shape.code for shape in result.affected] == ["L1"]
    assert result.index is None
    assert "No index lesion." in result.description


def test_description_lists_levels_index_and_scores():
    assert EXAMPLE.description == (
        "Spine from C1 to the coccyx. Affected levels: T4, T5, L2. Index lesion: T5. "
        "Scored levels: T4 ESCC 1b; T5 SINS 13, ESCC 2; L2 SINS 9."
    )
    assert spine_map([]).description.endswith("No affected levels are recorded.")


def test_two_lesions_at_one_level_show_both_scores():
    result = spine_map(["T9"], [("T9", 8, "1a", False), ("T9", 11, "2", True)])
    assert result.index.note == "SINS 8/11 · ESCC 1a/2"


@pytest.mark.parametrize(
    ("levels", "lesions", "field"),
    [
        (["T13"], [], "levels"),
        ([], [("X1", None, None, False)], "lesions"),
        ([], [("T1", 5, None, True), ("T2", 6, None, True)], "lesions"),
    ],
)
def test_unknown_levels_and_two_index_levels_are_refused(levels, lesions, field):
    with pytest.raises(ValueError, match=rf"^{field}: "):
        spine_map(levels, lesions)


# The SVG -------------------------------------------------------------------------------------


def test_svg_is_standalone_well_formed_and_accessible():
    markup = render_svg(EXAMPLE)
    root = parse(markup)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == f"0 0 {EXAMPLE.width} {EXAMPLE.height}"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == EXAMPLE.title and title.get("id") == "spine-map-title"
    assert desc.text == EXAMPLE.description and desc.get("id") == "spine-map-desc"
    assert root.get("aria-labelledby") == "spine-map-title spine-map-desc"
    assert list(root)[:2] == [title, desc]  # the accessible name comes first
    # Nothing outside the markup: no scripts, links, images, style sheets or foreign objects.
    for element in root.iter():
        assert element.tag.split("}")[1] not in {"script", "image", "style", "foreignObject", "a"}
        assert not any("href" in name for name in element.attrib)
        assert not any(name.startswith("on") for name in element.attrib)
    assert "url(" not in markup


def test_svg_has_each_level_with_its_visible_label():
    root = parse(render_svg(EXAMPLE))
    levels = levels_of(root)
    assert list(levels) == list(LEVELS)
    for code, group in levels.items():
        assert group.find(f"{SVG}rect") is not None, code
        assert ("Coccyx" if code == "coccyx" else code) in text_in(group)


def test_svg_labels_every_region():
    root = parse(render_svg(EXAMPLE))
    texts = {text_in(element) for element in root.iter(f"{SVG}text")}
    assert {"Cervical", "Thoracic", "Lumbar", "Sacral"} <= texts


def test_svg_marks_affected_levels():
    levels = levels_of(parse(render_svg(EXAMPLE)))
    affected = [code for code, group in levels.items() if group.get("data-affected") == "true"]
    assert affected == ["T4", "T5", "L2"]
    # Not by colour alone: an affected level has a thicker outline and a bold label.
    t4, t6 = levels["T4"], levels["T6"]
    assert float(t4.find(f"{SVG}rect").get("stroke-width")) > float(
        t6.find(f"{SVG}rect").get("stroke-width")
    )
    assert t4.find(f"{SVG}text").get("font-weight") == "bold"


def test_svg_marks_the_index_lesion_with_a_shape_and_words():
    levels = levels_of(parse(render_svg(EXAMPLE)))
    index = [code for code, group in levels.items() if group.get("data-index") == "true"]
    assert index == ["T5"]
    assert levels["T5"].find(f"{SVG}polygon[@data-mark='index']") is not None
    assert "index lesion" in text_in(levels["T5"])
    assert all(
        group.find(f"{SVG}polygon") is None for code, group in levels.items() if code != "T5"
    )


def test_svg_shows_sins_and_escc_beside_scored_levels():
    levels = levels_of(parse(render_svg(EXAMPLE)))
    assert "SINS 13 · ESCC 2" in text_in(levels["T5"])
    assert "ESCC 1b" in text_in(levels["T4"])
    assert "SINS 9" in text_in(levels["L2"])
    assert "SINS" not in text_in(levels["T6"]) and "ESCC" not in text_in(levels["T6"])


def test_svg_ids_follow_the_prefix_so_two_maps_can_share_a_page():
    root = parse(render_svg(EXAMPLE, id_prefix="case-7"))
    assert root.find(f"{SVG}title").get("id") == "case-7-title"


def test_an_empty_map_renders():
    root = parse(render_svg(spine_map([])))
    assert all(group.get("data-affected") == "false" for group in levels_of(root).values())


# On the case page ----------------------------------------------------------------------------


def svg_on_page(html: str) -> ET.Element:
    start = html.index("<svg")
    end = html.index("</svg>", start) + len("</svg>")
    return parse(html[start:end])


def test_case_page_shows_the_spine_map_with_lesion_scores(client, members):
    case = make_case(members, levels=("T5", "T6", "L1"))
    login(client, "radiologist")
    lesion = {
        "lesions-0-level": "T6",
        "lesions-0-pain": "mechanical",
        "lesions-0-lesion_quality": "lytic",
        "lesions-0-alignment": "normal",
        "lesions-0-collapse": "under_50",
        "lesions-0-posterolateral": "unilateral",
        "lesions-0-escc_grade": "2",
        "lesions-0-is_index": "y",
        "lesions-1-level": "L1",
        "lesions-1-escc_grade": "1a",
    }
    url = f"/cases/{case.id}/presentations/new"
    assert post_form(client, url, lesion).status_code == 302

    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    root = svg_on_page(text_of(response))
    assert root.get("role") == "img"
    levels = levels_of(root)
    assert len(levels) == 30
    affected = [code for code, group in levels.items() if group.get("data-affected") == "true"]
    assert affected == ["T5", "T6", "L1"]
    assert levels["T6"].get("data-index") == "true"
    # T6: semi-rigid 1 + mechanical 3 + lytic 2 + normal 0 + under 50% 2 + unilateral 1 = 9.
    assert "SINS 9 · ESCC 2" in text_in(levels["T6"])
    assert "ESCC 1a" in text_in(levels["L1"])
    desc = root.find(f"{SVG}desc").text
    assert "Index lesion: T6." in desc
    assert "T6 SINS 9, ESCC 2" in desc


def test_case_page_without_lesions_still_maps_the_levels(client, members):
    case = make_case(members, levels=("C5",))
    login(client, "physio")
    root = svg_on_page(text_of(client.get(f"/cases/{case.id}")))
    affected = [
        code for code, group in levels_of(root).items() if group.get("data-affected") == "true"
    ]
    assert affected == ["C5"]
    assert "No index lesion." in root.find(f"{SVG}desc").text
