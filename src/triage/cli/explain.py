"""``triage explain``: a waterfall picture and a text explanation per notice.

``NOTICE`` is either a small notices file (``.jsonl``/``.json``/``.parquet``,
at most ``MAX_NOTICES`` notices: each is explained) or a ``notice_id`` looked
up in the file given by ``--notices``. For every notice ``<notice_id>.png``
(waterfall) and ``<notice_id>.txt`` (the text) go to ``--out``
(default ``out/explain/``) and the text is printed.

Exit codes: 0 done; 3 done, but some lines of the file were rejected (each on
stderr); 2 usage error (bad language, no such file or notice, too many
notices, model unavailable).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from triage.cli.errors import SCORING_FLAGS, error_line
from triage.contract.names import DEFAULT_MODEL

MAX_NOTICES = 100
DEFAULT_OUT = Path("out/explain")

ERRORS = {
    "lang": "error: --lang: expected ja or en, got {lang!r}",
    "no_file": "error: {path}: no such file",
    "too_many": (
        "error: {path} holds {n} notices; `triage explain` explains at most {max} at a time. "
        "Pick the notice with `triage explain --notices {path} NOTICE_ID`, or use "
        "`triage score` for many notices."
    ),
    "needs_file": (
        "error: {notice!r} is not a notices file; to explain a notice by its notice_id "
        "give the file it is in with --notices FILE"
    ),
    "not_found": "error: no notice with notice_id {notice!r} in {path}",
    "none_valid": "error: {path}: no valid notice to explain",
}

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _file_name(notice_id: object, i: int) -> str:
    text = _UNSAFE.sub("_", str(notice_id)) if notice_id else f"notice-{i + 1}"
    return text.lstrip(".") or f"notice-{i + 1}"


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _read(path: Path):
    """Valid notices of a file; bad lines on stderr. Returns (frame, n_rejected)."""
    from triage.notices import validate_notices

    result = validate_notices(path)
    for e in result.errors:
        where = f"line {e.row}" + (f" ({e.notice_id})" if e.notice_id else "")
        _err(f"{path}: {where}: {e.message}")
    return result.valid, result.n_rejected


def _looks_like_file(notice: str) -> bool:
    from triage.notices import NOTICE_SUFFIXES

    return Path(notice).suffix.lower() in NOTICE_SUFFIXES or Path(notice).is_file()


def explain(
    notice: Annotated[
        str,
        typer.Argument(
            help="A notices file (.jsonl/.parquet, at most 100 notices) or a notice_id looked up in --notices."
        ),
    ],
    model: Annotated[str, typer.Option(help="Urgency model URI.")] = DEFAULT_MODEL,
    notices: Annotated[
        Path | None,
        typer.Option(help="Notices file to look NOTICE up in when NOTICE is a notice_id."),
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of the text: ja or en.")] = "ja",
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for <notice_id>.png and .txt (default out/explain/)."),
    ] = None,
) -> None:
    """A waterfall picture and a text explanation per notice. Decision support only."""
    raise typer.Exit(explain_command(model, notice, lang, out, notices=notices))


def explain_command(
    model: str,
    notice: str,
    lang: str,
    out: Path | None,
    *,
    notices: Path | None = None,
) -> int:
    """Explain the notices of a small file, or one notice_id from ``notices``; return the exit code."""
    if lang not in ("ja", "en"):
        _err(ERRORS["lang"].format(lang=lang))
        return 2
    if _looks_like_file(notice):
        path = Path(notice)
        if not path.is_file():
            _err(ERRORS["no_file"].format(path=path))
            return 2
        frame, rejected = _read(path)
        if len(frame) + rejected > MAX_NOTICES:
            _err(ERRORS["too_many"].format(path=path, n=len(frame) + rejected, max=MAX_NOTICES))
            return 2
    else:
        if notices is None:
            _err(ERRORS["needs_file"].format(notice=notice))
            return 2
        if not Path(notices).is_file():
            _err(ERRORS["no_file"].format(path=notices))
            return 2
        path = Path(notices)
        frame, rejected = _read(path)
        frame = frame[frame["notice_id"].astype(object) == notice].reset_index(drop=True)
        if len(frame) == 0:
            _err(ERRORS["not_found"].format(notice=notice, path=path))
            return 2
        frame, rejected = frame.iloc[:1], 0  # other lines' problems are not this notice's
    if len(frame) == 0:
        _err(ERRORS["none_valid"].format(path=path))
        return 2

    from triage.explain import ask_next
    from triage.explain import explain as explain_notices
    from triage.explain.waterfall import explanation_text, waterfall_figure
    from triage.scoring import ModelUnavailable, load_model

    try:
        loaded = load_model(model)
    except (ModelUnavailable, ValueError) as exc:
        _err(error_line(exc, SCORING_FLAGS))
        return 2
    assert loaded is not None  # required (the default): load_model raises instead
    risk = loaded.risk(frame)
    tiers = loaded.thresholds.assign(risk)
    explanation = explain_notices(loaded.pipeline, frame, lang=lang)
    asks = ask_next(loaded.pipeline, loaded.thresholds, frame, lang=lang)
    folder = Path(out) if out is not None else DEFAULT_OUT
    folder.mkdir(parents=True, exist_ok=True)
    ids = frame["notice_id"].tolist()
    for i, notice_id in enumerate(ids):
        text = explanation_text(
            explanation,
            i,
            lang=lang,
            risk=float(risk[i]),
            tier=str(tiers[i]),
            model=loaded.uri,
            ask=asks[i],
        )
        name = _file_name(notice_id, i)
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
        fig = waterfall_figure(explanation, i)
        fig.savefig(folder / f"{name}.png")
        sys.stdout.write(text + ("\n" if i < len(ids) - 1 else ""))
    sys.stdout.flush()
    print(f"wrote {len(ids)} explanation(s) to {folder}/", file=sys.stderr)
    return 3 if rejected else 0
