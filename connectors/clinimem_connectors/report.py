"""The load report: what was seen, loaded and rejected, per resource type.

Every stage of a load (connector, validation, memory mapping) reports into one
:class:`LoadReport`, so that per type ``seen = loaded + rejected`` always holds
and every reject is kept with its reason.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from clinimem.fhir.resource import Reject, SourcedResource

FILE_ROW = "(file)"  # rejects that name no resource type: an unreadable file or line


class LoadReport:
    """Counts per resource type and the rejects, filled as a load goes.

    Example::

        >>> report = LoadReport()
        >>> report.add_loaded("Patient")
        >>> report.seen["Patient"], report.loaded["Patient"], report.total_rejected
        (1, 1, 0)
    """

    def __init__(self) -> None:
        self.loaded: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.rejects: list[Reject] = []
        # Remarks on loaded resources (codes normalised, implausible values): not counted as rejected.
        self.warnings: list[Reject] = []

    @property
    def seen(self) -> Counter[str]:
        """Per type: loaded + rejected (so the identity holds by construction)."""
        return self.loaded + self.rejected

    @property
    def total_seen(self) -> int:
        return self.total_loaded + self.total_rejected

    @property
    def total_loaded(self) -> int:
        return sum(self.loaded.values())

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())

    def by_code(self) -> Counter[str]:
        """Rejected resources per code (``unreadable``, ``fhir-invalid``, ``out-of-scope``, …); a whole
        file refused counts the resources it held."""
        codes: Counter[str] = Counter()
        for r in self.rejects:
            codes[r.code] += sum(n for _, n in r.counts) if r.counts else 1
        return codes

    def add_loaded(self, resource_type: str, count: int = 1) -> None:
        """Count ``count`` resources of ``resource_type`` as loaded (stored)."""
        self.loaded[resource_type] += count

    def add_reject(self, reject: Reject) -> None:
        """Count and keep a reject from any stage; no type means the file itself.

        A Reject of severity ``warning`` is kept as a warning, not counted. A reject that
        refuses a whole file or bundle counts every resource it held, under its type
        (:attr:`Reject.counts`).
        """
        if reject.severity == "warning":
            self.warnings.append(reject)
            return
        if reject.counts:
            for rtype, n in reject.counts:
                self.rejected[rtype] += n
        else:
            self.rejected[reject.resource_type or FILE_ROW] += 1
        self.rejects.append(reject)

    def add_warning(self, warning: Reject) -> None:
        """Keep a remark on a loaded resource (listed in the rejects file, not counted)."""
        self.warnings.append(warning)

    def unload(self, reject: Reject) -> None:
        """A resource counted as loaded turned out to be superseded (a duplicate): count it rejected."""
        rtype = reject.resource_type or FILE_ROW
        if self.loaded[rtype] > 0:
            self.loaded[rtype] -= 1
            if not self.loaded[rtype]:
                del self.loaded[rtype]
        self.add_reject(reject)

    def warnings_by_code(self) -> Counter[str]:
        return Counter(w.code for w in self.warnings)

    def add(self, item: SourcedResource | Reject) -> None:
        """Count a connector's output as final: loaded if a resource (its warnings kept), rejected if a Reject."""
        if isinstance(item, Reject):
            self.add_reject(item)
        else:
            self.add_loaded(item.resource_type)
            self.warnings.extend(item.warnings)

    def write_rejects(self, path: str | Path) -> Path:
        """Write the rejects, then the warnings, as JSONL (one :meth:`Reject.as_dict` a line)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            for reject in [*self.rejects, *self.warnings]:
                out.write(json.dumps(reject.as_dict(), ensure_ascii=False) + "\n")
        return path

    def render(self) -> str:
        """The totals as a text table: one row per type, then the total and rejects per code."""
        seen = self.seen
        types = sorted(seen, key=lambda t: (t != FILE_ROW, t))
        width = max([len("resource type"), len("total"), *(len(t) for t in types)])
        lines = [f"{'resource type':<{width}}  {'seen':>8}  {'loaded':>8}  {'rejected':>8}"]
        for rtype in types:
            lines.append(
                f"{rtype:<{width}}  {seen[rtype]:>8}  {self.loaded[rtype]:>8}  {self.rejected[rtype]:>8}"
            )
        lines.append(
            f"{'total':<{width}}  {self.total_seen:>8}  {self.total_loaded:>8}  {self.total_rejected:>8}"
        )
        codes = self.by_code()
        if codes:
            lines.append("rejected: " + ", ".join(f"{code} {n}" for code, n in sorted(codes.items())))
        warned = self.warnings_by_code()
        if warned:
            lines.append(
                "warnings (loaded): " + ", ".join(f"{code} {n}" for code, n in sorted(warned.items()))
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()
