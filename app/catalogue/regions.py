"""Chinese administrative division codes: a region and everything below it."""

from __future__ import annotations

import re

_CODE = re.compile(r"^\d{6}$")


def is_region_code(code: str) -> bool:
    return bool(_CODE.match(code or ""))


def ancestors(code: str) -> list[str]:
    """'330122' -> ['330000', '330100', '330122']; the path stored on every scoped document.

    A supervisor of region R sees a document when R is in its region_path, which an ordinary
    multikey index answers exactly (no prefix regex).
    """
    if not is_region_code(code):
        raise ValueError(f"not a region code: {code!r}")
    path = [code[:2] + "0000"]
    if code[2:4] != "00":
        path.append(code[:4] + "00")
    if code[4:] != "00":
        path.append(code)
    return path
