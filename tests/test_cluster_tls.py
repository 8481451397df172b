"""A Dask cluster over TLS, started and used with the README's own commands ("TLS, and who may
talk to a scheduler"), and the one-line errors of a client whose settings do not fit the
scheduler's address. Certificates are made with the ``openssl`` command, a CA of the test's own."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT
from tests.terminal import listing

pytest.importorskip("distributed")
pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")

BIN = Path(sys.executable).parent
# What the README's example names and what this machine has instead.
README_PLACES = {"10.0.0.1": "127.0.0.1", "/shared/news": str(FIXTURES)}


def readme_tls_commands() -> list[str]:
    """The shell commands of the README's TLS example, continuation lines joined."""
    section = (ROOT / "README.md").read_text().split("### TLS", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the README's TLS section has no sh block"
    joined = block.group(1).replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip() and line[0] != "#"]


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA, and a certificate signed by it for the scheduler, the worker and the client."""
    folder = tmp_path_factory.mktemp("tls")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "2", "-subj", "/CN=cleaner test CA", cwd=folder)  # fmt: skip
    (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    for name in ("scheduler", "worker", "client"):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
                "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=folder)  # fmt: skip
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "2",
                "-extfile", "san.cnf", cwd=folder)  # fmt: skip
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def without_dask_settings() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("DASK_")}


@pytest.fixture
def on_this_machine(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The README's names for this machine's: its host, a free port for 8786, the fixtures for
    the shared news folder, and an output folder of the test's."""
    yield {
        **README_PLACES,
        "8786": str(free_port()),
        "/shared/out/corpus.parquet": str(tmp_path / "out" / "corpus.parquet"),
    }


def localised(command: str, places: dict[str, str]) -> list[str]:
    for name, here in places.items():
        command = command.replace(name, here)
    words = shlex.split(command)
    if words[0] in ("dask", "cleaner"):
        words[0] = str(BIN / words[0])
    return words


def test_the_readme_s_tls_cluster_runs_a_clean_as_the_local_pool_does(
    certificates: Path, on_this_machine: dict[str, str], tmp_path: Path
) -> None:
    commands = [localised(line, on_this_machine) for line in readme_tls_commands()]
    kinds = [Path(words[0]).name for words in commands]
    assert kinds == ["dask", "dask", "export", "cleaner"], commands
    scheduler, worker, export, clean = commands
    env = without_dask_settings()
    env.update(assignment.split("=", 1) for assignment in export[1:])
    apart = {"cwd": certificates, "env": env, "start_new_session": True,
             "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}  # fmt: skip
    started = [subprocess.Popen(scheduler, **apart)]  # type: ignore[call-overload]
    try:
        time.sleep(1.0)  # a worker that finds no scheduler retries; this only saves a retry
        started.append(subprocess.Popen(worker, **apart))  # type: ignore[call-overload]
        run = subprocess.run(clean, cwd=certificates, env=env, capture_output=True, timeout=300)
    finally:
        for process in started:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert run.returncode == 0, run.stderr.decode()
    (tmp_path / "local").mkdir()
    local = [str(BIN / "cleaner"), "clean", str(FIXTURES), "-o",
             str(tmp_path / "local" / "corpus.parquet")]  # fmt: skip
    subprocess.run(local, env=without_dask_settings(), check=True, capture_output=True)
    assert listing(tmp_path / "out") == listing(tmp_path / "local")


@pytest.mark.parametrize(
    ("scheme", "settings", "error"),
    [
        ("tls", {}, "needs TLS settings for the client: distributed.comm.tls.ca-file"),
        ("tcp", {"DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "true"},
         "Dask's settings require encryption"),
    ],
    ids=["tls-without-settings", "tcp-when-encryption-is-required"],
)  # fmt: skip
def test_settings_that_do_not_fit_the_scheduler_s_address_are_one_line_and_no_output(
    scheme: str, settings: dict[str, str], error: str, tmp_path: Path
) -> None:
    address = f"{scheme}://127.0.0.1:{free_port()}"
    out = tmp_path / "out"
    out.mkdir()
    command = [str(BIN / "cleaner"), "clean", str(FIXTURES), "-o", str(out / "c.parquet"),
               "--scheduler", address]  # fmt: skip
    env = {**without_dask_settings(), **settings}
    run = subprocess.run(command, env=env, capture_output=True, timeout=120)
    assert run.returncode == 2  # a usage error, as a wrong address is
    lines = run.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and error in lines[0], lines
    assert address in lines[0]
    assert listing(out) == {}
