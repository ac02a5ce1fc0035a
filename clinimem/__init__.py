"""clinimem: clinical history reasoning over FHIR records, with cited answers.

Heavy dependencies (torch, gradio, haystack) are imported only where used.
"""

import os

# No telemetry leaves a clinical machine: Haystack and Gradio phone home by default.
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.1.0"
