"""Object locks (SEDO) on SQLite and PostgreSQL: two consoles (two engines, two console ids) on one site."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from console.core.errors import AccessDeniedError, ConflictError
from console.core.object_locks import ConsoleId, ObjectLockedError
from console.core.security import OSD_MANAGER, Identity


@pytest.fixture
def two_consoles(site_db: str, x64_facts) -> Iterator[tuple]:
    from console.app import ensure_default_site, open_console

    alice = open_console(site_db, user="alice@ws1")
    ensure_default_site(alice)
    alice.packages.create(name="Boot image (x64)", image_path="/images/boot.wim", image_index=1, image=x64_facts)
    bob = open_console(site_db, user="bob@ws2")
    alice.context.console = ConsoleId("ws1", 1111)
    bob.context.console = ConsoleId("ws2", 2222)
    yield alice, bob
    bob.close()
    alice.close()


def test_a_lock_refuses_another_consoles_change_and_names_holder_and_time(two_consoles):
    alice, bob = two_consoles
    taken = alice.locks.acquire("PS100001")
    assert taken.held and taken.lock.login == "alice@ws1"
    seen = bob.locks.acquire("PS100001")
    assert not seen.held and seen.lock.lock_id == taken.lock.lock_id
    with pytest.raises(ObjectLockedError, match=r"PS100001 is locked by alice@ws1 since \d\d:\d\d "
                                                r"\(Properties open in their console\); try again when they close it"):
        bob.packages.put("PS100001", {"Description": "Bob's change"})
    with pytest.raises(ObjectLockedError):
        bob.packages.delete("PS100001")
    assert alice.packages.get("PS100001")["Description"] == ""
    # the holder changes it; taking it again from the same console keeps the same lock
    alice.packages.put("PS100001", {"Description": "Alice's change"})
    again = alice.locks.acquire("PS100001")
    assert again.held and again.lock.lock_id == taken.lock.lock_id and again.lock.acquired_at == taken.lock.acquired_at
    # released: bob may change it, and SedoObjectVersion still guards a stale read
    stale = alice.packages.get("PS100001")["SedoObjectVersion"]
    assert alice.locks.release_own(taken.lock)
    assert bob.locks.get("PS100001") is None
    bob.packages.put("PS100001", {"Description": "Bob's change"})
    with pytest.raises(ConflictError):
        alice.packages.put("PS100001", {"Description": "late"}, expected_version=stale)


def test_an_expired_lock_is_taken_over_and_its_old_holder_learns_it(two_consoles):
    alice, bob = two_consoles
    first = alice.locks.acquire("PS100001").lock
    now = bob.context.clock()
    bob.context.clock = lambda: now + timedelta(minutes=31)
    assert bob.locks.get("PS100001") is None  # expired: shown as unlocked
    bob.packages.put("PS100001", {"Description": "after 31 minutes"})
    taken = bob.locks.acquire("PS100001", purpose="Drivers wizard")
    assert taken.held and taken.lock.login == "bob@ws2" and taken.lock.lock_id != first.lock_id
    assert not alice.locks.heartbeat(first)  # alice's console learns its lock is gone
    assert not alice.locks.release_own(first)  # and cannot release bob's
    assert [lock.login for lock in alice.locks.list()] == ["bob@ws2"]


def test_a_heartbeat_keeps_a_lock_alive(two_consoles):
    alice, bob = two_consoles
    lock = alice.locks.acquire("PS100001").lock
    start = bob.context.clock()
    alice.context.clock = lambda: start + timedelta(minutes=20)
    assert alice.locks.heartbeat(lock)
    bob.context.clock = lambda: start + timedelta(minutes=31)  # 11 minutes after the heartbeat
    assert not bob.locks.acquire("PS100001").held


def test_only_a_full_administrator_releases_anothers_lock_and_it_is_audited(two_consoles):
    alice, bob = two_consoles
    lock = alice.locks.acquire("PS100001").lock
    bob.context.identity = Identity("bob", "ws2", roles=frozenset({OSD_MANAGER}))
    with pytest.raises(AccessDeniedError, match="only a Full Administrator can release the lock alice@ws1 holds on PS100001"):
        bob.locks.release("PS100001")
    assert bob.locks.get("PS100001") is not None
    bob.context.identity = None  # the single (full) administrator
    released = bob.locks.release(lock.lock_id).value
    assert released.login == "alice@ws1" and bob.locks.get("PS100001") is None
    audit = [m for m in bob.status.query(package_id="PS100001") if "released by bob@ws2" in m.text]
    assert audit and audit[0].kind == "audit" and "held by alice@ws1 (console ws1:1111" in audit[0].text
    assert not alice.locks.heartbeat(lock)


def test_the_worker_is_not_held_back_by_a_lock(two_consoles):
    alice, bob = two_consoles
    alice.locks.acquire("PS100001")
    bob.context.honour_object_locks = False
    bob.packages.put("PS100001", {"Description": "written by a job"})
    assert alice.packages.get("PS100001")["Description"] == "written by a job"


def test_consoles_taking_one_lock_at_once_get_it_exactly_once(two_consoles, site_db):
    from console.app import open_console

    alice, _bob = two_consoles
    consoles = [open_console(site_db, user=f"admin{n}@ws{n}") for n in range(4)]
    for n, console in enumerate(consoles):
        console.context.console = ConsoleId(f"ws{n}", 3000 + n)
    start = threading.Barrier(len(consoles))
    results: list = []

    def take(console) -> None:
        start.wait(timeout=30)
        results.append(console.locks.acquire("PS100001"))

    threads = [threading.Thread(target=take, args=(c,)) for c in consoles]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for console in consoles:
        console.close()
    assert len(results) == 4
    winners = [r for r in results if r.held]
    assert len(winners) == 1
    assert {r.lock.lock_id for r in results} == {winners[0].lock.lock_id}
    assert [lock.login for lock in alice.locks.list()] == [winners[0].lock.login]
