"""``triage explain``: a text explanation per notice and a waterfall picture for the first few.

``NOTICE`` is either a notices file (``.jsonl``/``.json``/``.parquet``, any
number of notices: each is explained) or a ``notice_id`` looked up in the
file given by ``--notices``. For every notice ``<notice_id>.txt`` (the text)
goes to ``--out`` (default ``out/explain/``) and the text is printed; for the
first ``--pictures`` notices (default ``DEFAULT_PICTURES``) ``<notice_id>.png``
(the waterfall) goes there too. A picture costs a few hundred times a text
(about 0.3 s against 1 ms), so pictures are bounded and text is not. The file
is read whole, then explained ``CHUNK`` notices at a time: text streams out as
it is made and the explanations' arrays stay small (200,000 notices: 4
minutes, 0.6 GB at most).

Pictures are drawn in ``--lang``; Japanese needs a CJK font, and without one
they are drawn in English with a ``note:`` saying so.

Exit codes: 0 done; 3 done, but some lines of the file were rejected (each on
stderr); 2 usage error (bad language or picture count, no such file or notice,
unreadable file, unwritable folder, model unavailable), one ``error:`` line.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from triage.cli.errors import SCORING_FLAGS, error_line
from triage.contract.names import DEFAULT_MODEL

DEFAULT_PICTURES = 20
CHUNK = 1_000
"""Notices explained at a time."""
DEFAULT_OUT = Path("out/explain")

ERRORS = {
    "lang": "error: --lang: expected ja or en, got {lang!r}",
    "pictures": "error: --pictures: expected a whole number, 0 or more, got {value!r}",
    "no_file": "error: {path}: no such file",
    "unreadable": "error: {path}: cannot read notices: {reason}",
    "needs_file": (
        "error: {notice!r} is not a notices file; to explain a notice by its notice_id "
        "give the file it is in with --notices FILE"
    ),
    "not_found": "error: no notice with notice_id {notice!r} in {path}",
    "none_valid": "error: {path}: no valid notice to explain",
    "not_urgency": (
        "error: --model: {uri} carries no urgency cut points (tags tier.immediate and "
        "tier.urgent); give an urgency model"
    ),
    "unwritable": "error: --out: cannot write to {folder}: {reason}",
    "closed": "error: the output was closed after {done:,} of {n:,} explanations; the rest were not written",
}

NOTES = {
    "no_cjk_font": (
        "note: no Japanese font found: pictures are drawn in English "
        "(install one, e.g. fonts-noto-cjk, for Japanese pictures)"
    ),
}

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class _Done:
    """How far the explaining got: explanations written and pictures drawn."""

    texts: int = 0
    pictures: int = 0


def _file_name(notice_id: object, i: int) -> str:
    text = _UNSAFE.sub("_", str(notice_id)) if notice_id else f"notice-{i + 1}"
    return text.lstrip(".") or f"notice-{i + 1}"


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


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


def _picture_count(value: object) -> int | None:
    """``--pictures`` as a count, or None when it is not a whole number, 0 or more."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    text = str(value).strip()
    return int(text) if text.isdigit() else None


def explain(
    notice: Annotated[
        str,
        typer.Argument(
            help="A notices file (.jsonl/.parquet, any number of notices) or a notice_id "
            "looked up in --notices."
        ),
    ],
    model: Annotated[str, typer.Option(help="Urgency model URI.")] = DEFAULT_MODEL,
    notices: Annotated[
        Path | None,
        typer.Option(help="Notices file to look NOTICE up in when NOTICE is a notice_id."),
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of the text and pictures: ja or en.")] = "ja",
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for <notice_id>.txt and .png (default out/explain/)."),
    ] = None,
    pictures: Annotated[
        str,
        typer.Option(
            metavar="N",
            help="Draw waterfall pictures for the first N notices only (0: none); "
            "each takes about 0.3 s.",
        ),
    ] = str(DEFAULT_PICTURES),
) -> None:
    """A text explanation for every notice, pictures for the first N. Decision support only.

    Text takes about 1 ms a notice after a few seconds' start (the model
    loads): a 2,000-notice file about 7 s, a 200,000-notice file about 4
    minutes (and 200,000 files in --out). Each picture adds about 0.3 s (the
    default 20: about 6 s). Pictures are drawn in --lang (in English, with a
    note, when no Japanese font is installed).
    """
    raise typer.Exit(explain_command(model, notice, lang, out, notices=notices, pictures=pictures))


