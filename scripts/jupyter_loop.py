"""The kit's one Jupyter message loop, shared by the headless notebook runner
(scripts/run_notebook.py) and the Colab %%deno bridge (scripts/colab/deno_bridge.py).

The Deno kernel sometimes publishes `status: idle` before a cell's outputs, so this loop never
trusts idle: it sends the code, reads iopub continuously while waiting for the execute_reply on
the shell channel (outputs show as they come), then keeps draining iopub until it has been
quiet for `quiet_s` seconds, so outputs published after idle still arrive.
"""
import queue
import time


class CellTimeout(Exception):
    """The cell ran past its time limit (the kernel may still be running it)."""


class KernelDead(Exception):
    """The kernel process ended during the cell (its last outputs were drained first)."""


def drain(kc, on_iopub, quiet_s):
    """Reads iopub until nothing has arrived for quiet_s seconds."""
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=quiet_s)
        except queue.Empty:
            return
        on_iopub(msg)


def execute(kc, code, on_iopub, *, quiet_s, is_alive, timeout_s=None, on_sent=None):
    """Runs `code`; calls on_iopub for every iopub message; returns the execute_reply content.

    on_sent(msg_id) is called right after sending, before any message is read (callers route
    iopub messages by parent msg_id). Raises CellTimeout past timeout_s (None: no limit) and
    KernelDead when is_alive() turns false.
    """
    msg_id = kc.execute(code, store_history=True, allow_stdin=False)
    if on_sent is not None:
        on_sent(msg_id)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        if deadline is not None and time.monotonic() > deadline:
            raise CellTimeout()
        if not is_alive():
            drain(kc, on_iopub, quiet_s)
            raise KernelDead()
        try:
            on_iopub(kc.get_iopub_msg(timeout=0.05))
        except queue.Empty:
            pass
        try:
            msg = kc.get_shell_msg(timeout=0.01)
        except queue.Empty:
            continue
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            drain(kc, on_iopub, quiet_s)
            return msg["content"]
