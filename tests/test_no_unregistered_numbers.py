"""No number in a report that the figure register does not account for (issue 9, item 4).

Every number in the visible text of report.html (and of report.pdf, through pdftotext) of every
period of the sample pack (one shared run, ``register_run``) must be the display of a registered
figure of that period, or one of the kinds listed in ``register_numbers`` (dates, period labels,
years, page numbers, identifiers, text quoted from the pack). The last test proves the check can fail: a section that prints a number
around the register is caught.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from fixtures_register import DATA, REGISTER_PERIODS, ROOT
from register_numbers import (
    form_numbers,
    numbers,
    pack_text_numbers,
    pdf_body,
    quoted_texts,
    registered,
    unaccounted,
    visible_html_text,
    wrapped_dates,
)

from audit_pipeline.pack.cache import load_pack_cached

pytest_plugins = ["fixtures_register"]


def _pack_context():
    pack = load_pack_cached(DATA)
    periods = pack.tables["periods"]
    texts = quoted_texts(pack)
    return pack, list(periods["label"]) + list(periods["period_id"]), texts


def _html_unaccounted(folder, labels, texts):
    document = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    text, identifiers = visible_html_text((folder / "report.html").read_text(encoding="utf-8"))
    return unaccounted(text, registered(document), labels + texts), identifiers, document


@pytest.mark.parametrize("period", REGISTER_PERIODS)
def test_every_number_in_the_html_is_registered(register_run, period):
    _, labels, texts = _pack_context()
    missing, _, document = _html_unaccounted(register_run / period, labels, texts)
    assert document["figures"], "the register is empty"
    assert missing == [], f"{period}: numbers shown but not registered: {missing}"


@pytest.mark.parametrize("period", REGISTER_PERIODS)
def test_every_number_in_the_pdf_is_registered(register_run, period):
    pack, labels, texts = _pack_context()
    folder = register_run / period
    _, identifiers, document = _html_unaccounted(folder, labels, texts)
    text = subprocess.run(
        ["pdftotext", "-layout", str(folder / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    allowed = registered(document) | identifiers | pack_text_numbers(pack)
    paragraphs = form_numbers((folder / "report.html").read_text(encoding="utf-8"))
    missing = unaccounted(pdf_body(text, paragraphs), allowed, labels + texts)
    assert missing == [], f"{period}: numbers in the PDF but not registered: {missing}"


def test_a_number_printed_around_the_register_fails(tmp_path):
    """A copy of the code whose costs section prints a number by itself: the check finds it."""
    code = tmp_path / "code"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for name in ("audit_pipeline", "notebooks"):
        shutil.copytree(ROOT / name, code / name, ignore=ignore)
    shutil.copy2(ROOT / "pipeline.py", code / "pipeline.py")
    costs = code / "audit_pipeline" / "report" / "sections" / "costs.py"
    source = costs.read_text(encoding="utf-8")
    needle = '"The pack holds no forecast costs for later periods.",'
    assert needle in source
    costs.write_text(
        source.replace(needle, needle + '\n        f"Costs rose by {fmt.money(987.654)} in the year.",'),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(code), "AUDIT_PIPELINE_CACHE": str(tmp_path / "cache")}
    args = ["run", "--data", str(DATA), "--period", "2013-14-Q4", "--format", "html", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, str(code / "pipeline.py"), *args], capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr
    _, labels, texts = _pack_context()
    missing, _, _ = _html_unaccounted(out / "ngss" / "2013-14-Q4", labels, texts)
    assert "987.7" in missing


def test_numbers_ignores_dates_codes_and_years():
    assert numbers("On 31 March 2014, 2013-14 Q4, pac12-01 and issc1: £9.8 million, 1,250 bodies, 29%.") == [
        "9.8",
        "1250",
        "29",
    ]


def test_dates_wrapped_by_a_table_column_are_dates_and_nothing_else():
    text = "a  31 March   7 items\nb  2014\nc  30       x\nd  September 12\ne  31 items\nf  and March\n"
    assert numbers(wrapped_dates(text)) == ["7", "2014", "12", "31"]
