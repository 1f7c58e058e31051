"""Codes the application stores and exchanges, with the labels people see.

The codes are fixed by the clinical contract (shared CONTRACT.md); the points they carry are
in the scores module, not here. Every mapping keeps the contract's order, which is also the
order forms offer them in.
"""

from __future__ import annotations

SPECIALTIES: dict[str, str] = {
    "medical_oncology": "Medical oncology",
    "radiation_oncology": "Radiation oncology",
    "interventional_radiology": "Interventional radiology",
    "spine_surgery": "Spine surgery",
    "physiotherapy": "Physiotherapy",
}

# C1…C7, T1…T12, L1…L5, S1…S5, coccyx: cranial to caudal, the order a spine map draws them.
LEVELS: tuple[str, ...] = (
    tuple(f"C{n}" for n in range(1, 8))
    + tuple(f"T{n}" for n in range(1, 13))
    + tuple(f"L{n}" for n in range(1, 6))
    + tuple(f"S{n}" for n in range(1, 6))
    + ("coccyx",)
)
LEVEL_LABELS: dict[str, str] = {
    level: ("Coccyx" if level == "coccyx" else level) for level in LEVELS
}

SINS_LOCATION: dict[str, str] = {
    "junctional": "Junctional (occiput–C2, C7–T2, T11–L1, L5–S1)",
    "mobile": "Mobile spine (C3–C6, L2–L4)",
    "semirigid": "Semi-rigid (T3–T10)",
    "rigid": "Rigid (S2–S5)",
}
SINS_PAIN: dict[str, str] = {
    "mechanical": "Mechanical pain",
    "occasional": "Occasional pain, not mechanical",
    "none": "Pain-free lesion",
}
SINS_LESION: dict[str, str] = {
    "lytic": "Lytic",
    "mixed": "Mixed lytic/blastic",
    "blastic": "Blastic",
}
SINS_ALIGNMENT: dict[str, str] = {
    "subluxation": "Subluxation / translation",
    "deformity": "De novo deformity (kyphosis or scoliosis)",
    "normal": "Normal alignment",
}
SINS_COLLAPSE: dict[str, str] = {
    "over_50": "> 50% collapse",
    "under_50": "< 50% collapse",
    "involved_no_collapse": "No collapse, > 50% of the body involved",
    "none": "None of the above",
}
SINS_POSTEROLATERAL: dict[str, str] = {
    "bilateral": "Bilateral",
    "unilateral": "Unilateral",
    "none": "None",
}
ESCC_GRADES: dict[str, str] = {
    "0": "0: confined to bone",
    "1a": "1a: epidural, thecal sac not deformed",
    "1b": "1b: thecal sac deformed, cord not touched",
    "1c": "1c: thecal sac deformed, cord abutted, not compressed",
    "2": "2: cord compressed, CSF visible",
    "3": "3: cord compressed, no CSF visible",
}
FRANKEL_GRADES: dict[str, str] = {
    "A": "A: complete",
    "B": "B: sensory only",
    "C": "C: motor useless",
    "D": "D: motor useful",
    "E": "E: normal",
}
ASIA_GRADES: dict[str, str] = {
    "A": "A: complete",
    "B": "B: sensory incomplete",
    "C": "C: motor incomplete, most key muscles < 3",
    "D": "D: motor incomplete, at least half key muscles ≥ 3",
    "E": "E: normal",
}
KPS_VALUES: tuple[int, ...] = tuple(range(100, -1, -10))
ECOG_VALUES: tuple[int, ...] = (0, 1, 2, 3, 4, 5)

PRIMARY_SITES: dict[str, str] = {
    "lung": "Lung",
    "osteosarcoma": "Osteosarcoma",
    "stomach": "Stomach",
    "bladder": "Bladder",
    "esophagus": "Oesophagus",
    "pancreas": "Pancreas",
    "liver": "Liver",
    "gallbladder": "Gallbladder",
    "unknown": "Unidentified primary",
    "colon": "Colon",
    "melanoma": "Melanoma",
    "myeloma": "Myeloma",
    "lymphoma": "Lymphoma",
    "sarcoma": "Sarcoma (not osteosarcoma)",
    "head_neck": "Head and neck",
    "other": "Other",
    "kidney": "Kidney",
    "uterus": "Uterus",
    "rectum": "Rectum",
    "thyroid": "Thyroid",
    "breast": "Breast",
    "prostate": "Prostate",
    "carcinoid": "Carcinoid",
}
# Tokuhashi lists these under "others" only by a literal reading (REFERENCE §5.1, flagged [I]).
TOKUHASHI_LITERAL_OTHERS: frozenset[str] = frozenset(
    {"colon", "melanoma", "myeloma", "lymphoma", "sarcoma", "head_neck"}
)

TOKUHASHI_VISCERAL: dict[str, str] = {
    "none": "No visceral metastases",
    "removable": "Removable",
    "unremovable": "Unremovable",
}
TOMITA_GROWTH: dict[str, str] = {
    "slow": "Slow growth",
    "moderate": "Moderate growth",
    "rapid": "Rapid growth",
}
TOMITA_VISCERAL: dict[str, str] = {
    "none": "No visceral metastases",
    "treatable": "Treatable",
    "untreatable": "Untreatable",
}
TOMITA_BONE: dict[str, str] = {
    "solitary": "Solitary / isolated",
    "multiple": "Multiple",
}

# Mobility as the physiotherapist records it ([I]: the reference names ambulatory status only).
MOBILITY: dict[str, str] = {
    "independent": "Walks independently",
    "with_aid": "Walks with an aid",
    "assisted": "Walks with assistance of a person",
    "wheelchair": "Wheelchair / transfers only",
    "bedbound": "Bed-bound",
}

TREATMENT_OPTIONS: tuple[str, ...] = (
    "cebrt",
    "sbrt",
    "separation_surgery",
    "decompression_surgery",
    "open_stabilization",
    "mis_stabilization",
    "cement_augmentation",
    "thermal_ablation",
    "mrgfus",
    "embolization",
    "systemic_therapy",
    "bone_modifying_agent",
    "radiopharmaceutical",
    "corticosteroids",
    "analgesia",
    "bracing",
    "spinal_precautions",
    "rehabilitation",
    "en_bloc_resection",
    "best_supportive_care",
)

MODALITIES: dict[str, str] = {
    "radiotherapy": "Radiotherapy",
    "surgery": "Surgery",
    "interventional": "Interventional / percutaneous",
    "systemic": "Systemic therapy",
    "supportive": "Supportive care",
}

# Confidence tags of the clinical reference, and how the application words them.
CONFIDENCE_TAGS: dict[str, str] = {
    "C2": "checked in two or more sources",
    "C": "checked in one source",
    "S": "secondary source",
    "R": "unverified",
    "I": "implementation choice",
}

PLAN_INTENTS: dict[str, str] = {
    "curative": "Curative",
    "palliative": "Palliative",
    "supportive": "Supportive",
}


def label(mapping: dict[str, str], code: str | None) -> str:
    """Return the label of a code, or the code itself when it is not in the mapping."""
    if code is None:
        return "—"
    return mapping.get(code, code)
