"""Current practice for DV-witness notices (面前DV): the 2022 national guidance as a checklist.

In 2022 the national guidance on sorting police DV-witness notices between the
child guidance centre (CGC) and the municipality named the factors to weigh:
family composition, the number of earlier notices, the degree of violence, the
child's state, and caregiver alcohol dependence. ``DV_CHECKLIST`` turns each
factor into yes/no questions on notice fields; the mapping from factor to
fields is this project's reading, not the guidance's wording. The questions
are data, read by the same mechanism as the intake checklist
(``ChecklistBaseline``): a question whose ``tier`` is ``immediate`` or
``urgent`` sends the notice to the CGC on the checklist's own rule; a
``standard`` question only adds weight to the ranking.

Family composition is read through the children in the household (an infant,
or a pregnant victim: a baby on the way), because ``household_type`` is a
sensitive field and not a model feature by default.

Unknown answers count as "no", as on a paper checklist: ``<field>=yes`` is 0
when unknown, and an unknown count is 0.
"""

from __future__ import annotations

from collections.abc import Sequence

from triage.models.checklist import ChecklistBaseline, Question


def _yes(*columns: str) -> tuple[tuple[str, str, float], ...]:
    return tuple((c, ">=", 1.0) for c in columns)


DV_CHECKLIST: tuple[Question, ...] = (
    # Degree of violence.
    Question(
        "dv_lethal_violence",
        "Degree of violence: was there strangulation or a weapon?",
        "immediate",
        text_ja="暴力の程度：首絞めや凶器があったか",
        any_of=_yes("dv_strangulation=yes", "dv_weapon=yes"),
    ),
    Question(
        "dv_physical_violence",
        "Degree of violence: was the partner physically assaulted, or was anyone arrested?",
        "standard",
        text_ja="暴力の程度：パートナーへの身体的暴力があった、または逮捕者が出たか",
        any_of=_yes("dv_physical_assault=yes", "dv_arrest=yes"),
    ),
    # The child's state.
    Question(
        "child_harmed",
        "Child's state: was the child injured, or does the child ask for protection?",
        "immediate",
        text_ja="子どもの状態：子どもがけがをした、または保護を求めているか",
        any_of=_yes(
            "dv_child_injured=yes",
            "injury=minor",
            "injury=serious",
            "child_requests_protection=yes",
        ),
    ),
    Question(
        "child_distressed",
        "Child's state: is the child afraid to go home, or did the child step in?",
        "urgent",
        text_ja="子どもの状態：家に帰ることを怖がっている、または止めに入ったか",
        any_of=_yes("child_fears_home=yes", "dv_child_intervened=yes"),
    ),
    # Number of earlier notices.
    Question(
        "earlier_notices",
        "Earlier notices: was the child notified before?",
        "urgent",
        text_ja="過去の通告：子どもは以前に通告されたことがあるか",
        any_of=(("prior_notices", ">=", 1.0),),
    ),
    Question(
        "repeated_dv",
        "Earlier notices: were the police called to DV in this home twice or more before?",
        "standard",
        text_ja="過去の通告：この家庭のDVで警察が2回以上呼ばれたことがあるか",
        any_of=(("dv_repeat_count", ">=", 2.0),),
    ),
    # Family composition.
    Question(
        "infant_in_family",
        "Family composition: is the child an infant (0-2 years), or is the victim pregnant?",
        "standard",
        text_ja="家族構成：子どもが乳幼児（0〜2歳）、または被害者が妊娠中か",
        any_of=(("child_age_years", "<=", 2.0), ("dv_victim_pregnant=yes", ">=", 1.0)),
    ),
    # Caregiver alcohol dependence.
    Question(
        "alcohol",
        "Alcohol: was the perpetrator drinking, or does a caregiver depend on alcohol or drugs?",
        "standard",
        text_ja="飲酒：加害者が飲酒していた、または保護者がアルコールや薬物に依存しているか",
        any_of=_yes("dv_alcohol=yes", "caregiver_substance_use=yes"),
    ),
)
"""The DV-witness checklist, grouped by the five factors of the 2022 guidance."""

CGC_TIERS = ("immediate", "urgent")
"""Checklist tiers that route a notice to the CGC on the checklist's own rule."""


class DVChecklistBaseline(ChecklistBaseline):
    """``ChecklistBaseline`` whose default questions are ``DV_CHECKLIST``.

    Parameters
    ----------
    questions : tuple of Question, default ``DV_CHECKLIST``
    feature_names : sequence of str or None, default None
    """

    def __init__(
        self,
        questions: tuple[Question, ...] = DV_CHECKLIST,
        feature_names: Sequence[str] | None = None,
    ):
        super().__init__(questions=questions, feature_names=feature_names)

    def predict_route(self, X):
        """The checklist's own route: ``cgc`` when a CGC question fires, else ``municipality``."""
        import numpy as np

        tiers = self.predict_tier(X)
        return np.where(np.isin(tiers, CGC_TIERS), "cgc", "municipality").astype(object)
