"""Many recordings on two cores: the next one is read while the last one is classified.

Classifying a recording is two halves of about equal length: reading it and finding its R peaks
(NumPy and SciPy, mostly on one core) and running its beats through the network (TensorFlow, on
every core, without the GIL). One recording at a time leaves a core idle half of the time; two
in flight keep both busy (``benchmarks/inference.py``: 48 records 1.2-1.4 times as fast, with the
same tables to the last bit).

Examples
--------
>>> from ecgbeat._overlap import each_overlapped
>>> [(item, result, error) for item, result, error in each_overlapped(lambda x: 10 // x, [5, 2])]
[(5, 2, None), (2, 5, None)]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

__all__ = ["IN_FLIGHT", "each_overlapped"]

#: Recordings in work at once: one read while another is classified.
IN_FLIGHT = 2

Item = TypeVar("Item")
Result = TypeVar("Result")


def each_overlapped(
    function: Callable[[Item], Result], items: Iterable[Item], *, in_flight: int = IN_FLIGHT
) -> Iterator[tuple[Item, Result | None, Exception | None]]:
    """``function(item)`` for each item, ``in_flight`` at a time, yielded in the items' order.

    Parameters
    ----------
    function : callable
        Called with one item, in a worker thread; it must be safe to call from several threads
        at once (``classify_record`` and ``classify_file`` are).
    items : iterable
        The items, taken one by one as work is started: never more than ``in_flight`` at once.
    in_flight : int, default=IN_FLIGHT
        Calls at once; 1 runs them in turn (in one worker thread).

    Yields
    ------
    item, result, error
        The item, and the result with ``None`` or ``None`` with the exception it raised: one
        item's failure does not stop the others.

    Raises
    ------
    ValueError
        If ``in_flight`` is below 1.

    Examples
    --------
    >>> [error for _, _, error in each_overlapped(lambda x: 1 / x, [1, 0])][1]
    ZeroDivisionError('division by zero')
    """
    if int(in_flight) != in_flight or in_flight < 1:
        raise ValueError(f"in_flight must be an integer >= 1, got {in_flight!r}")
    pending: deque[tuple[Item, Future]] = deque()
    source = iter(items)
    pool = ThreadPoolExecutor(max_workers=int(in_flight), thread_name_prefix="ecgbeat")
    try:
        for item in source:
            pending.append((item, pool.submit(function, item)))
            if len(pending) == in_flight:
                break
        while pending:
            item, future = pending.popleft()
            try:
                result = future.result()
            except Exception as exc:
                outcome = (item, None, exc)
            else:
                outcome = (item, result, None)
            following = next(source, _END)
            if following is not _END:
                pending.append((following, pool.submit(function, following)))
            yield outcome
    finally:
        # On an interruption (or a consumer that stops early), start nothing more.
        pool.shutdown(wait=True, cancel_futures=True)


_END = object()
