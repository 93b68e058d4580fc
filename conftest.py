"""Kernel set-up for nbval in ``make test``."""

from nbval.kernel import RunningKernel
from nbval.plugin import IPyNbFile

# nbval executes cells with store_history=False, so IPython decides whether a trailing ';'
# silences a cell by looking at a stale history entry and prints values it should not.
# Remember the source of the cell being run and judge the ';' on that instead.
KERNEL_SETUP = """
def _nbval_setup():
    ip = get_ipython()
    current = {"cell": ""}

    def remember(info):
        current["cell"] = info.raw_cell

    ip.events.register("pre_run_cell", remember)
    hook = ip.displayhook
    hook.quiet = lambda: hook.semicolon_at_end_of_expression(current["cell"])

_nbval_setup()
del _nbval_setup
"""

_start_kernel = IPyNbFile.setup


def _setup_with_kernel_fixes(self):
    _start_kernel(self)
    msg_id = self.kernel.execute_cell_input(KERNEL_SETUP, allow_stdin=False)
    self.kernel.await_reply(msg_id, timeout=60)
    self.kernel.await_idle(msg_id, timeout=60)


IPyNbFile.setup = _setup_with_kernel_fixes

# Output produced inside an ipywidgets Output widget (an interact's first run, say) belongs to
# the widget, and nbclient stores it there, not in the cell. nbval knows nothing of widgets and
# would see it as cell output. Follow the widgets' capture state and hide what they capture,
# except errors: a widget that crashes on its first draw must fail the cell.
CAPTURED_TYPES = {"stream", "display_data", "update_display_data", "clear_output"}
_get_message = RunningKernel.get_message


def _get_message_outside_widgets(self, stream, timeout=None):
    captures = self.__dict__.setdefault("_widget_captures", {})
    while True:
        msg = _get_message(self, stream, timeout=timeout)
        if stream != "iopub":
            return msg
        content = msg["content"]
        if msg["msg_type"] == "comm_msg":
            state = content.get("data", {}).get("state", {})
            if "msg_id" in state:
                captures[content["comm_id"]] = state["msg_id"]
        elif (msg["msg_type"] in CAPTURED_TYPES
              and msg["parent_header"].get("msg_id") in captures.values()):
            continue
        return msg


RunningKernel.get_message = _get_message_outside_widgets
