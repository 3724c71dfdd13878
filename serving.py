"""Serving in several processes (`[server] workers` above 1): a parent and its workers on one listening socket.

The parent builds the app first, so the first start of a data dir, the index check and the expired-snapshot
sweeper happen in one process, binds the socket once (a port in use is refused once, before any worker starts),
then starts the workers. Each is a fresh interpreter (multiprocessing's "spawn": none of the parent's threads,
locks or SQLite connections crosses into it) that builds its own app and serves the shared socket with waitress;
each new connection goes to whichever worker accepts it first. The parent serves nothing: it starts a new worker
when one ends, and stops them all on SIGTERM or SIGINT. Workers end with the parent, even one killed with SIGKILL.
"""
from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from flask import Flask
from waitress.adjustments import Adjustments
from waitress.server import create_server

from .app import create_app
from .blueprints.context import EXTENSION
from .storage import ServingLock, store_failures

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# waitress sends 18,000 bytes per send() and reads 8,192 per recv() by default, so a 20 KB answer took two turns
# of its loop (GET of a 20 KB snapshot: ~1,600 rps, ~2,300 with these); bodies and answers up to 4 MiB stay in
# memory rather than going through a temporary file.
WAITRESS_TUNING = {"send_bytes": 65536, "recv_bytes": 65536, "inbuf_overflow": 4 << 20, "outbuf_overflow": 4 << 20}
STOP_SECONDS = 10  # how long stopping workers may take before they are killed
# Where each worker's prometheus_client keeps its values, for /metrics to add up: the variable must be set as it
# is imported, so the parent sets it before it starts any worker.
METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"
log = logging.getLogger("dashsnap")


class _LogFormatter(logging.Formatter):
    """logging's Formatter, with the date and time of the current second worked out once a second rather than for
    every line."""

    _second: tuple[int, str] = (-1, "")  # (a second, its date and time)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt:
            return super().formatTime(record, datefmt)
        second, stamp = self._second
        if int(record.created) != second:
            second = int(record.created)
            stamp = time.strftime(self.default_time_format, self.converter(second))
            self._second = (second, stamp)
        return self.default_msec_format % (stamp, record.msecs)


class _BatchedLines(logging.StreamHandler):
    """The request log's handler: lines are written a batch at a time, at least every FLUSH_SECONDS, rather than
    one write per request. Each write gives up the interpreter lock, which a busy server then waits to get back:
    a line per request cost GET /api/health a quarter of its rate at 8 connections."""

    FLUSH_SECONDS = 0.1

    def __init__(self):
        super().__init__()
        self._lines: list[str] = []
        self._lines_lock = threading.Lock()
        threading.Thread(target=self._flush_often, name="dashsnap-log-flush", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # as StreamHandler.emit does: a broken record must not break the request
            self.handleError(record)
            return
        with self._lines_lock:
            self._lines.append(line)

    def flush(self) -> None:
        with self._lines_lock:
            lines, self._lines = self._lines, []
        if lines:
            with self.lock:
                self.stream.write("\n".join(lines) + "\n")
                self.stream.flush()

    def _flush_often(self) -> None:
        while True:
            time.sleep(self.FLUSH_SECONDS)
            self.flush()


def _flush_logs_then_end(signum: int, frame: object) -> None:
    """SIGTERM: write the lines still batched, then end by the signal as before."""
    logging.shutdown()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def configure_logging() -> None:
    """Log to stderr, a server's process (the parent, or a worker) as any other."""
    formatter = _LogFormatter(LOG_FORMAT)
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    requests = logging.getLogger("dashsnap.requests")
    batched = _BatchedLines()
    batched.setFormatter(formatter)
    requests.addHandler(batched)
    requests.propagate = False
    signal.signal(signal.SIGTERM, _flush_logs_then_end)  # Ctrl-C ends through KeyboardInterrupt, which flushes
    # A line per request: its record need not find the calling frame, thread or process, which the format does not
    # name (the logging HOWTO's "Optimization").
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False


def settle(app: Flask) -> None:
    """Settle a serving process in the background, while it already takes requests: the search catalog is loaded
    (half a second at 100,000 dashboards; a search that comes first waits for it, nothing else does), then what
    exists by then (modules, the app, its store and catalog) is moved out of the garbage collector's sight, and
    young objects are collected less often. Each full collection walked every object of the app, ~20 ms: often
    enough to be the 99th percentile of a 1 ms request."""

    def settling() -> None:
        try:
            app.extensions[EXTENSION].store.dashboards.load_catalog()
        except store_failures() as error:  # the first search loads it then
            log.warning("the search catalog is not loaded yet: %s", error)
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 50, 100)  # from 700, 10, 10: with freeze alone the p99 was still ~10 ms

    threading.Thread(target=settling, name="dashsnap-settle", daemon=True).start()


def worker_count(setting: int) -> int:
    """The processes `[server] workers` asks for: 0 is one per CPU this process may run on."""
    if setting == 0:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return setting


def listening_sockets(host: str, port: int) -> list[socket.socket]:
    """Sockets listening on host:port, bound as waitress binds its own (one for each address host resolves to)."""
    adjustments = Adjustments(host=host, port=port)
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, address in adjustments.listen:
            listener = socket.socket(family, kind, proto)
            sockets.append(listener)
            if family == socket.AF_INET6:
                listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(address)
            listener.listen(adjustments.backlog)
    except BaseException:
        for listener in sockets:
            listener.close()
        raise
    return sockets


