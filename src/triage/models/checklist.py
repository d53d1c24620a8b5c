"""Current practice as a baseline: an emergency-assessment checklist of yes/no questions.

Shaped like the national assessment sheet used before temporary protection
(一時保護決定に向けてのアセスメントシート / 緊急度アセスメントシート): a worker
answers yes/no questions; some lead straight to ``immediate``, some to
``urgent``, the rest only add weight. The questions are data
(``CHECKLIST``), read by one mechanism; nothing is learned about them.

Unknown answers count as "no": a paper checklist ticks only what is known.
With ``NoticeFeatures`` columns this holds by construction (``<field>=yes`` is
0 when unknown, an unknown count is 0), and a NaN compares false.

The score ranks notices by tier first (immediate > urgent > standard), then by
the number of questions answered yes. ``fit`` learns only the classes and the
empirical risk of each score level on the training data (isotonic, so risk never
falls as the level rises); ``predict_proba`` returns that risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression

from triage.contract import TIERS
from triage.models._base import BinaryClassifier

Condition = tuple[str | int, str, float]
"""``(column, op, value)``: column by name or index, op one of ``OPS``."""

_Compiled = tuple[int, str, float]
"""A ``Condition`` with its column resolved to an index of ``X``."""

OPS = {">=": np.greater_equal, "<=": np.less_equal, "==": np.equal}

_TIER_RANK = {t: len(TIERS) - 1 - i for i, t in enumerate(TIERS)}  # standard 0 … immediate 2


@dataclass(frozen=True)
class Question:
    """One yes/no question: fires when all of ``all_of`` and any of ``any_of`` hold.

    An empty ``any_of`` imposes nothing. ``tier`` is the tier a "yes" leads to;
    ``standard`` questions only add to the count. ``text`` is English, ``text_ja``
    the same question in Japanese.
    """

    id: str
    text: str
    tier: str
    any_of: tuple[Condition, ...] = ()
    all_of: tuple[Condition, ...] = ()
    text_ja: str = ""

    def text_in(self, lang: str) -> str:
        """The question as a worker reads it: Japanese for ``ja`` when it has one, else English."""
        return self.text_ja if lang == "ja" and self.text_ja else self.text

    def __post_init__(self) -> None:
        if self.tier not in TIERS:
            raise ValueError(f"question {self.id!r}: tier must be one of {TIERS}")
        if not (self.any_of or self.all_of):
            raise ValueError(f"question {self.id!r} has no condition")
        for _, op, _ in self.any_of + self.all_of:
            if op not in OPS:
                raise ValueError(f"question {self.id!r}: op must be one of {tuple(OPS)}")


def _yes(*columns: str) -> tuple[Condition, ...]:
    return tuple((c, ">=", 1.0) for c in columns)


CHECKLIST: tuple[Question, ...] = (
    # Sheet Q1: the child (or a party) asks for protection.
    Question(
        "protection_request",
        "Does the child ask for protection, or disclose sexual abuse?",
        "immediate",
        text_ja="子ども本人が保護を求めている、または性的虐待を打ち明けているか",
        any_of=_yes("child_requests_protection=yes", "sexual_abuse_disclosure=yes"),
    ),
    # Sheet Q3: serious harm has already happened.
    Question(
        "serious_injury",
        "Is there a serious injury, or an injury to the head or face?",
        "immediate",
        text_ja="重いけが、または頭部・顔面のけががあるか",
        any_of=_yes("injury=serious", "injury_head_face=yes"),
    ),
    # Sheet Q4: the next incident is likely to be serious.
    Question(
        "weapon",
        "Was a weapon used?",
        "immediate",
        text_ja="凶器が使われたか",
        any_of=_yes("weapon_used=yes"),
    ),
    Question(
        "infant_injured",
        "Is the child an infant (0-2 years) with any injury?",
        "immediate",
        text_ja="乳幼児（0〜2歳）でけががあるか",
        any_of=_yes("injury=minor", "injury=serious"),
        all_of=(("child_age_years", "<=", 2.0),),
    ),
    Question(
        "dv_lethal",
        "In a DV incident, was there strangulation or a weapon, or was the child hurt?",
        "immediate",
        text_ja="DV事案で首絞めや凶器があったか、または子どもがけがをしたか",
        any_of=_yes("dv_strangulation=yes", "dv_weapon=yes", "dv_child_injured=yes"),
    ),
    # Sheet Q5: abuse is likely to recur.
    Question(
        "prior_protection",
        "Was the child protected before, or is the child returning home after protection?",
        "urgent",
        text_ja="過去に一時保護されたことがある、または保護からの家庭復帰後か",
        any_of=_yes("prior_protection=yes", "returning_home_after_protection=yes"),
    ),
    Question(
        "repeat_notices",
        "Were there two or more earlier notices?",
        "urgent",
        text_ja="過去の通告が2回以上あるか",
        any_of=(("prior_notices", ">=", 2.0),),
    ),
    Question(
        "contact_refused",
        "Does the caregiver refuse contact or visits?",
        "urgent",
        text_ja="保護者が接触や訪問を拒否しているか",
        any_of=_yes("contact_refused=yes"),
    ),
    # Sheet Q6: the child shows the effects of abuse.
    Question(
        "child_fears_home",
        "Is the child afraid to go home?",
        "urgent",
        text_ja="子どもが家に帰ることを怖がっているか",
        any_of=_yes("child_fears_home=yes"),
    ),
    Question(
        "child_unseen",
        "Has no agency seen the child (missed health checks, not enrolled, no service)?",
        "urgent",
        text_ja="どの機関も子どもを確認していないか（健診未受診、未就園・未就学、サービス未利用）",
        any_of=_yes("missed_health_checks=yes", "not_enrolled=yes", "no_service_use=yes"),
    ),
    # Sheet Q7-Q8: caregiver and household risk factors (add weight only).
    Question(
        "caregiver_risk",
        "Does a caregiver use drugs or alcohol, or have a mental illness?",
        "standard",
        text_ja="保護者に薬物・アルコールの使用、または精神疾患があるか",
        any_of=_yes("caregiver_substance_use=yes", "caregiver_mental_illness=yes"),
    ),
    Question(
        "dv_in_home",
        "Is there domestic violence in the home?",
        "standard",
        text_ja="家庭内にDVがあるか",
        any_of=_yes("dv_in_home=yes", "dv_physical_assault=yes"),
    ),
    Question(
        "isolation",
        "Is the family isolated, or was the caregiver under 20 at the child's birth?",
        "standard",
        text_ja="家族が孤立している、または保護者が20歳未満で子どもを出産したか",
        any_of=_yes("socially_isolated=yes", "young_caregiver=yes"),
    ),
)
"""The default checklist, in the order of the national sheet's sections."""


