"""How long the board's documents take to render.

Builds a closed 50-case meeting on a fresh SQLite database (synthetic patients; each case with
two opinions, a signed plan with steps, a dissent and actions), then times, in this process:

  * the consensus summary of one case: the HTML alone, and the PDF (HTML + WeasyPrint);
  * the minutes of the 50-case meeting: the HTML alone, and the PDF;

and prints the median of several runs (wall-clock time, and the CPU time of this process, which
another load on the machine does not inflate), the ratio PDF/HTML, the machine's CPU count and
load, and whether the minutes meet the target of at most 1 s (wall clock).

    python bench/pdf_export.py [--cases 50] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_MINUTES_SECONDS = 1.0


def build(cases: int):
    """The meeting and one of its items, in a fresh database with synthetic data."""
    from app.accounts.services import create_member
    from app.cases.services import open_case
    from app.catalogue.services import sync_catalogue
    from app.decisions.services import save_opinion, save_plan, sign_plan
    from app.extensions import db
    from app.meetings import services
    from app.patients.services import register_patient
    from app.timestamps import board_today, utcnow

    sync_catalogue()
    roles = {
        "chair": ("Bench Chair", "spine_surgery"),
        "onc": ("Bench Oncologist", "medical_oncology"),
        "rad": ("Bench Radiation", "radiation_oncology"),
        "ir": ("Bench Radiologist", "interventional_radiology"),
        "coord": ("Bench Coordinator", None),
    }
    people = {
        key: create_member(
            username=f"bench_{key}",
            full_name=name,
            password="bench-password-synthetic",  # noqa: S106 (synthetic)
            specialty=specialty,
            is_coordinator=key == "coord",
        )
        for key, (name, specialty) in roles.items()
    }
    db.session.commit()
    meeting = services.schedule_meeting(
        title="Benchmark board",
        starts_at=utcnow() + timedelta(days=1),
        location="Room 1",
        video_url="",
        chair=people["chair"],
        author=people["coord"],
    )
    services.record_present(meeting=meeting, members=list(people.values()), author=people["coord"])
    items = []
    for number in range(cases):
        patient = register_patient(
            mrn=f"BENCH-{number:04d}",
            family_name=f"Benchperson{number}",
            given_name="Synthetic",
            birth_date=date(1950, 1, 1) + timedelta(days=number * 97),
            sex="female" if number % 2 else "male",
            author=people["coord"],
        )
        case = open_case(
            patient=patient,
            question="Separation surgery before SBRT, or SBRT alone?",
            primary_site="lung",
            histology="Adenocarcinoma",
            levels=["T7", "T8"],
            is_urgent=False,
            suspected_mscc=False,
            referring_clinician="Dr Referrer",
            author=people["coord"],
        )
        items.append(
            services.add_to_agenda(
                meeting=meeting, case=case, planned_minutes=10, author=people["coord"]
            )
        )
    services.open_meeting(meeting=meeting, author=people["chair"])
    for item in items:
        for key, codes in (("onc", ["separation_surgery", "sbrt"]), ("rad", ["sbrt"])):
            save_opinion(
                item=item,
                author=people[key],
                option_codes=codes,
                reasoning="Reasoning as given at the board. " * 5,
                agrees_with_consensus=key == "onc",
            )
        plan = save_plan(
            item=item,
            author=people["chair"],
            base_lock_version=None,
            intent="palliative",
            rationale="The board agreed on surgery first, then SBRT. " * 4,
            steps=[("separation_surgery", "Posterior approach"), ("sbrt", "24 Gy in 2 fractions")],
            dissents=[(people["rad"].id, "Prefers SBRT alone.")],
            actions=[
                {
                    "description": "Book the MRI",
                    "owner_member_id": people["ir"].id,
                    "due_date": board_today() + timedelta(days=14),
                },
                {"description": "Refer for SBRT planning", "owner_specialty": "radiation_oncology"},
            ],
        )
        sign_plan(
            plan=plan,
            author=people["chair"],
            base_lock_version=plan.lock_version,
            departure_reason="Agreed at the board.",
        )
    services.close_meeting(meeting=meeting, author=people["chair"])
    return meeting, items[0]


def median_seconds(function, runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of `runs` calls."""
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.exports import documents
    from app.exports.pdf import render_pdf
    from app.extensions import db

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with app.app_context():
            upgrade()
            meeting, item = build(args.cases)

            def summary_html():
                db.session.expire_all()
                return documents.summary_html(documents.case_summary(item), preview=False)

            def minutes_html():
                db.session.expire_all()
                return documents.minutes_html(documents.meeting_minutes(meeting), preview=False)

            with app.test_request_context():
                summary_html(), minutes_html()  # compile the templates, load fonts once
                render_pdf(summary_html())
                results = {}
                for name, html in (("summary", summary_html), ("minutes", minutes_html)):
                    html_s, _ = median_seconds(html, args.runs)
                    pdf_s, pdf_cpu = median_seconds(lambda html=html: render_pdf(html()), args.runs)
                    pages = render_pdf(html()).pages
                    results[name] = {
                        "html_ms": round(html_s * 1000, 1),
                        "pdf_ms": round(pdf_s * 1000, 1),
                        "pdf_cpu_ms": round(pdf_cpu * 1000, 1),
                        "ratio": round(pdf_s / html_s, 1),
                        "pages": pages,
                    }
    for name, label in (("summary", "consensus summary, 1 case"),
                        ("minutes", f"minutes, {args.cases} cases")):  # fmt: skip
        r = results[name]
        print(
            f"{label:<28} HTML {r['html_ms']:>6.1f} ms   PDF {r['pdf_ms']:>7.1f} ms "
            f"(CPU {r['pdf_cpu_ms']:>7.1f} ms)   PDF/HTML {r['ratio']:>5.1f}x   {r['pages']} pages"
        )
    load = os.getloadavg()[0]
    results["machine"] = {"cpus": os.cpu_count(), "load_1min": round(load, 2)}
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.2f} (1 min) after the runs")
    met = results["minutes"]["pdf_ms"] <= TARGET_MINUTES_SECONDS * 1000
    print(
        f"target: the {args.cases}-case minutes PDF in at most 1 s: {'met' if met else 'NOT met'}"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "pdf_export.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
