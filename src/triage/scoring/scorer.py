"""One scoring path: notices in, one score record per notice out (score.schema.json).

The CLI (`triage score`, `triage queue`), the Python API and the web page all
call ``Scorer.score``: the model suggests a tier, the national rules set a
floor the model cannot lower, and every record says that a person decides.

Start-up matters (``import mlflow`` alone costs about 1.5 s): the registry is
asked once which version an alias points at, and that version's files are
kept in a local cache (``model_cache``), checked against the digest recorded
at registration on every load, so later runs read the model from disk.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from triage.contract.errors import InvalidParameter, TriageError
from triage.contract.names import DEFAULT_MODEL, DEFAULT_ROUTING_MODEL
from triage.labels import DECISION_SUPPORT_NOTICE
from triage.tiers import TierThresholds, higher_tier

NO_CHAMPION = (
    "no model version has the alias @{alias} of '{name}' in {where}. "
    "Run an experiment (`triage run configs/intake_urgency.yaml`), read its results, then "
    'promote the version you trust: `triage promote VERSION --reason "..."`; '
    "or pass --model models:/{name}/VERSION."
)


class ModelUnavailable(TriageError, LookupError):
    """The model a score needs is not in the registry; the message says how to get one."""


@dataclass(frozen=True)
class LoadedModel:
    uri: str  # models:/name/version
    pipeline: Any  # notices → [P(no), P(yes)]
    tags: dict[str, str]  # the version's tags: cut points chosen when it was trained

    @property
    def thresholds(self) -> TierThresholds:
        """Urgency models: risk → tier cut points."""
        return TierThresholds(
            immediate=float(self.tags["tier.immediate"]),
            urgent=float(self.tags["tier.urgent"]),
            basis=self.tags.get("tier.basis", ""),
        )

    @property
    def cgc_cut(self) -> float:
        """DV routing models: P(cgc) at or above which a notice goes to the centre."""
        return float(self.tags["route.cgc_cut"])

    def risk(self, notices: pd.DataFrame | Mapping[str, Any]) -> np.ndarray:
        """Calibrated risk per notice: of a notice frame, or of one notice given as a dict.

        One notice takes the numpy path (measured-pitfalls.md, pitfall 3): its
        feature row is built without pandas (the same row as the pipeline's
        features step makes) and the pipeline's model step scores it, so the
        risk is the pipeline's, bit for bit.
        """
        if isinstance(notices, Mapping):
            from triage.explain import notice_row

            model = self._parts
            return model.risk(notice_row(model.features, notices))
        return self.pipeline.predict_proba(notices)[:, 1]

    @cached_property
    def _parts(self):
        """The pipeline's features step and calibrated model (see ``triage.explain.unwrap``)."""
        from triage.explain import unwrap

        return unwrap(self.pipeline)


def parse_models_uri(uri: str) -> tuple[str, str | None, str | None]:
    """``models:/name@alias`` or ``models:/name/version`` → (name, alias, version)."""
    if not uri.startswith("models:/"):
        raise InvalidParameter(
            f"model: expected models:/NAME@ALIAS or models:/NAME/VERSION, got {uri!r}",
            param="model",
        )
    rest = uri[len("models:/") :]
    if "@" in rest:
        name, alias = rest.split("@", 1)
        return name, alias, None
    name, _, version = rest.partition("/")
    if not version:
        raise InvalidParameter(
            f"model: {uri!r} names no version or alias (models:/{name}/3 or models:/{name}@champion)",
            param="model",
        )
    return name, None, version


@overload
def load_model(uri: str, *, required: Literal[True] = True) -> LoadedModel: ...
@overload
def load_model(uri: str, *, required: bool) -> LoadedModel | None: ...
def load_model(uri: str, *, required: bool = True) -> LoadedModel | None:
    """Resolve a registry URI to a version and load it (from the local cache when possible)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from triage.tracking import LOCAL_STORE, has_local_store, use_tracking
    from triage.tracking.version_readiness import missing_cut_points

    name, alias, version = parse_models_uri(uri)
    if not has_local_store():
        if not required:
            return None  # scoring never creates a store as a side effect
        raise ModelUnavailable(
            NO_CHAMPION.format(
                alias=alias or version, name=name, where=f"./{LOCAL_STORE} (no store here yet)"
            )
        )
    tracking = use_tracking()
    client = MlflowClient()
    try:
        mv = (
            client.get_model_version_by_alias(name, alias)
            if alias
            else client.get_model_version(name, str(version))  # set whenever alias is not
        )
    except MlflowException:
        if not required:
            return None
        if alias:
            raise ModelUnavailable(
                NO_CHAMPION.format(alias=alias, name=name, where=tracking)
            ) from None
        raise ModelUnavailable(f"model version {uri} does not exist in {tracking}") from None
    tags = dict(mv.tags or {})
    missing = missing_cut_points(tags)
    if missing is not None:
        raise ModelUnavailable(
            f"models:/{name}/{mv.version} carries {missing}; register models with `triage run`"
        )
    return LoadedModel(
        uri=f"models:/{name}/{mv.version}", pipeline=_registered_pipeline(name, mv), tags=tags
    )


def _registered_pipeline(name: str, mv) -> Any:
    """The version's pipeline, through the checked local cache (``model_cache``)."""
    from triage.scoring.model_cache import load_registered
    from triage.tracking.model_file import UntrustedModel
    from triage.tracking.version_readiness import MODEL_DIGEST_TAG

    def download(folder: Path) -> None:
        import mlflow.artifacts

        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # stderr: bad lines
        mlflow.artifacts.download_artifacts(artifact_uri=mv.source, dst_path=str(folder))

    digest = (mv.tags or {}).get(MODEL_DIGEST_TAG)
    try:
        return load_registered(name, str(mv.version), digest, download)
    except UntrustedModel as exc:
        raise ModelUnavailable(f"models:/{name}/{mv.version}: {exc}") from None