class ChecklistBaseline(BinaryClassifier):
    """Tier and score from a fixed checklist; calibrated per score level on training data.

    Parameters
    ----------
    questions : tuple of Question or None, default None
        The checklist; ``None`` means ``CHECKLIST``. Conditions name columns
        (looked up in the feature names) or give their index.
    feature_names : sequence of str or None, default None
        Column names of X (see ``triage.models._base``).

    Attributes
    ----------
    questions_ : tuple of Question, the checklist in use (column k of ``answers``).
    level_risk_ : ndarray
        Empirical risk of each score level ``rank * (n_questions + 1) + n_yes``.
    """

    _parameter_constraints: dict = {
        "questions": [tuple, list, None],
        "feature_names": ["array-like", None],
    }

    def __init__(
        self,
        questions: tuple[Question, ...] | None = None,
        feature_names: Sequence[str] | None = None,
    ):
        self.questions = questions
        self.feature_names = feature_names

    def _fit(self, X: np.ndarray, y01: np.ndarray) -> None:
        self.questions_ = CHECKLIST if self.questions is None else tuple(self.questions)
        index = {str(n): i for i, n in enumerate(self.feature_names_)}
        compiled: list[tuple[str, tuple[_Compiled, ...], tuple[_Compiled, ...]]] = []
        for q in self.questions_:
            parts: list[tuple[_Compiled, ...]] = []
            for conds in (q.any_of, q.all_of):
                cols: list[_Compiled] = []
                for col, op, value in conds:
                    j = col if isinstance(col, int | np.integer) else index.get(str(col))
                    if j is None or not 0 <= j < X.shape[1]:
                        raise ValueError(f"question {q.id!r} reads column {col!r}, not in X")
                    cols.append((int(j), op, float(value)))
                parts.append(tuple(cols))
            compiled.append((q.tier, parts[0], parts[1]))
        self.compiled_questions_ = tuple(compiled)
        n_levels = len(TIERS) * (len(compiled) + 1)
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        iso.fit(self._levels(X).astype(np.float64), y01)
        self.level_risk_ = iso.predict(np.arange(n_levels, dtype=np.float64))

    def answers(self, X) -> np.ndarray:
        """Boolean matrix (n_rows, n_questions): which questions are answered yes."""
        return self._answers(self._check_X(X))

    def _answers(self, X: np.ndarray) -> np.ndarray:
        out = np.zeros((X.shape[0], len(self.compiled_questions_)), dtype=bool)
        for k, (_, any_of, all_of) in enumerate(self.compiled_questions_):
            fired = np.ones(X.shape[0], dtype=bool)
            if any_of:
                hit = np.zeros(X.shape[0], dtype=bool)
                for j, op, value in any_of:
                    hit |= OPS[op](X[:, j], value)
                fired &= hit
            for j, op, value in all_of:
                fired &= OPS[op](X[:, j], value)
            out[:, k] = fired
        return out

    def _levels(self, X: np.ndarray) -> np.ndarray:
        answers = self._answers(X)
        ranks = np.array([_TIER_RANK[t] for t, *_ in self.compiled_questions_], dtype=np.int64)
        rank = np.where(answers, ranks, 0).max(axis=1, initial=0)
        return rank * (answers.shape[1] + 1) + answers.sum(axis=1)

    def checklist_level(self, X) -> np.ndarray:
        """The ranking score: tier rank × (n_questions + 1) + number of yes answers."""
        return self._levels(self._check_X(X))

    def predict_tier(self, X) -> np.ndarray:
        """The tier the checklist leads to, as strings of ``TIERS``."""
        level = self.checklist_level(X)
        rank = level // (len(self.compiled_questions_) + 1)
        return np.asarray(TIERS, dtype=object)[len(TIERS) - 1 - rank]

    def _proba1(self, X: np.ndarray) -> np.ndarray:
        return self.level_risk_[self._levels(X)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True  # a fixed checklist does not learn from X
        return tags
