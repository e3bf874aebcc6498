"""The study: Optuna proposes parameters, each trial is a replay. TPE by default, the complete grid
(MT5's "slow complete algorithm"), or NSGA-II (genetic, several objectives). The study is kept
in the project's store (the config's store URL: a SQLite file by default, PostgreSQL by URL),
so a stopped study resumes and several machines can share it. This process asks the sampler
for parameters and tells it the results; ``jobs`` worker processes (all cores by default) run
the replays, each with the fixture loaded once. A trial's result depends only on its parameters,
so it is the same whatever the number of workers; the complete grid is queued in the storage
and run once per point."""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

from bridge.config import Config
from bridge.data.fixtures import Fixture
from bridge.optimize.space import Dist, Space
from bridge.optimize.trial import Evaluator

SAMPLERS = ("tpe", "grid", "nsga2")
FINISHED = ("COMPLETE", "FAIL", "PRUNED")
Progress = Callable[[int, int, str], None]


def sampler(kind: str, space: Space, seed: int) -> Any:
    import optuna

    if kind == "tpe":
        multi = len(space.objectives) > 1
        return optuna.samplers.TPESampler(seed=seed, multivariate=not multi)
    if kind == "grid":
        grid = {name: space.dist(name).grid() for name in space.names()}
        return optuna.samplers.GridSampler(grid, seed=seed)
    if kind == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    raise ValueError(f"--sampler {kind!r}: one of {', '.join(SAMPLERS)}")


def suggest(trial: Any, name: str, d: Dist) -> Any:
    if d.kind == "choice":
        return trial.suggest_categorical(name, list(d.choices))
    if d.kind == "int":
        return trial.suggest_int(name, int(d.low), int(d.high), step=int(d.step or 1))
    value = trial.suggest_float(name, d.low, d.high, step=d.step)
    return round(value, 10) if d.step else value  # 0.30000000000000004 is 0.3


def measured(trial: Any, space: Space, m: dict[str, Any]) -> list[float] | None:
    """The trial's objectives from its metrics (kept as its user attributes, with its
    constraint violations); None when one is undefined (e.g. no losing trade: no profit
    factor), which fails the trial."""
    trial.set_user_attr("metrics", m)  # one write to the storage, not one per figure
    violations = [c.violation(m) for c in space.constraints]
    if violations:  # none: no write (``feasible`` reads a missing list as none violated)
        trial.set_user_attr("constraints", violations)
    for c, v in zip(space.constraints, violations, strict=True):
        trial.set_constraint(f"{c.metric} {c.op} {c.value:g}", v)  # the samplers read them
    out = [m.get(metric) for _d, metric in space.objectives]
    return None if any(v is None for v in out) else [float(v) for v in out]  # type: ignore[arg-type]


_EVALUATE: Evaluator | None = None


def _init_worker(cfg: Config, fixture: Fixture | None) -> None:
    """A worker process: the fixture loaded once, for every trial it runs."""
    global _EVALUATE
    _EVALUATE = Evaluator(cfg, fixture)


def _evaluate(values: dict[str, Any]) -> dict[str, Any]:
    assert _EVALUATE is not None
    return _EVALUATE(values)


def finished(study: Any) -> int:
    return sum(1 for t in study.get_trials(deepcopy=False) if t.state.name in FINISHED)


