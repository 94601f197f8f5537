"""Audit report pipeline: read a programme data pack, evaluate a period, render reports."""

__version__ = "0.1.0"
