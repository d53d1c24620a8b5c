"""What can stop a model card from being built, said as ``TriageError``s.

Messages name parameters (``lang: ...``), never command-line flags: ``triage.cli``
turns them into flags, ``error:`` lines and exit codes.
"""

from __future__ import annotations

from triage.contract.errors import InvalidParameter, TriageError

LANGS_EXPECTED = "ja or en"


def check_lang(lang: str) -> None:
    """Raise ``InvalidParameter`` unless the card can be written in ``lang``."""
    if lang not in ("ja", "en"):
        raise InvalidParameter(f"lang: expected {LANGS_EXPECTED}, got {lang!r}", param="lang")


class RunNotFound(TriageError, LookupError):
    """The tracking store at ``uri`` has no run ``run_id`` (or could not be read)."""

    def __init__(self, run_id: str, uri: str) -> None:
        super().__init__(f"no MLflow run {run_id!r} at {uri}.", param="run_id")
        self.run_id = run_id
        self.uri = uri


class NotAModelRun(TriageError, ValueError):
    """The run holds no evaluation metrics: it was not made by ``triage run``."""

    def __init__(self, run_id: str, kind: str | None) -> None:
        what = f"a {kind} run" if kind else "a run without them"
        super().__init__(
            f"run {run_id!r} has no evaluation metrics (keys such as true.<candidate>.auc): "
            f"a model card is made for a run of `triage run`, not for {what}.",
            param="run_id",
        )
