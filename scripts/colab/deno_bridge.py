"""`%%deno` cells in a Python notebook (Google Colab): an IPython extension.

Colab has no Deno runtime, so the kit's Colab notebooks run in Colab's Python kernel and
every code cell starts with `%%deno`. This extension runs those cells in ONE long-lived
Deno Jupyter kernel (`deno jupyter --kernel`), started through jupyter_client on the
first `%%deno` cell, and passes everything back into the Python cell:

- stdout/stderr stream live, as they arrive;
- display_data passes through with its MIME bundle (text/markdown, text/html,
  image/svg+xml, image/png, ...); displays that carry a display_id keep it, so
  update_display_data updates them in place (progress bars, streaming text);
- the execute_result becomes the Python cell's own result (Out[n]) with the same bundle;
- a Deno error shows Deno's traceback and fails the cell (its exception is named after
  the Deno error: TypeError, RangeError, ...);
- state persists between cells (one kernel);
- a dead Deno kernel is reported with a restart hint; the next `%%deno` starts a new one.

The Deno kernel sometimes publishes `status: idle` BEFORE the outputs of the cell it
finished (see scripts/run_notebook.py): the bridge never trusts idle. It routes iopub
messages by parent msg_id, waits for the execute_reply on the shell channel and then keeps
draining iopub until it has been quiet for a while.

Usage (the generated notebooks in notebooks/colab/ do this in their first cell)::

    import deno_bridge
    deno_bridge.configure(cwd="/content/kit/notebooks", jupyter_path="/content/kit/.cache/jupyter")
    deno_bridge.load_colab_secrets(["GROQ_API_KEY", "HF_TOKEN"])
    %load_ext deno_bridge

    %%deno
    console.log("hola desde Deno", Deno.version.deno);

Line magics: `%deno_restart` (fresh kernel, state lost), `%deno_stop`.
What the student reads is Spanish; code and comments are English.
"""

import atexit
import os
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import jupyter_loop  # noqa: E402  (the kit's one Jupyter message loop, scripts/)

KERNEL_NAME = "deno"
START_TIMEOUT_S = 60.0
QUIET_S = 0.1  # iopub silence after the execute_reply that ends a cell

RESTART_HINT = (
    "Vuelve a ejecutar la celda: el siguiente %%deno arranca un kernel de Deno nuevo "
    "(o usa %deno_restart). Las variables y los imports de las celdas anteriores se han "
    "perdido: ejecuta de nuevo las celdas %%deno desde el principio del cuaderno."
)

_settings = {
    "cwd": None,  # working directory of the Deno kernel (relative imports start here)
    "jupyter_path": None,  # extra Jupyter data dir holding kernels/deno/kernel.json
    "kernel_name": KERNEL_NAME,
    "quiet_s": QUIET_S,
    "cell_timeout_s": None,  # None: no limit (Colab's stop button still works)
}
_secret_env = {}  # secrets for the Deno kernel's environment; never printed
_kernel = None  # the DenoKernel in use


# Errors --------------------------------------------------------------------------------


class DenoBridgeError(Exception):
    """A %%deno cell could not run; the message (Spanish) says what to do."""

    def _render_traceback_(self):
        # IPython shows this instead of a Python traceback of the bridge's internals.
        return [f"{type(self).__name__}: {self}"]


class DenoKernelDied(DenoBridgeError):
    """The Deno kernel process ended (crash, Deno.exit, out of memory)."""


class DenoCellError(DenoBridgeError):
    """The Deno code raised: carries Deno's ename, evalue and traceback."""

    def __init__(self, ename, evalue, traceback):
        super().__init__(f"{ename}: {evalue}" if evalue else ename)
        self.ename = ename
        self.evalue = evalue
        self.traceback = list(traceback or [])

    def __str__(self):
        # ipykernel reports str(exception) as the error's evalue: keep Deno's own.
        return self.evalue

    def _render_traceback_(self):
        return self.traceback or [f"{self.ename}: {self.evalue}"]


def _cell_error(ename, evalue, traceback):
    """A DenoCellError whose class is named after the Deno error (TypeError, ...)."""
    name = ename if isinstance(ename, str) and ename.isidentifier() else "DenoError"
    cls = type(name, (DenoCellError,), {"__module__": __name__})
    return cls(ename or "Error", evalue or "", traceback)


# Configuration and secrets -------------------------------------------------------------


