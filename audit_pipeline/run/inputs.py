"""What a period's report was computed from, by input file, as its provenance lists it.

The list is made from the reads recorded while the period's units ran and while its
metrics and figure register were computed (``keys.py``), with the very digests that
key them, so the provenance can never name an input the report did not depend on,
nor miss one it did:

- a table keyed by period: "rows of this period and earlier ones, and forecast rows", the
  digest of those rows (``keys.slice_digest``); rows of later periods are not read, so a
  correction to them leaves this report as it is;
- any other table, the transactions and ``programme.yaml``: the whole file, its SHA-256;
  for ``programme.yaml`` read field by field, the fields read and one digest over them;
- the commentary: this period's part of it;
- an input read but absent from the pack (an optional table): not listed, nothing went in;
- the validation findings (warnings about any file), when a section shows them;
- ``files`` (a section opened pack files itself): every file, each by its SHA-256.
"""

from __future__ import annotations

import hashlib
import json

from audit_pipeline.measures.periods import Period
from audit_pipeline.pack.contract import TABLES

WHOLE = "whole file"
ROWS = "rows of this period and earlier ones, and forecast rows"  # no label: the report states its period


def _file(pack, name: str) -> str:
    path = pack.files.get(name)
    return path.name if path is not None else name


def period_inputs(pack, period: Period, reads: dict[str, str]) -> dict[str, dict]:
    """``{input: {"read": what of it, "digest": digest}}`` for recorded ``reads`` (name -> digest), sorted."""
    from audit_pipeline.pack.cache import input_hashes
    from audit_pipeline.run.keys import ABSENT, by_period

    inputs: dict[str, dict] = {}
    fields = {n.partition(":")[2]: d for n, d in reads.items() if n.startswith("programme:")}
    for name, digest in reads.items():
        if name in TABLES or name == "transactions":
            frame = pack.tables.get(name)
            if digest == ABSENT:  # read, but the pack has none: nothing went in (the key knows)
                continue
            if by_period(frame, name):
                inputs[_file(pack, name)] = {"read": ROWS, "digest": digest}
            else:
                inputs[_file(pack, name)] = {"read": WHOLE, "digest": digest}
        elif name == "programme":
            inputs[_file(pack, "programme")] = {"read": WHOLE, "digest": digest}
        elif name == "commentary" and "commentary" in pack.files:
            inputs[_file(pack, "commentary")] = {"read": "this period's part", "digest": digest}
        elif name == "findings":
            inputs["validation findings"] = {"read": "warnings about any file of the pack", "digest": digest}
    if fields and "programme" not in reads:
        combined = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
        what = "fields " + ", ".join(sorted(fields))
        inputs[_file(pack, "programme")] = {"read": what, "digest": combined}
    if "files" in reads:
        for file_name, digest in input_hashes(pack.directory).items():
            inputs[file_name] = {"read": WHOLE, "digest": digest}
    return dict(sorted(inputs.items()))