def _serve_worker(settings: Mapping[str, Any], sockets: list[socket.socket], ready: Connection,
                  parent: Connection) -> None:
    """A worker, in its own interpreter: build the app, say so on ready, serve the sockets until stopped."""
    # Ctrl-C in a terminal reaches every process of the group: the parent stops the workers (SIGTERM).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with_parent, args=(parent,), name="dashsnap-parent-watch", daemon=True).start()
    configure_logging()
    app = create_app(dict(settings))
    app.extensions[EXTENSION].metrics.include_every_process_in(os.environ[METRICS_DIR])
    ServingLock(Path(settings["DASHSNAP_DATA_DIR"])).hold()
    server = create_server(app, sockets=sockets, threads=settings["DASHSNAP_THREADS"], ident="dashsnap",
                           **WAITRESS_TUNING)
    settle(app)
    ready.send(os.getpid())
    ready.close()
    server.run()


def _end_with_parent(parent: Connection) -> None:
    # Only the parent holds the other end of this pipe, and nothing is ever sent on it: it closes when the parent
    # ends, however it ends (a polled getppid() would lag, and PR_SET_PDEATHSIG is Linux's alone).
    try:
        parent.recv()
    except EOFError:
        pass
    os._exit(1)


@dataclass
class _Worker:
    number: int
    process: multiprocessing.process.BaseProcess
    ready: Connection | None  # until the worker says it serves
    serving: bool = False


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"signal {signal.Signals(-exitcode).name}"
    return f"exit code {exitcode}"


class _Parent:
    def __init__(self, settings: Mapping[str, Any], sockets: list[socket.socket]):
        self._context = multiprocessing.get_context("spawn")
        self._settings, self._sockets = dict(settings), sockets
        # The workers watch the reading end; only this process ever holds the writing end.
        self._watched_by_workers, self._alive = self._context.Pipe(duplex=False)
        self.workers: dict[int, _Worker] = {}

    def start(self, number: int) -> None:
        ready, told = self._context.Pipe(duplex=False)
        process = self._context.Process(target=_serve_worker, name=f"dashsnap-worker-{number}", daemon=True,
                                        args=(self._settings, self._sockets, told, self._watched_by_workers))
        process.start()
        told.close()  # the worker's end: once the worker has it, a worker that dies closes the pipe
        self.workers[number] = _Worker(number, process, ready)

    def waitables(self) -> list[Any]:
        return [*(worker.process.sentinel for worker in self.workers.values()),
                *(worker.ready for worker in self.workers.values() if worker.ready is not None)]

    def stop(self) -> None:
        """SIGTERM every worker, wait for them all, SIGKILL those that take too long."""
        for worker in self.workers.values():
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in self.workers.values():
            worker.process.join(STOP_SECONDS)
            if worker.process.is_alive():
                log.warning("worker %d (pid %d) did not stop; killing it", worker.number, worker.process.pid)
                worker.process.kill()
                worker.process.join()
        for connection in (self._watched_by_workers, self._alive,
                           *(worker.ready for worker in self.workers.values() if worker.ready is not None)):
            connection.close()


def run_workers(settings: Mapping[str, Any], sockets: list[socket.socket], count: int,
                announce: Callable[[], None]) -> bool:
    """Serve sockets with count workers until SIGTERM or SIGINT: True, once they are all stopped. announce() runs
    once every worker serves. A worker that ends later is replaced; one that ends before it serves (it will not
    do better next time) stops them all: False."""
    stop_signals: list[int] = []
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    handlers = {number: signal.signal(number, lambda signum, frame: stop_signals.append(signum))
                for number in (signal.SIGTERM, signal.SIGINT)}
    # A signal wakes the wait below through this pipe; the handler itself only takes note.
    wakeup = signal.set_wakeup_fd(wake_write)
    parent = _Parent(settings, sockets)
    os.environ[METRICS_DIR] = tempfile.mkdtemp(prefix="dashsnap-metrics-")
    try:
        for number in range(1, count + 1):
            parent.start(number)
        announced = False
        while not stop_signals:
            wait([wake_read, *parent.waitables()])
            _drain(wake_read)
            if stop_signals:
                break
            for worker in list(parent.workers.values()):
                if not _check(worker):
                    return False
                if worker.process.exitcode is not None:
                    log.warning("worker %d (pid %d) ended with %s; starting another", worker.number,
                                worker.process.pid, _how_it_ended(worker.process.exitcode))
                    worker.process.close()
                    parent.start(worker.number)
            if not announced and all(worker.serving for worker in parent.workers.values()):
                announce()
                announced = True
        log.info("stopping on %s", signal.Signals(stop_signals[0]).name)
        return True
    finally:
        parent.stop()
        shutil.rmtree(os.environ.pop(METRICS_DIR), ignore_errors=True)
        signal.set_wakeup_fd(wakeup)
        for number, handler in handlers.items():
            signal.signal(number, handler)
        for fd in (wake_read, wake_write):
            os.close(fd)


def _check(worker: _Worker) -> bool:
    """Take note of a worker that now serves; False for one that ended before it could."""
    if worker.ready is not None and worker.ready.poll():
        try:
            worker.ready.recv()
            worker.serving = True
        except EOFError:
            pass
        worker.ready.close()
        worker.ready = None
    if worker.process.exitcode is not None and not worker.serving:
        log.error("worker %d (pid %d) could not start (%s); stopping", worker.number, worker.process.pid,
                  _how_it_ended(worker.process.exitcode))
        return False
    return True


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 64):
            pass
    except BlockingIOError:
        pass

