"""Read ``programme.yaml`` with a safe loader, and check its keys."""

from __future__ import annotations

import math
from pathlib import Path

import yaml

from audit_pipeline.errors import ERROR, WARNING, Finding
from audit_pipeline.pack import parsers
from audit_pipeline.pack.contract import (
    OPTIONAL_PROGRAMME_KEYS,
    PROGRAMME_KEYS,
    PROGRAMME_TEXT_KEYS,
    THRESHOLD_DEFAULTS,
)
from audit_pipeline.pack.limits import LIMITS

FILE = "programme.yaml"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """The safe loader, but dates stay text (so ``parsers.parse_date`` judges them, naming the key)
    and a value that cannot be built (``!!int abc``) is a located YAML error, not a crash."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {node.value!r}: {exc}", node.start_mark
            ) from None


def _line_of(node: yaml.Node | None, key: str) -> int | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if key_node.value == key:
                return key_node.start_mark.line + 1
    return None


def _bounded(text: str) -> str | None:
    """Why ``text`` must not be built into objects (``None`` when it may): an anchor or alias (an
    alias can expand a small file into gigabytes), nesting deeper or more nodes than the limits.
    Checked on the parser's events, which never expand anything."""
    depth = 0
    for events, event in enumerate(yaml.parse(text, Loader=_Loader), start=1):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            line = event.start_mark.line + 1
            return f"line {line}: anchors and aliases (& and *) are not allowed; write each value out"
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > LIMITS.yaml_depth:
                return f"line {event.start_mark.line + 1}: nested more than {LIMITS.yaml_depth} levels deep"
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if events > LIMITS.yaml_events:
            return f"more than {LIMITS.yaml_events:,} values: not a programme file"
    return None


def read_programme(path: Path, findings: list[Finding]) -> dict | None:
    """The programme's metadata with thresholds filled from the defaults, or ``None``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        findings.append(Finding(ERROR, FILE, f"cannot be read: {exc.strerror or exc}"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        findings.append(Finding(ERROR, FILE, "must be UTF-8 text", line=line, value=f"byte 0x{data[exc.start]:02X}"))
        return None
    try:
        refused = _bounded(text)
        if refused is not None:
            findings.append(Finding(ERROR, FILE, f"is not plain YAML within the limits: {refused}"))
            return None
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        findings.append(
            Finding(ERROR, FILE, f"is not safe, plain YAML: {problem}", line=mark.line + 1 if mark else None)
        )
        return None
    if not isinstance(data, dict):
        findings.append(Finding(ERROR, FILE, "must be a mapping of keys to values", line=1))
        return None
    programme: dict = {}
    for key, kind in PROGRAMME_KEYS.items():
        line = _line_of(node, key)
        value = data.get(key)
        if value is None or str(value).strip() == "":
            findings.append(Finding(ERROR, FILE, "required key is missing or empty", line=line, column=key))
            continue
        try:
            if kind == "date":
                programme[key] = value if hasattr(value, "isoformat") else parsers.parse_date(str(value))
            elif kind == "id":
                programme[key] = parsers.parse_id(str(value))
            else:
                programme[key] = str(value).strip()
        except ValueError as exc:
            findings.append(Finding(ERROR, FILE, str(exc), line=line, column=key, value=str(value)))
    for key in data:
        if key not in PROGRAMME_KEYS and key not in OPTIONAL_PROGRAMME_KEYS:
            findings.append(
                Finding(WARNING, FILE, "unknown key: ignored", line=_line_of(node, str(key)), column=str(key))
            )
    programme["thresholds"] = _thresholds(data.get("thresholds"), node, findings)
    for key in OPTIONAL_PROGRAMME_KEYS - {"thresholds", *PROGRAMME_TEXT_KEYS}:
        if key in data:
            programme[key] = str(data[key])
    for key in PROGRAMME_TEXT_KEYS:
        text = _text(data, node, key, findings)
        if text is not None:
            programme[key] = text
    return programme


def _text(data: dict, node: yaml.Node, key: str, findings: list[Finding]) -> str | None:
    """An optional line of text for the cover (``issuer``, ``data_note``): ``None`` when absent or empty;
    anything but text (a number, a date, a list, a mapping) is a located error, never shown as ``str()``."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        kinds = ((bool, "true or false"), (int | float, "a number"), (list, "a list"), (dict, "a mapping"))
        kind = next((name for types, name in kinds if isinstance(value, types)), type(value).__name__)
        findings.append(
            Finding(
                ERROR,
                FILE,
                f"must be a line of text (quote it if it looks like a number or date), not {kind}",
                line=_line_of(node, key),
                column=key,
                value=str(value)[:80],
            )
        )
        return None
    text = " ".join(value.split())  # a folded or wrapped YAML string reads as one paragraph
    return text or None


def _thresholds(raw: object, node: yaml.Node, findings: list[Finding]) -> dict:
    thresholds = dict(THRESHOLD_DEFAULTS)
    if raw is None:
        return thresholds
    section = None
    if isinstance(node, yaml.MappingNode):
        section = next((v for k, v in node.value if k.value == "thresholds"), None)
    if not isinstance(raw, dict):
        findings.append(Finding(ERROR, FILE, "thresholds must be a mapping", line=_line_of(node, "thresholds")))
        return thresholds
    for key, value in raw.items():
        line = _line_of(section, str(key))
        if key not in THRESHOLD_DEFAULTS:
            findings.append(Finding(WARNING, FILE, "unknown threshold: ignored", line=line, column=f"thresholds.{key}"))
            continue
        top = 1 if key.endswith("_share_amber") or key.endswith("_share_red") else 3650
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0 <= value <= top
        ):
            findings.append(
                Finding(
                    ERROR,
                    FILE,
                    f"must be a finite number from 0 to {top}" + (" (a share)" if top == 1 else " (days)"),
                    line=line,
                    column=f"thresholds.{key}",
                    value=str(value),
                )
            )
            continue
        thresholds[key] = value
    for amber, red in (
        ("onboarding_slip_days_amber", "onboarding_slip_days_red"),
        ("recommendations_overdue_share_amber", "recommendations_overdue_share_red"),
    ):
        if thresholds[amber] > thresholds[red]:
            findings.append(
                Finding(
                    ERROR,
                    FILE,
                    f"{amber} must not exceed {red} (amber comes before red)",
                    line=_line_of(section, amber) or _line_of(section, red),
                    column=f"thresholds.{amber}",
                )
            )
    return thresholds
