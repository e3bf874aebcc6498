"""Trials on a Ray cluster (``--ray ADDRESS``, the ``cluster`` extra): the fixture put once in
Ray's object store, one actor per CPU of the cluster spread over its nodes, each holding the
fixture and replaying the trials it is given. This process asks the sampler and tells it the
results, as with local workers; each trial notes the node that ran it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridge.config import Config
from bridge.data.fixtures import Fixture, load_fixture, rename_symbols, resolve_fixture
from bridge.optimize.space import Space
from bridge.optimize.trial import Evaluator


def run_on_ray(
    study: Any,
    cfg: Config,
    space: Space,
    trials: int,
    address: str,
    fixture: Fixture | None,
    tell: Callable[[Any, Any, Space, dict[str, Any]], None],
    suggest_all: Callable[[Any], dict[str, Any]],
    finished: Callable[[Any], int],
    progress: Callable[[int, int, str], None] | None,
    best_text: Callable[[Any, Space], str],
) -> int:
    """Run trials on the cluster at ``address`` until the study has ``trials``; the number of
    actors used."""
    try:
        import ray
    except ImportError:
        raise ValueError("--ray needs Ray: pip install 'mt5bridge[cluster]'") from None
    ray.init(address=address, log_to_driver=False, ignore_reinit_error=True)
    try:
        if fixture is None:
            fixture = rename_symbols(
                load_fixture(resolve_fixture(cfg.replay.fixture)), cfg.aliases_for(None)
            )
        data = ray.put(fixture)  # once: every actor reads it from the object store

        @ray.remote(num_cpus=1)
        class Replayer:
            def __init__(self, cfg: Config, fx: Fixture) -> None:
                self.evaluate = Evaluator(cfg, fx)
                self.node = ray.get_runtime_context().get_node_id()

            def run(self, values: dict[str, Any]) -> tuple[dict[str, Any], str]:
                return self.evaluate(values), self.node

        n = max(1, int(ray.cluster_resources().get("CPU", 1)))  # type: ignore[no-untyped-call]
        spread: Any = Replayer.options(scheduling_strategy="SPREAD")  # type: ignore[attr-defined]
        actors = [spread.remote(cfg, data) for _ in range(n)]
        idle = list(actors)
        running: dict[Any, tuple[Any, Any]] = {}
        while finished(study) + len(running) < trials or running:
            while idle and finished(study) + len(running) < trials:
                t = study.ask()
                actor = idle.pop()
                running[actor.run.remote(suggest_all(t))] = (t, actor)
            done, _ = ray.wait(list(running), num_returns=1)
            for ref in done:
                t, actor = running.pop(ref)
                metrics, node = ray.get(ref)
                t.set_user_attr("node", node)
                tell(study, t, space, metrics)
                idle.append(actor)
            if progress is not None:
                progress(finished(study), trials, best_text(study, space))
        return n
    finally:
        ray.shutdown()
