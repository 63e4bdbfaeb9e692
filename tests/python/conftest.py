import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

import wasmlive

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo"
HERE = pathlib.Path(__file__).resolve().parent


@pytest.fixture
async def session(request):
    """A fresh session actor, shut down after the test."""
    s = await wasmlive.create_session_actor(f"test-{request.node.name}")
    yield s
    await s.shutdown()


@pytest.fixture
def todo_rows(transactional_db):
    """The demo's three todo rows (its data migration's), in the test database."""
    from demo.models import Todo

    texts = ["Write the view", "Write the template", "Ship it"]
    Todo.objects.all().delete()  # the migration's rows, before the first flush
    Todo.objects.bulk_create([Todo(id=n, text=t, position=n) for n, t in enumerate(texts, start=1)])


@pytest.fixture(scope="session")
def fixture_guests():
    """The fixture guest components (tests/guests/) as .wasm files: written
    by scripts/test.sh, or here with cargo when run alone."""
    directory = pathlib.Path(os.environ.get("WASMLIVE_FIXTURE_GUESTS", ROOT / "target" / "fixture-guests"))
    names = ["faulty", "forbidden-import", "vdom-html5ever", "mustache", "faulty-vdom", "wasi-probe"]
    if not all((directory / f"{name}.wasm").exists() for name in names):
        subprocess.run(["cargo", "run", "-q", "-p", "wasmlive-fixtures", "--example", "export", "--", str(directory)], cwd=ROOT, check=True)
    return directory


class configured:
    """``async with configured(**settings):`` a fresh actor system with
    these settings, then a fresh default one again."""

    def __init__(self, **settings):
        self.settings = settings

    async def __aenter__(self):
        await wasmlive.shutdown_actor_system()
        wasmlive.configure(**self.settings)

    async def __aexit__(self, *exc):
        await wasmlive.shutdown_actor_system()
        defaults = {
            "ttl_secs": 3600,
            "cleanup_interval": 60,
            "guest_output_bytes": 16 << 20,
            "engine_limits": {},
            "guest_quarantine_after": 3,
            "guest_quarantine_seconds": 5.0,
            "release_memory_after": 1.0,
        }
        wasmlive.configure(**{k: v for k, v in defaults.items() if k in self.settings or k == "ttl_secs"})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory):
    """A sqlite file with every migration of the demo and the test site
    applied, made once per run; each server starts from a copy of it."""
    path = tmp_path_factory.mktemp("db") / "migrated.sqlite3"
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="testsite.settings", WASMLIVE_DEMO_DB=str(path), PYTHONPATH=os.pathsep.join([str(HERE), str(DEMO)]))
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=DEMO, env=env, check=True)
    return path


class Server:
    """An ASGI app under uvicorn on a port of its own, restartable on that
    port, with a database of its own (a copy of ``migrated_db``)."""

    def __init__(self, settings, database, pythonpath=(), env=None):
        self.port = free_port()
        self.database = database.with_name(f"server-{self.port}.sqlite3")
        shutil.copyfile(database, self.database)
        self.env = dict(os.environ, DJANGO_SETTINGS_MODULE=settings, WASMLIVE_DEMO_DB=str(self.database), **(env or {}))
        if pythonpath:
            self.env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), self.env.get("PYTHONPATH", "")])
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "demo.asgi:application", "--host", "127.0.0.1", "--port", str(self.port), "--ws", "websockets"],
            cwd=DEMO,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stdout.read().decode())
                time.sleep(0.1)
        raise RuntimeError(f"uvicorn did not listen on {self.port} within 60 s")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def start_serve(cwd, templates, env, *args):
    """`python -m wasmlive serve` with `views.json` in `cwd` on a free port:
    the process and its address (host:port), once it listens."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "wasmlive", "serve", "--addr", "127.0.0.1:0", "--templates", str(templates), "--views", "views.json", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    assert "listening on http://" in line, line + proc.stderr.read()
    return proc, line.split("http://")[1].split("/")[0]


class Proxy:
    """A TCP proxy the test controls, as a load balancer would be: forwards
    each connection to `target` (host, port), which may change; `cut()`
    drops every connection it carries (both ends see them close)."""

    def __init__(self, target):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            sockets, self.open = self.open, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        # shutdown() wakes the thread blocked in accept(); close() alone would not.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        self.cut()


@pytest.fixture
def server(migrated_db):
    """The demo project under uvicorn on a free port: (process, port)."""
    s = Server("demo.settings", migrated_db).start()
    yield s.proc, s.port
    s.stop()


@pytest.fixture
def site(fixture_guests, migrated_db):
    """The demo plus the browser tests' own pages (`testsite/`), as a `Server`."""
    s = Server("testsite.settings", migrated_db, pythonpath=[HERE]).start()
    yield s
    s.stop()


@pytest.fixture
def production_site(migrated_db):
    """The test site with DEBUG = False."""
    s = Server("testsite.settings", migrated_db, pythonpath=[HERE], env={"WASMLIVE_DEBUG": "0"}).start()
    yield s
    s.stop()


class Redis:
    """A `redis-server` of the test run's own on a free loopback port,
    nothing saved to disk; killed (`kill -9`) and started again on the same
    port by the tests that need Redis to go away."""

    def __init__(self, workdir, persistent=False):
        self.port = free_port()
        self.workdir = workdir
        self.persistent = persistent
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        keep = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *keep, "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {self.proc.returncode}")
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on {self.port} within 20 s")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        """SIGTERM: a clean shutdown (a persistent one keeps its data)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One `redis-server` for the run (tests use topics of their own)."""
    r = Redis(tmp_path_factory.mktemp("redis")).start()
    yield r
    r.kill()


@pytest.fixture
def own_redis(tmp_path):
    """A `redis-server` for one test, which may kill it."""
    r = Redis(tmp_path).start()
    yield r
    r.kill()


@pytest.fixture
def persistent_redis(tmp_path):
    """A `redis-server` for one test that keeps its data across a restart."""
    r = Redis(tmp_path, persistent=True).start()
    yield r
    r.kill()
