#!/usr/bin/python3
"""Headless notebook runner for the Deno kernel that loses no output.

The Deno kernel sometimes publishes `status: idle` before the outputs of the cell it
finished, so runners that stop reading at idle (nbclient, nbconvert) drop outputs. This
runner routes every iopub message to its cell by `parent_header.msg_id`, and after a
cell's execute_reply keeps draining iopub until it has been quiet for a while. Late
outputs still land in the cell that produced them.

Usage: run_notebook.py [--timeout S] [--out DIR] [--quiet MS] NOTEBOOK...

Exit codes: 0 ok, 1 a cell raised an error, 2 a cell timed out, 3 the kernel died,
4 bad usage (missing notebook, unreadable file, unknown kernel).
Uses jupyter_client and nbformat from Debian's /usr/bin/python3.
"""

import argparse
import os
import sys
import time
import warnings

import nbformat

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jupyter_loop  # noqa: E402  (the kit's one Jupyter message loop)
from jupyter_client.manager import KernelManager

EXIT_OK, EXIT_ERROR, EXIT_TIMEOUT, EXIT_DEAD, EXIT_USAGE = 0, 1, 2, 3, 4


class CellFailure(Exception):
    """A cell could not complete; carries the exit code and a message for the student."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class NotebookRun:
    """Executes one notebook in a fresh kernel, routing outputs by parent msg_id."""

    def __init__(self, nb, cwd, timeout, quiet_s):
        self.nb = nb
        self.cwd = cwd
        self.timeout = timeout
        self.quiet_s = quiet_s
        self.cells_by_msg = {}  # execute request msg_id -> cell
        self.clear_pending = {}  # msg_id -> True when clear_output(wait=True) is pending
        self.displays = {}  # display_id -> list of output dicts showing it

    def start(self):
        name = (self.nb.metadata.get("kernelspec") or {}).get("name", "deno")
        self.km = KernelManager(kernel_name=name)
        try:
            self.km.start_kernel(cwd=self.cwd)
        except Exception as error:  # noqa: BLE001 - jupyter_client raises many kinds
            raise CellFailure(EXIT_USAGE, f"no se pudo arrancar el kernel «{name}»: {error}")
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=60)
        except RuntimeError as error:
            raise CellFailure(EXIT_DEAD, f"el kernel «{name}» no respondió al arrancar: {error}")

    def stop(self):
        try:
            jupyter_loop.drain(self.kc, self.handle_iopub, self.quiet_s)
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass

    # iopub handling -----------------------------------------------------------------

    def handle_iopub(self, msg):
        parent = msg.get("parent_header", {}).get("msg_id")
        cell = self.cells_by_msg.get(parent)
        kind = msg["msg_type"]
        content = msg["content"]
        if kind == "update_display_data":
            self.update_display(content)
            return
        if cell is None:
            return
        if kind == "execute_input":
            cell.execution_count = content.get("execution_count")
        elif kind == "clear_output":
            if content.get("wait"):
                self.clear_pending[parent] = True
            else:
                self.clear(cell)
        elif kind in ("stream", "display_data", "execute_result", "error"):
            if self.clear_pending.pop(parent, False):
                self.clear(cell)
            self.add_output(cell, kind, content)

    def clear(self, cell):
        for out in cell.outputs:
            display_id = out.get("_display_id")
            if display_id in self.displays:
                self.displays[display_id] = [o for o in self.displays[display_id] if o is not out]
        cell.outputs = []

    def add_output(self, cell, kind, content):
        if kind == "stream":
            last = cell.outputs[-1] if cell.outputs else None
            if last is not None and last.output_type == "stream" and last.name == content["name"]:
                last.text += content["text"]
                return
            out = nbformat.v4.new_output("stream", name=content["name"], text=content["text"])
        elif kind == "error":
            out = nbformat.v4.new_output(
                "error",
                ename=content.get("ename", ""),
                evalue=content.get("evalue", ""),
                traceback=content.get("traceback", []),
            )
        else:
            out = nbformat.v4.new_output(
                kind, data=content.get("data", {}), metadata=content.get("metadata", {})
            )
            if kind == "execute_result":
                out.execution_count = content.get("execution_count")
            display_id = (content.get("transient") or {}).get("display_id")
            if display_id:
                out["_display_id"] = display_id  # stripped before writing
                self.displays.setdefault(display_id, []).append(out)
        cell.outputs.append(out)

    def update_display(self, content):
        display_id = (content.get("transient") or {}).get("display_id")
        for out in self.displays.get(display_id, []):
            out.data = content.get("data", {})
            out.metadata = content.get("metadata", {})

    # execution ----------------------------------------------------------------------

    def execute(self, index, cell):
        cell.outputs = []
        cell.execution_count = None
        try:
            reply = jupyter_loop.execute(
                self.kc,
                cell.source,
                self.handle_iopub,
                quiet_s=self.quiet_s,
                is_alive=self.km.is_alive,
                timeout_s=self.timeout,
                on_sent=lambda msg_id: self.cells_by_msg.__setitem__(msg_id, cell),
            )
        except jupyter_loop.CellTimeout:
            raise CellFailure(
                EXIT_TIMEOUT, f"celda {index}: superó el límite de {self.timeout:g} s"
            ) from None
        except jupyter_loop.KernelDead:
            raise CellFailure(
                EXIT_DEAD, f"celda {index}: el kernel murió durante la ejecución"
            ) from None
        if reply.get("execution_count") is not None:
            cell.execution_count = reply["execution_count"]
        if reply.get("status") == "error":
            ename, evalue = reply.get("ename", "Error"), reply.get("evalue", "")
            if not any(o.output_type == "error" for o in cell.outputs):
                self.add_output(cell, "error", reply)
            raise CellFailure(EXIT_ERROR, f"celda {index}: {ename}: {evalue}")

    def run(self):
        self.start()
        try:
            index = 0
            for cell in self.nb.cells:
                if cell.cell_type != "code":
                    continue
                index += 1
                self.execute(index, cell)
        finally:
            self.stop()


def strip_private(nb):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            out.pop("_display_id", None)


def main(argv):
    parser = argparse.ArgumentParser(description="Ejecuta cuadernos del kit sin interfaz.")
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--timeout", type=float, default=float(os.environ.get("NB_CELL_TIMEOUT", 600)))
    parser.add_argument("--out", default="out/executed")
    parser.add_argument("--quiet", type=float, default=100, help="ms of iopub silence that ends a cell")
    args = parser.parse_args(argv)

    for path in args.notebooks:
        if not os.path.isfile(path):
            print(f"Error: el cuaderno «{path}» no existe.", file=sys.stderr)
            return EXIT_USAGE
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a missing cell id is not the student's problem
                nb = nbformat.read(path, as_version=4)
        except Exception as error:  # noqa: BLE001 - any parse failure is a usage error
            print(f"Error: «{path}» no es un cuaderno válido: {error}", file=sys.stderr)
            return EXIT_USAGE
        out_path = os.path.join(args.out, os.path.basename(path))
        started = time.monotonic()
        code, message = EXIT_OK, None
        try:
            NotebookRun(nb, os.path.dirname(os.path.abspath(path)), args.timeout, args.quiet / 1000).run()
        except CellFailure as failure:
            code, message = failure.code, str(failure)
        strip_private(nb)
        os.makedirs(args.out, exist_ok=True)
        nbformat.write(nb, out_path)
        if code != EXIT_OK:
            print(f"Error en {path}, {message}", file=sys.stderr)
            print(f"Copia ejecutada (hasta el error): {out_path}", file=sys.stderr)
            return code
        print(f"{path}: ejecutado en {time.monotonic() - started:.1f} s -> {out_path}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
