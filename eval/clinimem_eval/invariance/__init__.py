"""Phrasing-invariance evaluation on the 23 real Synthea R4 bundles.

``build.py`` computes gold answers straight from the FHIR JSON and writes many clinician
phrasings per fact; ``run.py`` asks every phrasing and scores accuracy, abstention,
citations and whether the answer stays the same however the question is worded.
"""
