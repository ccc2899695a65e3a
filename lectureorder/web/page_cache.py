"""Reusing rendered calendar pages until the data they show changes (per worker, bounded).

The key holds the change stamp (models/stamp.py), so any commit that touches sessions, orders,
members, places or holidays makes every worker render afresh; readers pay one small query.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

from ..models import current_stamp

T = TypeVar("T")

_lock = threading.Lock()


def _store() -> OrderedDict:
    return current_app.extensions.setdefault("lectureorder_page_cache", OrderedDict())


def cached(key: Hashable, render: Callable[[], T]) -> T:
    size = int(current_app.config.get("PAGE_CACHE_SIZE", 0))
    stamp = current_stamp() if size > 0 else None
    if stamp is None:
        return render()
    full_key = (stamp, key)
    store = _store()
    with _lock:
        if full_key in store:
            store.move_to_end(full_key)
            return store[full_key]
    value = render()
    with _lock:
        store[full_key] = value
        while len(store) > size:
            store.popitem(last=False)
    return value
