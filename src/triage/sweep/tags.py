"""The MLflow tags a sweep writes: the one place their names are spelled.

The parent run holds the sweep; each cell is a child run (``mlflow.parentRunId``)
tagged with what makes it that cell. The summary reads only these, so a sweep
resumed or run on other machines is summarised the same way.
"""

PARENT = "mlflow.parentRunId"
"""MLflow's own tag: the UI nests a cell under its sweep."""
SWEEP = "sweep.name"
"""Parent and children: the sweep's name (from the sweep file)."""
SWEEP_DIGEST = "sweep.digest"
"""Parent: sha256 of the validated sweep file (base config, grid, seeds)."""
KEYS = "sweep.keys"
"""Parent: JSON list of the swept config key paths, in the sweep file's order."""
CELL = "sweep.cell"
"""Child: the cell's id, stable across resumes (e.g. ``c003-s2``)."""
OVERRIDES = "sweep.overrides"
"""Child: JSON object, config key path → value, for this cell (seed excluded)."""
SEED = "sweep.seed"
"""Child: the cell's seed (the config's ``seed``)."""
CONFIG_DIGEST = "sweep.config_digest"
"""Child: sha256 of the cell's complete, validated config: what ``--resume`` compares."""
ERROR = "sweep.error"
"""Child of a failed cell: the one-line error (the full text is the artefact ``error.txt``)."""
AUDIT_EXPERIMENT = "sweep.audit_experiment"
"""Parent of an audited sweep (``audit:``): the experiment its cells' audit runs are in."""
AUDIT_RUN = "sweep.audit_run"
"""Child of an audited sweep: the id of the audit run made of it."""
THREADS = "sweep.threads"
"""Child: the thread budget its pipeline ran with on its worker (``TRIAGE_THREADS``)."""
