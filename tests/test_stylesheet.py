"""The report's stylesheet parses as CSS, with no block left open.

An ``@media print {`` left unclosed (as a merge once did) swallows every rule after it, so
screen rules silently apply only in print. tinycss2 (WeasyPrint's CSS parser) reads it here.
"""

from __future__ import annotations

import tinycss2

from audit_pipeline.report.exporters.page import stylesheet


def _rules():
    return tinycss2.parse_stylesheet(stylesheet(), skip_comments=True, skip_whitespace=True)


def test_the_stylesheet_parses_without_errors():
    errors = [rule for rule in _rules() if rule.type == "error"]
    assert errors == [], [f"line {e.source_line}: {e.message}" for e in errors]


def test_no_media_block_holds_another_or_swallows_screen_rules():
    css = stylesheet()
    assert css.count("{") == css.count("}")
    for rule in _rules():
        if rule.type == "at-rule" and rule.lower_at_keyword == "media":
            inner = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
            nested = [r for r in inner if r.type == "at-rule" and r.lower_at_keyword == "media"]
            assert nested == [], f"an @media block on line {rule.source_line} holds another @media block"


def test_the_check_can_fail():
    broken = "@media print { a { color: red; }\n.screen { display: block; }\n@media print { b { color: blue; } }"
    rules = tinycss2.parse_stylesheet(broken, skip_comments=True, skip_whitespace=True)
    media = [r for r in rules if r.type == "at-rule"]
    inner = tinycss2.parse_rule_list(media[0].content, skip_comments=True, skip_whitespace=True)
    assert any(r.type == "at-rule" and r.lower_at_keyword == "media" for r in inner)
