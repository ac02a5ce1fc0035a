"""The test data that ships with the repository (``tests/data``), unpacked for the tests.

``tests/data`` holds the 23 Synthea R4 bundles, the STU3 and DSTU2 bundles and the
bAbI tasks 1 and 2, each file xz-compressed (about 0.7 MB in all instead of 27 MB);
see ``tests/data/README.md`` for where they come from and their licences. The tests
read them from a plain folder tree that :func:`unpack` writes once per test session,
with the same names minus ``.xz``. Nothing outside the repository is read.
"""

from __future__ import annotations

import lzma
import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SYNTHEA = "synthea-r4"
OTHER_VERSIONS = "other-versions"
BABI = "babi/en"
SYNTHEA_COUNT = 23


def unpack(dest: Path, source: Path = DATA) -> Path:
    """Write ``source`` (``tests/data``) into ``dest`` with every ``*.xz`` file decompressed; return ``dest``."""
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".xz":
            with lzma.open(path) as src, open(target.with_suffix(""), "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        else:
            shutil.copyfile(path, target)
    return dest
