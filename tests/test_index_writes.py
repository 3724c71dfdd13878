"""The index's write transactions: writers arriving together share one (group commit), each write in a savepoint
of its own, so one that fails is undone alone and its error goes to its own writer."""
from __future__ import annotations

import threading
import time

import pytest
from dashsnap.storage.index import Index


@pytest.fixture
def index(tmp_path, monkeypatch) -> tuple[Index, list[str]]:
    """An index whose connections note every COMMIT they run."""
    commits: list[str] = []
    real_connect = Index._connect

    def noting(self):
        connection = real_connect(self)
        connection.set_trace_callback(lambda statement: commits.append(statement) if statement == "COMMIT" else None)
        return connection

    monkeypatch.setattr(Index, "_connect", noting)
    index = Index(tmp_path / "index.sqlite3")
    index.connection.execute("CREATE TABLE t (writer INTEGER)")
    commits.clear()
    return index, commits


def run_at_once(writers: int, write) -> list:
    barrier, outcomes = threading.Barrier(writers), [None] * writers

    def one(number: int) -> None:
        barrier.wait(timeout=30)
        try:
            outcomes[number] = write(number)
        except Exception as error:  # noqa: BLE001 - the outcome under test
            outcomes[number] = error

    threads = [threading.Thread(target=one, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def insert(number: int):
    def work(connection):
        connection.execute("INSERT INTO t VALUES (?)", (number,))
        time.sleep(0.01)  # long enough for the other writers to queue behind this transaction
        return number
    return work


def test_writers_arriving_together_share_transactions(index):
    index, commits = index
    outcomes = run_at_once(16, lambda number: index.write(insert(number)))
    assert outcomes == list(range(16))
    assert sorted(row[0] for row in index.connection.execute("SELECT writer FROM t")) == list(range(16))
    assert 1 <= len(commits) <= 4


def test_a_failing_write_is_undone_alone_and_raised_to_its_writer(index):
    index, _ = index

    def write(number: int):
        if number != 5:
            return index.write(insert(number))

        def fails(connection):
            connection.execute("INSERT INTO t VALUES (?)", (number,))
            raise ValueError("this write is refused")
        return index.write(fails)

    outcomes = run_at_once(8, write)
    assert isinstance(outcomes[5], ValueError)
    assert [outcome for number, outcome in enumerate(outcomes) if number != 5] == [0, 1, 2, 3, 4, 6, 7]
    assert sorted(row[0] for row in index.connection.execute("SELECT writer FROM t")) == [0, 1, 2, 3, 4, 6, 7]


def test_writes_go_on_after_a_write_that_failed_alone(index):
    index, _ = index
    with pytest.raises(ZeroDivisionError):
        index.write(lambda connection: 1 / 0)
    assert index.write(insert(1)) == 1
    assert [row[0] for row in index.connection.execute("SELECT writer FROM t")] == [1]
