"""FHIR input as clinimem sees it: version detection, validation, sourced resources."""