def configure(cwd=None, jupyter_path=None, kernel_name=None, quiet_s=None, cell_timeout_s=None):
    """Sets where and how the Deno kernel runs. Takes effect at the next kernel start.

    cwd: the Deno kernel's working directory (a notebook's `../lib/...` imports resolve
    from here). jupyter_path: a Jupyter data dir searched first for the kernelspec.
    """
    if cwd is not None:
        _settings["cwd"] = os.path.abspath(os.path.expanduser(cwd))
    if jupyter_path is not None:
        _settings["jupyter_path"] = os.path.abspath(os.path.expanduser(jupyter_path))
    if kernel_name is not None:
        _settings["kernel_name"] = kernel_name
    if quiet_s is not None:
        _settings["quiet_s"] = float(quiet_s)
    if cell_timeout_s is not None:
        _settings["cell_timeout_s"] = float(cell_timeout_s) if cell_timeout_s > 0 else None
    if _kernel is not None and _kernel.is_alive() and cwd is not None and _kernel.cwd != _settings["cwd"]:
        print("El kernel de Deno ya está en marcha: el nuevo directorio se usará tras %deno_restart.")


def _secret_problem(error):
    """Spanish reason why google.colab.userdata.get failed (never the value)."""
    kind = type(error).__name__
    if "NotFound" in kind:
        return "no está en los Secretos de Colab"
    if "Access" in kind:
        return "sin acceso: activa «Acceso desde el cuaderno» en el panel de Secretos (🔑)"
    return f"no disponible ({kind})"


def load_colab_secrets(names=("GROQ_API_KEY", "HF_TOKEN"), userdata=None):
    """Copies Colab secrets into the Deno kernel's environment, printing only their status.

    Outside Colab (no google.colab) it changes nothing: the Deno kernel then sees this
    process's environment variables and the kit's `.env`. Returns None (so that the cell
    shows only the printed status); `userdata` stands in for google.colab.userdata (tests).
    """
    if userdata is None:
        try:
            from google.colab import userdata  # type: ignore[import-not-found]
        except ImportError:
            print(
                "No estás en Google Colab: el kernel de Deno usará las variables de entorno y el "
                "archivo .env del kit para " + ", ".join(names) + "."
            )
            return None
    status = {}
    for name in names:
        try:
            value = userdata.get(name)
        except Exception as error:  # noqa: BLE001 - userdata raises several kinds
            status[name] = _secret_problem(error)
            continue
        value = (value or "").strip()
        if not value:
            status[name] = "vacío en los Secretos de Colab"
            continue
        _secret_env[name] = value
        status[name] = f"cargado de los Secretos de Colab ({len(value)} caracteres)"
    for name in names:
        print(f"{name}: {status[name]}")
    if _kernel is not None and _kernel.is_alive():
        print("El kernel de Deno ya estaba en marcha: usa %deno_restart para que vea estos valores.")
    return None


# The kernel ----------------------------------------------------------------------------

_WATCHDOG = """
import os, signal, sys, time
fd, pgid, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
try:
    quit_quietly = os.read(fd, 1) == b"q"
except OSError:
    quit_quietly = False
if not quit_quietly:
    try:
        os.killpg(pgid, signal.SIGTERM)
        for _ in range(30):
            time.sleep(0.1)
            os.killpg(pgid, 0)
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.remove(log)
    except OSError:
        pass
"""


def _kernel_pid(km):
    """The kernel process id for jupyter_client 6 (km.kernel) and 7+ (km.provisioner)."""
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None) if provisioner is not None else None
    if pid is None:
        pid = getattr(getattr(km, "kernel", None), "pid", None)
    return pid


