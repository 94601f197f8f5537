#!/usr/bin/env python3
"""Generate an illustrative, deterministic ``transactions.csv`` for a data pack.

Reads ``bodies.csv``, ``centres.csv`` and ``periods.csv`` of the pack and
writes one row per back-office transaction (finance, HR or procurement item)
handled by a shared service centre, in the columns of the data contract:

    transaction_id, centre_id, body_id, service, received_date, completed_date, sla_days

Only bodies assigned to a centre and already onboarded produce transactions,
and only from their ``actual_onboard_date`` to the end of the pack's last
period. Volume follows each body's ``customers`` and the days it has been
served. Processing is slower in the months after a body migrates (the
transition backlog). Items still unfinished at the end of the last period are
left open (empty ``completed_date``), as are a few items that are stuck.

The output depends only on the pack's files, ``--rows`` and ``--seed``:
running it twice gives byte-identical files. Everything is vectorised with
numpy and written with pyarrow, so millions of rows take seconds:

    python scripts/make_sample_transactions.py data/ngss
    python scripts/make_sample_transactions.py data/ngss --rows 5000000 --out /tmp/bench/transactions.csv
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

DEFAULT_ROWS = 20_000
DEFAULT_SEED = 20140331  # the date of NAO HC 1101
SERVICES = ("finance", "hr", "procurement")
# Share of volume by service, before restricting to the services a centre offers.
SERVICE_MIX = np.array([0.55, 0.30, 0.15])
# Service level agreement (days) and typical days to complete once a body has settled in.
SLA_DAYS = np.array([5, 3, 10], dtype=np.int64)
TYPICAL_DAYS = np.array([2.2, 1.2, 5.0])
# Right after migration work takes up to this much longer, fading with this time constant (days).
TRANSITION_SLOWDOWN = 0.9
TRANSITION_DAYS = 240.0
STUCK_SHARE = 0.003  # items that never complete (lost, disputed)


class PackError(Exception):
    """The pack cannot give what the generator needs."""


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV as dicts with trimmed, lower-case headers; UTF-8 (with or without BOM), else Windows-1252."""
    if not path.is_file():
        raise PackError(f"{path}: file not found")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    reader = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(reader, [])]
    return [
        {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        for row in reader
        if any(cell.strip() for cell in row)
    ]


def parse_date(text: str, where: str) -> dt.date | None:
    """ISO ``YYYY-MM-DD`` or UK ``DD/MM/YYYY``; ``None`` when empty."""
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise PackError(f"{where}: not a date: {text!r}")


def load_inputs(pack: Path) -> tuple[list[dict], dict[str, list[str]], dt.date, dt.date]:
    """Eligible bodies (with centre, onboarding date, weight), centres' services, and the pack's date span."""
    periods = read_rows(pack / "periods.csv")
    if not periods:
        raise PackError(f"{pack / 'periods.csv'}: no periods")
    starts = [parse_date(p.get("start_date", ""), "periods.csv start_date") for p in periods]
    ends = [parse_date(p.get("end_date", ""), "periods.csv end_date") for p in periods]
    first, last = min(starts), max(ends)

    centres = {}
    for row in read_rows(pack / "centres.csv"):
        offered = [s.strip().lower() for s in row.get("services", "").split(";") if s.strip()]
        centres[row["centre_id"]] = [s for s in SERVICES if s in offered] or list(SERVICES)

    bodies = []
    for row in read_rows(pack / "bodies.csv"):
        centre = row.get("centre_id", "")
        onboard = parse_date(row.get("actual_onboard_date", ""), f"bodies.csv {row.get('body_id')}")
        if not centre or centre not in centres or onboard is None or onboard > last:
            continue
        start = max(onboard, first)
        days = (last - start).days + 1
        customers = int(float(row.get("customers") or 0))
        if customers <= 0:
            continue
        bodies.append(
            {
                "body_id": row["body_id"],
                "centre_id": centre,
                "onboard": onboard,
                "start": start,
                "days": days,
                "weight": customers * days,
            }
        )
    if not bodies:
        raise PackError(f"{pack}: no body is both assigned to a centre and onboarded within the periods")
    return bodies, centres, first, last


def generate(bodies: list[dict], centres: dict[str, list[str]], last: dt.date, rows: int, seed: int) -> pa.Table:
    """The transactions as an Arrow table, sorted by received date, centre and body."""
    rng = np.random.default_rng(seed)
    centre_ids = sorted(centres)
    centre_index = {c: i for i, c in enumerate(centre_ids)}

    body_ids = np.array([b["body_id"] for b in bodies], dtype=object)
    body_centre = np.array([centre_index[b["centre_id"]] for b in bodies], dtype=np.int64)
    body_start = np.array([np.datetime64(b["start"], "D") for b in bodies])
    body_onboard = np.array([np.datetime64(b["onboard"], "D") for b in bodies])
    body_days = np.array([b["days"] for b in bodies], dtype=np.int64)
    weights = np.array([b["weight"] for b in bodies], dtype=np.float64)

    # Service mix per centre, restricted to the services it offers.
    mix = np.array([[SERVICE_MIX[k] if s in centres[c] else 0.0 for k, s in enumerate(SERVICES)] for c in centre_ids])
    cumulative = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)

    body = rng.choice(len(bodies), size=rows, p=weights / weights.sum())
    received = body_start[body] + np.floor(rng.random(rows) * body_days[body]).astype("timedelta64[D]")
    centre = body_centre[body]
    service = (rng.random(rows)[:, None] > cumulative[centre]).sum(axis=1)
    service = np.minimum(service, len(SERVICES) - 1)

    since_onboard = (received - body_onboard[body]).astype(np.float64)
    slowdown = 1.0 + TRANSITION_SLOWDOWN * np.exp(-since_onboard / TRANSITION_DAYS)
    mean_days = TYPICAL_DAYS[service] * slowdown
    duration = np.rint(rng.gamma(2.0, mean_days / 2.0)).astype(np.int64)
    completed = received + duration.astype("timedelta64[D]")
    cutoff = np.datetime64(last, "D")
    is_open = (completed > cutoff) | (rng.random(rows) < STUCK_SHARE)

    order = np.lexsort((body, centre, received))
    received, completed, is_open = received[order], completed[order], is_open[order]
    body, centre, service = body[order], centre[order], service[order]

    width = max(8, len(str(rows)))
    numbers = pa.array(np.arange(1, rows + 1, dtype=np.int64)).cast(pa.string())
    ids = pc.binary_join_element_wise("T", pc.utf8_lpad(numbers, width=width, padding="0"), "")

    def dictionary(indices: np.ndarray, values) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(indices, type=pa.int32()), pa.array(list(values), pa.string()))

    return pa.table(
        {
            "transaction_id": ids,
            "centre_id": dictionary(centre, centre_ids),
            "body_id": dictionary(body, body_ids),
            "service": dictionary(service, SERVICES),
            "received_date": pa.array(received, type=pa.date32()),
            "completed_date": pa.array(completed, type=pa.date32(), mask=is_open),
            "sla_days": pa.array(SLA_DAYS[service], type=pa.int64()),
        }
    )


def write_csv(table: pa.Table, out: Path) -> None:
    """Write UTF-8 CSV with a header row, never quoting (identifiers, enums and dates need none), via a temporary file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    plain = table.cast(
        pa.schema([pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type) for f in table.schema])
    )
    tmp = out.with_name(out.name + ".tmp")
    options = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=1 << 20)
    with tmp.open("wb") as handle:
        handle.write((",".join(plain.column_names) + "\n").encode("utf-8"))
        pacsv.write_csv(plain, handle, write_options=options)
    tmp.replace(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pack", type=Path, help="the data pack folder (reads bodies.csv, centres.csv, periods.csv)")
    parser.add_argument(
        "--rows", type=int, default=DEFAULT_ROWS, help=f"number of transactions (default {DEFAULT_ROWS})"
    )
    parser.add_argument("--out", type=Path, help="output file (default: PACK/transactions.csv)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    try:
        bodies, centres, _first, last = load_inputs(args.pack)
    except (PackError, KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = args.out or args.pack / "transactions.csv"
    write_csv(generate(bodies, centres, last, args.rows, args.seed), out)
    print(f"wrote {args.rows} transactions to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
