"""The rich terminal dashboard of ``vaxis live`` (``--dashboard``), or plain log lines."""

from __future__ import annotations

from collections import deque

from rich.console import Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """Valence in [-1, 1] as block characters."""
    out = []
    for v in values:
        if v is None:
            out.append(" ")
            continue
        level = int(round((min(max(v, -1.0), 1.0) + 1) / 2 * (len(SPARK) - 1)))
        out.append(SPARK[level])
    return "".join(out)


class Dashboard:
    """Stream state, effective rate, valence trace, class probabilities, latency, counters."""

    def __init__(self, classes: list[str], console=None, width: int = 60):
        self.classes = list(classes)
        self.trace: deque = deque(maxlen=width)
        self.status: dict = {}
        self.prediction: dict | None = None
        self.live = Live(self.render(), console=console, refresh_per_second=4, transient=False)

    def __enter__(self) -> Dashboard:
        self.live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.live.update(self.render())
        self.live.__exit__(*exc)

    def on_prediction(self, message: dict) -> None:
        self.prediction = message
        self.trace.append(message["valence"])
        self.live.update(self.render())

    def on_status(self, message: dict) -> None:
        self.status = message
        self.live.update(self.render())

    def render(self) -> Panel:
        status = self.status
        counters = status.get("counters", {})
        latency = status.get("latency_ms", {})
        head = Table.grid(padding=(0, 2))
        rate = f"{status.get('sfreq_effective', 0):.1f} / {status.get('sfreq_nominal') or 0:g} Hz"
        head.add_row(
            f"stream [bold]{status.get('stream', '?')}[/]",
            f"state [bold]{status.get('state', '…')}[/]",
            f"rate {rate}",
        )
        p50, p95, p99 = (latency.get(k) for k in ("p50", "p95", "p99"))
        head.add_row(
            f"latency ms p50 {p50} p95 {p95} p99 {p99}",
            f"windows {counters.get('windows', 0)}  invalid {counters.get('invalid', 0)}",
            f"gaps {counters.get('gaps', 0)}  dropped {counters.get('dropped', 0)}",
        )  # fmt: skip
        probs = Table(show_header=False, box=None)
        last = self.prediction
        for c in self.classes:
            p = (last or {}).get("probs", {}).get(c) or 0.0
            probs.add_row(c, "█" * int(round(p * 30)), f"{p:.2f}")
        label = "—"
        if last:
            label = (f"{last['label']}  valence {last['valence']:+.2f}" if last["valid"]
                     else f"invalid: {last['reason']}")  # fmt: skip
        trace = Text(f"valence  -1 {sparkline(list(self.trace))} +1")
        return Panel(Group(head, trace, Text(f"last: {label}"), probs), title="vaxis live")


def log_line(message: dict) -> str:
    """One line per prediction, for ``--no-dashboard``."""
    if not message["valid"]:
        return f"#{message['seq']} t_end={message['t_end']:.3f} invalid ({message['reason']})"
    return (f"#{message['seq']} t_end={message['t_end']:.3f} {message['label']:<12} "
            f"valence {message['valence']:+.3f}")  # fmt: skip