def explain_command(
    model: str,
    notice: str,
    lang: str,
    out: Path | None,
    *,
    notices: Path | None = None,
    pictures: int | str = DEFAULT_PICTURES,
) -> int:
    """Explain every notice of a file, or one notice_id from ``notices``; return the exit code.

    Text for every notice; pictures for the first ``pictures`` of them.
    """
    if lang not in ("ja", "en"):
        _err(ERRORS["lang"].format(lang=lang))
        return 2
    n_pictures = _picture_count(pictures)
    if n_pictures is None:
        _err(ERRORS["pictures"].format(value=str(pictures)))
        return 2
    if _looks_like_file(notice):
        path = Path(notice)
    elif notices is None:
        _err(ERRORS["needs_file"].format(notice=notice))
        return 2
    else:
        path = Path(notices)
    if not path.exists():
        _err(ERRORS["no_file"].format(path=path))
        return 2
    from triage.notices import NoticeFileError

    try:
        frame, rejected = _read(path)
    except NoticeFileError as exc:  # a folder, an unknown suffix, a damaged or foreign file
        _err(ERRORS["unreadable"].format(path=path, reason=exc.reason))
        return 2
    except (ValueError, OSError) as exc:  # a backstop: the reader says why
        _err(ERRORS["unreadable"].format(path=path, reason=_one_line(exc)))
        return 2
    if not _looks_like_file(notice):
        frame = frame[frame["notice_id"].astype(object) == notice].reset_index(drop=True)
        if len(frame) == 0:
            _err(ERRORS["not_found"].format(notice=notice, path=path))
            return 2
        frame, rejected = frame.iloc[:1], 0  # other lines' problems are not this notice's
    if len(frame) == 0:
        _err(ERRORS["none_valid"].format(path=path))
        return 2

    from triage.scoring import ModelUnavailable, load_model

    try:
        loaded = load_model(model)
    except (ModelUnavailable, ValueError) as exc:
        _err(error_line(exc, SCORING_FLAGS))
        return 2
    assert loaded is not None  # required (the default): load_model raises instead
    if not {"tier.immediate", "tier.urgent"} <= set(loaded.tags):
        _err(ERRORS["not_urgency"].format(uri=loaded.uri))
        return 2
    folder = Path(out) if out is not None else DEFAULT_OUT
    n, done = len(frame), _Done()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _explain_all(loaded, frame, lang, folder, n_pictures, done)
    except BrokenPipeError:  # e.g. `| head`: stop; nothing more can be printed
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        _err(ERRORS["closed"].format(done=done.texts, n=n))
        return 2
    except OSError as exc:
        _err(ERRORS["unwritable"].format(folder=folder, reason=_one_line(exc)))
        return 2
    print(f"wrote {n:,} explanation(s) to {folder}/", file=sys.stderr)
    more = "; --pictures N for more" if done.pictures < n else ""
    print(f"drew {done.pictures:,} picture(s) of {n:,} notice(s){more}", file=sys.stderr)
    return 3 if rejected else 0


def _explain_all(loaded, frame, lang: str, folder: Path, n_pictures: int, done: _Done) -> None:
    """Text files (and printed text) for every notice, pictures for the first ``n_pictures``."""
    from triage.explain import ask_next
    from triage.explain import explain as explain_notices
    from triage.explain.figures import figure_lang
    from triage.explain.waterfall import explanation_text, waterfall_figure

    n = len(frame)
    n_pictures = min(n_pictures, n)
    picture_lang = figure_lang(lang) if n_pictures else lang
    if picture_lang != lang:
        _err(NOTES["no_cjk_font"])
    thresholds = loaded.thresholds
    for start in range(0, n, CHUNK):
        chunk = frame.iloc[start : start + CHUNK].reset_index(drop=True)
        risk = loaded.risk(chunk)
        tiers = thresholds.assign(risk)
        explanation = explain_notices(loaded.pipeline, chunk, lang=lang)
        asks = ask_next(loaded.pipeline, thresholds, chunk, lang=lang)
        for i, notice_id in enumerate(chunk["notice_id"].tolist()):
            text = explanation_text(
                explanation,
                i,
                lang=lang,
                risk=float(risk[i]),
                tier=str(tiers[i]),
                model=loaded.uri,
                ask=asks[i],
            )
            name = _file_name(notice_id, start + i)
            (folder / f"{name}.txt").write_text(text, encoding="utf-8")
            if start + i < n_pictures:
                waterfall_figure(explanation, i, lang=picture_lang).savefig(folder / f"{name}.png")
                done.pictures += 1
            sys.stdout.write(text + ("\n" if start + i < n - 1 else ""))
            done.texts += 1
        sys.stdout.flush()
