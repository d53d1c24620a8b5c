"""Entry point for ``mlflow run pipelines -e intake_urgency``: the packaged pipeline ``triage.pipelines.intake_urgency``.

The same as ``triage run CONFIG``; ``--reports`` names the folder for the model card.
"""

from triage.cli.pipeline_entry import main

if __name__ == "__main__":
    main("intake_urgency")
