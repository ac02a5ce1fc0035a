"""Everyday clinical questions on real Synthea records: facts with gold read from the FHIR JSON only."""