def run_study(
    cfg: Config,
    space: Space,
    trials: int,
    *,
    jobs: int = 1,
    kind: str = "tpe",
    url: str | None = None,
    study_name: str = "mt5bridge",
    progress: Progress | None = None,
    fixture: Fixture | None = None,
    ray_address: str | None = None,
) -> Any:
    """Run (or resume) the study until it has ``trials`` finished trials; the study. This
    process asks the sampler and tells it the results; ``jobs`` worker processes replay.
    ``fixture``: the market to replay (default: the config's fixture); ``ray_address``: run
    the replays on that Ray cluster instead (bridge/optimize/cluster.py)."""
    url = url or cfg.store.url
    if trials < 1:
        raise ValueError(f"--trials must be at least 1, got {trials}")
    if jobs == -1:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise ValueError(f"--jobs must be -1 (all cores) or at least 1, got {jobs}")
    workers = _workers(cfg, fixture, jobs) if jobs > 1 and not ray_address else None
    with workers if workers is not None else contextlib.nullcontext() as pool:
        study, trials, tally = _open(space, trials, kind, url, study_name)
        told = tally.told(study)
        if ray_address:
            from bridge.optimize.cluster import run_on_ray

            run_on_ray(
                study,
                cfg,
                space,
                trials,
                ray_address,
                fixture,
                told,
                lambda t: suggest_all(t, space),
                lambda _s: tally.done,
                progress,
                lambda _s, _sp: tally.text(),
            )
            return study
        if pool is None:
            evaluate: Callable[[dict[str, Any]], dict[str, Any]] = Evaluator(cfg, fixture)
            while tally.done < trials:
                t = study.ask()
                told(study, t, space, evaluate(suggest_all(t, space)))
                if progress is not None:
                    progress(tally.done, trials, tally.text())
            return study
        _pool_trials(study, space, trials, jobs, pool, tally, told, progress)
        return study


def suggest_all(trial: Any, space: Space) -> dict[str, Any]:
    """The trial's value of every parameter of the space."""
    return {n: suggest(trial, n, space.dist(n)) for n in space.names()}


def _workers(cfg: Config, fixture: Fixture | None, jobs: int) -> Any:
    """The worker processes, each with the fixture. Where the system can fork and this process
    runs no other thread, the fixture is loaded here once and the workers are forked with it
    (they start in milliseconds, sharing its pages); else they are spawned and load it each,
    while this process opens the study."""
    if "fork" in mp.get_all_start_methods() and threading.active_count() == 1:
        loaded = Evaluator(cfg, fixture).fixture
        return mp.get_context("fork").Pool(jobs, initializer=_init_worker, initargs=(cfg, loaded))
    ctx = mp.get_context("spawn")
    return ctx.Pool(jobs, initializer=_init_worker, initargs=(cfg, fixture))


def _open(
    space: Space, trials: int, kind: str, url: str, study_name: str
) -> tuple[Any, int, Tally]:
    """The study (made or resumed) with its sampler, the number of trials to reach (a grid's
    size at most) and the tally of those finished already."""
    import optuna

    from bridge.optimize.journal import open_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    directions: list[Any] = [d for d, _ in space.objectives]
    study = optuna.create_study(
        study_name=study_name, storage=open_storage(url), directions=directions, load_if_exists=True
    )
    # seeded from the space's seed and the trials already made: a resumed study goes on with
    # new parameters, the same ones each time it is resumed from the same point
    study.sampler = sampler(kind, space, space.seed + finished(study))
    if [d.name.lower() for d in study.directions] != directions:
        raise ValueError(
            f"study {study_name!r} in {url} has other objectives; name another with --study"
        )
    if kind == "grid":
        trials = min(trials, _enqueue_grid(study, space))
    return study, trials, Tally(space, finished(study))  # counted here: asked once


def _pool_trials(
    study: Any,
    space: Space,
    trials: int,
    jobs: int,
    pool: Any,
    tally: Tally,
    told: Callable[[Any, Any, Space, dict[str, Any]], None],
    progress: Progress | None,
) -> None:
    # one trial more than there are workers: a worker that finishes takes the next at once,
    # while this process tells the sampler the result and asks it for another
    results: Results = queue.Queue()
    running = 0
    while tally.done + running < trials or running:
        while running <= jobs and tally.done + running < trials:
            t = study.ask()
            pool.apply_async(
                _evaluate,
                (suggest_all(t, space),),
                callback=_put(results, t),
                error_callback=_put_err(results, t),
            )
            running += 1
        t, m, err = results.get()  # whichever worker finishes first: none waits for another
        running -= 1
        if err is not None:
            raise err
        assert m is not None
        told(study, t, space, m)
        if progress is not None:
            progress(tally.done, trials, tally.text())


