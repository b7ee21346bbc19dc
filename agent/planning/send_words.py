"""Words that ask for every code to go out together ("send to everyone at once", "同时发送").

By default each household's code is sent on the day the timing model picks; an operator who
needs one send (a newsletter, a store event) says so, and the plan records it.
"""

from __future__ import annotations

import re
from typing import Literal

AT_ONCE = re.compile(
    r"\b(?:(?:all\s+)?at\s+once|at\s+the\s+same\s+time|(?:in\s+)?one\s+(?:single\s+)?(?:send|blast|batch)|"
    r"send\s+(?:it\s+|them\s+|everything\s+)?(?:to\s+everyone\s+)?(?:now|today|immediately)|"
    r"same[-\s]day\s+send|no\s+staggering|don'?t\s+stagger)\b"
    r"|同时发送|统一发送|一次性发送|一次发完|同一天发|今天(?:全部)?发出|立即发送",
    re.IGNORECASE,
)


def read_send_timing(text: str) -> Literal["at_once"] | None:
    """"at_once" when the request asks for a single send; None leaves it to the policy."""
    return "at_once" if AT_ONCE.search(text) else None
