"""Read the next batches of an export in a thread while the current one is parsed and written.

An export of many submissions otherwise waits idle on PostgreSQL's ``COPY`` while it is not
reading, then idle in the parse while the server is not sending: with a reader thread the
two overlap (pyarrow's JSON reader and its writers release the GIL, and the thread mostly
waits on the socket), which hides most of the server's time.

:func:`read_ahead` owns the thread: it starts when the first item is asked for and is always
joined when the consumer finishes, fails or stops early (closing the generator). The source
iterator is closed in the thread that read it, so a ``COPY`` stopped early is cancelled
there (psycopg cancels a ``COPY TO`` left by an exception) and the connection is free again
once :func:`read_ahead` returns. An error in the source reaches the consumer once, as raised.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from queue import Empty, Full, Queue
from typing import Any, TypeVar

from questionnaires.errors import GesurveyError

__all__ = ["read_ahead"]

T = TypeVar("T")

_POLL = 0.05  # seconds between checks that the consumer still wants items


class _Stop(GesurveyError):
    """Thrown into the source when the consumer stops early, so it ends as on an error (never
    reaches a user: :func:`read_ahead` catches it in its thread)."""

    code = "export_read_stopped"

    def __init__(self) -> None:
        super().__init__(
            "the export stopped reading before the end",
            "Việc xuất dữ liệu đã dừng đọc trước khi hết",
        )


def read_ahead(source: Iterator[T], depth: int = 2) -> Generator[T, None, None]:
    """Yield source's items in order, up to depth of them read ahead by a thread.

    The source must not share anything but its own connection with the consumer while it
    runs (the consumer must not use that connection until this generator is done).
    """
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(entry, timeout=_POLL)
            except Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for item in source:
                if not put((True, item)):
                    throw = getattr(source, "throw", None)
                    if throw is not None:
                        try:
                            throw(_Stop())
                        except (_Stop, StopIteration):
                            pass
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, raised there
            put((False, error))
            return
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        put((False, None))

    thread = threading.Thread(target=produce, name="gesurvey-export-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            try:
                ok, value = queue.get(timeout=_POLL)
            except Empty:
                if not thread.is_alive() and queue.empty():
                    # Never happens (the thread always says how it ended); never cut short.
                    raise RuntimeError("the export's reader thread ended without a word") from None
                continue
            if ok:
                yield value
            elif value is None:
                return
            else:
                raise value
    finally:
        stop.set()
        thread.join()