Results = queue.Queue[tuple[Any, dict[str, Any] | None, BaseException | None]]


def _put(results: Results, trial: Any) -> Callable[[dict[str, Any]], None]:
    return lambda m: results.put((trial, m, None))


def _put_err(results: Results, trial: Any) -> Callable[[BaseException], None]:
    return lambda e: results.put((trial, None, e))


class Tally:
    """The trials finished and the best feasible first objective, kept as they are told (the
    storage is not read again for each trial: reading every trial grows with the study)."""

    def __init__(self, space: Space, done: int) -> None:
        self.space, self.done = space, done
        self.best: float | None = None
        self.maximize = space.objectives[0][0] == "maximize"

    def told(self, study: Any) -> Callable[[Any, Any, Space, dict[str, Any]], None]:
        def tell(s: Any, trial: Any, space: Space, m: dict[str, Any]) -> None:
            values = _tell(s, trial, space, m)
            self.done += 1
            if values is not None and all(c.ok(m) for c in space.constraints):
                v = values[0]
                if self.best is None or (v > self.best if self.maximize else v < self.best):
                    self.best = v

        return tell

    def text(self) -> str:
        metric = self.space.objectives[0][1]
        return "no feasible trial yet" if self.best is None else f"best {metric} {self.best:,.4g}"


def _tell(study: Any, trial: Any, space: Space, m: dict[str, Any]) -> list[float] | None:
    import optuna

    values = measured(trial, space, m)
    if values is None:
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    else:
        study.tell(trial, values)
    return values


def _enqueue_grid(study: Any, space: Space) -> int:
    """Every point of the grid not in the study yet, queued in the storage (workers take them
    one each: none is run twice); the grid's size."""
    names = space.names()
    grids = [space.dist(n).grid() for n in names]
    have = {tuple(t.params.get(n) for n in names) for t in study.get_trials(deepcopy=False)}
    points = list(itertools.product(*grids))
    for p in points:
        if p not in have:
            study.enqueue_trial(dict(zip(names, p, strict=True)), skip_if_exists=True)
    return len(points)


def feasible(study: Any, space: Space) -> list[Any]:
    """Complete trials that meet every constraint."""
    return [
        t
        for t in study.get_trials(deepcopy=False)
        if t.state.name == "COMPLETE" and all(v <= 0 for v in t.user_attrs.get("constraints", []))
    ]


def pareto(trials: list[Any], space: Space) -> list[Any]:
    """The trials no other beats on every objective."""
    sign = [1.0 if d == "maximize" else -1.0 for d, _ in space.objectives]

    def key(t: Any) -> list[float]:
        return [s * v for s, v in zip(sign, t.values, strict=True)]

    out = []
    for t in trials:
        kt = key(t)
        dominated = any(
            all(a >= b for a, b in zip(key(o), kt, strict=True)) and key(o) != kt for o in trials
        )
        if not dominated:
            out.append(t)
    return out


def best(study: Any, space: Space) -> Any | None:
    """The best feasible trial: by the objective, or with several, the Pareto front's best on
    the first one."""
    ok = pareto(feasible(study, space), space)
    if not ok:
        return None
    first = space.objectives[0][0] == "maximize"
    return max(ok, key=lambda t: t.values[0] if first else -t.values[0])


def best_text(study: Any, space: Space) -> str:
    t = best(study, space)
    if t is None:
        return "no feasible trial yet"
    vals = ", ".join(f"{m} {v:,.4g}" for (_d, m), v in zip(space.objectives, t.values, strict=True))
    return f"best #{t.number}: {vals}"