def parse_as_of(as_of: str | datetime | None) -> pd.Timestamp:
    """``as_of`` with an explicit offset (``Z`` or ``+09:00``); now when not given."""
    if as_of is None:
        return pd.Timestamp(datetime.now(UTC))
    ts = pd.Timestamp(as_of)
    if ts.tzinfo is None:
        raise InvalidParameter(
            f"as_of: expected a date-time with a time zone offset (e.g. 2024-04-01T09:00:00+09:00), got {as_of!r}",
            param="as_of",
        )
    return ts


@dataclass
class Scorer:
    """The urgency model, the optional DV routing model and the rule set, loaded once."""

    urgency: LoadedModel
    routing: LoadedModel | None = None
    rule_set: Any = None
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        model: str = DEFAULT_MODEL,
        *,
        routing_model: str | None = DEFAULT_ROUTING_MODEL,
        rules: str | Path | None = None,
    ) -> Scorer:
        from triage.rules import load_rule_set

        urgency = load_model(model)
        routing = load_model(routing_model, required=False) if routing_model else None
        return cls(urgency=urgency, routing=routing, rule_set=load_rule_set(rules))

    def model_tiers(
        self, notices: pd.DataFrame | Mapping[str, Any]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Risk and model tier per notice; DV-witness notices take the higher of both models'."""
        risk = self.urgency.risk(notices)
        tiers = self.urgency.thresholds.assign(risk)
        if self.routing is not None:
            if isinstance(notices, Mapping):
                dv = np.array([notices.get("notice_kind") == "dv_witness"])
                dv_notices: pd.DataFrame | Mapping[str, Any] = notices
            else:
                dv = (notices["notice_kind"].astype(object) == "dv_witness").to_numpy()
                dv_notices = notices.loc[dv]
            if dv.any():
                p_cgc = self.routing.risk(dv_notices)
                # contract: a route to the centre counts as urgent, to the municipality as standard
                route_tier = np.where(p_cgc >= self.routing.cgc_cut, "urgent", "standard")
                tiers[dv] = higher_tier(tiers[dv], route_tier)
        return risk, tiers

    def score(
        self,
        notices: pd.DataFrame | Mapping[str, Any],
        *,
        as_of=None,
        lang: str = "ja",
        explain: bool = True,
        top: int | None = None,
    ) -> list[dict[str, Any]]:
        """One score record per notice, in the notices' order.

        ``notices``: a notice frame, or one valid notice as a dict (as
        ``validate_notices(...).records`` gives it): the API's one-notice path,
        which never builds a DataFrame and gives exactly the record of the same
        notice scored in a frame (a test checks this on many notices).

        ``factors``: the urgency model's exact contributions (its log-odds before
        calibration) grouped to contract fields, largest first (all of them, or the
        ``top`` largest with the rest summed in ``other_factors``); ``base`` +
        Σ contributions + ``other_factors`` == ``margin``, the model's log-odds;
        ``ask_next``: the unknown facts whose answer could move the model tier.
        ``explain=False`` leaves both empty, for bulk scoring (TreeSHAP costs
        about 0.5 ms a notice).
        """
        from triage.rules import apply_rules

        if lang not in DECISION_SUPPORT_NOTICE:
            raise InvalidParameter(
                f"lang: expected one of {sorted(DECISION_SUPPORT_NOTICE)}, got {lang!r}",
                param="lang",
            )
        one = isinstance(notices, Mapping)
        if not one and len(notices) == 0:
            return []
        n = 1 if one else len(notices)
        when = parse_as_of(as_of)
        risk, tiers = self.model_tiers(notices)
        outcome = apply_rules(notices, tiers, as_of=when, rule_set=self.rule_set)
        notice = DECISION_SUPPORT_NOTICE[lang]
        factors: list[list[dict]] = [[] for _ in range(n)]
        margins: list[dict] = [{} for _ in range(n)]
        asks: list[list[dict]] = [[] for _ in range(n)]
        if explain:
            from triage.explain import ask_next
            from triage.explain import explain as explain_notices

            explanation = explain_notices(self.urgency.pipeline, notices, lang=lang, top=top)
            explained = explanation.data()
            # Fields that contribute exactly nothing are left out: the sum is unchanged.
            factors = [[f for f in d["factors"] if f["contribution"] != 0.0] for d in explained]
            margins = [
                {"base": d["base"], "margin": d["margin"], "other_factors": d["others"]}
                for d in explained
            ]
            asks = ask_next(self.urgency.pipeline, self.urgency.thresholds, notices, lang=lang)
        out = []
        for i, (nid, r, mt, rec) in enumerate(
            zip(
                [notices["notice_id"]] if one else notices["notice_id"].tolist(),
                risk.tolist(),
                tiers.tolist(),
                outcome.records(),
                strict=True,
            )
        ):
            out.append(
                {
                    "notice_id": nid,
                    "model": self.urgency.uri,
                    "risk": min(1.0, max(0.0, float(r))),
                    "model_tier": mt,
                    **rec,
                    "factors": factors[i],
                    **margins[i],
                    "ask_next": asks[i],
                    "decision_support_notice": notice,
                }
            )
        return out
