"""Pages of a listing kept in memory per process, each under the stamp of what it was read
from: a reader reads the stamp (one small document), and answers from the page it kept under
the same stamp and arguments instead of reading the listing again. Every write the listing
shows renews its stamp, so a kept page is never older than the last write; a write that
renews no stamp (an operator's shell) is shown after at most the page's max age.

Used by the catalogue list (app.catalogue.list_cache), the staff inbox
(app.applications.repository.inbox_page) and the oversight feed (app.oversight.repository.feed).
Items are kept as read and rendered per request (the language, the masking, the overdue flag),
so a kept page holds no request's view."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from app.db import get_db
from app.pagination import Page

_ALL: list[PageCache] = []


class PageCache:
    def __init__(self, max_pages: int = 512) -> None:
        self.max_pages = max_pages
        self._pages: dict[Hashable, tuple[float, Page]] = {}
        self._lock = threading.Lock()
        _ALL.append(self)

    def cached(self, key: Hashable, max_age: float, read: Callable[[], Page]) -> Page:
        """The page READ gives, from memory when kept under KEY (which holds the stamps and
        the listing's arguments) less than MAX_AGE seconds ago."""
        key = (get_db().name, key)
        now = time.monotonic()
        with self._lock:
            hit = self._pages.get(key)
        if hit is not None and hit[0] > now:
            return Page(hit[1].items, hit[1].next_cursor)
        page = read()
        with self._lock:
            if len(self._pages) >= self.max_pages:
                self._pages.clear()
            self._pages[key] = (now + max_age, page)
        return Page(page.items, page.next_cursor)

    def forget(self) -> None:
        with self._lock:
            self._pages.clear()


def forget_all() -> None:
    """Drop every page kept (tests put a database back to an earlier stamp)."""
    for cache in _ALL:
        cache.forget()
