"""Password checks: scrypt runs once for requests that bring the same password at the same moment, and a
remembered success skips it; wrong passwords are never remembered."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from dashsnap import security

RIGHT, WRONG = "the right one", "a wrong one"


@pytest.fixture
def counted(monkeypatch) -> list[str]:
    """The passwords scrypt was run on, while the test runs."""
    checked, real = [], security.check_password_hash

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(security, "check_password_hash", counting)
    return checked


def at_once(check, count: int = 8) -> list[bool]:
    barrier = threading.Barrier(count)

    def one(_):
        barrier.wait(timeout=30)
        return check()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_requests_bringing_one_password_at_once_share_one_check(counted):
    checker, stored = security.PasswordChecker("secret"), security.hash_password(RIGHT)
    assert at_once(lambda: checker.check(1, stored, RIGHT)) == [True] * 8
    assert counted.count(RIGHT) <= 2  # one, or two when a thread came after the first had finished
    assert checker.check(1, stored, RIGHT) and counted.count(RIGHT) <= 2  # remembered now


def test_wrong_passwords_at_once_all_fail_and_are_not_remembered(counted):
    checker, stored = security.PasswordChecker("secret"), security.hash_password(RIGHT)
    assert at_once(lambda: checker.check(1, stored, WRONG)) == [False] * 8
    before = counted.count(WRONG)
    assert checker.check(1, stored, WRONG) is False
    assert counted.count(WRONG) == before + 1


def test_a_check_that_fails_to_finish_leaves_the_others_to_check_themselves(monkeypatch):
    checker, stored = security.PasswordChecker("secret"), security.hash_password(RIGHT)
    real, calls = security.check_password_hash, []

    def first_one_breaks(password_hash: str, password: str) -> bool:
        calls.append(password)
        if len(calls) == 1:
            raise MemoryError("scrypt could not get its memory")
        return real(password_hash, password)

    monkeypatch.setattr(security, "check_password_hash", first_one_breaks)
    results = []

    def check():
        try:
            return checker.check(1, stored, RIGHT)
        except MemoryError:
            return "failed"

    results = at_once(check, 4)
    assert results.count("failed") == 1 and results.count(True) == 3
