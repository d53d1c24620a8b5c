"""What to ask next: the unknown facts whose answer could move the suggested tier.

For every notice and every nullable boolean risk factor that is unknown
there, the full model (candidate → calibrator → ``TierThresholds``) is
evaluated with the answer "yes" and with "no". A field is listed when an
answer moves the model tier; ``could_change_tier_to`` is the tier it leads
to (the more urgent one if both answers move it). Fields come most
consequential first: the largest change in calibrated risk among the answers
that move the tier.

Answers are set on the feature row (``<field>=yes`` to 1 or 0 and
``<field>=unknown`` to 0), which is what ``NoticeFeatures`` makes of the
edited notice; a test checks this against the pipeline on edited notices.
DV-only fields on a general notice are not applicable (no unknown column
set), so they are never asked. All variants go through the model in one call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from triage.contract import TIERS
from triage.explain._rows import feature_matrix
from triage.explain.pipeline import unwrap
from triage.features import column_plan
from triage.labels import LANGS, ask_sentence, field_label
from triage.tiers import TierThresholds

ERRORS = {"lang": "lang: expected one of {langs}, got {lang!r}."}


def _boolean_columns(include_sensitive: bool) -> list[tuple[str, int, int]]:
    """(field, yes column, unknown column) of every nullable boolean field."""
    out, j = [], 0
    for b in column_plan(include_sensitive):
        if b.kind == "bool" and b.unknown_at is not None:
            out.append((b.field, j, j + b.unknown_at))
        j += len(b.names)
    return out


def ask_next(
    pipeline: Any, thresholds: TierThresholds, notices: Any, *, lang: str = "ja"
) -> list[list[dict[str, Any]]]:
    """Per notice, the unknown facts worth asking, most consequential first.

    Each item: ``feature``, ``label_en``, ``label_ja``, ``could_change_tier_to``,
    ``if_answer`` (the answer, True/False, that leads there), ``risk_change``
    (calibrated risk after that answer minus now) and ``sentence`` (in ``lang``).
    An empty list when nothing unknown could move the tier.
    """
    if lang not in LANGS:
        raise ValueError(ERRORS["lang"].format(langs=list(LANGS), lang=lang))
    u = unwrap(pipeline)
    X = feature_matrix(u.features, notices)
    n = len(X)
    columns = _boolean_columns(bool(u.features.include_sensitive))
    row_parts, field_parts, answer_parts, variants = [], [], [], []  # per (field, answer)
    for k, (_, yes, unk) in enumerate(columns):
        idx = np.flatnonzero(X[:, unk] == 1)
        if not len(idx):
            continue
        for answer in (True, False):
            V = X[idx].copy()
            V[:, unk] = 0
            V[:, yes] = 1 if answer else 0
            variants.append(V)
            row_parts.append(idx)
            field_parts.append(np.full(len(idx), k))
            answer_parts.append(np.full(len(idx), answer))
    out: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    if not variants:
        return out
    risk = u.risk(np.concatenate([X, *variants]))
    now, after = risk[:n], risk[n:]
    rows, fields = np.concatenate(row_parts), np.concatenate(field_parts)
    answers = np.concatenate(answer_parts)
    tier_now = thresholds.codes(now)[rows]
    tier_after = thresholds.codes(after)
    moves = np.flatnonzero(tier_after != tier_now)
    best: dict[tuple[int, int], tuple] = {}  # (notice, field) → (tier code, answer, Δrisk, |Δ|)
    for m in moves.tolist():
        i, k = int(rows[m]), int(fields[m])
        change = float(after[m] - now[i])
        cand = (int(tier_after[m]), bool(answers[m]), change, abs(change))
        old = best.get((i, k))
        if old is None:
            best[(i, k)] = cand
        else:  # both answers move it: the more urgent tier, the larger change
            urgent = cand if cand[0] < old[0] else old
            best[(i, k)] = (*urgent[:3], max(old[3], cand[3]))
    for (i, k), (code, answer, change, size) in best.items():
        f = columns[k][0]
        tier = TIERS[code]
        out[i].append(
            {
                "feature": f,
                "label_en": field_label(f, "en"),
                "label_ja": field_label(f, "ja"),
                "could_change_tier_to": tier,
                "if_answer": answer,
                "risk_change": change,
                "sentence": ask_sentence(f, answer, tier, lang),
                "_size": size,
            }
        )
    for items in out:
        items.sort(key=lambda d: (-d["_size"], d["feature"]))
        for d in items:
            del d["_size"]
    return out
