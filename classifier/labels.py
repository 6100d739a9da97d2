"""Classifier labels: the RequestKind values (dsr.tickets), in the model's output order.

Spelled out here rather than imported: importing dsr.tickets pulls in SQLAlchemy, which cost
~0.7 s of every classifier start. tests/classifier/test_labels.py checks the two never drift.
"""

RIGHTS: tuple[str, ...] = ("access", "rectification", "erasure", "objection", "restriction",
                           "withdrawal")
ALWAYS_TRIAGE: tuple[str, ...] = ("portability", "complaint")
LABELS: tuple[str, ...] = (*RIGHTS, *ALWAYS_TRIAGE)
LANGUAGES: tuple[str, ...] = ("en", "nl", "de", "fr")
