#!/usr/bin/env bash
# Copy the files people edit (synthetic/, configs/) to their packaged copies in
# src/triage/, which the wheel ships and an installed `triage` reads when the
# working folder has no file of that name. tests/test_package_data.py fails
# when a pair differs.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=(
  "synthetic/spec.yaml                  src/triage/synth/data/spec.yaml"
  "synthetic/published_aggregates.csv   src/triage/synth/data/published_aggregates.csv"
  "synthetic/sample/notices.jsonl       src/triage/synth/data/sample/notices.jsonl"
  "configs/intake_urgency.yaml          src/triage/experiment/configs/intake_urgency.yaml"
  "configs/dv_witness_sorting.yaml      src/triage/experiment/configs/dv_witness_sorting.yaml"
  "configs/ci.yaml                      src/triage/experiment/configs/ci.yaml"
  "configs/ci_dv.yaml                   src/triage/experiment/configs/ci_dv.yaml"
  "configs/from_release.yaml            src/triage/experiment/configs/from_release.yaml"
  "configs/rules.yaml                   src/triage/experiment/configs/rules.yaml"
  "configs/release.yaml                 src/triage/aggregates/configs/release.yaml"
  "configs/aggregates_utility.yaml      src/triage/aggregates/configs/aggregates_utility.yaml"
  "configs/sweeps/learning_curve.yaml         src/triage/experiment/configs/sweeps/learning_curve.yaml"
  "configs/sweeps/label_bias.yaml             src/triage/experiment/configs/sweeps/label_bias.yaml"
  "configs/sweeps/missingness.yaml            src/triage/experiment/configs/sweeps/missingness.yaml"
  "configs/sweeps/dv_capacity.yaml            src/triage/experiment/configs/sweeps/dv_capacity.yaml"
  "configs/sweeps/small/learning_curve.yaml   src/triage/experiment/configs/sweeps/small/learning_curve.yaml"
  "configs/sweeps/small/label_bias.yaml       src/triage/experiment/configs/sweeps/small/label_bias.yaml"
  "configs/sweeps/small/missingness.yaml      src/triage/experiment/configs/sweeps/small/missingness.yaml"
  "configs/sweeps/small/dv_capacity.yaml      src/triage/experiment/configs/sweeps/small/dv_capacity.yaml"
)
for pair in "${pairs[@]}"; do
  read -r from to <<<"$pair"
  mkdir -p "$(dirname "$to")"
  if ! cmp -s "$from" "$to"; then
    cp "$from" "$to"
    echo "$from -> $to"
  fi
done
