"""Where a study lives: the journal table in the project's store, on SQLite and on PostgreSQL.
Appends from several writers at once get contiguous numbers and keep each writer's order; a
study is resumed from it; a database with studies in Optuna's own tables keeps using them."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("optuna")

import optuna

from bridge.optimize.journal import SqlJournal, open_storage

_n = itertools.count()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    cluster = request.getfixturevalue("pg_cluster")
    import psycopg

    name = f"j{next(_n)}"
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/{name}"


def test_concurrent_appends_are_numbered_in_order(url: str) -> None:
    writers = [SqlJournal(url) for _ in range(4)]

    def write(w: SqlJournal, k: int) -> None:
        for i in range(25):
            w.append_logs([{"writer": k, "i": i}, {"writer": k, "i": i, "second": True}])

    threads = [threading.Thread(target=write, args=(w, k)) for k, w in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    logs = list(SqlJournal(url).read_logs(0))
    assert len(logs) == 4 * 25 * 2
    for k in range(4):
        mine = [x for x in logs if x["writer"] == k]
        assert [x["i"] for x in mine] == [i for i in range(25) for _ in (0, 1)]
    for a, b in itertools.pairwise(logs):  # a batch's two entries stay side by side
        if a.get("second") is None:
            assert b == {**a, "second": True}
    assert list(SqlJournal(url).read_logs(len(logs) - 2)) == logs[-2:]


def test_a_study_resumes_from_the_journal(url: str) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def run(n: int) -> Any:
        s = optuna.create_study(study_name="s", storage=open_storage(url), load_if_exists=True)
        s.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=n)
        return s

    first = [t.params for t in run(3).trials]
    again = run(2).trials
    assert len(again) == 5 and [t.params for t in again[:3]] == first
    assert isinstance(open_storage(url), optuna.storages.JournalStorage)


def test_studies_in_optunas_own_tables_stay_there(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = optuna.create_study(study_name="old", storage=optuna.storages.RDBStorage(url))
    old.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    st = open_storage(url)
    assert isinstance(st, optuna.storages.RDBStorage)
    assert len(optuna.load_study(study_name="old", storage=st).trials) == 2
