"""Hugging Face loading progress bars, kept off the terminal while weights load.

transformers draws a "Loading weights" bar on stderr for every `from_pretrained`: over a CLI
command's one-line output, or under the TUI, it is noise. Loaders wrap their load in
`quiet_loading()`; the setting is put back afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_loading() -> Iterator[None]:
    """transformers' progress bars off for the duration of the block."""
    from transformers.utils import logging as hf_logging

    bars_were_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if bars_were_on:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
