"""Cost per turn: cProfile of Rasa's own processing of booking conversations, in process.

Loads the trained model with endpoints.yml (the sealed SQL tracker store, the action server over
HTTP) and runs `--conversations` bookings of four turns each (wish, name, slot, « Je confirme »)
through `Agent.handle_message`, under cProfile. Prints the CPU time per turn of this process, and
where it goes: NLU (Duckling's HTTP call included), policies, tracker load and save (sealing
included), the action call (the tracker's serialisation included), and the action server's own
CPU per turn from /proc. Numbers only.

Also counts the action-server calls per user message (`RemoteAction.run`, by action name).

`make bench` runs it inside `devtools.stack exec --with duckling,actions`:

    .venv/bin/python bench/turn_profile.py [--conversations 30] [--top 25]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rasa.core.actions.action import RemoteAction  # noqa: E402
from rasa.core.agent import load_agent  # noqa: E402
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage  # noqa: E402
from rasa.core.utils import AvailableEndpoints  # noqa: E402

try:
    from connectors.patches import install as install_patches
    from devtools.model import model_path
except ImportError:  # an older checkout, for an A/B: its one patch, its model cache
    from clinic.ops.model import model_path  # type: ignore[no-redef]

    from connectors.rasa_speedups import (  # type: ignore[no-redef]
        compile_action_response_schema as install_patches,
    )
from tests.stack import pid_listening_on  # noqa: E402

#: (label, file fragment, function name): cumulative time of these frames.
PARTS = [
    ("whole turn (Agent.handle_message)", "rasa/core/agent.py", "handle_message"),
    ("NLU (parse_message, Duckling call included)", "rasa/core/processor.py", "parse_message"),
    ("policies (predict next action)", "rasa/core/processor.py", "_predict_next_with_tracker"),
    ("tracker load (+ unsealing)", "connectors/tracker_store.py", "_retrieve"),
    ("tracker save (+ sealing)", "connectors/tracker_store.py", "save"),
    ("action calls (RemoteAction.run)", "rasa/core/actions/action.py", "run"),
    (
        "  of which tracker → JSON for the action server",
        "rasa/shared/core/trackers.py",
        "current_state",
    ),
    ("  of which sealing (clinic.adapters.sealing)", "clinic/adapters/sealing.py", "seal"),
    ("  of which unsealing (clinic.adapters.sealing)", "clinic/adapters/sealing.py", "open"),
]


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def converse(agent, sender: str) -> int:  # noqa: ANN001
    """One booking over Rasa's REST-like output channel; returns the turns run."""

    async def say(text: str) -> list[dict]:
        out = CollectingOutputChannel()
        await agent.handle_message(UserMessage(text, out, sender))
        return out.messages

    turns = 0
    await say("Bonjour, je voudrais un rdv jeudi aprem pour un renouvellement d'ordonnance")
    offer = await say("marie dupont")
    turns += 2
    buttons = [m for m in offer if m.get("buttons")]
    if not buttons:
        return turns
    recap = await say(buttons[-1]["buttons"][0]["payload"])
    turns += 1
    confirm = [
        b["payload"] for m in recap for b in m.get("buttons", []) if b["title"] == "Je confirme"
    ]
    if confirm:
        await say(confirm[0])
        turns += 1
    return turns


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=30)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--as-shipped",
        action="store_true",
        help="Rasa as released, without connectors.patches (the « before » number)",
    )
    args = parser.parse_args()
    if not args.as_shipped:
        install_patches()  # what `connectors.launch` installs for `rasa run`
    calls: Counter[str] = Counter()
    remote_run = RemoteAction.run

    async def counted(self: RemoteAction, *a: Any, **k: Any) -> Any:
        calls[self.name()] += 1
        return await remote_run(self, *a, **k)

    RemoteAction.run = counted  # type: ignore[method-assign]
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    agent = await load_agent(model_path=str(model_path(ROOT)), endpoints=endpoints)
    actions_port = urlsplit(os.environ["ACTION_SERVER_URL"]).port or 80
    actions_pid = pid_listening_on(actions_port, "connectors.action_server")
    run = int(time.time())
    await converse(agent, f"warmup-{run}")  # first-call costs (graph, caches) out of the numbers
    profile = cProfile.Profile()
    actions_before, cpu_before, wall = cpu_of(actions_pid), time.process_time(), time.perf_counter()
    calls.clear()
    profile.enable()
    turns = 0
    for i in range(args.conversations):
        turns += await converse(agent, f"profile-{run}-{i}")
    profile.disable()
    cpu = time.process_time() - cpu_before
    wall = time.perf_counter() - wall
    actions_cpu = cpu_of(actions_pid) - actions_before
    shipped = "Rasa as shipped" if args.as_shipped else "with connectors.patches"
    print(f"{turns} turns in {args.conversations} bookings ({wall:.1f} s wall), {shipped}")
    print(f"  Rasa (this process) CPU: {cpu / turns * 1000:.0f} ms per turn (under cProfile)")
    print(f"  action server CPU:       {actions_cpu / turns * 1000:.0f} ms per turn")
    print(f"  action-server calls:     {sum(calls.values()) / turns:.2f} per user message")
    for name, count in calls.most_common():
        print(f"    {name:<40} {count / turns:.2f}")
    stats = pstats.Stats(profile)
    cumulative: dict[str, float] = {}
    for (filename, _, function), (_, _, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        for label, fragment, name in PARTS:
            if function == name and filename.endswith(fragment):
                cumulative[label] = cumulative.get(label, 0.0) + cum
    print("  where Rasa's time goes (cumulative, ms per turn; coroutines count while they run):")
    for label, _, _ in PARTS:
        print(f"    {label:<50} {cumulative.get(label, 0.0) / turns * 1000:7.1f}")
    print(f"\n  top {args.top} functions by own time:")
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    asyncio.run(main())
