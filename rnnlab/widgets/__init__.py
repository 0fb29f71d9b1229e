"""Widgets: thin ipywidgets wiring over plain functions (which the tests call directly), one module per topic.

Each widget module keeps its logic in plain functions that return data, draws with rnnlab.viz, and shows a
message (never a traceback) when a slider is pushed to an extreme.
"""
