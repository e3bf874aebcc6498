"""The Strategy Tester statistics on hand-made trade lists and curves, each figure worked out by
hand from MT5's definitions (docs/metrics.md)."""

from __future__ import annotations

from bridge import tester_stats as ts  # (its function's name would be taken for a test)
from bridge.brain.portfolio import Trade
from bridge.tester_stats import consecutive, drawdowns

H = 3_600_000


def trade(side: str, net: float, hours: float = 1.0) -> Trade:
    # the net split into profit, commission and swap, as a broker reports it
    return Trade("s", 1, "US100", side, 0.1, 0, 1.0, int(hours * H), 1.0, 0, 0, net + 1.5, -1.0,
                 -0.5, "")  # fmt: skip


NETS = [10.0, 20.0, -5.0, -7.0, -1.0, 45.0, -2.0]
SIDES = ["buy", "buy", "sell", "sell", "buy", "sell", "buy"]


def test_runs_of_wins_and_losses() -> None:
    # wins: [10, 20] and [45]; losses: [-5, -7, -1] and [-2]
    assert consecutive(NETS, True) == {
        "longest": 2,  # Maximum consecutive wins: 2 trades ...
        "longest_money": 30.0,  # ... worth 30
        "extreme_money": 45.0,  # Maximal consecutive profit: 45 ...
        "extreme": 1,  # ... in 1 trade
        "average": 1.5,
    }
    assert consecutive(NETS, False) == {
        "longest": 3,
        "longest_money": -13.0,
        "extreme_money": -13.0,
        "extreme": 3,
        "average": 2.0,
    }
    assert consecutive([0.0, 5.0, 0.0, 5.0], True)["longest"] == 1  # a zero ends a run
    assert consecutive([], True)["longest"] == 0


def test_drawdowns_absolute_maximal_and_relative_are_three_figures() -> None:
    # from 1000: down to 900 (absolute 100; a 10 % fall), up to 1500, down to 1200 (300, 20 %),
    # up to 5000, down to 4500 (500, 10 %): maximal is the 500 in money, relative the 20 %
    assert drawdowns([900, 1500, 1200, 5000, 4500], 1000.0) == {
        "absolute": 100.0,
        "maximal": 500.0,
        "maximal_pct": 10.0,
        "relative_pct": 20.0,
        "relative": 300.0,
    }
    # never below the start: no absolute drawdown
    assert drawdowns([110, 130, 117, 162, 160], 100.0)["absolute"] == 0.0
    assert drawdowns([], 100.0)["maximal"] == 0.0


def test_tester_stats_of_a_hand_made_run() -> None:
    trades = [trade(s, n, hours=h) for s, n, h in zip(SIDES, NETS, range(1, 8), strict=True)]
    balance = [100.0 + sum(NETS[: i + 1]) for i in range(len(NETS))]  # 110 130 125 118 117 162 160
    equity = [110.0, 128.0, 125.0, 112.0, 117.0, 162.0, 160.0]
    st = ts.tester_stats(trades, balance, equity, 100.0)
    assert st["total_trades"] == 7
    assert st["expected_payoff"] == round(60 / 7, 2)
    assert (st["long_trades"], st["long_won_pct"]) == (4, 50.0)  # 10, 20 won; -1, -2 lost
    assert (st["short_trades"], st["short_won_pct"]) == (3, 33.33)  # 45 won; -5, -7 lost
    assert st["profit_trades_pct"] == round(3 / 7 * 100, 2)
    assert (st["largest_win"], st["largest_loss"]) == (45.0, -7.0)
    assert (st["average_win"], st["average_loss"]) == (25.0, -3.75)
    assert st["average_holding_ms"] == 4 * H  # 1 to 7 hours
    assert st["balance_drawdown"] == {
        "absolute": 0.0,
        "maximal": 13.0,  # 130 -> 117
        "maximal_pct": 10.0,
        "relative_pct": 10.0,
        "relative": 13.0,
    }
    assert st["equity_drawdown"]["maximal"] == 16.0  # 128 -> 112
    assert st["equity_drawdown"]["maximal_pct"] == 12.5


def test_no_trades() -> None:
    st = ts.tester_stats([], [], [], 100.0)
    assert st["total_trades"] == 0 and st["long_won_pct"] is None
    assert st["consecutive_wins"]["longest"] == 0
