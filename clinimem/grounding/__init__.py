"""Grounding: which of the patient's own concepts a question is about, from explicit signals.

Names come from the record (display, code) and from tables with their source
named (``data/*.tsv``: synonyms, drug and condition classes); the controller
receives the match signals as per-slot features and learns how to weigh them,
so a name never seen in training is found the same way as a familiar one.
"""
