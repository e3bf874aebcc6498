"""Parameter search over replays: the search space (space.toml), one trial (a replay of the
config with a trial's parameters), the study (Optuna: TPE, the complete grid, NSGA-II; in the
project's store so it resumes; on all cores), and its outputs (trials.csv, best.toml, an HTML
page). Imports the config, the replay, the report's metrics and the data below them; Optuna only
when a study runs (the ``optimize`` extra)."""
