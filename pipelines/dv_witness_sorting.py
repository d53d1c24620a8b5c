"""Entry point for ``mlflow run pipelines -e dv_witness_sorting``: the packaged pipeline ``triage.pipelines.dv_witness_sorting``.

The same as ``triage run CONFIG``; ``--reports`` names the folder for the model card.
"""

from triage.cli.pipeline_entry import main

if __name__ == "__main__":
    main("dv_witness_sorting")
