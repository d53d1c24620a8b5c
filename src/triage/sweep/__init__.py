"""Experiment sweeps: a grid of config settings × seeds, each cell one ordinary pipeline
run (an MLflow child run under the sweep's parent run), run on Dask, then summarised.

Layer: above the pipelines (a cell is a pipeline run) and below the command line.
May import every layer below.
"""
