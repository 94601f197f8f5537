"""Kernels forked from the fork server, through jupyter_client's supported extension point.

``ForkProvisioner`` is a kernel provisioner (a ``LocalProvisioner`` that forks instead of
spawning), registered under the ``jupyter_client.kernel_provisioners`` entry point as
``audit-pipeline-fork``. ``ForkingKernelManager`` selects it the documented way, through the kernel
spec's ``metadata.kernel_provisioner``, and puts the kernel's sockets (IPC, no TCP ports) and
connection file in a private folder. When the package is not installed (so the entry point is
not registered), the fork server is off, or the kernel is not this interpreter's IPython kernel,
kernels start as usual: slower, same outputs.
"""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import sys
import threading
import time
from importlib.metadata import entry_points
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import KernelProvisionerFactory, LocalProvisioner

from audit_pipeline.run import forkserver

NAME = "audit-pipeline-fork"

# How each forked kernel ended, by its connection file (read, and dropped, by ``exit_code``).
_exits: dict[str, int] = {}
_exits_lock = threading.Lock()


@functools.cache
def registered() -> bool:
    """Whether this provisioner is registered (the package is installed): kernels can then be forked."""
    found = entry_points(group=KernelProvisionerFactory.GROUP_NAME, name=NAME)
    return any(ep.value == f"{__name__}:ForkProvisioner" for ep in found)


def exit_code(connection_file: str) -> int | None:
    """How the forked kernel with this connection file ended (negative: killed by that signal);
    ``None`` when it was not forked or is not known to have ended."""
    with _exits_lock:
        return _exits.pop(connection_file, None)


def forkable(kernel_cmd: list[str]) -> bool:
    """Only the plain IPython kernel of this very interpreter is forked; anything else is started as usual."""
    return (
        len(kernel_cmd) >= 3
        and kernel_cmd[1:3] == ["-m", "ipykernel_launcher"]
        and os.path.realpath(kernel_cmd[0]) == os.path.realpath(sys.executable)
    )


class ForkProvisioner(LocalProvisioner):
    """Launch the kernel as a child of the fork server when there is one, else as ``LocalProvisioner``
    does (its own log discarded: what matters reaches us through nbclient)."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        server = forkable(cmd) and forkserver.fork_server()
        if not server:
            kwargs.setdefault("stderr", subprocess.DEVNULL)
            return await super().launch_kernel(cmd, **kwargs)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        env = dict(kwargs.get("env") or os.environ)
        # Run in a thread: the request waits for the server to be ready, which must not block the loop.
        request = {"kind": "kernel", "argv": cmd[3:], "env": env, "cwd": cwd}
        self.process = await asyncio.to_thread(server.spawn, request)
        # No pgid: ``process`` signals the kernel's group itself (it calls setsid() once running).
        self.pid, self.pgid, self.cwd = self.process.pid, None, cwd
        return self.connection_info

    async def post_launch(self, **kwargs: Any) -> None:
        """Wait (briefly) until the kernel has bound its IPC sockets, so that the client connects at
        once instead of on its next reconnection attempt, and hears the kernel's first messages."""
        await super().post_launch(**kwargs)
        info = self.connection_info
        if info.get("transport") != "ipc":
            return
        ports = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
        paths = [f"{info['ip']}-{info[port]}" for port in ports]
        deadline = time.monotonic() + 30
        while not all(os.path.exists(p) for p in paths) and time.monotonic() < deadline:
            if await self.poll() is not None:
                return  # it died: nbclient reports that
            await asyncio.sleep(0.005)

    async def poll(self) -> int | None:
        process = self.process
        code = await super().poll()
        if code is not None and isinstance(process, forkserver.ForkedProcess) and self.parent is not None:
            with _exits_lock:
                _exits[self.parent.connection_file] = code
        return code


class ForkKernelSpecManager(KernelSpecManager):
    """Kernel specs as installed, naming ``ForkProvisioner`` in their metadata when it is registered."""

    def get_kernel_spec(self, kernel_name: str):
        spec = super().get_kernel_spec(kernel_name)
        if registered() and forkserver.fork_enabled() and "kernel_provisioner" not in spec.metadata:
            spec.metadata["kernel_provisioner"] = {"provisioner_name": NAME, "config": {}}
        return spec


class ForkingKernelManager(AsyncKernelManager):
    """An asynchronous kernel manager whose kernels talk over IPC sockets (no TCP ports, so no
    plain-text warning) and may be forked (see ``ForkKernelSpecManager``). Give it ``ip`` (the
    sockets' path prefix) and ``connection_file`` in a private folder, through its config."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("kernel_spec_manager", ForkKernelSpecManager())
        super().__init__(**kwargs)