class DenoKernel:
    """One Deno Jupyter kernel, driven through jupyter_client's blocking client."""

    def __init__(self, kernel_name, cwd, jupyter_path, env, quiet_s, cell_timeout_s):
        self.kernel_name = kernel_name
        self.cwd = cwd
        self.jupyter_path = jupyter_path
        self.env = env
        self.quiet_s = quiet_s
        self.cell_timeout_s = cell_timeout_s
        self.session = uuid.uuid4().hex[:8]
        self.msg_ids = set()  # every execute request this kernel got
        self.km = None
        self.kc = None
        self._watchdog_fd = None
        # The kernel's own stdout/stderr (Deno's "unstable" warning, panics) go to a log, not
        # into the cell: ipykernel would otherwise capture them as cell output.
        self.log_path = os.path.join(tempfile.gettempdir(), f"deno-kernel-{self.session}.log")

    def log_tail(self, lines=8):
        """The last lines the kernel process printed (why it died, usually)."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                text = [ln.rstrip() for ln in log if "is unstable" not in ln and ln.strip()]
        except OSError:
            return ""
        return "\n".join(text[-lines:])

    def _spec_manager(self):
        from jupyter_client.kernelspec import KernelSpecManager

        ksm = KernelSpecManager()
        if self.jupyter_path:
            ksm.kernel_dirs.insert(0, os.path.join(self.jupyter_path, "kernels"))
        return ksm

    def start(self):
        from jupyter_client.kernelspec import NoSuchKernel
        from jupyter_client.manager import KernelManager

        ksm = self._spec_manager()
        try:
            ksm.get_kernel_spec(self.kernel_name)
        except NoSuchKernel:
            raise DenoBridgeError(
                f"No encuentro el kernel de Jupyter «{self.kernel_name}». Ejecuta primero la "
                "celda de preparación (instala Deno y registra su kernel)."
            ) from None
        if self.cwd and not os.path.isdir(self.cwd):
            raise DenoBridgeError(f"No existe la carpeta de trabajo del kernel de Deno: {self.cwd}")
        self.km = KernelManager(kernel_name=self.kernel_name, kernel_spec_manager=ksm)
        env = {**os.environ, **self.env}
        try:
            with open(self.log_path, "ab") as log:
                self.km.start_kernel(
                    cwd=self.cwd or os.getcwd(), env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL
                )
        except Exception as error:  # noqa: BLE001 - jupyter_client raises many kinds
            raise DenoBridgeError(f"No se pudo arrancar el kernel de Deno: {error}") from None
        self._start_watchdog()
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=START_TIMEOUT_S)
        except RuntimeError as error:
            self.shutdown()
            raise DenoKernelDied(f"El kernel de Deno no respondió al arrancar: {error}") from None

    def _start_watchdog(self):
        """Kills the Deno kernel's process group if this Python process dies first.

        A Python kernel killed with SIGKILL (a runner's shutdown, Colab's "restart
        session") runs no cleanup; the watchdog notices the closed pipe and stops Deno, so
        no orphan kernel keeps a model in memory.
        """
        pid = _kernel_pid(self.km)
        if pid is None:
            return
        try:
            pgid = os.getpgid(pid)
        except OSError:
            return
        if pgid == os.getpgid(0):
            return  # same group as this process: never kill ourselves
        read_fd, write_fd = os.pipe()
        try:
            subprocess.Popen(
                [sys.executable, "-c", _WATCHDOG, str(read_fd), str(pgid), self.log_path],
                pass_fds=(read_fd,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            os.close(write_fd)
            return
        finally:
            os.close(read_fd)
        self._watchdog_fd = write_fd

    def _stop_watchdog(self):
        if self._watchdog_fd is None:
            return
        try:
            os.write(self._watchdog_fd, b"q")
        except OSError:
            pass
        os.close(self._watchdog_fd)
        self._watchdog_fd = None

    def is_alive(self):
        try:
            return self.km is not None and self.km.is_alive()
        except Exception:  # noqa: BLE001 - a half-started manager
            return False

    def shutdown(self):
        """Stops the kernel (best effort; the Deno kernel has no interrupt)."""
        try:
            if self.kc is not None:
                self.kc.stop_channels()
            if self.km is not None and self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass
        finally:
            self._stop_watchdog()
            try:
                os.remove(self.log_path)
            except OSError:
                pass

    def execute(self, code, on_iopub):
        """Runs code; calls on_iopub for every iopub message; returns the execute_reply content
        (the kit's one message loop, scripts/jupyter_loop.py: never stops at `status: idle`)."""
        try:
            return jupyter_loop.execute(
                self.kc,
                code,
                on_iopub,
                quiet_s=self.quiet_s,
                is_alive=self.is_alive,
                timeout_s=self.cell_timeout_s,
                on_sent=self.msg_ids.add,
            )
        except jupyter_loop.CellTimeout:
            self.shutdown()
            raise DenoKernelDied(
                f"La celda superó el límite de {self.cell_timeout_s:g} s y el kernel de Deno "
                "se detuvo (no admite interrupciones). " + RESTART_HINT
            ) from None
        except jupyter_loop.KernelDead:
            tail = self.log_tail()
            said = f"\nLo último que escribió:\n{tail}\n" if tail else " "
            raise DenoKernelDied(
                "El kernel de Deno se cerró durante la celda." + said + RESTART_HINT
            ) from None


# Passing outputs into the Python cell ---------------------------------------------------


class DenoResult:
    """The Deno cell's execute_result, shown as this cell's result with the same MIME bundle."""

    def __init__(self, data, metadata):
        self.data = data
        self.metadata = metadata

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.data, self.metadata

    def __repr__(self):
        return str(self.data.get("text/plain", ""))


class CellOutputs:
    """Handles one %%deno cell's iopub messages: streams, displays, updates, the error."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.result = None
        self.error = None

    def display_id(self, deno_id):
        # Prefixed by kernel session: ids from a previous (restarted) kernel never collide.
        return f"deno-{self.kernel.session}-{deno_id}"

    def __call__(self, msg):
        from IPython.display import clear_output, display, update_display

        kind = msg.get("msg_type") or msg.get("header", {}).get("msg_type")
        content = msg.get("content", {})
        parent = msg.get("parent_header", {}).get("msg_id")
        if kind == "update_display_data":
            # Updates may come from any cell (a timer started earlier): apply them always.
            deno_id = (content.get("transient") or {}).get("display_id")
            if deno_id:
                update_display(
                    content.get("data", {}),
                    raw=True,
                    metadata=content.get("metadata", {}),
                    display_id=self.display_id(deno_id),
                )
            return
        if parent not in self.kernel.msg_ids:
            return  # not ours (e.g. the kernel's start-up status)
        # Late outputs of an earlier cell land here: shown, never lost.
        if kind == "stream":
            stream = sys.stderr if content.get("name") == "stderr" else sys.stdout
            stream.write(content.get("text", ""))
            stream.flush()
        elif kind == "display_data":
            deno_id = (content.get("transient") or {}).get("display_id")
            sys.stdout.flush()
            sys.stderr.flush()
            display(
                content.get("data", {}),
                raw=True,
                metadata=content.get("metadata", {}),
                display_id=self.display_id(deno_id) if deno_id else None,
            )
        elif kind == "execute_result":
            self.result = DenoResult(content.get("data", {}), content.get("metadata", {}))
        elif kind == "error":
            self.error = content
        elif kind == "clear_output":
            clear_output(wait=bool(content.get("wait")))


def _current_kernel():
    """The running Deno kernel, starting one (and saying why) when there is none."""
    global _kernel
    if _kernel is not None and _kernel.is_alive():
        return _kernel
    restarted = _kernel is not None
    if restarted:
        _kernel.shutdown()
    _kernel = DenoKernel(
        _settings["kernel_name"],
        _settings["cwd"],
        _settings["jupyter_path"],
        dict(_secret_env),
        _settings["quiet_s"],
        _settings["cell_timeout_s"],
    )
    try:
        _kernel.start()
    except BaseException:
        _kernel = None
        raise
    if restarted:
        print("(Kernel de Deno nuevo: el anterior se había cerrado y su estado se perdió.)")
    return _kernel


def run_cell(code):
    """Runs one cell of TypeScript in the Deno kernel; returns its result or raises."""
    kernel = _current_kernel()
    outputs = CellOutputs(kernel)
    try:
        reply = kernel.execute(code, outputs)
    except KeyboardInterrupt:
        kernel.shutdown()
        print(
            "\nCelda interrumpida. El kernel de Deno no admite interrupciones, así que se ha "
            "detenido. " + RESTART_HINT,
            file=sys.stderr,
        )
        raise
    if reply.get("status") == "error":
        error = outputs.error or reply
        raise _cell_error(error.get("ename"), error.get("evalue"), error.get("traceback"))
    return outputs.result


def stop():
    """Stops the Deno kernel (the next %%deno cell starts a fresh one)."""
    global _kernel
    if _kernel is not None:
        _kernel.shutdown()
        _kernel = None


# IPython extension ---------------------------------------------------------------------


def deno_cell_magic(line, cell):
    """%%deno: runs the cell in the Deno kernel (TypeScript); outputs appear here."""
    if line.strip():
        print(f"(%%deno no usa argumentos: se ignora «{line.strip()}»)", file=sys.stderr)
    return run_cell(cell)


def deno_restart_magic(line=""):
    """%deno_restart: a fresh Deno kernel (variables and imports are lost)."""
    stop()
    _current_kernel()
    print("Kernel de Deno reiniciado: ejecuta de nuevo las celdas %%deno que necesites.")


def deno_stop_magic(line=""):
    """%deno_stop: stops the Deno kernel."""
    stop()
    print("Kernel de Deno detenido.")


def load_ipython_extension(ipython):
    ipython.register_magic_function(deno_cell_magic, magic_kind="cell", magic_name="deno")
    ipython.register_magic_function(deno_restart_magic, magic_kind="line", magic_name="deno_restart")
    ipython.register_magic_function(deno_stop_magic, magic_kind="line", magic_name="deno_stop")


def unload_ipython_extension(ipython):
    stop()


def _stop_at_exit():
    try:
        stop()
    except Exception:  # noqa: BLE001 - interpreter shutdown
        pass


atexit.register(_stop_at_exit)
