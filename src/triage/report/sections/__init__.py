"""The model card's sections, one module per concern, each built from a ``CardInputs`` part.

A section is a dict (``card.schema.json``): id, title, availability, notes, facts,
tables, figures, lists and data. A section the run has no data for says so in
its notes and is marked ``available: false``. Builders read only what the run
logged: nothing is recomputed and nothing row-level is read.
"""
