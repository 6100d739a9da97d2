"""The register of requests as CSV for a date range: accountability evidence (Art. 5(2)).

Cells that a spreadsheet would run as a formula are neutralised (CSV injection): names and
addresses come from email and can say anything.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, abort, request
from sqlalchemy import select

from dsr.tickets import Ticket
from web import context

bp = Blueprint("register", __name__)
COLUMNS = ("reference", "received", "rights", "requester_name", "requester_email", "state",
           "deadline", "closed", "outcome")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A leading quote keeps a spreadsheet from reading the cell as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _date_arg(name: str, default: date) -> date:
    value = request.args.get(name, "")
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400)


def register_rows(first: date, last: date) -> list[list[str]]:
    """One row per ticket received from `first` to `last` inclusive, oldest first."""
    start = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last + timedelta(days=1), datetime.min.time())
    with context.store().unit_of_work() as db:
        tickets = db.execute(select(Ticket).where(Ticket.received_at >= start,
                                                  Ticket.received_at < end)
                             .order_by(Ticket.received_at, Ticket.id)).scalars()
        return [[t.ref, t.received_at.isoformat(timespec="seconds") + "Z", "; ".join(t.kinds),
                 t.requester_name, t.requester_email, t.state, t.due_on.isoformat(),
                 t.closed_at.isoformat(timespec="seconds") + "Z" if t.closed_at else "",
                 t.outcome_reason] for t in tickets]


@bp.get("/register.csv")
def register_csv() -> Response:
    today = context.now().date()
    first = _date_arg("from", today.replace(month=1, day=1))
    last = _date_arg("to", today)
    if first > last:
        abort(400)
    out = io.StringIO()
    out.write("\ufeff")  # so that spreadsheet programs read the names as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in register_rows(first, last):
        writer.writerow([neutralise(cell) for cell in row])
    filename = f"register-{first.isoformat()}-to-{last.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
