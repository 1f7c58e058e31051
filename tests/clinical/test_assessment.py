"""The assessment of a whole case: the worked examples of REFERENCE §10 as case facts, what is
missing and who owes it, and the choices the reference leaves to the board."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.clinical.assessment import CaseFacts, LesionFacts, assess

PU = "potentially_unstable"
LT6, GTE6, GTE1Y = "lt_6_months", "gte_6_months", "gte_1_year"
WIDE, MARGINAL = "wide_marginal_excision", "marginal_intralesional_excision"
PALLIATIVE, SUPPORTIVE = "palliative_surgery", "supportive_care"


def lesion(level, pain, quality, alignment, collapse, posterolateral, escc, **extra):
    return LesionFacts(
        level=level,
        pain=pain,
        lesion_quality=quality,
        alignment=alignment,
        collapse=collapse,
        posterolateral=posterolateral,
        escc_grade=escc,
        **extra,
    )


def facts(primary, the_lesion, *, kps=None, ecog=None, extraspinal, vertebral, removable,
          treatable, frankel=None, asia=None, **extra) -> CaseFacts:  # fmt: skip
    return CaseFacts(
        primary_site=primary,
        levels=(the_lesion.level,),
        lesions=(the_lesion,),
        kps=kps,
        ecog=ecog,
        extraspinal_bone_mets=extraspinal,
        vertebral_mets=vertebral,
        tokuhashi_visceral=removable,
        tomita_visceral=treatable,
        frankel=frankel,
        asia=asia,
        **extra,
    )


# Each worked example as the board would present it, with the totals REFERENCE §10 gives.
# (facts, SINS, ESCC group or None for 1c, Tokuhashi or None, Tomita or None)
EXAMPLES = {
    1: (
        facts("prostate", lesion("S3", "none", "blastic", "normal", "none", "none", "0"),
              kps=90, ecog=0, extraspinal=0, vertebral=1, removable="none", treatable="none",
              frankel="E"),
        (0, "stable"), "low", (15, GTE1Y), (2, WIDE),
    ),
    2: (
        facts("lung", lesion("T12", "mechanical", "lytic", "subluxation", "over_50", "bilateral",
                             "3"),
              kps=30, extraspinal=3, vertebral=3, removable="unremovable", treatable="untreatable",
              frankel="A"),
        (18, "unstable"), "high", (0, LT6), (10, SUPPORTIVE),
    ),
    3: (
        facts("breast", lesion("T7", "occasional", "mixed", "normal", "under_50", "unilateral",
                               "1b"),
              kps=80, extraspinal=2, vertebral=1, removable="none", treatable="none",
              frankel="E"),
        (6, "stable"), "low", (14, GTE1Y), (3, WIDE),
    ),
    4: (
        facts("kidney", lesion("T8", "occasional", "lytic", "normal", "under_50", "unilateral",
                               "1a"),
              kps=80, extraspinal=0, vertebral=1, removable="removable", treatable="treatable",
              frankel="E"),
        (7, PU), "low", (12, GTE1Y), (5, MARGINAL),
    ),
    5: (
        facts("colon", lesion("L3", "mechanical", "lytic", "normal", "under_50", "bilateral", "2"),
              kps=70, extraspinal=0, vertebral=2, removable="removable", treatable="treatable",
              frankel="D"),
        (12, PU), "high", (8, LT6), (8, SUPPORTIVE),
    ),
    6: (
        facts("myeloma", lesion("T11", "mechanical", "lytic", "deformity", "under_50",
                                "unilateral", "1c"),
              kps=60, ecog=2, extraspinal=3, vertebral=3, removable="none", treatable="none",
              frankel="E"),
        (13, "unstable"), None, (7, LT6), None,
    ),
    7: (
        facts("kidney", lesion("L1", "occasional", "lytic", "normal", "involved_no_collapse",
                               "unilateral", "2"),
              kps=80, extraspinal=1, vertebral=1, removable="unremovable", treatable="treatable",
              frankel="D"),
        (8, PU), "high", (9, GTE6), (6, PALLIATIVE),
    ),
    8: (
        facts("breast", lesion("C5", "mechanical", "lytic", "normal", "involved_no_collapse",
                               "none", "1b"),
              kps=80, extraspinal=3, vertebral=1, removable="unremovable",
              treatable="untreatable", frankel="E"),
        (8, PU), "low", (11, GTE6), (7, PALLIATIVE),
    ),
    9: (
        facts("thyroid", lesion("L4", "mechanical", "lytic", "normal", "involved_no_collapse",
                                "unilateral", "1a"),
              kps=90, extraspinal=0, vertebral=1, removable="unremovable", treatable="treatable",
              frankel="E"),
        (9, PU), "low", (13, GTE1Y), (4, MARGINAL),
    ),
    10: (
        facts("prostate", lesion("T4", "mechanical", "blastic", "deformity", "over_50",
                                 "unilateral", "1c"),
              kps=70, extraspinal=3, vertebral=3, removable="none", treatable="none",
              frankel="E"),
        (10, PU), None, (10, GTE6), (3, WIDE),
    ),
    11: (
        facts("liver", lesion("T6", "mechanical", "lytic", "normal", "under_50", "none", "2"),
              ecog=1, extraspinal=0, vertebral=1, removable="removable", treatable="treatable",
              frankel="C"),
        (8, PU), "high", None, (7, PALLIATIVE),
    ),
    12: (
        facts("lymphoma", lesion("T9", "occasional", "lytic", "normal", "none", "unilateral", "3"),
              kps=70, extraspinal=0, vertebral=1, removable="none", treatable="none",
              frankel="D"),
        (5, "stable"), "high", (10, GTE6), None,
    ),
    13: (
        facts("uterus", lesion("L5", "mechanical", "lytic", "normal", "under_50", "unilateral",
                               "1a"),
              kps=90, extraspinal=0, vertebral=2, removable="none", treatable="none",
              frankel="E"),
        (11, PU), "low", (12, GTE1Y), (4, MARGINAL),
    ),
    14: (
        facts("lung", lesion("C2", "none", "lytic", "subluxation", "over_50", "bilateral", "1b"),
              kps=90, extraspinal=1, vertebral=1, removable="none", treatable="none",
              frankel="E"),
        (15, "unstable"), "low", (9, GTE6), (6, PALLIATIVE),
    ),
}  # fmt: skip


@pytest.mark.parametrize("number", sorted(EXAMPLES))
def test_worked_example_through_the_assessment(number):
    case_facts, sins, group, tokuhashi, tomita = EXAMPLES[number]
    result = assess(case_facts)
    index = result.index_lesion
    assert index is not None and index.is_index
    assert result.index_rule == "the only lesion"
    assert (index.sins.total, index.sins.category) == sins
    assert index.sins.surgical_consult_recommended is (sins[0] >= 7)
    assert [row.points for row in index.rows] == list(index.sins.points.values())
    assert result.escc_grade == case_facts.lesions[0].escc_grade
    assert result.escc_group == group
    if tokuhashi is None:
        assert result.tokuhashi is None
    else:
        assert (result.tokuhashi.total, result.tokuhashi.category) == tokuhashi
        assert sum(row.points for row in result.tokuhashi_rows) == tokuhashi[0]
    if tomita is None:
        assert result.tomita is None
    else:
        assert (result.tomita.total, result.tomita.category) == tomita
        assert sum(row.points for row in result.tomita_rows) == tomita[0]
    # Every input is presented: nothing is missing except what only the board can settle.
    assert [item.text for item in result.missing] == (
        ["Tokuhashi needs: KPS (medical oncologist)"] if number == 11 else []
    )


def test_example_5_scores_colon_as_others_and_notes_it():
    result = assess(EXAMPLES[5][0])
    assert result.tokuhashi.points["primary"] == 2
    assert "Colon: scored as 'others' (a literal reading, REFERENCE §5.1 [I])." in (
        result.tokuhashi.notes
    )
    rows = {row.component: row for row in result.tokuhashi_rows}
    assert rows["primary"].value == "Colon, scored as 'others'"
    tomita_rows = {row.component: row for row in result.tomita_rows}
    assert tomita_rows["growth"].value == "Rapid growth (Colon)"
    assert tomita_rows["bone"].value == "Multiple (vertebral 2, extraspinal 0)"
    assert any("REFERENCE §5.2 [I]" in note for note in result.tomita.notes)
    # The choice is offered but not required: the literal reading stands until the board chooses.
    choice = result.choice("tokuhashi_primary", "colon")
    assert choice is not None and not choice.is_open and choice.suggested == "other"
    assert set(choice.options) >= {"colon", "other", "lung", "breast"}


def test_the_board_may_score_an_unlisted_primary_otherwise():
    result = assess(replace(EXAMPLES[5][0], choices={("tokuhashi_primary", "colon"): "rectum"}))
    assert result.tokuhashi.total == 10  # rectum 4 instead of others 2
    assert result.choice("tokuhashi_primary", "colon").chosen == "rectum"
    assert any("the board's choice" in note for note in result.tokuhashi.notes)


def test_a_choice_for_another_primary_is_not_applied():
    # Chosen when the case said colon; the case now says melanoma: the literal reading again.
    stale = replace(
        EXAMPLES[5][0],
        primary_site="melanoma",
        choices={("tokuhashi_primary", "colon"): "rectum"},
    )
    result = assess(stale)
    assert result.tokuhashi.total == 8
    assert result.choice("tokuhashi_primary", "colon") is None
    assert result.choice("tokuhashi_primary", "melanoma").chosen is None


# ESCC 1c ------------------------------------------------------------------------------------


def test_escc_1c_asks_the_board_for_a_grouping():
    result = assess(EXAMPLES[10][0])
    assert result.escc_grade == "1c"
    assert result.escc_group is None and result.escc_high_grade is None
    choice = result.choice("escc_1c_group")
    assert choice.is_open and choice in result.choices_needed
    assert set(choice.options) == {"low", "high"}
    assert "ESCC group (the board's choice for grade 1c)" in result.noms_missing


@pytest.mark.parametrize("group", ["low", "high"])
def test_escc_1c_uses_the_boards_grouping(group):
    result = assess(replace(EXAMPLES[10][0], choices={("escc_1c_group", ""): group}))
    assert result.escc_group == group
    assert result.escc_high_grade is (group == "high")
    assert result.choice("escc_1c_group").chosen == group
    assert not result.choices_needed


# ECOG 1 only (Example 11) -------------------------------------------------------------------


def test_ecog_1_only_shows_both_tokuhashi_totals_and_asks_for_the_kps():
    result = assess(EXAMPLES[11][0])
    assert result.tokuhashi is None
    assert result.tokuhashi_ambiguous
    assert result.kps_band_for_ecog == (70, 80)
    assert [(kps, score.total, score.category) for kps, score in result.alternatives] == [
        (70, 8, LT6),
        (80, 9, GTE6),
    ]
    choice = result.choice("kps_for_ecog", "1")
    assert choice.is_open and choice.options == {"70": "KPS 70", "80": "KPS 80"}
    assert [item.text for item in result.missing_for("Tokuhashi")] == [
        "Tokuhashi needs: KPS (medical oncologist)"
    ]


def test_the_boards_kps_for_ecog_1_is_used_and_said():
    result = assess(replace(EXAMPLES[11][0], choices={("kps_for_ecog", "1"): "80"}))
    assert not result.tokuhashi_ambiguous
    assert (result.tokuhashi.total, result.tokuhashi.category) == (9, GTE6)
    assert "KPS not recorded: KPS 80 is the board's choice for ECOG 1 (REFERENCE §6.3)." in (
        result.tokuhashi.notes
    )
    assert {row.component: row.value for row in result.tokuhashi_rows}["kps"] == (
        "KPS 80 (the board's choice for ECOG 1)"
    )
    assert result.missing == ()
    assert result.kps is None  # the choice never overwrites the recorded values


def test_a_recorded_kps_wins_over_the_ecog_choice():
    result = assess(replace(EXAMPLES[11][0], kps=70, choices={("kps_for_ecog", "1"): "80"}))
    assert result.tokuhashi.total == 8
    assert result.choice("kps_for_ecog", "1") is None


@pytest.mark.parametrize(("ecog", "kps_points"), [(0, 2), (2, 1), (3, 0), (4, 0)])
def test_other_ecog_grades_need_no_kps(ecog, kps_points):
    result = assess(replace(EXAMPLES[11][0], ecog=ecog))
    assert not result.tokuhashi_ambiguous
    assert result.tokuhashi.points["kps"] == kps_points
    assert result.choice("kps_for_ecog", str(ecog)) is None
    assert any("give the same Tokuhashi points" in note for note in result.tokuhashi.notes)


def test_kps_and_ecog_are_both_shown_and_never_overwritten():
    result = assess(replace(EXAMPLES[5][0], ecog=2))
    assert (result.kps, result.ecog, result.ecog_for_kps) == (70, 2, 1)
    assert any("KPS 70 usually corresponds to ECOG 1" in note for note in result.notes)
    assert result.tokuhashi.total == 8  # from the KPS


def test_ecog_5_cannot_be_scored():
    result = assess(replace(EXAMPLES[11][0], ecog=5))
    assert result.tokuhashi is None and not result.tokuhashi_ambiguous
    assert "Tokuhashi needs: KPS (medical oncologist)" in [item.text for item in result.missing]


# Unlisted histology for Tomita (Examples 6 and 12) --------------------------------------------


@pytest.mark.parametrize(
    ("number", "totals"),
    [
        (6, {"slow": (3, WIDE), "moderate": (4, MARGINAL), "rapid": (6, PALLIATIVE)}),
        (12, {"slow": (2, WIDE), "moderate": (3, WIDE), "rapid": (5, MARGINAL)}),
    ],
)
def test_an_unlisted_primary_needs_the_boards_growth_class(number, totals):
    case_facts = EXAMPLES[number][0]
    result = assess(case_facts)
    assert result.tomita is None
    choice = result.choice("tomita_growth", case_facts.primary_site)
    assert choice.is_open and choice.suggested is None
    assert set(choice.options) == {"slow", "moderate", "rapid"}
    assert result.missing_for("Tomita") == ()  # a choice, not a missing input
    for growth, expected in totals.items():
        chosen = assess(
            replace(case_facts, choices={("tomita_growth", case_facts.primary_site): growth})
        )
        assert (chosen.tomita.total, chosen.tomita.category) == expected
        assert any("the board's choice" in note for note in chosen.tomita.notes)


def test_myeloma_and_lymphoma_carry_the_solid_tumour_caveat():
    for number in (6, 12):
        notes = assess(EXAMPLES[number][0]).tokuhashi.notes
        assert any("solid-tumour cohorts" in note and "[R]" in note for note in notes)


# SINS location: coccyx and lesions across two classes ------------------------------------------


def coccyx_case(**lesion_extra):
    return replace(
        EXAMPLES[1][0],
        lesions=(
            lesion("coccyx", "none", "blastic", "normal", "none", "none", "0", **lesion_extra),
        ),
    )


def test_coccyx_needs_the_boards_location_and_is_not_scored():
    result = assess(coccyx_case())
    coccyx = result.lesions[0]
    assert coccyx.sins is None and coccyx.location is None and coccyx.location_needs_choice
    assert [item.field for item in coccyx.missing] == ["location"]
    choice = result.choice("sins_location", "coccyx")
    assert choice.is_open and set(choice.options) == {"junctional", "mobile", "semirigid", "rigid"}
    assert result.mechanical is None


def test_coccyx_scored_with_the_boards_location():
    result = assess(replace(coccyx_case(), choices={("sins_location", "coccyx"): "rigid"}))
    coccyx = result.lesions[0]
    assert coccyx.sins.total == 0 and coccyx.location_source == "the board's choice"
    assert not coccyx.location_needs_choice and not result.choices_needed


def test_coccyx_with_a_location_recorded_by_hand_is_scored():
    result = assess(coccyx_case(location="mobile"))
    assert result.lesions[0].sins.total == 2
    assert result.lesions[0].location_source == "recorded by hand"
    assert not result.choice("sins_location", "coccyx").is_open


def test_a_lesion_across_two_classes_uses_the_recorded_location_and_suggests_the_highest():
    # Recorded at T2 (junctional) as semi-rigid: it spans T2–T3.
    spanning = replace(
        EXAMPLES[3][0],
        lesions=(lesion("T2", "occasional", "mixed", "normal", "under_50", "unilateral", "1b",
                        location="semirigid"),),
    )  # fmt: skip
    result = assess(spanning)
    lesion_result = result.lesions[0]
    assert lesion_result.location == "semirigid" and lesion_result.sins.total == 6
    assert lesion_result.location_source == "recorded by hand"
    choice = result.choice("sins_location", "T2")
    assert not choice.is_open and choice.suggested == "junctional"
    assert any("most conservative" in note for note in lesion_result.notes)
    chosen = assess(replace(spanning, choices={("sins_location", "T2"): "junctional"}))
    assert chosen.lesions[0].sins.total == 8
    assert chosen.lesions[0].sins.surgical_consult_recommended


def test_a_location_recorded_as_the_levels_own_class_is_no_question():
    plain = replace(
        EXAMPLES[3][0],
        lesions=(lesion("T7", "occasional", "mixed", "normal", "under_50", "unilateral", "1b",
                        location="semirigid"),),
    )  # fmt: skip
    assert assess(plain).choice("sins_location", "T7") is None


# Several lesions and the index lesion -------------------------------------------------------


def several(*lesions_) -> CaseFacts:
    return replace(EXAMPLES[5][0], lesions=tuple(lesions_), levels=("T9", "L3"))


T9 = lesion("T9", "occasional", "mixed", "normal", "none", "none", "1a")  # SINS 1 + 1 + 1 = 3
L3 = lesion("L3", "mechanical", "lytic", "normal", "under_50", "bilateral", "2")  # SINS 12


def test_the_marked_index_lesion_is_the_index():
    result = assess(several(replace(T9, is_index=True), L3))
    assert result.index_lesion.level == "T9" and result.index_rule == "marked as the index lesion"
    assert [lesion.is_index for lesion in result.lesions] == [True, False]
    assert result.escc_grade == "1a"
    assert any("L3 has a higher grade" in note for note in result.notes)


def test_without_a_mark_the_highest_sins_is_the_index():
    result = assess(several(T9, L3))
    assert result.index_lesion.level == "L3"
    assert "highest SINS" in result.index_rule
    assert [lesion.sins.total for lesion in result.lesions] == [3, 12]


def test_without_a_mark_and_an_unscored_lesion_there_is_no_index():
    result = assess(several(replace(T9, alignment=None), L3))
    assert result.index_lesion is None
    assert result.escc_grade is None
    assert [item.text for item in result.missing_for("SINS")] == [
        "SINS at T9 needs: alignment (interventional radiologist or spine surgeon)"
    ]
    assert any("mark the index lesion" in note for note in result.notes)


# Missing inputs and who owes them -------------------------------------------------------------


def test_nothing_presented_lists_every_input_and_its_owners():
    result = assess(CaseFacts(primary_site="breast", levels=("T7",)))
    assert [item.text for item in result.missing] == [
        "SINS needs: the lesion findings (interventional radiologist or spine surgeon)",
        "ESCC needs: ESCC grade (interventional radiologist or spine surgeon)",
        "Tokuhashi needs: KPS (medical oncologist)",
        "Tokuhashi needs: number of extraspinal bone metastases (medical oncologist)",
        "Tokuhashi needs: number of vertebral body metastases "
        "(medical oncologist or interventional radiologist)",
        "Tokuhashi needs: visceral metastases: removable? (medical oncologist)",
        "Tokuhashi needs: Frankel grade (or ASIA) (spine surgeon)",
        "Tomita needs: number of extraspinal bone metastases (medical oncologist)",
        "Tomita needs: number of vertebral body metastases "
        "(medical oncologist or interventional radiologist)",
        "Tomita needs: visceral metastases: treatable? (medical oncologist)",
    ]
    assert result.tokuhashi is None and result.tomita is None and result.index_lesion is None
    by_role = result.missing_by_role()
    assert list(by_role) == ["medical_oncology", "interventional_radiology", "spine_surgery"]
    assert len(by_role["spine_surgery"]) == 3


def test_a_missing_sins_item_is_never_scored_as_zero():
    partial = replace(EXAMPLES[5][0], lesions=(replace(L3, alignment=None),))
    result = assess(partial)
    assert result.index_lesion.sins is None
    assert [item.text for item in result.missing] == [
        "SINS needs: alignment (interventional radiologist or spine surgeon)"
    ]
    assert result.mechanical is None
    assert result.escc_group == "high"  # the ESCC grade is there


def test_frankel_is_derived_from_asia_and_labelled():
    result = assess(replace(EXAMPLES[5][0], frankel=None, asia="D"))
    assert result.frankel is None and result.asia == "D"
    assert result.tokuhashi_frankel == "D" and result.frankel_from_asia
    assert result.tokuhashi.total == 8
    rows = {row.component: row.value for row in result.tokuhashi_rows}
    assert rows["frankel"] == "D: motor useful (derived from ASIA D)"
    assert any(
        "derived from ASIA" in note and "§6.5 [I]" in note for note in result.tokuhashi.notes
    )


def test_tomita_bone_is_multiple_from_one_count_but_solitary_needs_both():
    multiple = assess(replace(EXAMPLES[5][0], extraspinal_bone_mets=None))  # 2 vertebral
    assert multiple.tomita.points["bone"] == 2
    assert multiple.tokuhashi is None  # Tokuhashi needs the extraspinal count itself
    unknown = assess(replace(EXAMPLES[1][0], vertebral_mets=None))  # 0 extraspinal
    assert unknown.tomita is None
    assert [item.field for item in unknown.missing_for("Tomita")] == ["vertebral_mets"]


# Mechanical status and NOMS -----------------------------------------------------------------

FIT = {
    "fit_for_open_surgery": True,
    "fit_for_mis": True,
    "fit_for_sbrt": True,
    "fit_for_radiotherapy": True,
}


@pytest.mark.parametrize(
    ("number", "mechanical"),
    [(4, "stable"), (9, "mechanical_pain"), (6, "unstable"), (14, "unstable"), (12, "stable")],
)
def test_mechanical_default_from_the_index_sins(number, mechanical):
    result = assess(EXAMPLES[number][0])
    assert result.mechanical == mechanical
    assert "default [I]" in result.mechanical_source
    assert result.choice("mechanical").suggested == mechanical


def test_noms_needs_every_input_and_then_suggests():
    base = EXAMPLES[5][0]
    result = assess(base)
    assert result.noms is None
    assert result.noms_missing == (
        "radiosensitivity",
        "fitness (the board's judgement, entered on the agenda item)",
    )
    assert result.radiosensitivity_source == "not in the table: the board must choose"
    done = assess(
        replace(
            base,
            radiosensitive=False,
            radiosensitivity_source="table row",
            fitness=FIT,
            choices={("mechanical", ""): "unstable"},
        )
    )
    assert done.mechanical == "unstable" and done.mechanical_source == "the board's choice"
    assert done.noms.options == ("corticosteroids", "separation_surgery", "sbrt")
    assert done.noms_missing == ()
