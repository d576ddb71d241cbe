"""A user's mistake through the running app's API: a short message back, no traceback in the
server's log (gr.Error with print_exception=False), and the long token not echoed in full."""
from __future__ import annotations

import pytest

from tools.browser import AppDidNotStart, running_app

from ..helpers import TINY_CHECKPOINT, write_tiny_checkpoint

gradio_client = pytest.importorskip("gradio_client")

pytestmark = pytest.mark.browser  # starts the app: seconds, not milliseconds


def test_bad_seeds_and_tokens_leave_no_traceback_in_the_log(tmp_path):
    root = tmp_path / "checkpoints"
    write_tiny_checkpoint(root / TINY_CHECKPOINT)
    log = tmp_path / "app.log"
    messages = []
    try:
        with running_app(log, {"GAN_CORE_CHECKPOINTS": str(root)}) as url:
            client = gradio_client.Client(url, verbose=False)
            calls = [("/generate", (TINY_CHECKPOINT, -1, 4)),
                     ("/arithmetic", (TINY_CHECKPOINT, "1", "2", "3", 2**40, "")),
                     ("/walk", (TINY_CHECKPOINT, "1, <b>" + "7x" * 50_000, "slerp", 0.5, 8, ""))]
            for api_name, args in calls:
                with pytest.raises(Exception) as exc:
                    client.predict(*args, api_name=api_name)
                messages.append(str(exc.value))
    except AppDidNotStart as exc:
        pytest.fail(str(exc))
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert all(len(m) < 400 for m in messages), [m[:200] for m in messages]
    assert "must be between 0 and" in messages[1] and "<b>" not in messages[2] and "is not a seed" in messages[2]
