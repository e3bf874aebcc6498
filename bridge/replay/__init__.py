"""In-process backtests: plain, quiet-minute and jump replays. Imports core, brain, sim, data."""
