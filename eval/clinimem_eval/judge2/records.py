"""Index the Synthea R4 bundles by resource id and by patient."""

import glob
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "data", "synthea-r4"))


def load():
    res, pats = {}, {}
    for path in sorted(glob.glob(os.path.join(DATA, "*.json"))):
        with open(path) as fh:
            bundle = json.load(fh)
        pid = None
        for e in bundle.get("entry", []):
            r = e["resource"]
            res[f"{r['resourceType']}/{r['id']}"] = r
            if r["resourceType"] == "Patient":
                pid = r["id"]
                pats[pid] = {"patient": r, "resources": []}
        for e in bundle.get("entry", []):
            pats[pid]["resources"].append(e["resource"])
    return res, pats
