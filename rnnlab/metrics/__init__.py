"""Metrics: plain functions of predictions and targets, one module per family."""
