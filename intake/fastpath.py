"""The marketing fast path: an objection to direct marketing is absolute (Art. 21(3)).

Such a request (or a withdrawal of consent to marketing) needs no identity check beyond the
sending address: the address is suppressed at once and the requester gets a confirmation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_MARKETING = re.compile(
    r"\b(marketing|newsletters?|mailings?|mailing ?list|promotions?|promotional|offers|"
    r"advertis\w*|sales calls?|cold calls?|unsubscribe|spam|tariff watch|e-?mails? from you|"
    r"nieuwsbrie\w*|reclame|aanbiedingen|afmelden|uitschrijven|mailtjes|"
    r"werbung|werbe\w*|newsletter|abmelden|abbestellen|"
    r"prospection|publicit\w*|démarchage|demarchage|désabonn\w*|desabonn\w*|"
    r"lettre d'information)\b",
    re.IGNORECASE)
FAST_PATH_KINDS = frozenset({"objection", "withdrawal"})


def is_marketing_opt_out(kinds: Iterable[str], text: str) -> bool:
    """Only objection/withdrawal, and the text is about marketing."""
    kinds = set(kinds)
    return bool(kinds) and kinds <= FAST_PATH_KINDS and bool(_MARKETING.search(text))
