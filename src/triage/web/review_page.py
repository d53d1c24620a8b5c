"""The reviewers' page, ``/review``: the report of ``triage decisions analyse`` for the serving
store, in the session's language, behind login.

Made on each visit from the store as it stands (aggregates only, like the
files), with the audit config of the working folder (``configs/audit.yaml``,
else the built-in defaults).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup

from triage.decisions.review import (
    NoDecisions,
    ReviewError,
    analyse_store,
    body_html,
    load_review_config,
    review_document,
)
from triage.decisions.review.words import ReviewWords
from triage.web.render import render, words
from triage.web.security import page_user

router = APIRouter(include_in_schema=False)
User = Annotated[str, Depends(page_user)]


@router.get("/review")
def review(request: Request, user: User):
    lang = words(request).lang
    rw = ReviewWords(lang)
    context: dict = {"rw": rw, "report": None, "problem": None}
    conn = request.app.state.web.connect()
    try:
        results = analyse_store(conn, load_review_config())
    except NoDecisions:
        context["problem"] = rw("page_empty")
    except ReviewError as exc:
        context["problem"] = rw("page_error", detail=str(exc))
    else:
        document = review_document(results, lang)
        # body_html escapes every value it draws (the model card's renderer).
        context["report"] = {"header": document["header"], "body": Markup(body_html(document))}
    finally:
        conn.close()
    return render(request, "review.html", context)
