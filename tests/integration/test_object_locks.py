"""Object locks (SEDO) on SQLite and PostgreSQL: two consoles (two engines, two console ids) on one site."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from console.core.errors import AccessDeniedError, ConflictError
from console.core.object_locks import ConsoleId, ObjectLock, ObjectLockedError
from console.core.security import FULL_ADMINISTRATOR, OSD_MANAGER, Identity


@pytest.fixture
def open_as(site_db: str) -> Iterator:
    """``open_as(name, role, host, pid)``: a console of administrator ``name`` (SQLite: the user
    ``name@host``; PostgreSQL: a login of its own, unique per test, with ``role``)."""
    from console.app import open_console
    from tests.postgres import login_url

    opened = []

    def open_(name: str, role: str = FULL_ADMINISTRATOR, host: str = "ws1", pid: int = 1111):
        if site_db.startswith("sqlite"):
            console = open_console(site_db, user=f"{name}@{host}")
        else:
            console = open_console(login_url(site_db, f"{name}_{uuid.uuid4().hex[:8]}", role))
        console.context.console = ConsoleId(host, pid)
        opened.append(console)
        return console

    yield open_
    for console in opened:
        console.close()


@pytest.fixture
def two_consoles(site_db: str, x64_facts, open_as) -> tuple:
    from console.app import ensure_default_site, open_console

    setup = open_console(site_db)
    ensure_default_site(setup)
    setup.packages.create(name="Boot image (x64)", image_path="/images/boot.wim", image_index=1, image=x64_facts)
    setup.close()
    return open_as("alice", host="ws1", pid=1111), open_as("bob", host="ws2", pid=2222)


def holder(console) -> str:
    """How a lock names the administrator of ``console`` (``alice@ws1``)."""
    user = console.context.user
    return user if "@" in user else f"{user}@{console.context.console.host}"


def test_a_lock_refuses_another_consoles_change_and_names_holder_and_time(two_consoles):
    alice, bob = two_consoles
    taken = alice.locks.acquire("PS100001")
    assert taken.held and taken.lock.login == alice.context.user
    seen = bob.locks.acquire("PS100001")
    assert not seen.held and seen.lock.lock_id == taken.lock.lock_id
    with pytest.raises(ObjectLockedError, match=rf"PS100001 is locked by {holder(alice)} since \d\d:\d\d "
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
    assert taken.held and taken.lock.login == bob.context.user and taken.lock.lock_id != first.lock_id
    assert not alice.locks.heartbeat(first)  # alice's console learns its lock is gone
    assert not alice.locks.release_own(first)  # and cannot release bob's
    assert [lock.login for lock in alice.locks.list()] == [bob.context.user]


def test_a_heartbeat_keeps_a_lock_alive(two_consoles):
    alice, bob = two_consoles
    lock = alice.locks.acquire("PS100001").lock
    start = bob.context.clock()
    alice.context.clock = lambda: start + timedelta(minutes=20)
    assert alice.locks.heartbeat(lock)
    bob.context.clock = lambda: start + timedelta(minutes=31)  # 11 minutes after the heartbeat
    assert not bob.locks.acquire("PS100001").held


def test_only_a_full_administrator_releases_anothers_lock_and_it_is_audited(two_consoles, open_as, site_db):
    alice, bob = two_consoles
    lock = alice.locks.acquire("PS100001").lock
    carol = open_as("carol", role=OSD_MANAGER, host="ws3", pid=3333)
    if site_db.startswith("sqlite"):  # the single administrator of an SQLite site holds every role: act as one who does not
        carol.context.identity = Identity(carol.context.user, "ws3", roles=frozenset({OSD_MANAGER}))
    with pytest.raises(AccessDeniedError, match=f"only a Full Administrator can release the lock {holder(alice)} "
                                                "holds on PS100001"):
        carol.locks.release("PS100001")
    assert carol.locks.get("PS100001") is not None
    released = bob.locks.release(lock.lock_id).value
    assert released.login == alice.context.user and bob.locks.get("PS100001") is None
    audit = [m for m in bob.status.query(package_id="PS100001") if f"released by {bob.context.user}" in m.text]
    assert audit and audit[0].kind == "audit" and f"held by {holder(alice)} (console ws1:1111" in audit[0].text
    assert not alice.locks.heartbeat(lock)


def test_the_database_enforces_the_lock_rules_past_the_console(two_consoles, open_as, site_db):
    """PostgreSQL: an OSD Manager writing the table directly (past the service's checks, as psql
    would) cannot release, renew or take another's live lock, nor take one in someone else's name."""
    if site_db.startswith("sqlite"):
        pytest.skip("SQLite has one administrator: file permissions are its access control")
    alice, _bob = two_consoles
    lock = alice.locks.acquire("PS100001").lock
    carol = open_as("carol", role=OSD_MANAGER, host="ws3", pid=3333)
    with carol.context.uow(write=True) as uow:
        assert uow.locks.release(lock.lock_id) is None  # row-level security: not hers to delete
        uow.commit()
    with pytest.raises(AccessDeniedError), carol.context.uow(write=True) as uow:
        uow.locks.heartbeat(lock.lock_id, carol.context.clock())
    now = carol.context.clock()
    forged = ObjectLock("SMS_BootImagePackage", "PS100009", uuid.uuid4().hex, alice.context.user,
                        ConsoleId("ws3", 3333), "Properties", now, now)
    with pytest.raises(AccessDeniedError), carol.context.uow(write=True) as uow:
        uow.locks.acquire(forged, stale_before=now - timedelta(minutes=30))
    assert alice.locks.get("PS100001").lock_id == lock.lock_id
    assert carol.locks.acquire("PS100002").held  # her own lock she may take


def test_the_worker_is_not_held_back_by_a_lock(two_consoles):
    alice, bob = two_consoles
    alice.locks.acquire("PS100001")
    bob.context.honour_object_locks = False
    bob.packages.put("PS100001", {"Description": "written by a job"})
    assert alice.packages.get("PS100001")["Description"] == "written by a job"


def test_consoles_taking_one_lock_at_once_get_it_exactly_once(two_consoles, open_as):
    alice, _bob = two_consoles
    consoles = [open_as(f"admin{n}", host=f"ws{n}", pid=3000 + n) for n in range(4)]
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
    assert len(results) == 4
    winners = [r for r in results if r.held]
    assert len(winners) == 1
    assert {r.lock.lock_id for r in results} == {winners[0].lock.lock_id}
    assert [lock.login for lock in alice.locks.list()] == [winners[0].lock.login]
